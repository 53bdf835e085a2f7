/* Appending formatters for the per-event hot path: no printf, no
 * allocation. The caller reserves room for the longest line first (see
 * outbuf_reserve); these never check bounds themselves. */
#ifndef SOCKTRACE_WBUF_H
#define SOCKTRACE_WBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct wbuf {
	char *p; /* next byte to write */
};

#define W_LIT(w, s) w_mem((w), (s), sizeof(s) - 1)

static inline void w_mem(struct wbuf *w, const char *s, size_t n)
{
	memcpy(w->p, s, n);
	w->p += n;
}

static inline void w_char(struct wbuf *w, char c)
{
	*w->p++ = c;
}

static inline void w_str(struct wbuf *w, const char *s)
{
	w_mem(w, s, strlen(s));
}

/* "00" "01" ... "99" (and a NUL): decimal formatting takes two digits per
 * division. */
extern const char w_digit_pairs[201];

static inline void w_pair(char *p, unsigned v)
{
	memcpy(p, w_digit_pairs + 2 * v, 2);
}

/* Decimal, at most 20 digits. */
static inline void w_u64(struct wbuf *w, uint64_t v)
{
	char tmp[20];
	char *t = tmp + sizeof(tmp);
	size_t n;

	while (v >= 100) {
		t -= 2;
		w_pair(t, (unsigned)(v % 100));
		v /= 100;
	}
	if (v >= 10) {
		t -= 2;
		w_pair(t, (unsigned)v);
	} else {
		*--t = (char)('0' + v);
	}
	n = (size_t)(tmp + sizeof(tmp) - t);
	memcpy(w->p, t, n);
	w->p += n;
}

/* Decimal, zero-padded to width digits (width <= 20). */
static inline void w_u64_zpad(struct wbuf *w, uint64_t v, int width)
{
	int i = width;

	for (; i >= 2; i -= 2) {
		w_pair(w->p + i - 2, (unsigned)(v % 100));
		v /= 100;
	}
	if (i)
		w->p[0] = (char)('0' + v % 10);
	w->p += width;
}

/* Pads with spaces to width from start (left-aligned columns). */
static inline void w_pad_to(struct wbuf *w, const char *start, size_t width)
{
	while ((size_t)(w->p - start) < width)
		*w->p++ = ' ';
}

#endif
