/* Whole writes to a file descriptor. */
#ifndef SOCKTRACE_FDIO_H
#define SOCKTRACE_FDIO_H

#include <stddef.h>

/* Writes all of data[len], through short writes and EINTR. Returns 0, or
 * -errno of the write that failed (-EIO if one wrote nothing). */
int fd_write_all(int fd, const void *data, size_t len);

#endif
