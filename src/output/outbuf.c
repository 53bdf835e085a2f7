#include "outbuf.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fdio.h"
#include "rotate.h"

/* Once a stop is requested, how long a write waits for a reader that has
 * stopped reading before the rest of the output is given up. */
#define STOP_GRACE_MS 1000

struct outbuf {
	int fd;
	unsigned flags;
	gzFile gz; /* OUTBUF_GZIP: writes go through zlib */
	int finished;
	bool pipe;   /* fd is a pipe or socket: its reader can go away */
	const volatile sig_atomic_t *stop; /* see outbuf_watch_stop */
	size_t unwritten_lines;            /* given up at a stop */
	bool cut;                          /* the last line written is cut short */
	int err;
	struct rotator *rot; /* --rotate: the file is rotated at rotate_at bytes */
	size_t rotate_at;
	size_t file_bytes; /* written to the current file since it began or a rotation failed */
	size_t len;
	size_t cap;
	char *data;
};

struct outbuf *outbuf__new(int fd, size_t capacity, unsigned flags)
{
	struct outbuf *ob = calloc(1, sizeof(*ob));

	if (!ob)
		return NULL;
	struct stat st;

	ob->fd = fd;
	ob->flags = flags;
	ob->pipe = !fstat(fd, &st) && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	ob->cap = capacity;
	ob->data = malloc(capacity);
	if (ob->data && (flags & OUTBUF_GZIP)) {
		int gzfd = dup(fd); /* gzclose closes it; fd stays ours */

		/* Level 1: a live trace is repetitive text; speed matters more. */
		ob->gz = gzfd >= 0 ? gzdopen(gzfd, "wb1") : NULL;
		if (!ob->gz && gzfd >= 0)
			close(gzfd);
	}
	if (!ob->data || ((flags & OUTBUF_GZIP) && !ob->gz)) {
		free(ob->data);
		free(ob);
		return NULL;
	}
	return ob;
}

void outbuf__free(struct outbuf *ob)
{
	if (!ob)
		return;
	if (ob->gz)
		gzclose(ob->gz);
	if (ob->flags & OUTBUF_OWNS_FD)
		close(ob->fd);
	rotator__free(ob->rot);
	free(ob->data);
	free(ob);
}

void outbuf_rotate(struct outbuf *ob, struct rotator *r, size_t at)
{
	struct stat st;

	ob->rot = r;
	ob->rotate_at = at;
	ob->file_bytes = fstat(ob->fd, &st) ? 0 : (size_t)st.st_size;
}

/* gzip: one deflate per flush, synced so a reader can decompress what has
 * been written so far. */
static int gz_flush(struct outbuf *ob)
{
	if (ob->len && gzwrite(ob->gz, ob->data, (unsigned)ob->len) != (int)ob->len)
		ob->err = errno ? -errno : -EIO;
	else if (gzflush(ob->gz, Z_SYNC_FLUSH) != Z_OK)
		ob->err = errno ? -errno : -EIO;
	ob->len = 0;
	return ob->err;
}

int outbuf_finish(struct outbuf *ob)
{
	int err = outbuf_flush(ob);

	if (ob->gz) {
		int rc = gzclose(ob->gz);

		ob->gz = NULL;
		if (!err && rc != Z_OK)
			err = ob->err = errno ? -errno : -EIO;
	}
	ob->finished = 1;
	return err;
}

/* With nothing to write, a closed reader would go unnoticed until the next
 * event; poll tells at once (POLLERR on a pipe whose read end is closed). */
static int check_reader(struct outbuf *ob)
{
	struct pollfd p = { .fd = ob->fd, .events = 0 };

	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)))
		ob->err = -EPIPE;
	return ob->err;
}

void outbuf_watch_stop(struct outbuf *ob, const volatile sig_atomic_t *stop)
{
	ob->stop = stop;
}

