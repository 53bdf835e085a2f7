/* Hand-rolled hot-path formatters agree with the reference ones. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

	/* Two digits per division: every length, both sides of each power of
	 * ten, an odd and an even count of digits. */
	{
		int bad = 0, bad_pad = 0;
		uint64_t p10 = 1;

		for (int d = 0; d < 20; d++, p10 *= 10) {
			const uint64_t vs[] = { p10 - 1, p10, p10 + 1, p10 * 3 + 7, p10 * 9 + p10 / 2 };

			for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
				w.p = buf, w_u64(&w, vs[i]);
				snprintf(ref, sizeof(ref), "%llu", (unsigned long long)vs[i]);
				bad += strcmp(done(&w), ref) != 0;
				for (int width = 1; width <= 20; width++) {
					uint64_t mod = 1;

					for (int k = 0; k < width; k++)
						mod *= 10;
					w.p = buf, w_u64_zpad(&w, vs[i], width);
					snprintf(ref, sizeof(ref), "%0*llu", width,
						 (unsigned long long)(width == 20 ? vs[i] : vs[i] % mod));
					bad_pad += strcmp(done(&w), ref) != 0;
				}
			}
		}
		CHECK(bad == 0, "w_u64 matches printf around every power of ten");
		CHECK(bad_pad == 0, "w_u64_zpad matches printf at every width");
	}
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
		int bad = 0;

		for (unsigned b = 0; b < 256; b++) {
			const uint8_t v4[16] = { (uint8_t)b, (uint8_t)(255 - b), (uint8_t)(b * 7),
						 (uint8_t)(b / 3) };

			w.p = buf, w_addr(&w, 4, v4);
			fmt_addr(ref, sizeof(ref), 4, v4);
			bad += strcmp(done(&w), ref) != 0;
		}
		CHECK(bad == 0, "ipv4 by hand matches inet_ntop for every octet value");
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
