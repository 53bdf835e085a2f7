#include "decode.h"

#include <errno.h>
#include <string.h>

static int decode_close(const void *data, size_t size, struct st_record *out)
{
	struct st_close c;

	if (size < sizeof(c))
		return -EINVAL;
	memcpy(&c, data, sizeof(c));
	if (c.cause < 1 || c.cause > ST_CAUSE_MAX || c.closed_by > ST_CLOSED_BY_REMOTE)
		return -EINVAL;
	out->has_handshake = c.ev.flags & ST_F_HANDSHAKE;
	out->handshake_ns = out->has_handshake ? c.handshake_ns : 0;
	out->bytes_sent = c.bytes_sent;
	out->bytes_received = c.bytes_received;
	out->retransmits = c.retransmits;
	out->cause = c.cause;
	out->closed_by = c.closed_by;
	return 0;
}

int decode_event(const void *data, size_t size, int64_t mono_to_unix_ns, struct st_record *out)
{
	struct st_event e;

	if (size < sizeof(e))
		return -EINVAL;
	memcpy(&e, data, sizeof(e));
	if (e.type < 1 || e.type > ST_EV_MAX)
		return -EINVAL;
	if (e.family != ST_AF_INET && e.family != ST_AF_INET6)
		return -EINVAL;

	memset(out, 0, sizeof(*out));
	out->type = e.type;
	out->family = e.family == ST_AF_INET6 ? 6 : 4;
	out->old_state = e.old_state;
	out->new_state = e.new_state;
	out->owner_known = e.flags & ST_F_OWNER_KNOWN;
	out->time_known = e.flags & ST_F_TIME_KNOWN;
	out->pid = out->owner_known ? e.pid : 0;
	out->ts_ns = e.ts_ns;
	/* Unsigned arithmetic wraps instead of overflowing (found by fuzz_sinks). */
	out->unix_ns = e.ts_ns + (uint64_t)mono_to_unix_ns;
	out->sock_id = e.sock_id;
	out->in_state_ns = e.in_state_ns;
	out->lport = e.lport;
	out->rport = e.rport;
	memcpy(out->laddr, e.laddr, sizeof(out->laddr));
	memcpy(out->raddr, e.raddr, sizeof(out->raddr));
	if (out->owner_known) {
		out->comm_len = strnlen(e.comm, ST_COMM_LEN);
		memcpy(out->comm, e.comm, out->comm_len);
	}
	out->comm[out->comm_len] = '\0';
	out->cgroup_id = out->owner_known ? e.cgroup_id : 0;
	out->netns = e.netns;
	if (e.type == ST_EV_CLOSE)
		return decode_close(data, size, out);
	return 0;
}
