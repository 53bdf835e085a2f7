/* delayq QUEUE DELAY_MS: holds every packet that netfilter puts in queue
 * QUEUE for DELAY_MS milliseconds, then lets it through; a test's stand-in
 * for netem, which this project's kernel lacks. Prints "ready" once bound.
 * Runs until SIGTERM/SIGINT. Packets leave in arrival order (the delay is
 * the same for all), so a ring of pending verdicts suffices. */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RING 8192

struct held {
	uint32_t id;
	uint64_t due_ns;
};

struct delayq {
	struct nfq_q_handle *qh;
	uint64_t delay_ns;
	struct held ring[RING];
	unsigned head, tail; /* pending: [head, tail) */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
		     void *data)
{
	struct delayq *d = data;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);

	(void)msg;
	if (!ph)
		return 0;
	if (d->tail - d->head == RING) /* full: let it through now rather than lose it */
		return nfq_set_verdict(qh, ntohl(ph->packet_id), NF_ACCEPT, 0, NULL);
	d->ring[d->tail++ % RING] = (struct held){ ntohl(ph->packet_id), now_ns() + d->delay_ns };
	return 0;
}

static void release_due(struct delayq *d)
{
	uint64_t now = now_ns();

	while (d->head != d->tail && d->ring[d->head % RING].due_ns <= now)
		nfq_set_verdict(d->qh, d->ring[d->head++ % RING].id, NF_ACCEPT, 0, NULL);
}

static int next_timeout_ms(const struct delayq *d)
{
	uint64_t now = now_ns(), due;

	if (d->head == d->tail)
		return 100;
	due = d->ring[d->head % RING].due_ns;
	return due <= now ? 0 : (int)((due - now + 999999) / 1000000);
}

int main(int argc, char **argv)
{
	static struct delayq d;
	struct nfq_handle *h;
	char buf[65536];
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: delayq QUEUE DELAY_MS\n");
		return 2;
	}
	d.delay_ns = strtoull(argv[2], NULL, 10) * 1000000ull;
	h = nfq_open();
	d.qh = h ? nfq_create_queue(h, (uint16_t)atoi(argv[1]), on_packet, &d) : NULL;
	if (!d.qh || nfq_set_mode(d.qh, NFQNL_COPY_META, 0) < 0) {
		perror("delayq: binding the queue");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fd = nfq_fd(h);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, next_timeout_ms(&d));

		if (n > 0) {
			ssize_t len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (len > 0)
				nfq_handle_packet(h, buf, (int)len);
		}
		release_due(&d);
	}
	while (d.head != d.tail) /* let everything held go before leaving */
		nfq_set_verdict(d.qh, d.ring[d.head++ % RING].id, NF_ACCEPT, 0, NULL);
	nfq_destroy_queue(d.qh);
	nfq_close(h);
	return 0;
}
