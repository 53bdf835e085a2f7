// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Per-socket and per-listener state: ids, owners carried from listeners to
 * children, the handshake, the counters read at close.
 * Part of socktrace.bpf.c's one object: included there, in this order. */
#ifndef SOCKTRACE_SOCK_STATE_BPF_H
#define SOCKTRACE_SOCK_STATE_BPF_H

/* A socket's id, never 0. The rings object numbers sockets 1, 2, 3, ...
 * in the order first seen. The ring buffer object has no atomic fetch-add:
 * each CPU counts its own, and CPU c's n-th socket is (n - 1) * id_cpus +
 * c + 1, unique for the run but not in order. A program interrupting
 * another on the same CPU between its load and store of the count would
 * give two sockets one id; tracepoint programs do not nest on a CPU
 * (bpf_prog_active), raw ones could. */
static __always_inline __u64 new_sock_id(void)
{
#ifndef ST_COMPAT
	return __sync_fetch_and_add(&next_sock_id, 1) + 1;
#else
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&id_next, &zero), id;

	if (!n)
		return 0;
	id = *n * id_cpus + bpf_get_smp_processor_id() + 1;
	*n += 1;
	return id;
#endif
}

/* A new record; first_ns is when the socket opened, or 0 for a socket
 * whose opening was not seen (its life is unknown). NULL when the table
 * has no room: the event at hand is not recorded, and counted. */
static __always_inline struct sock_info *sock_info_new(const struct sock *sk, __u64 key,
						       __u64 first_ns)
{
	struct sock_info n = {};

	n.id = new_sock_id();
	n.first_ns = first_ns;
	n.state_ns = first_ns;
	if (bpf_map_update_elem(&socks, &key, &n, BPF_ANY)) {
		count(ST_CNT_SOCK_FULL); /* a full table: no other failure is possible */
		return NULL;
	}
	return bpf_map_lookup_elem(&socks, &key);
}

/* Transitions that open a socket: its life starts there. A socket first
 * seen at any other one opened before socktrace saw it (it is older than
 * the tracer, or the socket table had no room for it then). */
static __always_inline bool opens(int old, int new)
{
	return (old == TCP_CLOSE && (new == TCP_SYN_SENT || new == TCP_LISTEN)) ||
	       new == TCP_SYN_RECV;
}

/* Adds (flags BPF_NOEXIST) or sets (BPF_ANY) a listener's entry. A full
 * table (E2BIG on 6.18; not the same error on every kernel: any failure
 * but EEXIST) is counted where a listener is first found (listen(), the
 * start-up walk), once per listener, not at each accept() that retries. */
static __always_inline void listener_put(const struct listen_key *k, const struct owner *o,
					 __u64 flags, bool count_full)
{
	long err = bpf_map_update_elem(&listeners, k, o, flags);

	if (err && err != -EEXIST && count_full)
		count(ST_CNT_LISTENER_FULL);
}

/* The listener table's entry for the listener a child socket came from
 * (NULL: unknown). */
static __always_inline struct owner *listener_of(const struct sock *sk)
{
	struct listen_key k = listen_key_of(sk);

	return bpf_map_lookup_elem(&listeners, &k);
}

/* The listener table's entry for a socket's owner. */
static __always_inline struct owner listener_entry(const struct sock_info *si,
						   bool wanted_acceptor)
{
	struct owner o = {
		.cgroup_id = si->cgroup_id,
		.pid = si->pid,
		.wanted_acceptor = wanted_acceptor,
		.cgroup_in = si->cgroup_in,
	};

	__builtin_memcpy(o.comm, si->comm, sizeof(o.comm));
	return o;
}

/* Adopt the owner of the listener (listener_of()) a child socket came from. */
static __always_inline void inherit_listener(struct sock_info *si, const struct owner *o)
{
	if (!o)
		return;
	si->pid = o->pid;
	si->cgroup_id = o->cgroup_id;
	si->cgroup_in = o->cgroup_in;
	__builtin_memcpy(si->comm, o->comm, sizeof(si->comm));
	si->owner_known = 1;
	si->owner_verdict = OWNER_UNKNOWN;
	si->from_listener = 1;
}

/* Transitions that only ever run in the socket owner's process context. */
static __always_inline bool runs_in_owner_context(int old, int new)
{
	return (old == TCP_CLOSE && (new == TCP_SYN_SENT || new == TCP_LISTEN)) ||
	       new == TCP_FIN_WAIT1 || new == TCP_LAST_ACK;
}

