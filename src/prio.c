/* The idle-priority reader and its watchdog thread. */
#include "prio.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "prio_policy.h"

#define SAMPLE_NS (25 * 1000 * 1000ull)
#define STALL_SAMPLES 8 /* 200 ms of data waiting with the reader not moving */

struct reader_prio {
	pid_t reader_tid;
	size_t page;
	const volatile uint64_t *cons; /* the ring's positions, mapped read-only */
	const volatile uint64_t *prod;
	struct prio_policy policy;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;      /* under lock */
	unsigned long raises;
	bool warned;
};

/* What the watchdog raises the reader to: the lowest real-time priority,
 * which runs it at once. Not normal priority: before 6.6 (CFS), a thread
 * keeps the virtual runtime it ran up at idle priority's tiny weight, and
 * switched to normal priority on a busy CPU it waits until the others have
 * caught up with it. With normal priority as the raise, the test "busy
 * loops" (tests/e2e/reliability.bats) lost 7,931 and 9,423 of 70,003 events
 * in two of three runs on Debian 12's 6.1 (the VM); 6.18's scheduler
 * (EEVDF) ran it in time either way. It only runs until it has caught up:
 * then the watchdog puts it back at idle. */
#define RAISED_POLICY SCHED_FIFO
#define RAISED_PRIORITY 1

static int set_policy(pid_t tid, int policy)
{
	const struct sched_param sp = {
		.sched_priority = policy == RAISED_POLICY ? RAISED_PRIORITY : 0,
	};

	return sched_setscheduler(tid, policy, &sp) ? -errno : 0;
}

static uint64_t load_pos(const volatile uint64_t *pos)
{
	return __atomic_load_n(pos, __ATOMIC_ACQUIRE);
}

static void apply(struct reader_prio *rp, enum prio_action a)
{
	int err;

	if (a == PRIO_KEEP)
		return;
	err = set_policy(rp->reader_tid, a == PRIO_RAISE ? RAISED_POLICY : SCHED_IDLE);
	if (!err && a == PRIO_RAISE)
		rp->raises++;
	if (err && !rp->warned) {
		fprintf(stderr, "socktrace: changing the reader's priority failed: %s\n",
			strerror(-err));
		rp->warned = true;
	}
}

/* Wakes every SAMPLE_NS until told to stop. */
static void *watch(void *arg)
{
	struct reader_prio *rp = arg;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&rp->lock);
	while (!rp->stop) {
		next.tv_nsec += SAMPLE_NS;
		if (next.tv_nsec >= 1000000000) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000;
		}
		if (pthread_cond_timedwait(&rp->wake, &rp->lock, &next) != ETIMEDOUT)
			continue;
		apply(rp, prio_policy_sample(&rp->policy, load_pos(rp->prod), load_pos(rp->cons)));
	}
	pthread_mutex_unlock(&rp->lock);
	return NULL;
}

/* The ring's consumer and producer positions: its first two pages, mapped
 * read-only in one piece. */
static int map_positions(struct reader_prio *rp, int ring_fd)
{
	const char *p = mmap(NULL, 2 * rp->page, PROT_READ, MAP_SHARED, ring_fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	rp->cons = (const volatile uint64_t *)p;
	rp->prod = (const volatile uint64_t *)(p + rp->page);
	return 0;
}

static void unmap_positions(struct reader_prio *rp)
{
	munmap((void *)rp->cons, 2 * rp->page);
}

/* The watchdog takes no signals: SIGINT and SIGTERM are the reader's. */
static int start_watchdog(struct reader_prio *rp)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	int err;

	pthread_mutex_init(&rp->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rp->wake, &ca);
	pthread_condattr_destroy(&ca);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&rp->thread, NULL, watch, rp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pthread_cond_destroy(&rp->wake);
		pthread_mutex_destroy(&rp->lock);
	}
	return err;
}

static void stop_watchdog(struct reader_prio *rp)
{
	pthread_mutex_lock(&rp->lock);
	rp->stop = true;
	pthread_cond_signal(&rp->wake);
	pthread_mutex_unlock(&rp->lock);
	pthread_join(rp->thread, NULL);
	pthread_cond_destroy(&rp->wake);
	pthread_mutex_destroy(&rp->lock);
}

struct reader_prio *reader_prio__start(int ring_fd, uint64_t ring_size)
{
	struct reader_prio *rp = calloc(1, sizeof(*rp));
	const char *what = "allocating its state";
	int err = -ENOMEM;

	if (!rp)
		goto fail;
	rp->page = (size_t)sysconf(_SC_PAGESIZE);
	rp->reader_tid = (pid_t)syscall(SYS_gettid);
	prio_policy_init(&rp->policy, ring_size, STALL_SAMPLES);
	what = "mapping the ring buffer's positions";
	err = map_positions(rp, ring_fd);
	if (err)
		goto fail;
	what = "starting the watchdog thread";
	err = start_watchdog(rp);
	if (err)
		goto unmap;
	/* Only where the watchdog can raise it: idle and never raised, a busy
	 * host would starve it. */
	what = "trying the real-time priority the watchdog raises it to";
	err = set_policy(0, RAISED_POLICY);
	if (!err) {
		what = "setting idle priority";
		err = set_policy(0, SCHED_IDLE);
	}
	if (err)
		goto stop;
	return rp;
stop:
	set_policy(0, SCHED_OTHER); /* not left at the raise if idle failed */
	stop_watchdog(rp);
unmap:
	unmap_positions(rp);
fail:
	fprintf(stderr, "socktrace: the reader stays at normal priority: %s failed: %s\n", what,
		strerror(-err));
	free(rp);
	return NULL;
}

void reader_prio__free(struct reader_prio *rp, FILE *f)
{
	if (!rp)
		return;
	stop_watchdog(rp);
	set_policy(rp->reader_tid, SCHED_OTHER);
	if (f)
		fprintf(f, "socktrace: the reader was raised to real-time priority %lu times\n",
			rp->raises);
	unmap_positions(rp);
	free(rp);
}
