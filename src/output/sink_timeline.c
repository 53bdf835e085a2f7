/* Timeline sink (--timeline): each connection as one block once it closes
 * (or at exit while still open): endpoints and owner, then one line per
 * event with its offset from the first, and what it means on the wire. */
#include "sink_impl.h"

#include <search.h>
#include <stdio.h>
#include <stdlib.h>

#include "cgroup_names.h"
#include "fmt.h"

#define MAX_STEPS 32      /* per connection; later ones are counted, not kept */
#define MAX_CONNS 65536   /* connections held at once; more are not tracked */
#define LINE_MAX_LEN 512

struct step {
	uint64_t ts_ns;
	unsigned type, old_state, new_state;
};

struct conn {
	uint64_t sock_id;
	struct st_record last;  /* newest record: endpoints, close figures */
	struct st_record owner; /* newest record that named the owner */
	uint64_t first_ts;
	unsigned nsteps;
	unsigned dropped_steps;
	struct step steps[MAX_STEPS];
};

struct timeline_sink {
	struct sink base;   /* first: the sink functions cast back */
	void *tree;         /* tsearch tree of struct conn *, by sock_id */
	size_t nconns;
	uint64_t untracked; /* events of connections beyond MAX_CONNS */
};

static int by_id(const void *a, const void *b)
{
	const struct conn *x = a, *y = b;

	return x->sock_id < y->sock_id ? -1 : x->sock_id > y->sock_id;
}

static const char *role_of(const struct conn *c)
{
	for (unsigned i = 0; i < c->nsteps; i++) {
		const struct step *s = &c->steps[i];

		if (s->type == ST_EV_CONNECT || s->new_state == 2 /* SYN_SENT */)
			return "client";
		if (s->type == ST_EV_ACCEPT || s->new_state == 3 /* SYN_RECV */)
			return "server";
		if (s->new_state == 10 /* LISTEN */)
			return "listener";
	}
	return "connection";
}

static void put_line(struct sink *s, const char *line, int n)
{
	if (n > 0)
		outbuf_write(s->out, line, (size_t)(n < LINE_MAX_LEN ? n : LINE_MAX_LEN - 1));
}

static void print_block(struct sink *s, const struct conn *c, bool open)
{
	const struct st_record *r = &c->last, *o = &c->owner;
	char line[LINE_MAX_LEN], local[FMT_ENDPOINT_LEN], remote[FMT_ENDPOINT_LEN], comm[72] = "-",
									 off[32], what[160];
	unsigned cause = r->type == ST_EV_CLOSE ? r->cause : 0;
	const char *container = NULL;

	fmt_endpoint(local, sizeof(local), r->family, r->laddr, r->lport);
	fmt_endpoint(remote, sizeof(remote), r->family, r->raddr, r->rport);
	if (o->owner_known)
		fmt_comm_text(comm, sizeof(comm), o->comm, o->comm_len);
	if (o->owner_known && o->cgroup_id && s->opts.cgroups)
		container = cgroup_names_container(s->opts.cgroups, o->cgroup_id, o->pid, o->ts_ns);
	put_line(s, line,
		 o->owner_known
			 ? snprintf(line, sizeof(line), "sock %llu  %s (pid %u%s%.12s)  %s -> %s  %s%s\n",
				    (unsigned long long)c->sock_id, comm, o->pid,
				    container ? ", container " : "", container ? container : "",
				    local, remote, role_of(c), open ? "  (still open at exit)" : "")
			 : snprintf(line, sizeof(line), "sock %llu  owner unknown  %s -> %s  %s%s\n",
				    (unsigned long long)c->sock_id, local, remote, role_of(c),
				    open ? "  (still open at exit)" : ""));
	for (unsigned i = 0; i < c->nsteps; i++) {
		const struct step *st = &c->steps[i];
		char change[40];

		off[0] = '+';
		fmt_ms(off + 1, sizeof(off) - 1, st->ts_ns - c->first_ts);
		if (st->type == ST_EV_STATE)
			snprintf(change, sizeof(change), "%s -> %s", tcp_state_name(st->old_state),
				 tcp_state_name(st->new_state));
		else
			snprintf(change, sizeof(change), "%s",
				 st->type == ST_EV_CONNECT ? "CONNECT"
				 : st->type == ST_EV_ACCEPT ? "ACCEPT" : "CLOSE");
		timeline_meaning(what, sizeof(what), st->type, st->old_state, st->new_state, cause,
				 r->has_handshake ? r->handshake_ns : 0);
		put_line(s, line,
			 snprintf(line, sizeof(line), "  %11s ms  %-26s %s\n", off, change, what));
	}
	if (c->dropped_steps)
		put_line(s, line, snprintf(line, sizeof(line), "  (%u more events not kept)\n",
					   c->dropped_steps));
	if (r->type == ST_EV_CLOSE) {
		char life[32] = "? (not seen from its open)", sent[32], recvd[32];
		const char *by = closed_by_name(r->closed_by);

		if (r->time_known)
			fmt_duration(life, sizeof(life), r->in_state_ns);
		fmt_bytes(sent, sizeof(sent), r->bytes_sent);
		fmt_bytes(recvd, sizeof(recvd), r->bytes_received);
		put_line(s, line,
			 snprintf(line, sizeof(line),
				  "  ended: %s%s%s; life %s, sent %s, received %s, %u retransmits\n",
				  close_cause_name(r->cause), by ? ", closed by " : "", by ? by : "",
				  life, sent, recvd, r->retransmits));
	}
	outbuf_putc(s->out, '\n');
}

