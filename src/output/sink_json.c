/* JSON sink: one object per line (NDJSON); the schema is in README.md.
 * The per-event path formats by hand (wbuf), without printf. */
#include "sink_impl.h"

#include <limits.h>
#include <string.h>

#include "cgroup_names.h"
#include "fmt.h"
#include "sock_text.h"
#include "wbuf.h"

/* Longest object: a close record with every field at its widest, a
 * cgroup path of PATH_MAX bytes escaped. */
#define JSON_LINE_MAX (1280 + FMT_JSON_STRING_MAX(PATH_MAX))

struct json_sink {
	struct sink base; /* first: the sink functions cast back */
	struct rfc3339_cache clock;
	struct sock_text_cache parts; /* "sock" to "container", per socket */
};

static const char *const event_names[] = {
	[ST_EV_CONNECT] = "connect",
	[ST_EV_ACCEPT] = "accept",
	[ST_EV_STATE] = "state",
	[ST_EV_CLOSE] = "close",
};

/* "time", "ts_ns" and "event", shared by every object. */
static void json_head(struct wbuf *w, struct rfc3339_cache *clock, uint64_t ts_ns,
		      uint64_t unix_ns, const char *event)
{
	W_LIT(w, "{\"time\":\"");
	w_rfc3339_us(w, clock, unix_ns);
	W_LIT(w, "\",\"ts_ns\":");
	w_u64(w, ts_ns);
	W_LIT(w, ",\"event\":\"");
	w_str(w, event);
	w_char(w, '"');
}

/* ,"key":value or ,"key":null; key_lit is ",\"key\":", key_len its length. */
static void json_u64_or_null(struct wbuf *w, const char *key_lit, size_t key_len, bool known,
			     uint64_t v)
{
	w_mem(w, key_lit, key_len);
	if (known)
		w_u64(w, v);
	else
		W_LIT(w, "null");
}
#define JSON_U64_OR_NULL(w, key_lit, known, v) \
	json_u64_or_null((w), (key_lit), sizeof(key_lit) - 1, (known), (v))

static void json_close_fields(struct wbuf *w, const struct st_record *r)
{
	const char *by = closed_by_name(r->closed_by);

	JSON_U64_OR_NULL(w, ",\"duration_ns\":", r->time_known, r->in_state_ns);
	JSON_U64_OR_NULL(w, ",\"handshake_ns\":", r->has_handshake, r->handshake_ns);
	W_LIT(w, ",\"bytes_sent\":");
	w_u64(w, r->bytes_sent);
	W_LIT(w, ",\"bytes_received\":");
	w_u64(w, r->bytes_received);
	W_LIT(w, ",\"retransmits\":");
	w_u64(w, r->retransmits);
	W_LIT(w, ",\"cause\":\"");
	w_str(w, close_cause_name(r->cause));
	W_LIT(w, "\",\"closed_by\":");
	if (by) {
		w_char(w, '"');
		w_str(w, by);
		w_char(w, '"');
	} else {
		W_LIT(w, "null");
	}
	if (r->time_known)
		W_LIT(w, ",\"history\":\"complete\"");
	else
		W_LIT(w, ",\"history\":\"partial\"");
}

/* "sock" to "netns": who and where, the same on every record of a socket
 * while its owner and endpoints stay (json_owner_cgroup() adds the rest of
 * the part kept per socket). */
static void json_sock_fields(struct wbuf *w, const struct st_record *r)
{
	W_LIT(w, ",\"sock\":");
	w_u64(w, r->sock_id);
	JSON_U64_OR_NULL(w, ",\"pid\":", r->owner_known, r->pid);
	W_LIT(w, ",\"comm\":");
	if (r->owner_known)
		w->p += fmt_json_string(w->p, FMT_JSON_STRING_MAX(ST_COMM_LEN), r->comm, r->comm_len);
	else
		W_LIT(w, "null");
	W_LIT(w, ",\"family\":");
	w_u64(w, r->family);
	W_LIT(w, ",\"laddr\":\"");
	w_addr(w, r->family, r->laddr);
	W_LIT(w, "\",\"lport\":");
	w_u64(w, r->lport);
	W_LIT(w, ",\"raddr\":\"");
	w_addr(w, r->family, r->raddr);
	W_LIT(w, "\",\"rport\":");
	w_u64(w, r->rport);
	JSON_U64_OR_NULL(w, ",\"netns\":", r->netns != 0, r->netns);
}

