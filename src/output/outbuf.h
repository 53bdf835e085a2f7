/* A write buffer over a file descriptor: output is appended in memory and
 * written in one write(2) per flush, never one per event. */
#ifndef SOCKTRACE_OUTBUF_H
#define SOCKTRACE_OUTBUF_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct outbuf;
struct rotator;

enum outbuf_flags {
	OUTBUF_GZIP = 1 << 0,    /* gzip-compress (zlib), trailer written by outbuf_finish */
	OUTBUF_OWNS_FD = 1 << 1, /* close fd in outbuf__free */
};

struct outbuf *outbuf__new(int fd, size_t capacity, unsigned flags);
void outbuf__free(struct outbuf *ob);

/* --rotate (plain files that the outbuf owns only): from now on the file is
 * rotated through r once it reaches at bytes, at a line's end; r is freed
 * with ob. */
void outbuf_rotate(struct outbuf *ob, struct rotator *r, size_t at);

/* Flushes and, for gzip, writes the trailer. Returns 0 or -errno. Output
 * written after it is discarded. */
int outbuf_finish(struct outbuf *ob);

/* Appends bytes; flushes first if they do not fit. */
void outbuf_write(struct outbuf *ob, const char *data, size_t len);
void outbuf_puts(struct outbuf *ob, const char *s);
void outbuf_putc(struct outbuf *ob, char c);

/* Room to format into directly: returns a pointer to at least `need` free
 * bytes (flushing if needed); commit how many were used. */
char *outbuf_reserve(struct outbuf *ob, size_t need);
void outbuf_commit(struct outbuf *ob, size_t used);

/* Writes out what is buffered. Returns 0, or -errno of the first failed
 * write (sticky: later calls return it too and discard output). On a pipe
 * or socket with nothing buffered, returns -EPIPE once the reader is gone. */
int outbuf_flush(struct outbuf *ob);
int outbuf_error(const struct outbuf *ob);

/* Makes writes watch *stop: once it is set, a reader that takes nothing for
 * a second (or a second signal) makes the flush give up with -ECANCELED
 * instead of blocking; what was given up is counted below. */
void outbuf_watch_stop(struct outbuf *ob, const volatile sig_atomic_t *stop);
/* Lines given up at a stop, and whether the last line written was cut
 * short (the write it was in was stopped part way). */
size_t outbuf_unwritten_lines(const struct outbuf *ob);
bool outbuf_cut(const struct outbuf *ob);
size_t outbuf_pending(const struct outbuf *ob);

#endif
