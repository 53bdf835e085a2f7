#include "outbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct outbuf {
	int fd;
	int err;
	size_t len;
	size_t cap;
	char *data;
};

struct outbuf *outbuf__new(int fd, size_t capacity)
{
	struct outbuf *ob = calloc(1, sizeof(*ob));

	if (!ob)
		return NULL;
	ob->data = malloc(capacity);
	if (!ob->data) {
		free(ob);
		return NULL;
	}
	ob->fd = fd;
	ob->cap = capacity;
	return ob;
}

void outbuf__free(struct outbuf *ob)
{
	if (!ob)
		return;
	free(ob->data);
	free(ob);
}

int outbuf_flush(struct outbuf *ob)
{
	size_t off = 0;

	while (!ob->err && off < ob->len) {
		ssize_t n = write(ob->fd, ob->data + off, ob->len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ob->err = -errno;
		} else if (n == 0) {
			ob->err = -EIO;
		} else {
			off += (size_t)n;
		}
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

size_t outbuf_pending(const struct outbuf *ob)
{
	return ob->len;
}
