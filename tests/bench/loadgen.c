/* loadgen: a loopback churn of short TCP connections, for make bench.
 *
 *   loadgen [-t THREADS] [-n CONNECTIONS] [-s PAYLOAD_BYTES] [-p PORT] [-d LISTENERS]
 *
 * Starts a server on 127.0.0.1 with LISTENERS listening ports (PORT and the
 * ports after it, or ephemeral ports), THREADS accepting threads on each,
 * and THREADS client threads that together make CONNECTIONS connections,
 * spread over the listeners in turn: connect, send PAYLOAD bytes, read the
 * echo, close (the client closes first). Prints "connections=N seconds=S
 * rate=R" where rate is connections per second. Bounded: it stops after
 * CONNECTIONS, and every socket has a 5 s timeout.
 *
 * Why several listeners: the client's closes leave its ports in TIME_WAIT,
 * and the ephemeral range (28k ports) comes round every second or two. With
 * one destination (the default, what make bench uses unless told), connect()
 * searches for a port whose TIME_WAIT is at least a second old
 * (net.ipv4.tcp_tw_reuse_delay), a search whose length depends on how fast
 * the previous connections went: __inet_hash_connect() took 8.8% of the
 * samples of an untraced run here. With eight, each destination's ports come
 * round eight times less often, and it took 0.8%. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAYLOAD 65536

#define MAX_LISTENERS 16

struct run;

struct listener {
	int fd;
	struct sockaddr_in addr;
	const struct run *run;
};

struct run {
	struct listener listeners[MAX_LISTENERS];
	long nlisteners;
	size_t payload;
	atomic_long remaining; /* connections still to start; also picks the listener */
	atomic_long failed;
};

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = 5 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static void *serve(void *arg)
{
	struct listener *l = arg;
	char buf[MAX_PAYLOAD];

	for (;;) {
		int fd = accept(l->fd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL; /* listener shut down */
		}
		set_timeouts(fd);
		if (read_full(fd, buf, l->run->payload) == 0 && write(fd, buf, l->run->payload) > 0)
			while (read(fd, buf, sizeof(buf)) > 0) /* until the client closes */
				;
		close(fd);
	}
}

static void *client(void *arg)
{
	struct run *r = arg;
	char buf[MAX_PAYLOAD];
	long left;

	memset(buf, 'x', r->payload);
	while ((left = atomic_fetch_sub(&r->remaining, 1)) > 0) {
		const struct sockaddr_in *to = &r->listeners[left % r->nlisteners].addr;
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		set_timeouts(fd);
		if (fd < 0 || connect(fd, (const struct sockaddr *)to, sizeof(*to)) ||
		    write(fd, buf, r->payload) != (ssize_t)r->payload ||
		    read_full(fd, buf, r->payload))
			atomic_fetch_add(&r->failed, 1);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Listener i on 127.0.0.1:PORT+i (or an ephemeral port when PORT is 0). */
static int open_listener(struct run *r, long i, long port)
{
	struct listener *l = &r->listeners[i];
	struct sockaddr_in *a = &l->addr;
	socklen_t len = sizeof(*a);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	*l = (struct listener){ .fd = fd, .run = r };
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = htons((uint16_t)(port ? port + i : 0));
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)a, sizeof(*a)) || listen(fd, 4096) ||
	    getsockname(fd, (struct sockaddr *)a, &len))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct run r = { .payload = 1, .nlisteners = 1 };
	long threads = 2, conns = 20000, port = 0;
	pthread_t srv[MAX_LISTENERS * 64], cli[64];
	double t0, t1;
	int opt;

	while ((opt = getopt(argc, argv, "t:n:s:p:d:")) != -1) {
		if (opt == 't')
			threads = strtol(optarg, NULL, 10);
		else if (opt == 'n')
			conns = strtol(optarg, NULL, 10);
		else if (opt == 's')
			r.payload = strtoul(optarg, NULL, 10);
		else if (opt == 'p')
			port = strtol(optarg, NULL, 10);
		else if (opt == 'd')
			r.nlisteners = strtol(optarg, NULL, 10);
		else
			goto usage;
	}
	if (threads < 1 || threads > 64 || conns < 1 || r.payload < 1 || r.payload > MAX_PAYLOAD ||
	    r.nlisteners < 1 || r.nlisteners > MAX_LISTENERS || port < 0 ||
	    port + r.nlisteners - 1 > 65535)
		goto usage;
	atomic_store(&r.remaining, conns);

	for (long i = 0; i < r.nlisteners; i++) {
		if (open_listener(&r, i, port)) {
			perror("loadgen: listen");
			return 1;
		}
		for (long t = 0; t < threads; t++)
			pthread_create(&srv[i * threads + t], NULL, serve, &r.listeners[i]);
	}
	t0 = now_s();
	for (long i = 0; i < threads; i++)
		pthread_create(&cli[i], NULL, client, &r);
	for (long i = 0; i < threads; i++)
		pthread_join(cli[i], NULL);
	t1 = now_s();
	for (long i = 0; i < r.nlisteners; i++) {
		shutdown(r.listeners[i].fd, SHUT_RDWR);
		close(r.listeners[i].fd);
	}
	for (long i = 0; i < r.nlisteners * threads; i++)
		pthread_join(srv[i], NULL);
	printf("connections=%ld failed=%ld seconds=%.3f rate=%.0f\n", conns,
	       atomic_load(&r.failed), t1 - t0, (double)conns / (t1 - t0));
	return atomic_load(&r.failed) ? 1 : 0;
usage:
	fprintf(stderr, "usage: loadgen [-t THREADS(1..64)] [-n CONNECTIONS] [-s PAYLOAD(1..%d)] "
			"[-p PORT] [-d LISTENERS(1..%d)]\n",
		MAX_PAYLOAD, MAX_LISTENERS);
	return 2;
}
