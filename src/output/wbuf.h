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

/* How many decimal digits v has (1 to 20). */
static inline size_t w_digits(uint64_t v)
{
	size_t n = 1;

	for (uint64_t p = 10; n < 20 && v >= p; p *= 10)
		n++;
	return n;
}

/* Decimal, at most 20 digits; written from its last digit back, in place
 * (a copy of a variable length would be a library call per number). */
static inline void w_u64(struct wbuf *w, uint64_t v)
{
	size_t n = w_digits(v);
	char *t = w->p + n;

	while (v >= 100) {
		t -= 2;
		w_pair(t, (unsigned)(v % 100));
		v /= 100;
	}
	if (v >= 10)
		w_pair(t - 2, (unsigned)v);
	else
		t[-1] = (char)('0' + v);
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

/* Appends the address (as fmt_addr) without printf: IPv4 by hand. */
void w_addr(struct wbuf *w, unsigned family, const uint8_t addr[16]);

/* Appends nanoseconds as milliseconds with three decimals ("12.345"). */
void w_ms(struct wbuf *w, uint64_t ns);

/* RFC 3339 UTC time with microseconds, with the calendar part cached per
 * second (one gmtime_r a second, not one per event). */
struct rfc3339_cache {
	uint64_t sec;   /* second the prefix is for; UINT64_MAX: none yet */
	char prefix[20]; /* "2026-11-23T19:40:01" */
};
#define RFC3339_CACHE_INIT { UINT64_MAX, "" }
#define RFC3339_LEN 27
void w_rfc3339_us(struct wbuf *w, struct rfc3339_cache *cache, uint64_t unix_ns);

#endif