/* Where the state program reads the socket's TCP fields from. tp_btf hands
 * it the socket as a BTF pointer: plain loads, after bpf_skc_to_tcp_sock()
 * gives the verifier the tcp_sock type. The tracepoint hands it an address:
 * a probe read per field (16 per connection). direct
 * is a constant at every inlined call, so each program keeps one branch. */
#define SK_DIRECT true
#define SK_PROBED false

/* The socket as a tcp_sock to read with TCP_FIELD() (NULL: not one). */
static __always_inline const struct tcp_sock *tcp_sock_of(const struct sock *sk, bool direct)
{
	return direct ? bpf_skc_to_tcp_sock((void *)sk) : (const struct tcp_sock *)sk;
}

#define TCP_FIELD(direct, tp, field) ((direct) ? (tp)->field : BPF_CORE_READ(tp, field))

static __always_inline __u32 srtt_us_of(const struct sock *sk, bool direct)
{
	const struct tcp_sock *tp = tcp_sock_of(sk, direct);

	return tp ? TCP_FIELD(direct, tp, srtt_us) : 0;
}

/* Client: SYN sent to ESTABLISHED. Server: the SYN-ACK round trip the
 * kernel measured when the final ACK arrived (tcp_synack_rtt_meas() runs
 * before the child's SYN_RECV -> ESTABLISHED), not the gap between the
 * child's two transitions. */
static __always_inline void record_handshake(const struct sock *sk, bool direct,
					     struct sock_info *si, int old, __u64 now)
{
	if (old == TCP_SYN_SENT && si->syn_ns) {
		si->handshake_ns = now - si->syn_ns;
		si->has_handshake = 1;
	} else if (old == TCP_SYN_RECV) {
		__u32 srtt_us = srtt_us_of(sk, direct) >> 3;

		if (srtt_us) {
			si->handshake_ns = (__u64)srtt_us * 1000;
			si->has_handshake = 1;
		}
	}
}

/* Under an owner filter, whether a new child socket (SYN_RECV), whose
 * listener's entry is listener (listener_of()), is worth a record:
 * OWNER_UNKNOWN (its accept() decides) if its listener's owner passes, or
 * a process that passes holds or accepted from the listener; otherwise
 * OWNER_UNWANTED. Such a child is its listener's until accept(), so none
 * of its records could pass before then. If a process that passes accepts
 * it after all, handle_accept() starts its record there, with its earlier
 * times unknown, and marks the listener for the next children. Not
 * recording the children of a server the filters exclude is most of what a
 * filter matching nothing saves (docs/benchmarks.md, "Measurements behind the code"). */
static __always_inline __u8 child_verdict(const struct owner *listener)
{
	if (!listener)
		return OWNER_UNWANTED;
	if (listener->wanted_acceptor)
		return OWNER_UNKNOWN;
	return owner_passes(listener->pid, listener->comm, listener->cgroup_in) ? OWNER_UNKNOWN
										: OWNER_UNWANTED;
}

/* Under an owner filter (-p, -c), the verdict on a socket first seen at
 * this transition: OWNER_UNWANTED if it is not worth remembering. A
 * connect(), close() or shutdown() runs in the owner's context, which
 * decides now (OWNER_WANTED or OWNER_UNWANTED); a socket that fails is never
 * looked at again (no entry, no timestamps: what makes a filter that
 * matches nothing cheap). A child (SYN_RECV) is asked child_verdict() with
 * its listener's entry, and a listener is kept for its children
 * (OWNER_UNKNOWN). Any other first sight has no known owner, so nothing of
 * it could pass. */
static __always_inline __u8 first_sight_verdict(const struct owner *listener, int old, int new)
{
	if (new == TCP_SYN_RECV)
		return child_verdict(listener);
	if (new == TCP_LISTEN)
		return OWNER_UNKNOWN;
	return runs_in_owner_context(old, new) && current_passes() ? OWNER_WANTED
								    : OWNER_UNWANTED;
}

/* Whether an owner filter drops this transition before any bookkeeping:
 * a socket with no record that first_sight_verdict() rules out, or one
 * whose final owner fails (it cannot change). The CLOSE of a recorded
 * socket still goes through, which forgets it. *verdict: the current
 * process's verdict when this had to find it (a new socket in its owner's
 * context), so that it is not looked up again; otherwise OWNER_UNKNOWN.
 * listener: a new child's listener entry, as for first_sight_verdict(). */
static __always_inline bool owner_filter_drops(struct sock_info *si, const struct owner *listener,
					       int old, int new, __u8 *verdict)
{
	*verdict = OWNER_UNKNOWN;
	if (!owner_filtered())
		return false;
	if (!si) {
		*verdict = first_sight_verdict(listener, old, new);
		return *verdict == OWNER_UNWANTED;
	}
	return si->owner_final && !owner_wanted(si) && new != TCP_CLOSE;
}

