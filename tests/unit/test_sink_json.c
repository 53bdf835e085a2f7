/* JSON sink: exact objects for each record kind. */
#include <stdlib.h>

#include "check.h"
#include "records.h"
#include "sink.h"
#include "sock_text.h"

static char out[8192];

/* n records through one sink, or a notice of lost events (why) if n is 0. */
static const char *render_why(const struct st_record *r, int n, uint64_t lost,
			      enum sink_loss why)
{
	FILE *f = tmpfile();
	struct outbuf *ob = outbuf__new(fileno(f), 65536, 0);
	struct sink *s = sink__new_json(ob, &(struct sink_opts){ 0 });
	size_t got;

	sink_begin(s);
	for (int i = 0; i < n; i++)
		sink_event(s, &r[i]);
	if (!n)
		sink_lost(s, why, lost, 99, 1795462801123456789ull);
	sink_end(s);
	rewind(f);
	got = fread(out, 1, sizeof(out) - 1, f);
	out[got] = '\0';
	sink__free(s);
	outbuf__free(ob);
	fclose(f);
	return out;
}

static const char *render_all(const struct st_record *r, int n, uint64_t lost)
{
	return render_why(r, n, lost, SINK_LOSS_RING_FULL);
}

static const char *render(const struct st_record *r, uint64_t lost)
{
	return render_all(r, r ? 1 : 0, lost);
}

static struct st_record rec(unsigned type)
{
	struct st_record r = curl_record(type, 6, 12);

	r.ts_ns = 5000;
	r.unix_ns = 1795462801123456789ull;
	r.netns = 4026531840u;
	return r;
}

#define HEAD(ev) "{\"time\":\"2026-11-23T19:40:01.123456Z\",\"ts_ns\":5000,\"event\":\"" ev "\""
#define ENDS ",\"family\":6,\"laddr\":\"::1\",\"lport\":40000,\"raddr\":\"::1\",\"rport\":80" \
	     ",\"netns\":4026531840,\"cgroup_id\":null,\"cgroup\":null,\"container\":null"

int main(void)
{
	struct st_record r;

	r = rec(ST_EV_CONNECT);
	CHECK_STR(render(&r, 0), HEAD("connect") ",\"sock\":12,\"pid\":321,\"comm\":\"curl\"" ENDS "}\n",
		  "connect object");

	r = rec(ST_EV_STATE);
	r.old_state = 2, r.new_state = 1, r.time_known = true, r.in_state_ns = 61000;
	CHECK_STR(render(&r, 0),
		  HEAD("state") ",\"sock\":12,\"pid\":321,\"comm\":\"curl\"" ENDS
				",\"old_state\":\"SYN_SENT\",\"new_state\":\"ESTABLISHED\",\"in_state_ns\":61000}\n",
		  "state object");

	r.time_known = false;
	CHECK(strstr(render(&r, 0), ",\"in_state_ns\":null}\n") != NULL, "unknown time is null");

	r = rec(ST_EV_CLOSE);
	r.time_known = true, r.in_state_ns = 2500000, r.has_handshake = true, r.handshake_ns = 61000;
	r.cause = ST_CAUSE_FIN, r.closed_by = ST_CLOSED_BY_LOCAL;
	r.bytes_sent = 100204, r.bytes_received = 83, r.retransmits = 3;
	CHECK(strstr(render(&r, 0), ENDS ",\"duration_ns\":2500000,\"handshake_ns\":61000,"
					 "\"bytes_sent\":100204,\"bytes_received\":83,\"retransmits\":3,"
					 "\"cause\":\"fin\",\"closed_by\":\"local\","
					 "\"history\":\"complete\"}\n") != NULL,
	      "close object with its figures");
	r.has_handshake = false, r.time_known = false, r.cause = ST_CAUSE_TIMEOUT;
	r.closed_by = ST_CLOSED_BY_NONE;
	CHECK(strstr(render(&r, 0), ",\"duration_ns\":null,\"handshake_ns\":null,") &&
		      strstr(out, "\"cause\":\"timeout\",\"closed_by\":null,"
				  "\"history\":\"partial\"}\n"),
	      "absent figures are null, and a socket not seen from its open says so");

	r = rec(ST_EV_ACCEPT);
	r.owner_known = false, r.pid = 0, r.comm_len = 0, r.comm[0] = '\0';
	CHECK(strstr(render(&r, 0), "\"event\":\"accept\",\"sock\":12,\"pid\":null,\"comm\":null,") !=
		      NULL,
	      "unknown owner: pid and comm are null");

	r = rec(ST_EV_CONNECT);
	memcpy(r.comm, "a\"b\\c\n\x01\xff", 8), r.comm_len = 8;
	CHECK(strstr(render(&r, 0), "\"comm\":\"a\\\"b\\\\c\\u000a\\u0001\\u00ff\",") != NULL,
	      "hostile comm escaped");

	/* One sink, one socket: what the cache keeps must follow the record. */
	{
		struct st_record seq[4];
		const char *want[4] = {
			",\"sock\":12,\"pid\":321,\"comm\":\"curl\"",
			",\"sock\":12,\"pid\":321,\"comm\":\"curl\"",
			",\"sock\":12,\"pid\":99,\"comm\":\"nginx\"",
			",\"sock\":268,\"pid\":321,\"comm\":\"curl\"",
		};
		char *line;

		seq[0] = rec(ST_EV_ACCEPT);
		seq[1] = rec(ST_EV_STATE);
		seq[2] = seq[1], seq[2].pid = 99, strcpy(seq[2].comm, "nginx"), seq[2].comm_len = 5;
		seq[3] = seq[1], seq[3].sock_id = 12 + SOCK_TEXT_SLOTS;
		render_all(seq, 4, 0);
		line = out;
		for (int i = 0; i < 4; i++) {
			char *next = strchr(line, '\n');

			CHECK(next && strstr(line, want[i]) && strstr(line, want[i]) < next,
			      "a socket's fields follow its owner and id from record to record");
			line = next ? next + 1 : line;
		}
	}

	CHECK_STR(render(NULL, 7),
		  "{\"time\":\"2026-11-23T19:40:01.123456Z\",\"ts_ns\":99,\"event\":\"lost\",\"sock\":null,"
		  "\"pid\":null,\"comm\":null,\"family\":null,\"laddr\":null,\"lport\":null,"
		  "\"raddr\":null,\"rport\":null,\"netns\":null,\"cgroup_id\":null,\"cgroup\":null,"
		  "\"container\":null,\"count\":7,\"reason\":\"ring_full\"}\n",
		  "lost object");
	CHECK(strstr(render_why(NULL, 0, 3, SINK_LOSS_SKIPPED),
		     ",\"count\":3,\"reason\":\"skipped\"}\n") != NULL,
	      "lost object: runs the kernel skipped");
	CHECK(strstr(render_why(NULL, 0, 5, SINK_LOSS_SOCKET_TABLE),
		     ",\"count\":5,\"reason\":\"socket_table_full\"}\n") != NULL,
	      "lost object: the socket table was full");
	CHECK(strstr(render_why(NULL, 0, 4, SINK_LOSS_LISTENER_TABLE),
		     ",\"count\":4,\"reason\":\"listener_table_full\"}\n") != NULL,
	      "lost object: the listener table was full");
	return check_done();
}
