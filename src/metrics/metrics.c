#include "metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock_ns.h"
#include "container_id.h"
#include "fmt.h"
#include "socktrace.h"

#define NS 1000000000ull
#define US 1000ull
#define MS 1000000ull
#define TCP_STATES 13 /* kernel TCP_* numbers 1..12 */
#define DIRS 2        /* connect, accept */
#define SIDES 2       /* client, server */
#define LOSSES 4      /* enum sink_loss */
#define MAX_BUCKETS 20

/* Upper bounds (le) of the histograms' buckets, in ns. */
static const uint64_t handshake_le[] = { 10 * US,  25 * US,  50 * US,  100 * US, 250 * US,
					 500 * US, 1 * MS,   2500 * US, 5 * MS,  10 * MS,
					 25 * MS,  50 * MS,  100 * MS, 250 * MS, 500 * MS,
					 1 * NS,   3 * NS,   7 * NS,   15 * NS,  31 * NS };
static const uint64_t lifetime_le[] = { 1 * MS,   10 * MS,   100 * MS, 1 * NS,
					10 * NS,  60 * NS,   600 * NS, 3600 * NS,
					86400 * NS };
#define N_HANDSHAKE (sizeof(handshake_le) / sizeof(handshake_le[0]))
#define N_LIFETIME  (sizeof(lifetime_le) / sizeof(lifetime_le[0]))

_Static_assert(N_HANDSHAKE <= MAX_BUCKETS && N_LIFETIME <= MAX_BUCKETS, "buckets");

struct hist {
	uint64_t bucket[MAX_BUCKETS]; /* observations in (le[i-1], le[i]] */
	uint64_t count;
	uint64_t sum_ns;
};

struct comm_slot {
	char name[ST_COMM_LEN + 1];
	size_t len;
	uint64_t opened[DIRS];
};

struct port_slot {
	uint16_t port;
	uint64_t accepted;
};

struct container_slot {
	char id[CONTAINER_ID_MAX];
	uint64_t opened[DIRS];
};

/* Everything counted, in one block: the struct, then top comm_slots, top
 * port_slots and top container_slots, so that a scrape copies it with one
 * memcpy. */
struct counters {
	uint64_t opened_other[DIRS];
	uint64_t accepted_other;
	uint64_t opened_no_container[DIRS], opened_container_other[DIRS];
	unsigned ncomm, nport, ncontainer;
	uint64_t closed[ST_CAUSE_MAX + 1];
	struct hist handshake[SIDES];
	struct hist lifetime;
	uint64_t bytes_sent, bytes_received, retransmits;
	uint64_t resets_sent, resets_received;
	uint64_t transitions[TCP_STATES][TCP_STATES];
	uint64_t lost[LOSSES];
};

struct metrics {
	pthread_mutex_t lock;
	unsigned top;
	size_t size; /* of live */
	char *info;
	const struct percpu_rings *rings;
	double start_time;
	struct counters *live;
};

static struct comm_slot *comms(struct counters *c)
{
	return (struct comm_slot *)(c + 1);
}

static struct port_slot *ports(struct counters *c, unsigned top)
{
	return (struct port_slot *)(comms(c) + top);
}

static struct container_slot *containers(struct counters *c, unsigned top)
{
	return (struct container_slot *)(ports(c, top) + top);
}

struct metrics *metrics__new(unsigned top)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->top = top;
	m->size = sizeof(struct counters) + top * (sizeof(struct comm_slot) + sizeof(struct port_slot) +
						   sizeof(struct container_slot));
	m->live = calloc(1, m->size);
	m->info = strdup("");
	m->start_time = (double)clock_ns(CLOCK_REALTIME) / NS;
	if (!m->live || !m->info || pthread_mutex_init(&m->lock, NULL)) {
		free(m->live);
		free(m->info);
		free(m);
		return NULL;
	}
	return m;
}

int metrics_set_info(struct metrics *m, const char *labels)
{
	char *copy = strdup(labels), *old;

	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&m->lock);
	old = m->info;
	m->info = copy;
	pthread_mutex_unlock(&m->lock);
	free(old);
	return 0;
}

void metrics_set_rings(struct metrics *m, const struct percpu_rings *r)
{
	pthread_mutex_lock(&m->lock);
	m->rings = r;
	pthread_mutex_unlock(&m->lock);
}

