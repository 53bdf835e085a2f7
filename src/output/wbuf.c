/* The appenders of wbuf.h that are too big to inline. */
#include "wbuf.h"

#include "fmt.h"

#include <string.h>

const char w_digit_pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
				 "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
				 "8081828384858687888990919293949596979899";

void w_addr(struct wbuf *w, unsigned family, const uint8_t addr[16])
{
	if (family == 6) {
		w->p += fmt_addr(w->p, FMT_ADDR_LEN, family, addr);
		return;
	}
	/* Each octet by hand, not with w_u64(): its digit count and loop
	 * cost more per JSON event (docs/benchmarks.md, "Measurements behind the code"). */
	for (int i = 0; i < 4; i++) {
		unsigned b = addr[i];

		if (i)
			w_char(w, '.');
		if (b >= 100) {
			w_char(w, (char)('0' + b / 100));
			b %= 100;
			w_pair(w->p, b);
			w->p += 2;
		} else if (b >= 10) {
			w_pair(w->p, b);
			w->p += 2;
		} else {
			w_char(w, (char)('0' + b));
		}
	}
}

void w_rfc3339_us(struct wbuf *w, struct rfc3339_cache *cache, uint64_t unix_ns)
{
	uint64_t sec = unix_ns / 1000000000ull;

	if (sec != cache->sec) {
		char full[40];

		fmt_rfc3339_us(full, sizeof(full), sec * 1000000000ull);
		memcpy(cache->prefix, full, sizeof(cache->prefix) - 1);
		cache->prefix[sizeof(cache->prefix) - 1] = '\0';
		cache->sec = sec;
	}
	w_mem(w, cache->prefix, sizeof(cache->prefix) - 1);
	w_char(w, '.');
	w_u64_zpad(w, unix_ns % 1000000000ull / 1000, 6);
	w_char(w, 'Z');
}

void w_ms(struct wbuf *w, uint64_t ns)
{
	uint64_t us = ns / 1000;

	w_u64(w, us / 1000);
	w_char(w, '.');
	w_u64_zpad(w, us % 1000, 3);
}
