/* metrics: records counted, then rendered in the Prometheus text format:
 * label bounds, escaping, cumulative histogram buckets, losses. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "metrics.h"
#include "socktrace.h"

static struct st_record rec(unsigned type, const char *comm, uint16_t lport)
{
	struct st_record r = { .type = type, .family = 4, .lport = lport, .time_known = true };

	r.comm_len = strlen(comm);
	memcpy(r.comm, comm, r.comm_len);
	return r;
}

static struct st_record state(unsigned from, unsigned to, uint64_t ns)
{
	struct st_record r = rec(ST_EV_STATE, "x", 1);

	r.old_state = from;
	r.new_state = to;
	r.in_state_ns = ns;
	return r;
}

/* The rendered text; the caller frees it. */
static char *render(struct metrics *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (metrics_render(m, f))
		text[0] = 0;
	fclose(f);
	return text;
}

/* has(TEXT, LINE): LINE is one whole line of TEXT. */
static int has(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

static void check_labels(void)
{
	struct metrics *m = metrics__new(2);
	struct st_record r;
	char *t;

	r = rec(ST_EV_CONNECT, "curl", 40000);
	metrics_record(m, &r);
	metrics_record(m, &r);
	r = rec(ST_EV_ACCEPT, "a\"b\\c\n\x01", 80);
	metrics_record(m, &r);
	r = rec(ST_EV_ACCEPT, "third", 81);
	metrics_record(m, &r);
	r = rec(ST_EV_ACCEPT, "fourth", 82);
	metrics_record(m, &r);
	t = render(m);
	CHECK(has(t, "socktrace_connections_opened_total{direction=\"connect\",comm=\"curl\"} 2"),
	      "connects counted by comm");
	CHECK(has(t, "socktrace_connections_opened_total{direction=\"accept\","
		     "comm=\"a\\\"b\\\\c\\n\\\\x01\"} 1"),
	      "a comm's quote, backslash, newline and control byte are escaped");
	CHECK(has(t, "socktrace_connections_opened_total{direction=\"accept\",comm=\"other\"} 2"),
	      "names past --metrics-top are counted as other");
	CHECK(!strstr(t, "comm=\"third\""), "no label for a name past the bound");
	CHECK(has(t, "socktrace_connections_accepted_total{port=\"80\"} 1") &&
		      has(t, "socktrace_connections_accepted_total{port=\"81\"} 1") &&
		      has(t, "socktrace_connections_accepted_total{port=\"other\"} 1"),
	      "accepts by listening port, bounded the same way");
	CHECK(!strstr(t, "port=\"40000\""), "a connect's local port is no label");
	free(t);
	metrics__free(m);
}

static void check_histograms(void)
{
	struct metrics *m = metrics__new(4);
	struct st_record r;
	char *t;

	r = state(2, 1, 30000); /* client, 30 us */
	metrics_record(m, &r);
	r = state(2, 1, 2000000000ull); /* client, 2 s */
	metrics_record(m, &r);
	r = state(3, 1, 5000); /* server, 5 us */
	metrics_record(m, &r);
	r = state(2, 1, 1000);
	r.time_known = false; /* counted as a transition, not timed */
	metrics_record(m, &r);
	t = render(m);
	CHECK(has(t, "socktrace_handshake_seconds_bucket{side=\"client\",le=\"2.5e-05\"} 0") &&
		      has(t, "socktrace_handshake_seconds_bucket{side=\"client\",le=\"5e-05\"} 1") &&
		      has(t, "socktrace_handshake_seconds_bucket{side=\"client\",le=\"1\"} 1") &&
		      has(t, "socktrace_handshake_seconds_bucket{side=\"client\",le=\"3\"} 2"),
	      "client handshake buckets are cumulative");
	CHECK(has(t, "socktrace_handshake_seconds_bucket{side=\"client\",le=\"+Inf\"} 2") &&
		      has(t, "socktrace_handshake_seconds_count{side=\"client\"} 2") &&
		      has(t, "socktrace_handshake_seconds_sum{side=\"client\"} 2.000030000"),
	      "+Inf, count and sum of the timed client handshakes");
	CHECK(has(t, "socktrace_handshake_seconds_count{side=\"server\"} 1"),
	      "SYN_RECV to ESTABLISHED is the server side");
	CHECK(has(t, "socktrace_state_transitions_total{from=\"SYN_SENT\",to=\"ESTABLISHED\"} 3"),
	      "every transition is counted, timed or not");
	CHECK(has(t, "# TYPE socktrace_handshake_seconds histogram"), "histogram TYPE line");
	free(t);
	metrics__free(m);
}

static void check_closes(void)
{
	struct metrics *m = metrics__new(4);
	struct st_record r = rec(ST_EV_CLOSE, "x", 1);
	char *t;

	r.cause = ST_CAUSE_REFUSED;
	r.in_state_ns = 500000; /* 0.5 ms */
	metrics_record(m, &r);
	r.cause = ST_CAUSE_RST_SENT;
	r.bytes_sent = 100;
	r.bytes_received = 7;
	r.retransmits = 3;
	r.time_known = false;
	metrics_record(m, &r);
	metrics_lost(m, SINK_LOSS_RING_FULL, 5);
	metrics_lost(m, SINK_LOSS_SOCKET_TABLE, 2);
	metrics_set_info(m, "version=\"1\"");
	t = render(m);
	CHECK(has(t, "socktrace_connections_closed_total{cause=\"refused\"} 1") &&
		      has(t, "socktrace_connections_closed_total{cause=\"rst_sent\"} 1") &&
		      has(t, "socktrace_connections_closed_total{cause=\"fin\"} 0"),
	      "closes by cause, every cause present");
	CHECK(has(t, "socktrace_resets_total{direction=\"sent\"} 1") &&
		      has(t, "socktrace_resets_total{direction=\"received\"} 1"),
	      "a refused connect is a reset received");
	CHECK(has(t, "socktrace_connection_lifetime_seconds_count 1") &&
		      has(t, "socktrace_connection_lifetime_seconds_bucket{le=\"0.001\"} 1"),
	      "lifetime: only closes whose life is known");
	CHECK(has(t, "socktrace_sent_bytes_total 100") && has(t, "socktrace_received_bytes_total 7") &&
		      has(t, "socktrace_retransmits_total 3"),
	      "bytes and retransmits at close");
	CHECK(has(t, "socktrace_events_lost_total{reason=\"ring_full\"} 5") &&
		      has(t, "socktrace_events_lost_total{reason=\"socket_table\"} 2") &&
		      has(t, "socktrace_events_lost_total{reason=\"skipped\"} 0"),
	      "losses by reason");
	CHECK(has(t, "socktrace_info{version=\"1\"} 1"), "the info metric carries its labels");
	free(t);
	metrics__free(m);
}

/* The rings' fill, read at each scrape; left out until they are set. */
static void check_ring_fill(void)
{
	static struct st_close slots[2 * 8];
	static struct st_ring_pos pos[2];
	struct percpu_rings *r = percpu_rings__new(slots, pos, 2, 3);
	struct metrics *m = metrics__new(2);
	char *t;

	t = render(m);
	CHECK(!strstr(t, "socktrace_ring_fill_ratio"), "no rings (ring buffer, perf buffers): no fill");
	free(t);
	metrics_set_rings(m, r);
	pos[1].head = 2;
	t = render(m);
	CHECK(has(t, "# TYPE socktrace_ring_fill_ratio gauge") &&
		      has(t, "socktrace_ring_fill_ratio 0.2500"),
	      "2 of 8 slots waiting on the fullest CPU: 0.25");
	free(t);
	pos[1].tail = 2;
	t = render(m);
	CHECK(has(t, "socktrace_ring_fill_ratio 0.0000"), "read: read again at the next scrape");
	free(t);
	metrics__free(m);
	percpu_rings__free(r);
}

/* The container label: the first top containers seen, the rest "other",
 * processes in none "none". */
static void check_containers(void)
{
	struct metrics *m = metrics__new(2);
	struct st_record c = rec(ST_EV_CONNECT, "x", 1), a = rec(ST_EV_ACCEPT, "y", 80);
	struct st_record s = state(2, 1, 1000);
	char *t;

	metrics_container_open(m, &c, "aaaa");
	metrics_container_open(m, &c, "aaaa");
	metrics_container_open(m, &a, "bbbb");
	metrics_container_open(m, &a, "cccc");
	metrics_container_open(m, &c, NULL);
	metrics_container_open(m, &s, "aaaa");
	t = render(m);
	CHECK(has(t, "# TYPE socktrace_container_connections_opened_total counter"),
	      "a counter family");
	CHECK(has(t, "socktrace_container_connections_opened_total{direction=\"connect\",container=\"aaaa\"} 2") &&
		      has(t, "socktrace_container_connections_opened_total{direction=\"accept\",container=\"bbbb\"} 1"),
	      "the first two containers seen, by direction");
	CHECK(has(t, "socktrace_container_connections_opened_total{direction=\"accept\",container=\"other\"} 1") &&
		      !strstr(t, "cccc"),
	      "beyond --metrics-top: other");
	CHECK(has(t, "socktrace_container_connections_opened_total{direction=\"connect\",container=\"none\"} 1"),
	      "no container: none; a state record is not an open");
	free(t);
	metrics__free(m);
}

int main(void)
{
	check_labels();
	check_containers();
	check_histograms();
	check_closes();
	check_ring_fill();
	return check_done();
}
