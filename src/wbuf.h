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

/* Decimal, at most 20 digits. */
static inline void w_u64(struct wbuf *w, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*w->p++ = tmp[--n];
}

/* Decimal, zero-padded to width digits (width <= 20). */
static inline void w_u64_zpad(struct wbuf *w, uint64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		w->p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	w->p += width;
}

/* Pads with spaces to width from start (left-aligned columns). */
static inline void w_pad_to(struct wbuf *w, const char *start, size_t width)
{
	while ((size_t)(w->p - start) < width)
		*w->p++ = ' ';
}

#endif