void metrics__free(struct metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m->live);
	free(m->info);
	free(m);
}

static void observe(struct hist *h, const uint64_t *le, size_t n, uint64_t ns)
{
	size_t i = 0;

	while (i < n && ns > le[i])
		i++;
	if (i < n)
		h->bucket[i]++;
	h->count++;
	h->sum_ns += ns;
}

static void count_open(struct metrics *m, struct counters *c, const struct st_record *r)
{
	unsigned dir = r->type == ST_EV_ACCEPT;
	struct comm_slot *cs = comms(c);
	struct port_slot *ps = ports(c, m->top);
	unsigned i;

	for (i = 0; i < c->ncomm; i++)
		if (cs[i].len == r->comm_len && !memcmp(cs[i].name, r->comm, r->comm_len))
			break;
	if (i == c->ncomm && c->ncomm < m->top) {
		memcpy(cs[i].name, r->comm, r->comm_len);
		cs[i].len = r->comm_len;
		c->ncomm++;
	}
	if (i < c->ncomm)
		cs[i].opened[dir]++;
	else
		c->opened_other[dir]++;
	if (!dir)
		return;
	for (i = 0; i < c->nport; i++)
		if (ps[i].port == r->lport)
			break;
	if (i == c->nport && c->nport < m->top)
		ps[c->nport++].port = r->lport;
	if (i < c->nport)
		ps[i].accepted++;
	else
		c->accepted_other++;
}

static void count_state(struct counters *c, const struct st_record *r)
{
	if (r->old_state < TCP_STATES && r->new_state < TCP_STATES)
		c->transitions[r->old_state][r->new_state]++;
	if (!r->time_known || r->new_state != 1 /* ESTABLISHED */)
		return;
	if (r->old_state == 2 /* SYN_SENT */)
		observe(&c->handshake[0], handshake_le, N_HANDSHAKE, r->in_state_ns);
	else if (r->old_state == 3 /* SYN_RECV */)
		observe(&c->handshake[1], handshake_le, N_HANDSHAKE, r->in_state_ns);
}

static void count_close(struct counters *c, const struct st_record *r)
{
	if (r->cause <= ST_CAUSE_MAX)
		c->closed[r->cause]++;
	if (r->time_known)
		observe(&c->lifetime, lifetime_le, N_LIFETIME, r->in_state_ns);
	c->bytes_sent += r->bytes_sent;
	c->bytes_received += r->bytes_received;
	c->retransmits += r->retransmits;
	if (r->cause == ST_CAUSE_RST_SENT)
		c->resets_sent++;
	else if (r->cause == ST_CAUSE_RST_RECEIVED || r->cause == ST_CAUSE_REFUSED)
		c->resets_received++;
}

void metrics_record(struct metrics *m, const struct st_record *r)
{
	pthread_mutex_lock(&m->lock);
	switch (r->type) {
	case ST_EV_CONNECT:
	case ST_EV_ACCEPT:
		count_open(m, m->live, r);
		break;
	case ST_EV_STATE:
		count_state(m->live, r);
		break;
	case ST_EV_CLOSE:
		count_close(m->live, r);
		break;
	}
	pthread_mutex_unlock(&m->lock);
}

void metrics_container_open(struct metrics *m, const struct st_record *r, const char *container)
{
	unsigned dir = r->type == ST_EV_ACCEPT, i;
	struct counters *c = m->live;
	struct container_slot *cs = containers(c, m->top);

	if (r->type != ST_EV_CONNECT && r->type != ST_EV_ACCEPT)
		return;
	pthread_mutex_lock(&m->lock);
	if (!container) {
		c->opened_no_container[dir]++;
		goto out;
	}
	for (i = 0; i < c->ncontainer; i++)
		if (!strcmp(cs[i].id, container))
			break;
	if (i == c->ncontainer && c->ncontainer < m->top && strlen(container) < CONTAINER_ID_MAX)
		strcpy(cs[c->ncontainer++].id, container);
	if (i < c->ncontainer)
		cs[i].opened[dir]++;
	else
		c->opened_container_other[dir]++;
out:
	pthread_mutex_unlock(&m->lock);
}

