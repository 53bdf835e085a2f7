/* libFuzzer target: record decoding and the three output sinks. The input
 * is cut into chunks of 1 + ST_SLOT_SIZE bytes; the first byte of each picks the record type
 * (and, with its top bit, reports lost events first), the other ST_SLOT_SIZE are the
 * record as the ring buffer would hold it. Socket ids are folded into a few
 * values so the timeline sees the same sockets again. Every input is also
 * decoded raw. What the sinks write must be clean: JSON lines are objects,
 * valid UTF-8 with no control bytes and no NaN, inf or negative numbers;
 * text and timeline are printable ASCII lines. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "decode.h"
#include "outbuf.h"
#include "sink.h"

#define RECORD_MAX ST_SLOT_SIZE /* the largest record, st_close */
#define CHUNK (RECORD_MAX + 1)   /* a selector byte, then a record */

static int out_fd = -1;
static char readback[1 << 20];

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

static void fail(const char *sink, const char *why, size_t at)
{
	fprintf(stderr, "fuzz_sinks: %s output %s at byte %zu:\n", sink, why, at);
	fwrite(readback, 1, at + 40 < sizeof(readback) ? at + 40 : at, stderr);
	fputc('\n', stderr);
	abort();
}

static void check_output(int json, const char *sink)
{
	ssize_t n = pread(out_fd, readback, sizeof(readback), 0);
	const unsigned char *s = (const unsigned char *)readback;
	size_t line_start = 0;

	if (n < 0)
		fail(sink, "unreadable", 0);
	for (size_t i = 0; i < (size_t)n;) {
		if (s[i] == '\n') {
			if (json && (i == line_start || s[line_start] != '{' || s[i - 1] != '}'))
				fail(sink, "has a line that is not an object", i);
			line_start = ++i;
			continue;
		}
		if (s[i] < 0x20 || s[i] == 0x7f || (!json && s[i] >= 0x80))
			fail(sink, "has a control or non-ASCII byte", i);
		if (json) {
			size_t l = utf8_len(s + i, (size_t)n - i);

			if (!l)
				fail(sink, "is not UTF-8", i);
			i += l;
		} else {
			i++;
		}
	}
	if ((size_t)n != line_start)
		fail(sink, "does not end with a full line", (size_t)n);
	if (json) {
		/* Outside strings only punctuation, digits, null/true/false: no
		 * sign, no NaN or inf. */
		bool in_str = false;

		for (size_t i = 0; i < (size_t)n; i++) {
			if (in_str) {
				if (s[i] == '\\')
					i++;
				else if (s[i] == '"')
					in_str = false;
			} else if (s[i] == '"') {
				in_str = true;
			} else if (!strchr("{}[],:0123456789.\nnulltruefalse", s[i])) {
				fail(sink, "has a sign, NaN, inf or a stray byte outside strings", i);
			}
		}
	}
}

static void run_sink(int kind, const uint8_t *data, size_t size)
{
	const struct sink_opts opts = { .timestamps = size & 1 };
	struct outbuf *ob;
	struct sink *s;

	if (ftruncate(out_fd, 0) || lseek(out_fd, 0, SEEK_SET))
		abort();
	ob = outbuf__new(out_fd, 65536, 0);
	s = !ob ? NULL : kind == 0 ? sink__new_json(ob, &opts)
		       : kind == 1 ? sink__new_text(ob, &opts) : sink__new_timeline(ob, &opts);
	if (!s)
		abort();
	sink_begin(s);
	for (size_t off = 0; off + 1 < size; off += CHUNK) {
		uint8_t rec[RECORD_MAX] = { 0 };
		size_t len = size - off - 1 < RECORD_MAX ? size - off - 1 : RECORD_MAX;
		struct st_record r;
		uint8_t sel = data[off];
		uint64_t id;

		memcpy(rec, data + off + 1, len);
		rec[0] = (uint8_t)(1 + sel % ST_EV_MAX);
		memcpy(&id, rec + offsetof(struct st_event, sock_id), sizeof(id));
		id %= 5;
		memcpy(rec + offsetof(struct st_event, sock_id), &id, sizeof(id));
		if (sel & 0x80)
			sink_lost(s, sel & 1 ? SINK_LOSS_SKIPPED : SINK_LOSS_RING_FULL, sel & 0x7f,
				  1000, 2000);
		if (decode_event(rec, rec[0] == ST_EV_CLOSE ? sizeof(struct st_close)
							   : sizeof(struct st_event),
				 (int64_t)1700000000 * 1000000000, &r) == 0)
			sink_event(s, &r);
		if (sel & 0x40)
			sink_flush(s);
	}
	if (sink_end(s))
		abort();
	sink__free(s);
	outbuf__free(ob);
	check_output(kind == 0, kind == 0 ? "json" : kind == 1 ? "text" : "timeline");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st_record r;

	if (out_fd < 0) {
		out_fd = memfd_create("fuzz_sinks", 0);
		if (out_fd < 0)
			abort();
	}
	decode_event(data, size, 0, &r);
	for (int kind = 0; kind < 3; kind++)
		run_sink(kind, data, size);
	return 0;
}
