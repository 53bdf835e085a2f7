// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Making a record and handing it to user space: the three transports'
 * reserve() and submit(), and the state, connect and close records.
 * Part of socktrace.bpf.c's one object: included there, in this order. */
#ifndef SOCKTRACE_EMIT_BPF_H
#define SOCKTRACE_EMIT_BPF_H

/* Records go to a ring of this CPU's own (ring_slots, ring_pos) instead of
 * a BPF ring buffer, which serialises every CPU's reservations under one
 * spinlock with interrupts off, which costs each record more
 * (docs/benchmarks.md, "Measurements behind the code"). Here a CPU's head is
 * only ever raised by that CPU, so the only shared write is the sequence
 * number that orders records across CPUs (next_seq). A program that
 * interrupts another on the same CPU (a softirq's) reserves after it by the
 * atomic add on head; both commit on their own. Reading back and ordering
 * is src/events/percpu_rings.c's. */
__u64 next_seq = 0;

/* Slots left free beyond those checked: reservations on the same CPU that
 * interrupt one between its check and its add (process context, softirq). */
#define RING_NEST_ROOM 4

/* Wake the reader when a CPU's waiting slots reach a multiple of an eighth
 * of its ring; otherwise it drains the rings on its own timer
 * (src/tracer.c, every 50 ms). One wakeup per event is most of what a
 * tracer costs the traced host. */
#define RING_WAKE_SHIFT 3

struct slot_ref {
	__u32 commit; /* its CPU's position + 1, written last */
	__u32 wake;   /* the reader should be woken */
};

#ifndef ST_COMPAT
/* Zeroed slot for a record of size bytes (a constant once inlined), or NULL
 * after counting the loss. */
static __always_inline void *reserve(__u64 size, struct slot_ref *ref)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct st_ring_pos *rp = bpf_map_lookup_elem(&ring_pos, &cpu);
	__u64 slots = 1ull << ring_shift, tail, pos;
	struct st_event *e;
	__u32 idx;

	if (!rp)
		return NULL;
	tail = *(volatile __u64 *)&rp->tail;
	if (*(volatile __u64 *)&rp->head - tail >= slots - RING_NEST_ROOM) {
		count(ST_CNT_LOST);
		return NULL;
	}
	pos = __sync_fetch_and_add(&rp->head, 1);
	idx = (cpu << ring_shift) | (__u32)(pos & (slots - 1));
	e = bpf_map_lookup_elem(&ring_slots, &idx);
	if (!e)
		return NULL;
	__builtin_memset(e, 0, size);
	e->seq = (__u32)__sync_fetch_and_add(&next_seq, 1);
	ref->commit = (__u32)(pos + 1);
	ref->wake = ((pos + 1 - tail) & ((slots >> RING_WAKE_SHIFT) - 1)) == 0;
	return e;
}

/* Publishes the record: the reader takes a slot once its commit word says
 * it is this lap's. The exchange orders the record's stores before it. */
static __always_inline void submit(void *p, const struct slot_ref *ref)
{
	struct st_event *e = p;
	__u32 cpu;

	__sync_lock_test_and_set(&e->commit, ref->commit);
	count(ST_CNT_EMITTED);
	if (ref->wake) {
		cpu = bpf_get_smp_processor_id();
		bpf_ringbuf_output(&doorbell, &cpu, sizeof(cpu), BPF_RB_FORCE_WAKEUP);
	}
}

#elif defined(ST_PERFBUF)
/* The perf buffer object: a record is made in this CPU's stage, at the
 * level of the program running, and sent when that program ends
 * (STAGED()). */

static __always_inline void *reserve(__u64 size, struct slot_ref *ref)
{
	__u32 zero = 0, d, n;
	struct stage *st = bpf_map_lookup_elem(&stage, &zero);
	void *e;

	if (!st)
		return NULL;
	d = st->depth - 1;
	if (d >= STAGE_DEPTH) {
		count(ST_CNT_LOST);
		return NULL;
	}
	d &= STAGE_DEPTH - 1;
	n = st->n[d];
	if (n >= STAGE_RECS) {
		count(ST_CNT_LOST);
		return NULL;
	}
	n &= STAGE_RECS - 1;
	st->n[d] = n + 1;
	e = &st->rec[d][n];
	__builtin_memset(e, 0, size);
	ref->commit = 0;
	ref->wake = 0;
	return e;
}

static __always_inline void submit(void *p, const struct slot_ref *ref)
{
	(void)p, (void)ref; /* sent by stage_leave() */
}

