/* decode_event: validates records and converts them to host records. */
#include <errno.h>

#include "check.h"
#include "decode.h"

static struct st_event sample(void)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.type = ST_EV_STATE;
	e.family = ST_AF_INET6;
	e.old_state = 2;
	e.new_state = 1;
	e.flags = ST_F_OWNER_KNOWN | ST_F_TIME_KNOWN;
	e.pid = 4242;
	e.ts_ns = 1000;
	e.sock_id = 7;
	e.in_state_ns = 55;
	e.lport = 443;
	e.rport = 50000;
	e.laddr[15] = 1;
	memcpy(e.comm, "0123456789abcdef", 16); /* full, no NUL */
	return e;
}

int main(void)
{
	struct st_event e = sample();
	struct st_record r;

	CHECK(decode_event(&e, sizeof(e), 500, &r) == 0, "valid record decodes");
	CHECK(r.type == ST_EV_STATE && r.family == 6 && r.old_state == 2 && r.new_state == 1,
	      "type, family, states");
	CHECK(r.owner_known && r.time_known && r.pid == 4242, "owner and flags");
	CHECK(r.ts_ns == 1000 && r.unix_ns == 1500, "wall clock = monotonic + offset");
	CHECK(r.sock_id == 7 && r.in_state_ns == 55 && r.lport == 443 && r.rport == 50000,
	      "id, duration, ports");
	CHECK(r.comm_len == 16 && strcmp(r.comm, "0123456789abcdef") == 0,
	      "16-byte comm without NUL is terminated");

	CHECK(decode_event(&e, sizeof(e) - 1, 0, &r) == -EINVAL, "short record rejected");
	e.type = 0;
	CHECK(decode_event(&e, sizeof(e), 0, &r) == -EINVAL, "type 0 rejected");
	e.type = ST_EV_MAX + 1;
	CHECK(decode_event(&e, sizeof(e), 0, &r) == -EINVAL, "unknown type rejected");
	e = sample();
	e.family = 3;
	CHECK(decode_event(&e, sizeof(e), 0, &r) == -EINVAL, "unknown family rejected");

	{
		struct st_close c;

		memset(&c, 0, sizeof(c));
		c.ev = sample();
		c.ev.type = ST_EV_CLOSE;
		c.ev.flags |= ST_F_HANDSHAKE;
		c.handshake_ns = 61000, c.bytes_sent = 83, c.bytes_received = 100204;
		c.retransmits = 2, c.cause = ST_CAUSE_RST_SENT, c.closed_by = ST_CLOSED_BY_LOCAL;
		CHECK(decode_event(&c, sizeof(c), 0, &r) == 0 && r.has_handshake &&
			      r.handshake_ns == 61000 && r.bytes_sent == 83 &&
			      r.bytes_received == 100204 && r.retransmits == 2 &&
			      r.cause == ST_CAUSE_RST_SENT && r.closed_by == ST_CLOSED_BY_LOCAL,
		      "close record decodes its figures");
		CHECK(decode_event(&c, sizeof(c.ev), 0, &r) == -EINVAL,
		      "close record cut to the common part is rejected");
		c.cause = ST_CAUSE_MAX + 1;
		CHECK(decode_event(&c, sizeof(c), 0, &r) == -EINVAL, "unknown cause rejected");
		c.cause = 0;
		CHECK(decode_event(&c, sizeof(c), 0, &r) == -EINVAL, "cause 0 rejected");
		c.cause = ST_CAUSE_FIN, c.closed_by = 3;
		CHECK(decode_event(&c, sizeof(c), 0, &r) == -EINVAL, "unknown closed_by rejected");
	}

	e = sample();
	e.flags = 0;
	CHECK(decode_event(&e, sizeof(e), 0, &r) == 0 && !r.owner_known && r.pid == 0 &&
		      r.comm[0] == '\0',
	      "unknown owner carries no pid or comm");
	return check_done();
}
