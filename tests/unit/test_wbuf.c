/* Hand-rolled hot-path formatters agree with the reference ones. */
#include <stdint.h>

#include "check.h"
#include "fmt.h"
#include "wbuf.h"

static char buf[256];

static const char *done(struct wbuf *w)
{
	*w->p = '\0';
	return buf;
}

int main(void)
{
	struct wbuf w;
	struct rfc3339_cache clock = RFC3339_CACHE_INIT;
	char ref[64];

	w.p = buf, w_u64(&w, 0);
	CHECK_STR(done(&w), "0", "zero");
	w.p = buf, w_u64(&w, UINT64_MAX);
	CHECK_STR(done(&w), "18446744073709551615", "largest u64");
	w.p = buf, w_u64_zpad(&w, 42, 6);
	CHECK_STR(done(&w), "000042", "zero padding");
	w.p = buf, W_LIT(&w, "ab"), w_str(&w, "cd"), w_char(&w, 'e');
	CHECK_STR(done(&w), "abcde", "literals, strings, chars");
	w.p = buf, w_u64(&w, 7), w_pad_to(&w, buf, 4), w_char(&w, '|');
	CHECK_STR(done(&w), "7   |", "column padding");

	{
		const uint8_t v4[16] = { 255, 0, 10, 1 }, v6[16] = { [15] = 1 };

		w.p = buf, w_addr(&w, 4, v4);
		CHECK_STR(done(&w), "255.0.10.1", "ipv4 by hand");
		w.p = buf, w_addr(&w, 6, v6);
		CHECK_STR(done(&w), "::1", "ipv6");
	}

	{
		const uint64_t times[] = { 0, 1795462801123456789ull, 1795462801999999999ull,
					   1795462802000000001ull, 1795462801000001000ull };

		for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
			char name[64];

			w.p = buf;
			w_rfc3339_us(&w, &clock, times[i]);
			fmt_rfc3339_us(ref, sizeof(ref), times[i]);
			snprintf(name, sizeof(name), "cached rfc3339 matches reference (%zu)", i);
			CHECK_STR(done(&w), ref, name);
			CHECK(w.p - buf == RFC3339_LEN, "rfc3339 length");
		}
	}
	return check_done();
}