void metrics_lost(struct metrics *m, enum sink_loss why, uint64_t count)
{
	if ((unsigned)why >= LOSSES)
		return;
	pthread_mutex_lock(&m->lock);
	m->live->lost[why] += count;
	pthread_mutex_unlock(&m->lock);
}

/* The rendering, from a copy. */

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP socktrace_%s %s\n# TYPE socktrace_%s %s\n", name, help, name, type);
}

/* A label value: \\, \" and \n escaped as the format says; other bytes
 * that are not printable ASCII (a comm is any bytes) as the text \xHH. */
static void label_value(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\\' || ch == '"')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\\\x%02x", ch);
		else
			fputc(ch, f);
	}
}

static void histogram(FILE *f, const char *name, const char *labels, const struct hist *h,
		      const uint64_t *le, size_t n)
{
	const char *sep = *labels ? "," : "";
	uint64_t cum = 0;

	for (size_t i = 0; i < n; i++) {
		cum += h->bucket[i];
		fprintf(f, "socktrace_%s_bucket{%s%sle=\"%.6g\"} %llu\n", name, labels, sep,
			(double)le[i] / NS, (unsigned long long)cum);
	}
	fprintf(f, "socktrace_%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
		(unsigned long long)h->count);
	fprintf(f, "socktrace_%s_sum%s%s%s %.9f\n", name, *labels ? "{" : "", labels,
		*labels ? "}" : "", (double)h->sum_ns / NS);
	fprintf(f, "socktrace_%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels,
		*labels ? "}" : "", (unsigned long long)h->count);
}

static void render_opens(FILE *f, struct counters *c)
{
	static const char *const dir[DIRS] = { "connect", "accept" };
	struct comm_slot *cs = comms(c);

	head(f, "connections_opened_total", "counter",
	     "Connections opened, by direction (connect: active, accept: passive) and process name.");
	for (unsigned i = 0; i < c->ncomm; i++)
		for (int d = 0; d < DIRS; d++) {
			fprintf(f, "socktrace_connections_opened_total{direction=\"%s\",comm=\"",
				dir[d]);
			label_value(f, cs[i].name, cs[i].len);
			fprintf(f, "\"} %llu\n", (unsigned long long)cs[i].opened[d]);
		}
	for (int d = 0; d < DIRS; d++)
		fprintf(f, "socktrace_connections_opened_total{direction=\"%s\",comm=\"other\"} %llu\n",
			dir[d], (unsigned long long)c->opened_other[d]);
}

static void render_container_opens(FILE *f, struct counters *c, unsigned top)
{
	static const char *const dir[DIRS] = { "connect", "accept" };
	struct container_slot *cs = containers(c, top);
	const char *name = "socktrace_container_connections_opened_total";

	head(f, "container_connections_opened_total", "counter",
	     "Connections opened, by direction and the owner's container (none: not in one).");
	for (unsigned i = 0; i < c->ncontainer; i++)
		for (int d = 0; d < DIRS; d++)
			fprintf(f, "%s{direction=\"%s\",container=\"%s\"} %llu\n", name, dir[d],
				cs[i].id, (unsigned long long)cs[i].opened[d]);
	for (int d = 0; d < DIRS; d++) {
		fprintf(f, "%s{direction=\"%s\",container=\"none\"} %llu\n", name, dir[d],
			(unsigned long long)c->opened_no_container[d]);
		fprintf(f, "%s{direction=\"%s\",container=\"other\"} %llu\n", name, dir[d],
			(unsigned long long)c->opened_container_other[d]);
	}
}

static void render_accepts(FILE *f, struct counters *c, unsigned top)
{
	struct port_slot *ps = ports(c, top);

	head(f, "connections_accepted_total", "counter",
	     "Connections accepted, by the listener's local port.");
	for (unsigned i = 0; i < c->nport; i++)
		fprintf(f, "socktrace_connections_accepted_total{port=\"%u\"} %llu\n", ps[i].port,
			(unsigned long long)ps[i].accepted);
	fprintf(f, "socktrace_connections_accepted_total{port=\"other\"} %llu\n",
		(unsigned long long)c->accepted_other);
}

