#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <unistd.h>

int fd_write_all(int fd, const void *data, size_t len)
{
	return fd_write_until(fd, data, len, NULL, 0, NULL);
}

/* Stopping: is fd writable within grace_ms? A signal in the wait (a second
 * Ctrl-C) counts as no. */
static bool writable_soon(int fd, int grace_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	return poll(&p, 1, grace_ms) == 1;
}

int fd_write_until(int fd, const void *data, size_t len, const volatile sig_atomic_t *stop,
		   int grace_ms, size_t *done)
{
	const char *start = data, *p = data;
	int err = 0;

	while (len) {
		bool stopping = stop && *stop;
		size_t chunk = len;
		ssize_t n;

		if (stopping) {
			if (!writable_soon(fd, grace_ms)) {
				err = -ECANCELED;
				break;
			}
			if (chunk > PIPE_BUF)
				chunk = PIPE_BUF;
		}
		n = write(fd, p, chunk);
		if (n < 0 && errno == EINTR) {
			if (stopping) { /* a signal after the stop: give up */
				err = -ECANCELED;
				break;
			}
			continue;
		}
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (done)
		*done = (size_t)(p - start);
	return err;
}

int fd_open_std(void)
{
	int closed = 0;

	for (int fd = 0; fd <= 2; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		nfd = open("/dev/null", fd ? O_WRONLY : O_RDONLY);
		if (nfd != fd) { /* the lowest free number: fd, as those below are open */
			if (nfd >= 0)
				close(nfd);
			return -1;
		}
		closed |= 1 << fd;
	}
	return closed;
}