/* ,"key":"s" (escaped) or ,"key":null. */
static void json_str_or_null(struct wbuf *w, const char *key_lit, size_t key_len, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	w_mem(w, key_lit, key_len);
	if (s && n <= PATH_MAX)
		w->p += fmt_json_string(w->p, FMT_JSON_STRING_MAX(n), s, n);
	else
		W_LIT(w, "null");
}
#define JSON_STR_OR_NULL(w, key_lit, s) json_str_or_null((w), (key_lit), sizeof(key_lit) - 1, (s))

/* "cgroup_id", "cgroup" and "container": the owner's. False when the
 * cgroup has no name yet (not in the tree as last walked): then the text is
 * not kept, so that a later record can find it. */
static bool json_owner_cgroup(struct wbuf *w, struct cgroup_names *names,
			      const struct st_record *r)
{
	const char *path = NULL, *container = NULL;

	JSON_U64_OR_NULL(w, ",\"cgroup_id\":", r->cgroup_id != 0, r->cgroup_id);
	if (r->cgroup_id && names)
		cgroup_names_owner(names, r->cgroup_id, r->pid, r->ts_ns, &path, &container);
	JSON_STR_OR_NULL(w, ",\"cgroup\":", path);
	JSON_STR_OR_NULL(w, ",\"container\":", container);
	return path || !r->cgroup_id || !names;
}

/* The socket's fields, formatted or copied from the cache: 40 of the 180
 * ns a -j event cost the reader under make bench's load went to
 * formatting them. */
static void json_sock_part(struct wbuf *w, struct sock_text_cache *parts,
			   struct cgroup_names *names, const struct st_record *r)
{
	size_t len;
	const char *kept = sock_text_get(parts, r, &len);
	char *start = w->p;

	if (kept) {
		w_mem(w, kept, len);
		return;
	}
	json_sock_fields(w, r);
	if (json_owner_cgroup(w, names, r))
		sock_text_put(parts, r, start, (size_t)(w->p - start));
}

static void json_event(struct sink *s, const struct st_record *r)
{
	struct json_sink *js = (struct json_sink *)s;
	struct wbuf w = { outbuf_reserve(s->out, JSON_LINE_MAX) };
	char *start = w.p;

	if (!start)
		return;
	json_head(&w, &js->clock, r->ts_ns, r->unix_ns, event_names[r->type]);
	json_sock_part(&w, &js->parts, s->opts.cgroups, r);
	if (r->type == ST_EV_STATE) {
		W_LIT(&w, ",\"old_state\":\"");
		w_str(&w, tcp_state_name(r->old_state));
		W_LIT(&w, "\",\"new_state\":\"");
		w_str(&w, tcp_state_name(r->new_state));
		w_char(&w, '"');
		JSON_U64_OR_NULL(&w, ",\"in_state_ns\":", r->time_known, r->in_state_ns);
	} else if (r->type == ST_EV_CLOSE) {
		json_close_fields(&w, r);
	}
	W_LIT(&w, "}\n");
	outbuf_commit(s->out, (size_t)(w.p - start));
}

static const char *const loss_reasons[] = {
	[SINK_LOSS_RING_FULL] = "ring_full",
	[SINK_LOSS_SKIPPED] = "skipped",
	[SINK_LOSS_SOCKET_TABLE] = "socket_table_full",
	[SINK_LOSS_LISTENER_TABLE] = "listener_table_full",
};

static void json_lost(struct sink *s, enum sink_loss why, uint64_t count, uint64_t ts_ns,
		      uint64_t unix_ns)
{
	struct json_sink *js = (struct json_sink *)s;
	struct wbuf w = { outbuf_reserve(s->out, JSON_LINE_MAX) };
	char *start = w.p;

	if (!start)
		return;
	json_head(&w, &js->clock, ts_ns, unix_ns, "lost");
	W_LIT(&w, ",\"sock\":null,\"pid\":null,\"comm\":null,\"family\":null,\"laddr\":null,"
		  "\"lport\":null,\"raddr\":null,\"rport\":null,\"netns\":null,"
		  "\"cgroup_id\":null,\"cgroup\":null,\"container\":null,\"count\":");
	w_u64(&w, count);
	W_LIT(&w, ",\"reason\":\"");
	w_str(&w, loss_reasons[why]);
	W_LIT(&w, "\"}\n");
	outbuf_commit(s->out, (size_t)(w.p - start));
}

static const struct sink_ops json_ops = {
	.event = json_event,
	.lost = json_lost,
};

struct sink *sink__new_json(struct outbuf *out, const struct sink_opts *opts)
{
	struct json_sink *js =
		(struct json_sink *)sink__alloc(sizeof(struct json_sink), &json_ops, out, opts);

	if (js)
		js->clock = (struct rfc3339_cache)RFC3339_CACHE_INIT;
	return js ? &js->base : NULL;
}
