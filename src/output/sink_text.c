/* Text sink: one aligned line per event, as a person reads it live. */
#include "sink_impl.h"

#include <stdio.h>
#include <string.h>

#include "cgroup_names.h"
#include "fmt.h"
#include "wbuf.h"

/* Longest line: time, id, pid, comm (16 bytes escaped = 64), two
 * endpoints, event with two state names and a duration. */
#define TEXT_LINE_MAX 512
#define CONTAINER_COL 12 /* a container id's first 12 digits, as docker ps shows it */
#define CLOSE_TEXT_MAX 200 /* the close record's event column */

static void text_begin(struct sink *s)
{
	if (s->opts.timestamps)
		outbuf_puts(s->out, "TIME         ");
	outbuf_puts(s->out, "SOCK   PID     COMM             ");
	if (s->opts.containers)
		outbuf_puts(s->out, "CONTAINER    NETNS      ");
	outbuf_puts(s->out, "IP LOCAL                        REMOTE                       EVENT\n");
}

/* "CLOSE fin by remote, life 1.956 ms, handshake 416 us, sent 78 B,
 * received 3.2 KiB, 0 retransmits" */
static size_t close_text(char *buf, size_t len, const struct st_record *r)
{
	char life[32] = "? (not seen from its open)", hs[32] = "none", sent[32], recvd[32];
	const char *by = closed_by_name(r->closed_by);
	int n;

	if (r->time_known)
		fmt_duration(life, sizeof(life), r->in_state_ns);
	if (r->has_handshake)
		fmt_duration(hs, sizeof(hs), r->handshake_ns);
	fmt_bytes(sent, sizeof(sent), r->bytes_sent);
	fmt_bytes(recvd, sizeof(recvd), r->bytes_received);
	n = snprintf(buf, len,
		     "CLOSE %s%s%s, life %s, handshake %s, sent %s, received %s, %u retransmits",
		     close_cause_name(r->cause), by ? " by " : "", by ? by : "", life, hs, sent, recvd,
		     r->retransmits);
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1; /* what snprintf wrote */
}

/* "127.0.0.1:80" or "[::1]:80", padded to width. */
static void w_endpoint_col(struct wbuf *w, unsigned family, const uint8_t addr[16], uint16_t port,
			   size_t width)
{
	char *start = w->p;

	if (family == 6)
		w_char(w, '[');
	w_addr(w, family, addr);
	if (family == 6)
		w_char(w, ']');
	w_char(w, ':');
	w_u64(w, port);
	w_pad_to(w, start, width);
}

/* The event column; by hand for the frequent kinds. */
static void w_event(struct wbuf *w, const struct st_record *r)
{
	switch (r->type) {
	case ST_EV_CONNECT:
		W_LIT(w, "CONNECT");
		return;
	case ST_EV_ACCEPT:
		W_LIT(w, "ACCEPT");
		return;
	case ST_EV_STATE:
		w_str(w, tcp_state_name(r->old_state));
		W_LIT(w, " -> ");
		w_str(w, tcp_state_name(r->new_state));
		if (r->time_known) {
			w_char(w, ' ');
			w_ms(w, r->in_state_ns);
			W_LIT(w, " ms");
		}
		return;
	case ST_EV_CLOSE:
		w->p += close_text(w->p, CLOSE_TEXT_MAX, r);
		return;
	}
	w_char(w, '?');
}

/* --containers: the owner's container (its id's first digits, or - for
 * none) and the socket's network namespace inode. */
static void w_container_cols(struct wbuf *w, struct cgroup_names *names,
			     const struct st_record *r)
{
	const char *id = r->cgroup_id && names ? cgroup_names_container(names, r->cgroup_id,
									 r->pid, r->ts_ns)
					       : NULL;
	char *col = w->p;

	if (id)
		w_mem(w, id, strnlen(id, CONTAINER_COL));
	else
		w_char(w, '-');
	w_pad_to(w, col, CONTAINER_COL);
	w_char(w, ' ');
	col = w->p;
	if (r->netns)
		w_u64(w, r->netns);
	else
		w_char(w, '-');
	w_pad_to(w, col, 10);
	w_char(w, ' ');
}

static void text_event(struct sink *s, const struct st_record *r)
{
	struct wbuf w = { outbuf_reserve(s->out, TEXT_LINE_MAX) };
	char *start = w.p, *col;

	if (!start)
		return;
	if (s->opts.timestamps) {
		w.p += fmt_clock_ms(w.p, 32, r->unix_ns);
		w_char(&w, ' ');
	}
	col = w.p;
	w_u64(&w, r->sock_id);
	w_pad_to(&w, col, 6);
	w_char(&w, ' ');
	col = w.p;
	if (r->owner_known)
		w_u64(&w, r->pid);
	else
		w_char(&w, '-');
	w_pad_to(&w, col, 7);
	w_char(&w, ' ');
	col = w.p;
	if (r->owner_known)
		w.p += fmt_comm_text(w.p, 72, r->comm, r->comm_len);
	else
		w_char(&w, '-');
	w_pad_to(&w, col, 16);
	w_char(&w, ' ');
	if (s->opts.containers)
		w_container_cols(&w, s->opts.cgroups, r);
	w_u64(&w, r->family);
	W_LIT(&w, "  ");
	w_endpoint_col(&w, r->family, r->laddr, r->lport, 28);
	w_char(&w, ' ');
	w_endpoint_col(&w, r->family, r->raddr, r->rport, 28);
	w_char(&w, ' ');
	w_event(&w, r);
	w_char(&w, '\n');
	outbuf_commit(s->out, (size_t)(w.p - start));
}

static void text_lost(struct sink *s, enum sink_loss why, uint64_t count, uint64_t ts_ns,
		      uint64_t unix_ns)
{
	(void)ts_ns;
	char line[128], tbuf[32] = "";
	int n;

	if (s->opts.timestamps)
		fmt_clock_ms(tbuf, sizeof(tbuf), unix_ns);
	n = snprintf(line, sizeof(line), "%s%sLOST %llu %s\n", tbuf,
		     s->opts.timestamps ? " " : "", (unsigned long long)count,
		     sink_loss_what(why));
	outbuf_write(s->out, line, (size_t)n);
}

static const struct sink_ops text_ops = {
	.begin = text_begin,
	.event = text_event,
	.lost = text_lost,
};

struct sink *sink__new_text(struct outbuf *out, const struct sink_opts *opts)
{
	return sink__alloc(sizeof(struct sink), &text_ops, out, opts);
}
