// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The hooks' bodies, one per hook, shared by each hook's programs: a state
 * change, a connect, an accept.
 * Part of socktrace.bpf.c's one object: included there, in this order. */
#ifndef SOCKTRACE_HANDLERS_BPF_H
#define SOCKTRACE_HANDLERS_BPF_H

/* The socket's record for a change from old to new, found or made for a
 * socket first seen now (*now: the change's time); NULL when the owner
 * filters drop the change (counted) or the socket table is full. */
static __always_inline struct sock_info *state_sock_info(const struct sock *sk, __u64 key,
							  int old, int new, __u64 *now)
{
	struct sock_info *si = bpf_map_lookup_elem(&socks, &key);
	struct owner *listener = NULL;
	__u8 verdict;

	if (si && si->close_pending) {
		/* Reused after CLOSE (connect() after a disconnect): a new life. */
		finish_pending_close(sk, si, key);
		si = NULL;
	}
	/* A new child: its listener's entry is asked by the owner filters and
	 * gives it its provisional owner; looked up once for both. */
	if (!si && new == TCP_SYN_RECV)
		listener = listener_of(sk);
	if (owner_filter_drops(si, listener, old, new, &verdict)) {
		count(ST_CNT_FILTERED);
		return NULL;
	}
	*now = bpf_ktime_get_ns();
	if (!si) {
		si = sock_info_new(sk, key, opens(old, new) ? *now : 0);
		if (!si)
			return NULL;
		if (new == TCP_SYN_RECV) {
			si->open_seen = 1; /* a passive open */
			inherit_listener(si, listener);
			/* Written once: not a store to a line both CPUs share
			 * (next_sock_id's) for every wanted child. */
			if (!wanted_child_seen && owner_filtered() && owner_wanted(si))
				wanted_child_seen = 1;
		}
	}
	if (!si->owner_known && runs_in_owner_context(old, new)) {
		set_owner_current(si);
		si->owner_verdict = verdict; /* OWNER_UNKNOWN unless just checked */
	}
	return si;
}

/* CLOSE -> SYN_SENT: its record waits for the connect hook, which knows
 * the local port (flush_connect()). */
static __always_inline void note_active_open(struct sock_info *si, __u64 key, __u64 now)
{
	si->active_open = 1;
	si->open_seen = 1;
	si->connect_pending = 1;
	si->syn_ns = now;
	si->state_ns = now;
	si->time_known = 1;
	if (connect_via_syscall) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();

		bpf_map_update_elem(&connecting, &tid, &key, BPF_ANY);
	}
}

/* What entering new says about the connection: established, who closed. */
static __always_inline void note_new_state(const struct sock *sk, bool direct,
					   struct sock_info *si, int old, int new, __u64 now)
{
	if (new == TCP_ESTABLISHED) {
		si->established = 1;
		record_handshake(sk, direct, si, old, now);
	} else if (new == TCP_FIN_WAIT1 || new == TCP_LAST_ACK) {
		si->fin_sent = 1;
		if (!si->closed_by)
			si->closed_by = ST_CLOSED_BY_LOCAL;
	} else if (new == TCP_CLOSE_WAIT && !si->closed_by) {
		si->closed_by = ST_CLOSED_BY_REMOTE;
	}
}

/* After the state record: a listener is remembered or forgotten; at CLOSE
 * the summary is made, or waits for a reset (summary_may_wait_for_reset()). */
static __always_inline void after_state(const struct sock *sk, bool direct, struct sock_info *si,
					__u64 key, int old, int new, __u64 now)
{
	if (new == TCP_LISTEN) {
		struct listen_key k = listen_key_of(sk);
		struct owner o = listener_entry(si, false);

		listener_put(&k, &o, BPF_ANY, true);
		return;
	}
	if (new != TCP_CLOSE)
		return;
	if (old == TCP_LISTEN) {
		struct listen_key k = listen_key_of(sk);

		bpf_map_delete_elem(&listeners, &k);
	}
	si->close_ns = now;
	si->close_old = old;
	si->close_pending = 1;
	if (!owner_wanted(si)) {
		/* Its summary will be filtered out: read nothing more. */
		finish_pending_close(sk, si, key);
		return;
	}
	snapshot_counters(sk, direct, si);
	if (!summary_may_wait_for_reset(si, old))
		finish_pending_close(sk, si, key);
}

static __always_inline void handle_state(const struct sock *sk, bool direct, int old, int new)
{
	__u64 key = (__u64)sk, now = 0, in_state;
	struct sock_info *si;
	bool time_known;

	/* tcp_close() after shutdown(SHUT_WR) sets FIN_WAIT1 again: no change. */
	if (old == new)
		return;
	si = state_sock_info(sk, key, old, new, &now);
	if (!si)
		return;
	learn_from_state(si, old);
	if (!si->first_ns && opens(old, new))
		si->first_ns = now; /* found unconnected by the start-up walk */
	if (old == TCP_CLOSE && new == TCP_SYN_SENT) {
		note_active_open(si, key, now);
		return;
	}
	flush_connect(sk, si);
	note_new_state(sk, direct, si, old, new, now);

	time_known = si->time_known;
	in_state = time_known ? now - si->state_ns : 0;
	emit(sk, si, ST_EV_STATE, old, new, now, in_state, time_known);
	si->state_ns = now;
	si->time_known = 1;
	after_state(sk, direct, si, key, old, new, now);
}

static __always_inline void handle_connect(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct sock_info *si = bpf_map_lookup_elem(&socks, &key);

	if (si)
		flush_connect(sk, si);
}

/* Adds a listener the table does not know; of one it knows, only that a
 * process the owner filters want holds it or accepted from it. */
static __always_inline void listener_learn(const struct listen_key *k, const struct owner *o,
					   bool count_full)
{
	struct owner *known = bpf_map_lookup_elem(&listeners, k);

	if (!known)
		listener_put(k, o, BPF_NOEXIST, count_full);
	else if (o->wanted_acceptor)
		known->wanted_acceptor = 1;
}

/* accept() returned sk to the current task: it is the owner from now on.
 * verdict: the current task's, from accept_matters(). */
static __always_inline void handle_accept(const struct sock *sk, __u8 verdict)
{
	__u64 key = (__u64)sk;
	struct sock_info *si;
	struct listen_key k;
	struct owner o;
	bool learn;

	if (!sk || sk_protocol_of(sk) != IPPROTO_TCP)
		return;
	si = bpf_map_lookup_elem(&socks, &key);
	if (!si) {
		/* Not recorded since SYN_RECV: it was queued before the tracer
		 * started, or child_verdict() left it out. Its life before now
		 * is unknown (first_ns 0). An acceptor that fails the owner
		 * filters would show nothing of it. */
		if (verdict == OWNER_UNWANTED)
			return;
		si = sock_info_new(sk, key, 0);
		if (!si)
			return;
		si->established = 1; /* accept() returns connections only */
		si->open_seen = 1;   /* ... passively opened ones */
	}
	learn = !si->from_listener;
	set_owner_current(si);
	si->owner_verdict = verdict;
	emit(sk, si, ST_EV_ACCEPT, 0, 0, bpf_ktime_get_ns(), 0, false);

	/* Teach the listener table who serves this port, for listeners that
	 * existed before the tracer started and the seed walk missed (never
	 * overriding listen()), and that an acceptor the filters want takes
	 * its children. Not needed when the child found its listener. */
	if (!learn)
		return;
	k = listen_key_of(sk);
	o = listener_entry(si, verdict == OWNER_WANTED);
	listener_learn(&k, &o, false);
}

#endif /* SOCKTRACE_HANDLERS_BPF_H */