static void render_closes(FILE *f, const struct counters *c)
{
	head(f, "connections_closed_total", "counter", "Connections closed, by cause.");
	for (unsigned k = 1; k <= ST_CAUSE_MAX; k++)
		fprintf(f, "socktrace_connections_closed_total{cause=\"%s\"} %llu\n",
			close_cause_name(k), (unsigned long long)c->closed[k]);
	head(f, "connection_lifetime_seconds", "histogram",
	     "Lifetime of closed connections, from the first state seen to close.");
	histogram(f, "connection_lifetime_seconds", "", &c->lifetime, lifetime_le, N_LIFETIME);
	head(f, "sent_bytes_total", "counter", "Payload bytes acked by the peer, at close.");
	fprintf(f, "socktrace_sent_bytes_total %llu\n", (unsigned long long)c->bytes_sent);
	head(f, "received_bytes_total", "counter", "Payload bytes received, at close.");
	fprintf(f, "socktrace_received_bytes_total %llu\n", (unsigned long long)c->bytes_received);
	head(f, "retransmits_total", "counter", "Segments retransmitted, at close.");
	fprintf(f, "socktrace_retransmits_total %llu\n", (unsigned long long)c->retransmits);
	head(f, "resets_total", "counter",
	     "Connections ended by a reset, by direction (a refused connect is received).");
	fprintf(f, "socktrace_resets_total{direction=\"sent\"} %llu\n",
		(unsigned long long)c->resets_sent);
	fprintf(f, "socktrace_resets_total{direction=\"received\"} %llu\n",
		(unsigned long long)c->resets_received);
}

static void render_states(FILE *f, const struct counters *c)
{
	static const char *const side[SIDES] = { "side=\"client\"", "side=\"server\"" };

	head(f, "handshake_seconds", "histogram",
	     "Three-way handshakes: client SYN_SENT, server SYN_RECV, to ESTABLISHED.");
	for (int s = 0; s < SIDES; s++)
		histogram(f, "handshake_seconds", side[s], &c->handshake[s], handshake_le,
			  N_HANDSHAKE);
	head(f, "state_transitions_total", "counter", "TCP state transitions, by from and to.");
	for (int a = 1; a < TCP_STATES; a++)
		for (int b = 1; b < TCP_STATES; b++)
			if (c->transitions[a][b])
				fprintf(f, "socktrace_state_transitions_total{from=\"%s\",to=\"%s\"} "
					   "%llu\n",
					tcp_state_name(a), tcp_state_name(b),
					(unsigned long long)c->transitions[a][b]);
}

static void render_health(FILE *f, const struct metrics *m, const char *info,
			  const struct counters *c, const struct percpu_rings *rings)
{
	static const char *const why[LOSSES] = { "ring_full", "skipped", "socket_table",
						 "listener_table" };

	head(f, "events_lost_total", "counter",
	     "Events missing from the trace, by reason (listener_table: owners lost).");
	for (int w = 0; w < LOSSES; w++)
		fprintf(f, "socktrace_events_lost_total{reason=\"%s\"} %llu\n", why[w],
			(unsigned long long)c->lost[w]);
	if (rings) {
		/* Read now, not counted: what waits for the reader at this moment. */
		head(f, "ring_fill_ratio", "gauge",
		     "The fullest CPU's event ring: records waiting for the reader, as a fraction "
		     "of its slots (full: new records are lost).");
		fprintf(f, "socktrace_ring_fill_ratio %.4f\n", percpu_rings_fullest(rings));
	}
	head(f, "info", "gauge", "The tracer: its version and how each hook is attached.");
	fprintf(f, "socktrace_info{%s} 1\n", info);
	head(f, "start_time_seconds", "gauge", "When the tracer started, in seconds since the epoch.");
	fprintf(f, "socktrace_start_time_seconds %.3f\n", m->start_time);
}

int metrics_render(struct metrics *m, FILE *f)
{
	struct counters *c = malloc(m->size);
	const struct percpu_rings *rings;
	char *info;

	if (!c)
		return -ENOMEM;
	pthread_mutex_lock(&m->lock);
	memcpy(c, m->live, m->size);
	info = strdup(m->info);
	rings = m->rings;
	pthread_mutex_unlock(&m->lock);
	if (!info) {
		free(c);
		return -ENOMEM;
	}
	render_opens(f, c);
	render_accepts(f, c, m->top);
	render_container_opens(f, c, m->top);
	render_closes(f, c);
	render_states(f, c);
	render_health(f, m, info, c, rings);
	free(info);
	free(c);
	return ferror(f) ? -ENOMEM : 0;
}