static size_t count_lines(const char *p, size_t len)
{
	size_t n = 0;
	const char *nl;

	while (len && (nl = memchr(p, '\n', len))) {
		n++;
		len -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
	return n;
}

/* Output that a stop gave up on: data[done..len) is not written. */
static void give_up(struct outbuf *ob, size_t done)
{
	ob->unwritten_lines += count_lines(ob->data + done, ob->len - done);
	if (done < ob->len && done && ob->data[done - 1] != '\n')
		ob->cut = true;
}

/* data[from..to) into the current file; 0 or -errno. */
static int write_range(struct outbuf *ob, size_t from, size_t to)
{
	size_t done = 0;
	int err = fd_write_until(ob->fd, ob->data + from, to - from, ob->stop, STOP_GRACE_MS, &done);

	ob->file_bytes += done;
	if (err == -ECANCELED)
		give_up(ob, from + done);
	return err;
}

/* --rotate: once the file would pass rotate_at, what is buffered up to its
 * last line's end goes into it, it is rotated, and the rest goes into the
 * new file: a line is never split between two files. */
static int flush_rotating(struct outbuf *ob)
{
	size_t cut = ob->len;
	const char *nl;
	int err, fd;

	if (ob->file_bytes + ob->len >= ob->rotate_at &&
	    (nl = memrchr(ob->data, '\n', ob->len)))
		cut = (size_t)(nl + 1 - ob->data);
	err = write_range(ob, 0, cut);
	if (err || ob->file_bytes < ob->rotate_at || !cut || ob->data[cut - 1] != '\n')
		return err ? err : cut < ob->len ? write_range(ob, cut, ob->len) : 0;
	fd = rotator_rotate(ob->rot);
	if (fd >= 0) {
		if (ob->flags & OUTBUF_OWNS_FD)
			close(ob->fd);
		ob->fd = fd;
	}
	/* A failed rotation was reported; the trace goes on in the same file
	 * and the next try comes after another rotate_at bytes, not at every
	 * flush (a message each time would flood a daemon's log). */
	ob->file_bytes = 0;
	return cut < ob->len ? write_range(ob, cut, ob->len) : 0;
}

int outbuf_flush(struct outbuf *ob)
{
	size_t done = 0;

	if (ob->finished || ob->err) {
		if (ob->err == -ECANCELED)
			give_up(ob, 0);
		ob->len = 0;
		return ob->err;
	}
	if (!ob->len && ob->pipe)
		return check_reader(ob);
	if (ob->gz) {
		if (!ob->len)
			return 0;
		errno = 0;
		return gz_flush(ob);
	}
	if (ob->rot) {
		ob->err = flush_rotating(ob);
	} else {
		ob->err = fd_write_until(ob->fd, ob->data, ob->len, ob->stop, STOP_GRACE_MS, &done);
		if (ob->err == -ECANCELED)
			give_up(ob, done);
	}
	ob->len = 0;
	return ob->err;
}

char *outbuf_reserve(struct outbuf *ob, size_t need)
{
	if (ob->cap - ob->len < need)
		outbuf_flush(ob);
	if (ob->cap < need)
		return NULL;
	return ob->data + ob->len;
}

void outbuf_commit(struct outbuf *ob, size_t used)
{
	ob->len += used;
}

void outbuf_write(struct outbuf *ob, const char *data, size_t len)
{
	while (len) {
		size_t room;

		if (ob->len == ob->cap)
			outbuf_flush(ob);
		room = ob->cap - ob->len;
		if (room > len)
			room = len;
		memcpy(ob->data + ob->len, data, room);
		ob->len += room;
		data += room;
		len -= room;
	}
}

void outbuf_puts(struct outbuf *ob, const char *s)
{
	outbuf_write(ob, s, strlen(s));
}

void outbuf_putc(struct outbuf *ob, char c)
{
	outbuf_write(ob, &c, 1);
}

int outbuf_error(const struct outbuf *ob)
{
	return ob->err;
}

size_t outbuf_unwritten_lines(const struct outbuf *ob)
{
	return ob->unwritten_lines;
}

bool outbuf_cut(const struct outbuf *ob)
{
	return ob->cut;
}

size_t outbuf_pending(const struct outbuf *ob)
{
	return ob->len;
}
