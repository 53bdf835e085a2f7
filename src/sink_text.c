/* Text sink: one aligned line per event, as a person reads it live. */
#include "sink_impl.h"

#include <stdio.h>

#include "fmt.h"

/* Longest line: time, id, pid, comm (16 bytes escaped = 64), two
 * endpoints, event with two state names and a duration. */
#define TEXT_LINE_MAX 448

static void text_begin(struct sink *s)
{
	if (s->opts.timestamps)
		outbuf_puts(s->out, "TIME         ");
	outbuf_puts(s->out, "SOCK   PID     COMM             IP LOCAL                        "
			    "REMOTE                       EVENT\n");
}

/* "CLOSE fin by remote, life 1.956 ms, handshake 416 us, sent 78 B,
 * received 3.2 KiB, 0 retransmits" */
static size_t close_text(char *buf, size_t len, const struct st_record *r)
{
	char life[32] = "?", hs[32] = "none", sent[32], recvd[32];
	const char *by = closed_by_name(r->closed_by);

	if (r->time_known)
		fmt_duration(life, sizeof(life), r->in_state_ns);
	if (r->has_handshake)
		fmt_duration(hs, sizeof(hs), r->handshake_ns);
	fmt_bytes(sent, sizeof(sent), r->bytes_sent);
	fmt_bytes(recvd, sizeof(recvd), r->bytes_received);
	return (size_t)snprintf(buf, len,
				"CLOSE %s%s%s, life %s, handshake %s, sent %s, received %s, "
				"%u retransmits",
				close_cause_name(r->cause), by ? " by " : "", by ? by : "", life, hs,
				sent, recvd, r->retransmits);
}

static size_t event_text(char *buf, size_t len, const struct st_record *r)
{
	char ms[32];

	switch (r->type) {
	case ST_EV_CONNECT:
		return (size_t)snprintf(buf, len, "CONNECT");
	case ST_EV_ACCEPT:
		return (size_t)snprintf(buf, len, "ACCEPT");
	case ST_EV_STATE:
		if (!r->time_known)
			return (size_t)snprintf(buf, len, "%s -> %s", tcp_state_name(r->old_state),
						tcp_state_name(r->new_state));
		fmt_ms(ms, sizeof(ms), r->in_state_ns);
		return (size_t)snprintf(buf, len, "%s -> %s %s ms", tcp_state_name(r->old_state),
					tcp_state_name(r->new_state), ms);
	case ST_EV_CLOSE:
		return close_text(buf, len, r);
	}
	return (size_t)snprintf(buf, len, "?");
}

static void text_event(struct sink *s, const struct st_record *r)
{
	char *line = outbuf_reserve(s->out, TEXT_LINE_MAX);
	char tbuf[32] = "", pid[16] = "-", comm[72] = "-", local[FMT_ENDPOINT_LEN],
	     remote[FMT_ENDPOINT_LEN], ev[200];
	int n;

	if (!line)
		return;
	if (s->opts.timestamps)
		fmt_clock_ms(tbuf, sizeof(tbuf), r->unix_ns);
	if (r->owner_known) {
		snprintf(pid, sizeof(pid), "%u", r->pid);
		fmt_comm_text(comm, sizeof(comm), r->comm, r->comm_len);
	}
	fmt_endpoint(local, sizeof(local), r->family, r->laddr, r->lport);
	fmt_endpoint(remote, sizeof(remote), r->family, r->raddr, r->rport);
	event_text(ev, sizeof(ev), r);
	n = snprintf(line, TEXT_LINE_MAX, "%s%s%-6llu %-7s %-16s %u  %-28s %-28s %s\n", tbuf,
		     s->opts.timestamps ? " " : "", (unsigned long long)r->sock_id, pid, comm,
		     r->family, local, remote, ev);
	if (n >= TEXT_LINE_MAX) {
		n = TEXT_LINE_MAX;
		line[n - 1] = '\n';
	}
	outbuf_commit(s->out, n > 0 ? (size_t)n : 0);
}

static void text_lost(struct sink *s, uint64_t count, uint64_t ts_ns, uint64_t unix_ns)
{
	(void)ts_ns;
	char line[96], tbuf[32] = "";
	int n;

	if (s->opts.timestamps)
		fmt_clock_ms(tbuf, sizeof(tbuf), unix_ns);
	n = snprintf(line, sizeof(line), "%s%sLOST %llu events\n", tbuf,
		     s->opts.timestamps ? " " : "", (unsigned long long)count);
	outbuf_write(s->out, line, (size_t)n);
}

static const struct sink_ops text_ops = {
	.begin = text_begin,
	.event = text_event,
	.lost = text_lost,
};

struct sink *sink__new_text(struct outbuf *out, const struct sink_opts *opts)
{
	return sink__alloc(&text_ops, out, opts);
}