/* A program begins making records: its level of the stage. */
static __always_inline __u32 stage_enter(void)
{
	__u32 zero = 0, d;
	struct stage *st = bpf_map_lookup_elem(&stage, &zero);

	if (!st)
		return STAGE_DEPTH;
	/* A program interrupting this one between the read and the write
	 * puts depth back as it found it before this one goes on. */
	d = st->depth;
	st->depth = d + 1;
	if (d < STAGE_DEPTH)
		st->n[d & (STAGE_DEPTH - 1)] = 0;
	return d;
}

/* The program ends: its records go to this CPU's perf buffer, each
 * stamped with the time it was sent (st_event.commit and seq hold its
 * halves), by which the reader puts the CPUs' records back in order. */
static __always_inline void stage_leave(void *ctx, __u32 d)
{
	__u32 zero = 0, n;
	struct stage *st = bpf_map_lookup_elem(&stage, &zero);
	struct st_close *c;
	__u64 now;
	long err;

	if (!st)
		return;
	if (d >= STAGE_DEPTH) {
		st->depth = d;
		return;
	}
	d &= STAGE_DEPTH - 1;
	n = st->n[d];
	now = bpf_ktime_get_ns();
#pragma unroll
	for (__u32 i = 0; i < STAGE_RECS; i++) {
		if (i >= n)
			continue;
		c = &st->rec[d][i];
		c->ev.commit = (__u32)(now >> 32);
		c->ev.seq = (__u32)now;
		if (c->ev.type == ST_EV_CLOSE)
			err = bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, c,
						    sizeof(*c));
		else
			err = bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, c,
						    sizeof(c->ev));
		count(err ? ST_CNT_LOST : ST_CNT_EMITTED);
	}
	st->n[d] = 0;
	st->depth = d;
}

/* Runs stmt, then sends the records it made. */
#define STAGED(ctx, stmt)                                                                  \
	do {                                                                               \
		__u32 level_ = stage_enter();                                              \
		stmt;                                                                      \
		stage_leave(ctx, level_);                                                  \
	} while (0)

#else
/* The ring buffer object: one BPF ring buffer for all CPUs, which keeps
 * the order of reservation. The reader is woken only once events_wake_bytes
 * wait, and otherwise drains it on its timer, as with the rings. */

static __always_inline void *reserve(__u64 size, struct slot_ref *ref)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e) {
		count(ST_CNT_LOST);
		return NULL;
	}
	__builtin_memset(e, 0, size);
	ref->commit = 0;
	ref->wake = 0;
	return e;
}

static __always_inline void submit(void *p, const struct slot_ref *ref)
{
	__u64 waiting = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	(void)ref;
	count(ST_CNT_EMITTED);
	bpf_ringbuf_submit(p, waiting >= events_wake_bytes ? BPF_RB_FORCE_WAKEUP
							 : BPF_RB_NO_WAKEUP);
}
#endif

#ifndef STAGED
/* Records are sent as they are made. */
#define STAGED(ctx, stmt)                                                                  \
	do {                                                                               \
		stmt;                                                                      \
	} while (0)
#endif

static __always_inline void fill(struct st_event *e, const struct sock_info *si,
				 const struct endpoint *ep, __u8 type,
				 __u8 old_state, __u8 new_state, __u64 ts, __u64 in_state_ns,
				 bool time_known)
{
	e->type = type;
	e->old_state = old_state;
	e->new_state = new_state;
	e->ts_ns = ts;
	e->sock_id = si->id;
	e->in_state_ns = in_state_ns;
	if (si->owner_known) {
		e->flags |= ST_F_OWNER_KNOWN;
		e->pid = si->pid;
		e->cgroup_id = si->cgroup_id;
		__builtin_memcpy(e->comm, si->comm, sizeof(e->comm));
	}
	if (time_known)
		e->flags |= ST_F_TIME_KNOWN;
	e->family = ep->family;
	e->lport = ep->lport;
	e->rport = ep->rport;
	e->netns = ep->netns;
	__builtin_memcpy(e->laddr, ep->laddr, sizeof(e->laddr));
	__builtin_memcpy(e->raddr, ep->raddr, sizeof(e->raddr));
}

/* What a record is about and says: more than the five arguments a BPF
 * function call can carry, so passed by pointer. */
struct emit_args {
	__u64 sk; /* the socket's address */
	__u64 ts;
	__u64 in_state_ns;
	__u8 type;
	__u8 old_state;
	__u8 new_state;
	__u8 time_known;
};

