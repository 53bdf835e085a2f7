#include "output.h"

#include "rotate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int refuse(const char *path, const char *why, int fd)
{
	fprintf(stderr, "socktrace: refusing to write %s: %s\n", path, why);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Opens path for writing without following a symlink or truncating a file
 * that is not ours. A path that is there and is not a regular file is
 * refused before it is opened: opening a device or a FIFO can act (a
 * watchdog arms, a FIFO's reader wakes). The checks after the open stay, for
 * a path changed in between. Returns the fd, or -1 after printing why. */
static int open_output_file(const char *path)
{
	struct stat st;
	int fd;

	if (!lstat(path, &st)) {
		if (S_ISLNK(st.st_mode))
			return refuse(path, "it is a symbolic link", -1);
		if (!S_ISREG(st.st_mode))
			return refuse(path, "not a regular file", -1);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK, 0600);

	if (fd < 0) {
		if (errno == ELOOP)
			return refuse(path, "it is a symbolic link", -1);
		fprintf(stderr, "socktrace: cannot open output file %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st))
		return refuse(path, strerror(errno), fd);
	if (!S_ISREG(st.st_mode))
		return refuse(path, "not a regular file", fd);
	if (st.st_uid != geteuid())
		return refuse(path, "owned by another user", fd);
	if (st.st_nlink != 1)
		return refuse(path, "it has other hard links", fd);
	if (fchmod(fd, 0600) || ftruncate(fd, 0) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK))
		return refuse(path, strerror(errno), fd);
	return fd;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

struct outbuf *output_open_nowhere(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	struct outbuf *ob = fd >= 0 ? outbuf__new(fd, 64, OUTBUF_OWNS_FD) : NULL;

	if (!ob) {
		fprintf(stderr, "socktrace: cannot open /dev/null: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return ob;
}

struct outbuf *output_open(const char *path, size_t capacity, const struct output_rotation *rot)
{
	struct rotator *r = NULL;
	struct outbuf *ob;
	int fd;

	if (!path)
		return outbuf__new(STDOUT_FILENO, capacity, 0);
	fd = open_output_file(path);
	if (fd < 0)
		return NULL;
	if (rot && rot->size && !(r = rotator__new(path, rot->keep, open_output_file, stderr)))
		goto oom;
	ob = outbuf__new(fd, capacity, OUTBUF_OWNS_FD | (ends_with(path, ".gz") ? OUTBUF_GZIP : 0));
	if (!ob)
		goto oom;
	if (r)
		outbuf_rotate(ob, r, rot->size);
	return ob;
oom:
	fprintf(stderr, "socktrace: cannot set up output to %s: out of memory\n", path);
	rotator__free(r);
	close(fd);
	return NULL;
}

int output_report_unwritten(const struct outbuf *ob, FILE *f)
{
	size_t lines = outbuf_unwritten_lines(ob);

	if (!lines && !outbuf_cut(ob))
		return 0;
	fprintf(f,
		"socktrace: stopped while the output's reader was not reading: %zu lines not "
		"written%s\n",
		lines, outbuf_cut(ob) ? ", and the last line written is cut short" : "");
	return 1;
}
