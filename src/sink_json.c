/* JSON sink: one object per line (NDJSON); the schema is in README.md. */
#include "sink_impl.h"

#include <stdio.h>

#include "fmt.h"

#define JSON_LINE_MAX 640

static const char *const event_names[] = {
	[ST_EV_CONNECT] = "connect",
	[ST_EV_ACCEPT] = "accept",
	[ST_EV_STATE] = "state",
	[ST_EV_CLOSE] = "close",
};

/* "time", "ts_ns" and "event", shared by every object. */
static int json_head(char *buf, size_t len, uint64_t ts_ns, uint64_t unix_ns, const char *event)
{
	char t[40];

	fmt_rfc3339_us(t, sizeof(t), unix_ns);
	return snprintf(buf, len, "{\"time\":\"%s\",\"ts_ns\":%llu,\"event\":\"%s\"", t,
			(unsigned long long)ts_ns, event);
}

static int json_u64_or_null(char *buf, size_t len, const char *key, bool known, uint64_t v)
{
	if (!known)
		return snprintf(buf, len, ",\"%s\":null", key);
	return snprintf(buf, len, ",\"%s\":%llu", key, (unsigned long long)v);
}

static void json_event(struct sink *s, const struct st_record *r)
{
	char *line = outbuf_reserve(s->out, JSON_LINE_MAX);
	char comm[FMT_JSON_STRING_MAX(ST_COMM_LEN)] = "null", laddr[FMT_ADDR_LEN],
	     raddr[FMT_ADDR_LEN];
	size_t n = 0;

	if (!line)
		return;
	if (r->owner_known)
		fmt_json_string(comm, sizeof(comm), r->comm, r->comm_len);
	fmt_addr(laddr, sizeof(laddr), r->family, r->laddr);
	fmt_addr(raddr, sizeof(raddr), r->family, r->raddr);

	n += (size_t)json_head(line, JSON_LINE_MAX, r->ts_ns, r->unix_ns, event_names[r->type]);
	n += (size_t)snprintf(line + n, JSON_LINE_MAX - n, ",\"sock\":%llu",
			      (unsigned long long)r->sock_id);
	n += (size_t)json_u64_or_null(line + n, JSON_LINE_MAX - n, "pid", r->owner_known, r->pid);
	n += (size_t)snprintf(line + n, JSON_LINE_MAX - n,
			      ",\"comm\":%s,\"family\":%u,\"laddr\":\"%s\",\"lport\":%u,"
			      "\"raddr\":\"%s\",\"rport\":%u",
			      comm, r->family, laddr, r->lport, raddr, r->rport);
	if (r->type == ST_EV_STATE) {
		n += (size_t)snprintf(line + n, JSON_LINE_MAX - n,
				      ",\"old_state\":\"%s\",\"new_state\":\"%s\"",
				      tcp_state_name(r->old_state), tcp_state_name(r->new_state));
		n += (size_t)json_u64_or_null(line + n, JSON_LINE_MAX - n, "in_state_ns",
					      r->time_known, r->in_state_ns);
	} else if (r->type == ST_EV_CLOSE) {
		const char *by = closed_by_name(r->closed_by);

		n += (size_t)json_u64_or_null(line + n, JSON_LINE_MAX - n, "duration_ns",
					      r->time_known, r->in_state_ns);
		n += (size_t)json_u64_or_null(line + n, JSON_LINE_MAX - n, "handshake_ns",
					      r->has_handshake, r->handshake_ns);
		n += (size_t)snprintf(line + n, JSON_LINE_MAX - n,
				      ",\"bytes_sent\":%llu,\"bytes_received\":%llu,\"retransmits\":%u,"
				      "\"cause\":\"%s\",\"closed_by\":%s%s%s",
				      (unsigned long long)r->bytes_sent,
				      (unsigned long long)r->bytes_received, r->retransmits,
				      close_cause_name(r->cause), by ? "\"" : "", by ? by : "null",
				      by ? "\"" : "");
	}
	n += (size_t)snprintf(line + n, JSON_LINE_MAX - n, "}\n");
	outbuf_commit(s->out, n < JSON_LINE_MAX ? n : 0);
}

static void json_lost(struct sink *s, uint64_t count, uint64_t ts_ns, uint64_t unix_ns)
{
	char line[JSON_LINE_MAX];
	int n = json_head(line, sizeof(line), ts_ns, unix_ns, "lost");

	n += snprintf(line + n, sizeof(line) - (size_t)n,
		      ",\"sock\":null,\"pid\":null,\"comm\":null,\"family\":null,\"laddr\":null,"
		      "\"lport\":null,\"raddr\":null,\"rport\":null,\"count\":%llu}\n",
		      (unsigned long long)count);
	outbuf_write(s->out, line, (size_t)n);
}

static const struct sink_ops json_ops = {
	.event = json_event,
	.lost = json_lost,
};

struct sink *sink__new_json(struct outbuf *out, const struct sink_opts *opts)
{
	return sink__alloc(&json_ops, out, opts);
}
