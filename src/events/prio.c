/* The idle-priority reader and its watchdog thread. */
#include "prio.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "percpu_rings.h"
#include "prio_policy.h"

/* Often enough that a CPU's ring, filling at a full-rate load, is not full
 * before the sample that raises the reader (docs/benchmarks.md,
 * "Measurements behind the code"). */
#define SAMPLE_NS (10 * 1000 * 1000ull)
#define STALL_SAMPLES 20 /* 200 ms of data waiting with the reader not moving */

struct reader_prio {
	pid_t reader_tid;
	const struct percpu_rings *ring;
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
	uint64_t reserved, read;

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
		percpu_rings_positions(rp->ring, &reserved, &read);
		apply(rp, prio_policy_sample(&rp->policy, reserved, read));
	}
	pthread_mutex_unlock(&rp->lock);
	return NULL;
}

/* The watchdog takes no signals: SIGINT, SIGTERM and SIGHUP are the reader's. */
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

struct reader_prio *reader_prio__start(const struct percpu_rings *ring)
{
	struct reader_prio *rp = calloc(1, sizeof(*rp));
	const char *what = "allocating its state";
	int err = -ENOMEM;

	if (!rp)
		goto fail;
	rp->reader_tid = (pid_t)syscall(SYS_gettid);
	rp->ring = ring;
	/* In slots over all CPUs: raised when half of one CPU's ring waits (a
	 * quarter of all on two CPUs), so that a load on one CPU is caught
	 * before its ring is full. */
	prio_policy_init(&rp->policy, 2 * percpu_rings_capacity(ring), STALL_SAMPLES);
	what = "starting the watchdog thread";
	err = start_watchdog(rp);
	if (err)
		goto fail;
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
	free(rp);
}
