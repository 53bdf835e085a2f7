/* Text sink: the line a person reads for each kind of record. */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "records.h"
#include "sink.h"

struct capture {
	FILE *f;
	struct outbuf *ob;
	struct sink *sink;
};

static void open_capture(struct capture *c, bool timestamps)
{
	c->f = tmpfile();
	c->ob = outbuf__new(fileno(c->f), 4096, 0);
	c->sink = sink__new_text(c->ob, &(struct sink_opts){ .timestamps = timestamps });
}

/* Returns the output so far (static buffer). */
static const char *contents(struct capture *c)
{
	static char buf[8192];
	size_t n;

	sink_flush(c->sink);
	rewind(c->f);
	n = fread(buf, 1, sizeof(buf) - 1, c->f);
	buf[n] = '\0';
	return buf;
}

static void close_capture(struct capture *c)
{
	sink__free(c->sink);
	outbuf__free(c->ob);
	fclose(c->f);
}

static struct st_record rec(unsigned type)
{
	return curl_record(type, 4, 12);
}

int main(void)
{
	struct capture c;
	struct st_record r;
	const char *out;

	open_capture(&c, false);
	sink_begin(c.sink);
	out = contents(&c);
	CHECK(strncmp(out, "SOCK ", 5) == 0 && strstr(out, "EVENT\n"), "header line");

	r = rec(ST_EV_STATE);
	r.old_state = 2, r.new_state = 1, r.time_known = true, r.in_state_ns = 61000;
	sink_event(c.sink, &r);
	out = contents(&c);
	CHECK(strstr(out, "\n12     321     curl             4  127.0.0.1:40000              "
			  "127.0.0.1:80                 SYN_SENT -> ESTABLISHED 0.061 ms\n") != NULL,
	      "state line with columns and time in old state");

	r = rec(ST_EV_STATE);
	r.old_state = 7, r.new_state = 10;
	sink_event(c.sink, &r);
	CHECK(strstr(contents(&c), "CLOSE -> LISTEN\n") != NULL, "unknown time is not printed");

	r = rec(ST_EV_CONNECT);
	r.owner_known = false, r.pid = 0, r.comm[0] = '\0', r.comm_len = 0;
	sink_event(c.sink, &r);
	CHECK(strstr(contents(&c), "12     -       -                4 ") != NULL,
	      "unknown owner shows '-', never pid 0");

	r = rec(ST_EV_CLOSE);
	r.time_known = true, r.in_state_ns = 2500000, r.has_handshake = true, r.handshake_ns = 61000;
	r.cause = ST_CAUSE_FIN, r.closed_by = ST_CLOSED_BY_REMOTE;
	r.bytes_sent = 83, r.bytes_received = 100204, r.retransmits = 2;
	sink_event(c.sink, &r);
	CHECK(strstr(contents(&c), "CLOSE fin by remote, life 2.500 ms, handshake 61 us, sent 83 B, "
				   "received 97.8 KiB, 2 retransmits\n") != NULL,
	      "close line with cause, side, life, handshake, bytes in human units");

	r = rec(ST_EV_CLOSE);
	r.cause = ST_CAUSE_REFUSED;
	sink_event(c.sink, &r);
	CHECK(strstr(contents(&c), "CLOSE refused, life ? (not seen from its open), handshake none, sent 0 B, received 0 B, "
				   "0 retransmits\n") != NULL,
	      "refused close: no side, unknown life, no handshake");

	r = rec(ST_EV_ACCEPT);
	memcpy(r.comm, "a\"b\\c\n\x01", 8), r.comm_len = 7;
	sink_event(c.sink, &r);
	out = contents(&c);
	CHECK(strstr(out, "a\"b\\x5cc\\x0a\\x01 ") != NULL, "hostile comm stays on one line");

	sink_lost(c.sink, SINK_LOSS_RING_FULL, 17, 0, 0);
	CHECK(strstr(contents(&c), "\nLOST 17 events\n") != NULL, "lost line");
	sink_lost(c.sink, SINK_LOSS_SKIPPED, 2, 0, 0);
	CHECK(strstr(contents(&c), "\nLOST 2 events (program runs the kernel skipped)\n") != NULL,
	      "lost line: runs the kernel skipped");
	sink_lost(c.sink, SINK_LOSS_SOCKET_TABLE, 5, 0, 0);
	CHECK(strstr(contents(&c), "\nLOST 5 events (socket table full)\n") != NULL,
	      "lost line: the socket table was full");
	sink_lost(c.sink, SINK_LOSS_LISTENER_TABLE, 4, 0, 0);
	CHECK(strstr(contents(&c), "\nLOST 4 listener owners (listener table full)\n") != NULL,
	      "lost line: the listener table was full");
	CHECK(sink_end(c.sink) == 0, "end flushes without error");
	close_capture(&c);

	open_capture(&c, true);
	sink_begin(c.sink);
	r = rec(ST_EV_ACCEPT);
	r.unix_ns = 1795462801123456789ull;
	sink_event(c.sink, &r);
	out = contents(&c);
	CHECK(strncmp(out, "TIME         SOCK", 17) == 0, "-T adds a TIME column header");
	CHECK(strstr(out, ":40:01.123 12 ") != NULL, "-T line starts with time of day in ms");
	close_capture(&c);
	return check_done();
}
