/* Whole writes to a file descriptor. */
#ifndef SOCKTRACE_FDIO_H
#define SOCKTRACE_FDIO_H

#include <signal.h>
#include <stddef.h>

/* Writes all of data[len], through short writes and EINTR. Returns 0, or
 * -errno of the write that failed (-EIO if one wrote nothing). */
int fd_write_all(int fd, const void *data, size_t len);

/* fd_write_all for output that a stop may cut short. While *stop is 0 it
 * writes as fd_write_all does. Once *stop is set (before the call, or by a
 * signal that interrupted a write) it waits at most grace_ms each time for
 * fd to take more, in pieces a pipe takes without blocking (PIPE_BUF), and
 * gives up with -ECANCELED when fd takes nothing in that time or another
 * signal comes: a reader that stopped reading cannot keep socktrace from
 * stopping. *done: bytes written (NULL: not wanted). stop may be NULL. */
int fd_write_until(int fd, const void *data, size_t len, const volatile sig_atomic_t *stop,
		   int grace_ms, size_t *done);

/* Opens /dev/null on whichever of fds 0, 1 and 2 is closed, so that no
 * later descriptor (a BPF map's, the output file's) takes its number and
 * output or messages meant for it. Returns a bit (1 << fd) for each one that
 * was closed, or -1 if one could not be opened. */
int fd_open_std(void);

#endif