/* emit_record() and emit_close() are global functions: the verifier checks
 * each once on its own instead of again at every call site along every
 * path of its callers, a large share of every start-up's verifier time
 * (docs/benchmarks.md, "Measurements behind the code"). A global
 * function's pointer arguments arrive as possibly NULL memory. The socket's
 * address is passed inside that memory, so it arrives as a plain number (a
 * typed pointer cannot be passed to a global function); it is only read
 * through bpf_probe_read_kernel (BPF_CORE_READ), which takes any address. */
ST_SHARED int emit_record(struct sock_info *si, const struct emit_args *a)
{
	struct endpoint ep = {};
	struct slot_ref ref;
	struct st_event *e;

	if (!si || !a)
		return 0;
	if (filtered_out(si, a->sk, &ep))
		return 0;
	e = reserve(sizeof(*e), &ref);
	if (!e)
		return 0;
	fill(e, si, &ep, a->type, a->old_state, a->new_state, a->ts, a->in_state_ns,
	     a->time_known);
	submit(e, &ref);
	return 0;
}

static __always_inline void emit(const struct sock *sk, struct sock_info *si, __u8 type,
				 __u8 old_state, __u8 new_state, __u64 ts, __u64 in_state_ns,
				 bool time_known)
{
	struct emit_args a = {
		.sk = (__u64)sk,
		.ts = ts,
		.in_state_ns = in_state_ns,
		.type = type,
		.old_state = old_state,
		.new_state = new_state,
		.time_known = time_known,
	};

	emit_record(si, &a);
}

static __always_inline __u8 close_cause(const struct sock_info *si)
{
	if (si->close_old == TCP_LISTEN)
		return ST_CAUSE_LISTENER_CLOSED;
	if (si->close_err == ECONNREFUSED || (si->rst_received && si->close_old == TCP_SYN_SENT))
		return ST_CAUSE_REFUSED;
	if (si->close_err == ETIMEDOUT)
		return ST_CAUSE_TIMEOUT;
	if (si->rst_received)
		return ST_CAUSE_RST_RECEIVED;
	if (si->rst_sent)
		return ST_CAUSE_RST_SENT;
	if (si->established && si->closed_by)
		return ST_CAUSE_FIN;
	return ST_CAUSE_ABORTED;
}

/* The connection's summary, with the kernel's own counters of it. A global
 * function, like emit_record(); key is the socket's address (its socks
 * map key). */
ST_SHARED int emit_close(struct sock_info *si, const __u64 *key)
{
	struct endpoint ep = {};
	struct slot_ref ref;
	struct st_close *c;

	if (!si || !key)
		return 0;
	if (filtered_out(si, *key, &ep))
		return 0;
	c = reserve(sizeof(*c), &ref);
	if (!c)
		return 0;
	fill(&c->ev, si, &ep, ST_EV_CLOSE, si->close_old, TCP_CLOSE, si->close_ns,
	     si->first_ns ? si->close_ns - si->first_ns : 0, si->first_ns != 0);
	if (si->has_handshake) {
		c->ev.flags |= ST_F_HANDSHAKE;
		c->handshake_ns = si->handshake_ns;
	}
	c->bytes_sent = si->bytes_sent;
	c->bytes_received = si->bytes_received;
	c->retransmits = si->retransmits;
	c->cause = close_cause(si);
	c->closed_by = si->closed_by;
	submit(c, &ref);
	return 0;
}

/* Emits a summary held at CLOSE and forgets the socket. */
static __always_inline void finish_pending_close(const struct sock *sk, struct sock_info *si,
						 __u64 key)
{
	if (!si->close_pending)
		return;
	emit_close(si, &key);
	bpf_map_delete_elem(&socks, &key);
}

/* A connect's SYN_SENT transition is held until the local port is known
 * (tcp_v4_connect() sets SYN_SENT before it picks the port), then reported
 * as CONNECT followed by CLOSE -> SYN_SENT, both with the real port. */
static __always_inline void flush_connect(const struct sock *sk, struct sock_info *si)
{
	if (!si->connect_pending)
		return;
	si->connect_pending = 0;
	emit(sk, si, ST_EV_CONNECT, 0, 0, si->syn_ns, 0, false);
	emit(sk, si, ST_EV_STATE, TCP_CLOSE, TCP_SYN_SENT, si->syn_ns, 0, false);
}

#endif /* SOCKTRACE_EMIT_BPF_H */
