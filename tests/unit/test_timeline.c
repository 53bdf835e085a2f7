/* Timeline: wire meanings of transitions, and the per-connection blocks. */
#include <stdlib.h>

#include "check.h"
#include "fmt.h"
#include "sink.h"

enum { EST = 1, SYN_SENT, SYN_RECV, FIN1, FIN2, CLOSE = 7, CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING };

static const char *meaning(unsigned type, unsigned old, unsigned new, unsigned cause,
			   uint64_t hs)
{
	static char buf[160];

	timeline_meaning(buf, sizeof(buf), type, old, new, cause, hs);
	return buf;
}

static struct st_record rec(uint64_t id, unsigned type, unsigned old, unsigned new, uint64_t ts)
{
	struct st_record r;

	memset(&r, 0, sizeof(r));
	r.type = type, r.old_state = old, r.new_state = new, r.ts_ns = ts, r.sock_id = id;
	r.family = 4, r.owner_known = true, r.pid = 7, r.comm_len = 4;
	strcpy(r.comm, "curl");
	r.laddr[0] = 127, r.laddr[3] = 1, r.lport = 40000;
	r.raddr[0] = 127, r.raddr[3] = 1, r.rport = 80;
	return r;
}

int main(void)
{
	CHECK_STR(meaning(ST_EV_STATE, CLOSE, SYN_SENT, 0, 0), "SYN sent", "SYN sent");
	CHECK_STR(meaning(ST_EV_STATE, SYN_SENT, EST, 0, 61000),
		  "SYN+ACK received, ACK sent: ESTABLISHED (handshake 61 us)", "client handshake");
	CHECK_STR(meaning(ST_EV_STATE, SYN_RECV, EST, 0, 20500000),
		  "ACK received: ESTABLISHED (handshake 20.500 ms)", "server handshake");
	CHECK_STR(meaning(ST_EV_STATE, SYN_SENT, CLOSE, ST_CAUSE_REFUSED, 0),
		  "RST received: connection refused", "refused");
	CHECK_STR(meaning(ST_EV_STATE, SYN_SENT, CLOSE, ST_CAUSE_TIMEOUT, 0),
		  "no answer to the SYN: timed out", "SYN timeout");
	CHECK_STR(meaning(ST_EV_STATE, EST, FIN1, 0, 0), "FIN sent", "FIN sent");
	CHECK_STR(meaning(ST_EV_STATE, EST, CLOSE_WAIT, 0, 0), "FIN received", "FIN received");
	CHECK_STR(meaning(ST_EV_STATE, FIN2, CLOSE, ST_CAUSE_FIN, 0),
		  "connection entered TIME_WAIT (kept by a time-wait socket, not traced)",
		  "TIME_WAIT said honestly, not invented as a transition");
	CHECK_STR(meaning(ST_EV_STATE, LAST_ACK, CLOSE, ST_CAUSE_FIN, 0),
		  "ACK of our FIN received: closed", "last ack");
	CHECK_STR(meaning(ST_EV_STATE, EST, CLOSE, ST_CAUSE_RST_RECEIVED, 0),
		  "RST received: connection reset by the peer", "reset by peer");
	CHECK_STR(meaning(ST_EV_STATE, LISTEN, CLOSE, ST_CAUSE_LISTENER_CLOSED, 0),
		  "listener closed", "listener");

	{
		FILE *f = tmpfile();
		struct outbuf *ob = outbuf__new(fileno(f), 8192, 0);
		struct sink *s = sink__new_timeline(ob, &(struct sink_opts){ 0 });
		struct st_record r;
		char out[4096];
		size_t n;

		sink_event(s, (r = rec(1, ST_EV_CONNECT, 0, 0, 1000), &r));
		sink_event(s, (r = rec(1, ST_EV_STATE, CLOSE, SYN_SENT, 1000), &r));
		sink_event(s, (r = rec(2, ST_EV_STATE, CLOSE, LISTEN, 1500), &r)); /* stays open */
		sink_event(s, (r = rec(1, ST_EV_STATE, SYN_SENT, EST, 62000), &r));
		sink_flush(s);
		CHECK(ftell(f) == 0, "nothing printed before the connection closes");
		r = rec(1, ST_EV_CLOSE, SYN_SENT, CLOSE, 2000000);
		r.has_handshake = true, r.handshake_ns = 61000, r.time_known = true;
		r.in_state_ns = 1999000, r.cause = ST_CAUSE_FIN, r.closed_by = ST_CLOSED_BY_REMOTE;
		r.bytes_sent = 83, r.bytes_received = 2048;
		sink_event(s, &r);
		sink_end(s);
		rewind(f);
		n = fread(out, 1, sizeof(out) - 1, f);
		out[n] = '\0';
		CHECK_STR(out,
			  "sock 1  curl (pid 7)  127.0.0.1:40000 -> 127.0.0.1:80  client\n"
			  "       +0.000 ms  CONNECT                    connect(): SYN sent\n"
			  "       +0.000 ms  CLOSE -> SYN_SENT          SYN sent\n"
			  "       +0.061 ms  SYN_SENT -> ESTABLISHED    SYN+ACK received, ACK sent: "
			  "ESTABLISHED (handshake 61 us)\n"
			  "  ended: fin, closed by remote; life 1.999 ms, sent 83 B, received 2.0 KiB, "
			  "0 retransmits\n"
			  "\n"
			  "sock 2  curl (pid 7)  127.0.0.1:40000 -> 127.0.0.1:80  listener  (still open "
			  "at exit)\n"
			  "       +0.000 ms  CLOSE -> LISTEN            listening\n"
			  "\n",
			  "closed block on close, open ones at exit");
		sink__free(s);
		outbuf__free(ob);
		fclose(f);
	}
	return check_done();
}