static struct conn *find_or_add(struct timeline_sink *t, const struct st_record *r)
{
	struct conn key = { .sock_id = r->sock_id }, *c, **slot;

	slot = tfind(&key, &t->tree, by_id);
	if (slot)
		return *slot;
	if (t->nconns >= MAX_CONNS)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->sock_id = r->sock_id;
	c->first_ts = r->ts_ns;
	if (!tsearch(c, &t->tree, by_id)) {
		free(c);
		return NULL;
	}
	t->nconns++;
	return c;
}

static void timeline_event(struct sink *s, const struct st_record *r)
{
	struct timeline_sink *t = (struct timeline_sink *)s;
	struct conn *c = find_or_add(t, r);

	if (!c) {
		t->untracked++;
		return;
	}
	c->last = *r;
	if (r->owner_known)
		c->owner = *r;
	if (r->type == ST_EV_CLOSE)
		; /* the summary line says it */
	else if (c->nsteps < MAX_STEPS)
		c->steps[c->nsteps++] = (struct step){ r->ts_ns, r->type, r->old_state, r->new_state };
	else
		c->dropped_steps++;
	if (r->type == ST_EV_CLOSE) {
		print_block(s, c, false);
		tdelete(c, &t->tree, by_id);
		t->nconns--;
		free(c);
	}
}

static void timeline_lost(struct sink *s, enum sink_loss why, uint64_t count, uint64_t ts_ns,
			  uint64_t unix_ns)
{
	char line[128];

	(void)ts_ns, (void)unix_ns;
	put_line(s, line, snprintf(line, sizeof(line),
				   "LOST %llu %s: some timelines below are incomplete\n\n",
				   (unsigned long long)count, sink_loss_what(why)));
}

static void print_open(const void *node, VISIT when, void *sink)
{
	if (when == postorder || when == leaf)
		print_block(sink, *(struct conn *const *)node, true);
}

/* Prints every connection still open, by id, and forgets them. */
static void timeline_end(struct sink *s)
{
	struct timeline_sink *t = (struct timeline_sink *)s;

	twalk_r(t->tree, print_open, s);
	tdestroy(t->tree, free);
	t->tree = NULL;
	t->nconns = 0;
	if (t->untracked) {
		char line[128];

		put_line(s, line, snprintf(line, sizeof(line),
					   "(%llu events of connections beyond %d open at once "
					   "were not kept)\n",
					   (unsigned long long)t->untracked, MAX_CONNS));
	}
}

static void timeline_destroy(struct sink *s)
{
	tdestroy(((struct timeline_sink *)s)->tree, free);
}

static const struct sink_ops timeline_ops = {
	.event = timeline_event,
	.lost = timeline_lost,
	.end = timeline_end,
	.destroy = timeline_destroy,
};

struct sink *sink__new_timeline(struct outbuf *out, const struct sink_opts *opts)
{
	return sink__alloc(sizeof(struct timeline_sink), &timeline_ops, out, opts);
}
