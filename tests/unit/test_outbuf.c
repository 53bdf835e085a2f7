/* outbuf: buffers until flush, writes large data through, reports errors. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "outbuf.h"

static size_t drain(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len && (n = read(fd, buf + got, len - got)) > 0)
		got += (size_t)n;
	return got;
}

int main(void)
{
	int p[2];
	char buf[4096];
	struct outbuf *ob;

	signal(SIGPIPE, SIG_IGN);
	if (pipe(p))
		return 1;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	ob = outbuf__new(p[1], 16, 0);
	outbuf_puts(ob, "hello ");
	outbuf_putc(ob, 'w');
	CHECK(read(p[0], buf, sizeof(buf)) < 0 && errno == EAGAIN, "nothing written before flush");
	CHECK(outbuf_pending(ob) == 7, "pending counts buffered bytes");
	CHECK(outbuf_flush(ob) == 0, "flush succeeds");
	CHECK(drain(p[0], buf, 7) == 7 && memcmp(buf, "hello w", 7) == 0, "flush writes it all");

	outbuf_write(ob, "0123456789abcdefghijklmnopqrstuvwxyz", 36);
	outbuf_flush(ob);
	CHECK(drain(p[0], buf, 36) == 36 && memcmp(buf, "0123456789abcdefghijklmnopqrstuvwxyz", 36) == 0,
	      "writes larger than the buffer arrive whole and in order");

	{
		char *r = outbuf_reserve(ob, 10);
		memcpy(r, "reserved!\n", 10);
		outbuf_commit(ob, 10);
		outbuf_flush(ob);
		CHECK(drain(p[0], buf, 10) == 10 && memcmp(buf, "reserved!\n", 10) == 0,
		      "reserve/commit appends");
		CHECK(outbuf_reserve(ob, 17) == NULL, "reserve beyond capacity is refused");
	}

	close(p[0]);
	outbuf_puts(ob, "lost");
	CHECK(outbuf_flush(ob) == -EPIPE, "write to a closed pipe reports EPIPE");
	CHECK(outbuf_error(ob) == -EPIPE && outbuf_flush(ob) == -EPIPE, "error is sticky");
	outbuf__free(ob);
	outbuf__free(NULL);
	close(p[1]);

	if (pipe(p))
		return 1;
	ob = outbuf__new(p[1], 16, 0);
	CHECK(outbuf_flush(ob) == 0, "idle flush with a reader is fine");
	close(p[0]);
	CHECK(outbuf_flush(ob) == -EPIPE, "idle flush notices the reader went away");
	outbuf__free(ob);
	close(p[1]);
	return check_done();
}