/* close() and tcp_disconnect() set CLOSE first and send their RST after
 * (__tcp_close(), tcp_disconnect()); from these states, with no RST
 * received and no error, the summary waits for tcp_send_reset or, at the
 * latest, tcp_destroy_sock. */
static __always_inline bool summary_may_wait_for_reset(const struct sock_info *si, int old)
{
	if (!close_hooks || si->rst_received || si->close_err)
		return false;
	return old == TCP_ESTABLISHED || old == TCP_CLOSE_WAIT || old == TCP_FIN_WAIT1 ||
	       old == TCP_FIN_WAIT2 || old == TCP_SYN_RECV;
}

/* What a connection's summary takes from its socket at CLOSE. */
struct close_fields {
	__u64 bytes_acked;
	__u64 bytes_received;
	__u64 payload_sent;    /* tcp_sock.bytes_sent: payload, retransmissions included */
	__u64 payload_retrans; /* tcp_sock.bytes_retrans */
	unsigned long sk_flags;
	__u32 snd_una;
	__u32 write_seq;
	__u32 total_retrans;
	int sk_err;
};

static __always_inline void read_close_fields(const struct sock *sk, bool direct,
					      struct close_fields *f)
{
	const struct tcp_sock *tp = tcp_sock_of(sk, direct);

	if (!tp)
		return;
	f->bytes_acked = TCP_FIELD(direct, tp, bytes_acked);
	f->bytes_received = TCP_FIELD(direct, tp, bytes_received);
	f->payload_sent = TCP_FIELD(direct, tp, bytes_sent);
	f->payload_retrans = TCP_FIELD(direct, tp, bytes_retrans);
	f->sk_flags = TCP_FIELD(direct, tp, inet_conn.icsk_inet.sk.__sk_common.skc_flags);
	f->snd_una = TCP_FIELD(direct, tp, snd_una);
	f->write_seq = TCP_FIELD(direct, tp, write_seq);
	f->total_retrans = TCP_FIELD(direct, tp, total_retrans);
	f->sk_err = TCP_FIELD(direct, tp, inet_conn.icsk_inet.sk.sk_err);
}

/* Error, payload bytes and retransmits, read at CLOSE (tcp_disconnect()
 * zeroes them right after). bytes_acked and bytes_received follow snd_una
 * and rcv_nxt, which also count SYN and FIN: take those out. */
static __always_inline void snapshot_counters(const struct sock *sk, bool direct,
					      struct sock_info *si)
{
	struct close_fields f = {};
	__u64 sent, received;

	read_close_fields(sk, direct, &f);
	sent = f.bytes_acked;
	received = f.bytes_received;
	if (si->active_open && si->established && sent)
		sent--; /* our SYN, acked by the SYN-ACK */
	if (si->fin_sent && sent && f.snd_una == f.write_seq)
		sent--; /* our FIN, acked */
	/* Opened before socktrace saw it: whether our SYN is in bytes_acked is
	 * not known from the socket's history, but acked payload cannot exceed
	 * the payload sent once, so a surplus is that SYN. */
	if (!si->open_seen && sent > f.payload_sent - f.payload_retrans)
		sent = f.payload_sent - f.payload_retrans;
	if ((f.sk_flags & (1ul << SOCK_DONE)) && received)
		received--; /* the peer's FIN */
	si->close_err = f.sk_err;
	si->bytes_sent = sent;
	si->bytes_received = received;
	si->retransmits = f.total_retrans;
}

/* What a state says of a socket's past, for one socket first seen in it
 * (one older than the tracer): from ESTABLISHED on it was established, and
 * the closing states tell who sent the first FIN. Never overrides what was
 * seen. */
static __always_inline void learn_from_state(struct sock_info *si, int state)
{
	switch (state) {
	case TCP_ESTABLISHED:
		break;
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSING:
	case TCP_TIME_WAIT:
		si->fin_sent = 1;
		if (!si->closed_by)
			si->closed_by = ST_CLOSED_BY_LOCAL;
		break;
	case TCP_CLOSE_WAIT:
		if (!si->closed_by)
			si->closed_by = ST_CLOSED_BY_REMOTE;
		break;
	case TCP_LAST_ACK:
		si->fin_sent = 1;
		if (!si->closed_by)
			si->closed_by = ST_CLOSED_BY_REMOTE;
		break;
	default:
		return;
	}
	si->established = 1;
}

#endif /* SOCKTRACE_SOCK_STATE_BPF_H */
