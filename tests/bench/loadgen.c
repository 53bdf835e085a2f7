/* loadgen: a loopback churn of short TCP connections, for make bench.
 *
 *   loadgen [-t THREADS] [-n CONNECTIONS] [-s PAYLOAD_BYTES] [-p PORT]
 *
 * Starts a server on 127.0.0.1 (PORT, or an ephemeral port) with THREADS accepting
 * threads, and THREADS client threads that together make CONNECTIONS
 * connections: connect, send PAYLOAD bytes, read the echo, close (the
 * client closes first). Prints "connections=N seconds=S rate=R" where rate
 * is connections per second. Bounded: it stops after CONNECTIONS, and every
 * socket has a 5 s timeout. */
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

struct run {
	int listen_fd;
	struct sockaddr_in addr;
	size_t payload;
	atomic_long remaining; /* connections still to start */
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
	struct run *r = arg;
	char buf[MAX_PAYLOAD];

	for (;;) {
		int fd = accept(r->listen_fd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL; /* listener shut down */
		}
		set_timeouts(fd);
		if (read_full(fd, buf, r->payload) == 0 && write(fd, buf, r->payload) > 0)
			while (read(fd, buf, sizeof(buf)) > 0) /* until the client closes */
				;
		close(fd);
	}
}

static void *client(void *arg)
{
	struct run *r = arg;
	char buf[MAX_PAYLOAD];

	memset(buf, 'x', r->payload);
	while (atomic_fetch_sub(&r->remaining, 1) > 0) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		set_timeouts(fd);
		if (fd < 0 || connect(fd, (struct sockaddr *)&r->addr, sizeof(r->addr)) ||
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

int main(int argc, char **argv)
{
	struct run r = { .payload = 1 };
	long threads = 2, conns = 20000;
	socklen_t len = sizeof(r.addr);
	pthread_t srv[64], cli[64];
	double t0, t1;
	int opt, one = 1;

	long port = 0;

	while ((opt = getopt(argc, argv, "t:n:s:p:")) != -1) {
		if (opt == 't')
			threads = strtol(optarg, NULL, 10);
		else if (opt == 'n')
			conns = strtol(optarg, NULL, 10);
		else if (opt == 's')
			r.payload = strtoul(optarg, NULL, 10);
		else if (opt == 'p')
			port = strtol(optarg, NULL, 10);
		else
			goto usage;
	}
	if (threads < 1 || threads > 64 || conns < 1 || r.payload < 1 || r.payload > MAX_PAYLOAD ||
	    port < 0 || port > 65535)
		goto usage;
	atomic_store(&r.remaining, conns);

	r.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	r.addr.sin_family = AF_INET;
	r.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r.addr.sin_port = htons((uint16_t)port);
	setsockopt(r.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(r.listen_fd, (struct sockaddr *)&r.addr, sizeof(r.addr)) ||
	    listen(r.listen_fd, 4096) ||
	    getsockname(r.listen_fd, (struct sockaddr *)&r.addr, &len)) {
		perror("loadgen: listen");
		return 1;
	}
	for (long i = 0; i < threads; i++)
		pthread_create(&srv[i], NULL, serve, &r);
	t0 = now_s();
	for (long i = 0; i < threads; i++)
		pthread_create(&cli[i], NULL, client, &r);
	for (long i = 0; i < threads; i++)
		pthread_join(cli[i], NULL);
	t1 = now_s();
	shutdown(r.listen_fd, SHUT_RDWR);
	close(r.listen_fd);
	for (long i = 0; i < threads; i++)
		pthread_join(srv[i], NULL);
	printf("connections=%ld failed=%ld seconds=%.3f rate=%.0f\n", conns,
	       atomic_load(&r.failed), t1 - t0, (double)conns / (t1 - t0));
	return atomic_load(&r.failed) ? 1 : 0;
usage:
	fprintf(stderr, "usage: loadgen [-t THREADS(1..64)] [-n CONNECTIONS] [-s PAYLOAD(1..%d)] "
			"[-p PORT]\n",
		MAX_PAYLOAD);
	return 2;
}
