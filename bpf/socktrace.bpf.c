// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* socktrace kernel side: TCP socket lifecycle.
 *
 * Three hooks, each with one __always_inline body and thin entry programs,
 * one per attach method; user space (src/plan.c) autoloads exactly one
 * method per hook:
 *   state   (every TCP state change):  tp_btf | tracepoint
 *   connect (active open, port known): fentry | kprobe | sys_exit_connect
 *   accept  (passive open, acceptor):  fexit  | kretprobe | sys_exit_accept[4]
 *   close   (why it ended):            tp_btf | tracepoint  (tcp_send_reset,
 *                                      tcp_receive_reset, tcp_destroy_sock)
 *   seed    (sockets open at start):   iter/task_file
 *
 * Three objects are built from this file (Makefile). The rings object
 * carries records in rings of one per CPU (ring_slots), which take atomic
 * fetch-add and exchange instructions, and verifies its shared functions
 * once each as global functions: both need 5.12 or later. The ring buffer
 * object (ST_COMPAT, built with -mcpu=v2) has neither: records go to a BPF
 * ring buffer (5.8), socket ids come from per-CPU counters, and the shared
 * functions are inlined. The perf buffer object (ST_COMPAT and ST_PERFBUF)
 * is the ring buffer object with records sent through the perf event
 * buffer of each CPU (perf_events), which every kernel with BPF
 * tracepoints has. All declare the same maps and globals, so user space
 * drives any through one skeleton (src/tracer.c loads the first that this
 * kernel's verifier accepts).
 *
 * Per-socket state lives in the kernel (socks map): a run-local id, the
 * owner process, and timestamps. Ownership is decided where it is known
 * (connect()/listen()/accept() run in the owner's context) and carried to
 * transitions that run in softirq, where "current" is unrelated.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "socktrace.h"
#include "core_fixes.bpf.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define EEXIST 17 /* BPF_NOEXIST: the key is there */
#define ETIMEDOUT 110
#define ECONNREFUSED 111
#define SOCK_DONE 1 /* enum sock_flags: set by tcp_fin(), the peer's FIN arrived */

/* Functions the programs share: global ones, verified once each, need
 * 5.12's verifier (older ones refuse a global function that takes
 * pointers); the ring buffer object inlines them. */
#ifdef ST_COMPAT
#define ST_SHARED static __always_inline
#else
#define ST_SHARED __noinline
#endif

/* Set by user space before load. */
const volatile bool connect_via_syscall = false; /* connect hook is sys_exit_connect */
const volatile bool close_hooks = false;         /* the close hook is attached */

/* Filters (src/kfilter.c): AND across kinds, OR within a set. */
const volatile bool filter_pid = false;     /* owner tgid in filter_pids */
const volatile bool filter_port = false;    /* either port in port_sets[ST_PORTS_ANY] */
const volatile bool filter_lport = false;   /* local port in port_sets[ST_PORTS_LOCAL] */
const volatile bool filter_rport = false;   /* remote port in port_sets[ST_PORTS_REMOTE] */
const volatile __u8 filter_family = 0;      /* ST_AF_INET or ST_AF_INET6; 0: both */
const volatile bool filter_comm = false;
const volatile char filter_comm_name[ST_COMM_LEN] = {};

/* Where: what every record carries. */
struct endpoint {
	__u8 laddr[16]; /* IPv4: first 4 bytes */
	__u8 raddr[16];
	__u16 lport;
	__u16 rport;
	__u8 family;    /* ST_AF_*, as records carry it */
	__u8 valid;     /* in sock_info: read, and final */
};

struct sock_info {
	struct endpoint ep; /* cached once final, see endpoint_of() */
	__u64 id;
	__u64 first_ns;  /* when it opened (opens()); 0: its open was not seen */
	__u64 state_ns;  /* when the current state was entered */
	__u64 syn_ns;    /* when CLOSE -> SYN_SENT happened */
	__u64 handshake_ns;
	__u64 close_ns;  /* when it reached CLOSE */
	__u64 bytes_sent;     /* payload figures, snapshotted at CLOSE */
	__u64 bytes_received;
	__u32 retransmits;
	__u32 pid;
	__s32 close_err; /* sk_err when it reached CLOSE */
	__u8 owner_known;
	__u8 connect_pending; /* SYN_SENT seen, local port not yet reported */
	__u8 time_known;      /* state_ns is a real transition time */
	__u8 has_handshake;
	__u8 established;     /* reached ESTABLISHED */
	__u8 closed_by;       /* ST_CLOSED_BY_* */
	__u8 rst_sent;
	__u8 rst_received;
	__u8 close_pending;   /* at CLOSE, summary waits for a reset or destroy */
	__u8 close_old;       /* state before CLOSE */
	__u8 active_open;     /* went CLOSE -> SYN_SENT */
	__u8 fin_sent;        /* entered FIN_WAIT1 or LAST_ACK */
	__u8 open_seen;       /* its SYN_SENT or SYN_RECV was seen: active_open is known */
	__u8 owner_verdict;   /* OWNER_*: the owner filters' answer, cached */
	__u8 from_listener;   /* owner inherited from a known listener */
	__u8 owner_final;     /* owner seen in its own context: no accept() to come */
	char comm[ST_COMM_LEN];
};

/* sock_info.owner_verdict; whoever sets the owner resets it to UNKNOWN. */
#define OWNER_UNKNOWN 0
#define OWNER_WANTED 1
#define OWNER_UNWANTED 2

struct listen_key {
	__u32 netns;
	__u16 port;
	__u16 pad;
};

struct owner {
	__u32 pid;
	char comm[ST_COMM_LEN];
	/* Under owner filters (-p, -c): a process that passes holds this
	 * listener (start-up walk) or accepted from it, so its children are
	 * recorded even when pid fails (see child_verdict()). */
	__u8 wanted_acceptor;
	__u8 pad[3];
};

/* One ring of record slots per CPU (src/pring.c reads them): CPU c's
 * slots are entries c << ring_shift onwards. User space sizes both maps
 * before load. */
const volatile __u32 ring_shift = 14;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct st_close); /* ST_SLOT_SIZE */
} ring_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct st_ring_pos);
} ring_pos SEC(".maps");

/* The ring buffer object's records (ST_COMPAT); user space sizes it. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

/* The ring buffer object's socket ids: per CPU, no atomics (see
 * new_sock_id()). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} id_next SEC(".maps");

/* Possible CPUs, for the ring buffer object's ids; set before load. */
const volatile __u32 id_cpus = 1;
/* Bytes waiting in events that wake the reader; set before load. */
const volatile __u64 events_wake_bytes = 4096;

/* The perf buffer object's records (ST_PERFBUF): one perf event buffer
 * per CPU, which user space opens and maps (src/events.c). */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf_events SEC(".maps");

/* The perf buffer object's records wait here until the program that made
 * them ends: bpf_perf_event_output() needs the program's context, which
 * the code making records does not have. One level per program running on
 * the CPU at once (a softirq's interrupting a process's), each with room
 * for what one run makes (a state change makes at most three). */
#define STAGE_DEPTH 4
#define STAGE_RECS 4

struct stage {
	__u32 depth;              /* programs of this CPU inside STAGED() */
	__u32 n[STAGE_DEPTH];     /* records waiting at each level */
	struct st_close rec[STAGE_DEPTH][STAGE_RECS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stage);
} stage SEC(".maps");

/* Carries nothing but wakeups of the reader (see reserve()). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} doorbell SEC(".maps");

/* The socket and listener tables are plain hash maps, not LRU ones: an LRU
 * map makes room by evicting a live socket, silently, and that socket's
 * later records would start a new id with invented values. A full table
 * refuses the new entry instead, which is counted (ST_CNT_SOCK_FULL,
 * ST_CNT_LISTENER_FULL) and reported. Entries leave when their socket
 * closes or is destroyed. User space sizes both before load (--max-sockets,
 * --max-listeners, src/tables.c). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* struct sock *, never leaves the kernel */
	__type(value, struct sock_info);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct listen_key);
	__type(value, struct owner);
} listeners SEC(".maps");

/* tid -> socket in SYN_SENT, for the sys_exit_connect fallback only. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} connecting SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ST_MAX_PIDS);
	__type(key, __u32);
	__type(value, __u8);
} filter_pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ST_PORTS_SETS);
	__type(key, __u32);
	__type(value, struct st_port_set);
} port_sets SEC(".maps");

/* ST_CNT_* counters, per CPU; user space sums them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ST_CNT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

__u64 next_sock_id = 0;

/* Under an owner filter (-p, -c): set, and never cleared, once a child
 * socket's provisional owner (its listener's) passed. Until then an
 * accept() by a process that fails the filters changes nothing shown (see
 * accept_matters()). */
__u8 wanted_child_seen = 0;

/* Adds one to a counter of this CPU. */
static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	if (c)
		*c += 1;
}

/* Only called where the kernel runs in the owner's context (connect(),
 * listen(), close(), accept()), so the owner is final. */
static __always_inline void set_owner_current(struct sock_info *si)
{
	si->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(si->comm, sizeof(si->comm));
	si->owner_known = 1;
	si->owner_final = 1;
	si->owner_verdict = OWNER_UNKNOWN;
}

/* The local port. Not skc_num: tcp_set_state(CLOSE) releases the port
 * (inet_put_port() zeroes inet_num) before the tracepoint fires, while
 * inet_sport keeps it. */
static __always_inline __u16 local_port_of(const struct sock *sk)
{
	return bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
}

static __always_inline struct listen_key listen_key_of(const struct sock *sk)
{
	struct listen_key k = {
		.netns = sk_netns_of(sk),
		.port = local_port_of(sk),
	};
	return k;
}

static __always_inline bool port_in(__u32 set, __u16 port)
{
	struct st_port_set *ps = bpf_map_lookup_elem(&port_sets, &set);

	return ps && (ps->bits[port >> 6] & (1ull << (port & 63)));
}

static __always_inline bool comm_matches(const char *comm)
{
	for (int i = 0; i < ST_COMM_LEN; i++) {
		if (comm[i] != filter_comm_name[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

static __always_inline bool owner_filtered(void)
{
	return filter_pid || filter_comm;
}

/* Whether a process passes the owner filters (-p, -c). pid is a copy on
 * the stack: a map key must be there or in a map before 6.2 (a sock_info
 * is a global function's argument memory, which 6.1 refuses as a key). */
static __always_inline bool owner_passes(__u32 pid, const char *comm)
{
	if (filter_pid && !bpf_map_lookup_elem(&filter_pids, &pid))
		return false;
	if (filter_comm && !comm_matches(comm))
		return false;
	return true;
}

/* Whether the socket's owner passes the user's filters: decided first,
 * before anything of the socket is read, and remembered until the owner
 * changes (a socket has about ten events). */
static __always_inline bool owner_wanted(struct sock_info *si)
{
	if (!owner_filtered())
		return true;
	if (si->owner_verdict == OWNER_UNKNOWN)
		si->owner_verdict = si->owner_known && owner_passes(si->pid, si->comm)
					    ? OWNER_WANTED
					    : OWNER_UNWANTED;
	return si->owner_verdict == OWNER_WANTED;
}

/* Whether the current process passes the owner filters. */
static __always_inline bool current_passes(void)
{
	char comm[ST_COMM_LEN] = {};

	if (filter_comm)
		bpf_get_current_comm(comm, sizeof(comm));
	return owner_passes(bpf_get_current_pid_tgid() >> 32, comm);
}

/* Whether an accept() by the current process can change what is shown.
 * *verdict: the current process's, when the filters were asked (kept in
 * the child by handle_accept(), so they are not asked again), else
 * OWNER_UNKNOWN. Without owner filters it always does: it names the
 * socket's owner. Under them, an accepter that fails makes the child
 * unwanted for good; that only differs from what the child shows anyway
 * (its listener's owner until accept(), or nobody: unwanted) if that owner
 * passed. So while no child's did, an accept() by a process that fails is
 * not looked at: no fd table walk, no socket lookup. With a filter
 * matching nothing, the accept program went from 850 to 160 ns a run, and
 * all programs from 3.6 to 3.0 us a connection. The price: such a child's
 * owner is never final, so its later transitions are not dropped before
 * the bookkeeping (the state program's runs cost about 7 ns more on
 * average). */
static __always_inline bool accept_matters(__u8 *verdict)
{
	*verdict = OWNER_UNKNOWN;
	if (!owner_filtered())
		return true;
	*verdict = current_passes() ? OWNER_WANTED : OWNER_UNWANTED;
	return *verdict == OWNER_WANTED || wanted_child_seen;
}

/* Whether its endpoint passes; decided before ring buffer space is taken. */
static __always_inline bool endpoint_wanted(__u8 family, __u16 lport, __u16 rport)
{
	if (filter_family && family != filter_family)
		return false;
	if (filter_port && !port_in(ST_PORTS_ANY, lport) && !port_in(ST_PORTS_ANY, rport))
		return false;
	if (filter_lport && !port_in(ST_PORTS_LOCAL, lport))
		return false;
	if (filter_rport && !port_in(ST_PORTS_REMOTE, rport))
		return false;
	return true;
}

/* The socket's endpoints as records carry them. Read from the socket until
 * both ports are known, then kept in sock_info: five kernel reads saved on
 * each of its later records. Not sooner: a child socket enters SYN_RECV
 * while still a copy of its listener, before inet_csk_clone_lock() and
 * tcp_v4_syn_recv_sock() give it the peer's port and addresses (6.1). Nothing
 * changes them afterwards: a socket reused after CLOSE starts a new sock_info. */
static __always_inline void endpoint_of(const struct sock *sk, struct sock_info *si,
					struct endpoint *ep)
{
	__u16 family;

	if (si->ep.valid) {
		*ep = si->ep;
		return;
	}
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	ep->lport = local_port_of(sk);
	ep->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	ep->family = family == AF_INET6 ? ST_AF_INET6 : ST_AF_INET;
	if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&ep->laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&ep->raddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		__builtin_memset(ep->laddr, 0, sizeof(ep->laddr));
		__builtin_memset(ep->raddr, 0, sizeof(ep->raddr));
		BPF_CORE_READ_INTO((__u32 *)ep->laddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)ep->raddr, sk, __sk_common.skc_daddr);
	}
	ep->valid = ep->lport != 0 && ep->rport != 0;
	if (ep->valid)
		si->ep = *ep;
}

/* The user's filters, owner first (no socket reads for a pid or comm
 * filter); fills *ep when the socket passes, and returns 1 if it was
 * filtered out (counted). A global function like emit_record() below, and
 * called by it and emit_close(): a program that has both (the state
 * program) has it verified once, not twice (with it, the verifier's time for
 * all programs went from 7.9 to 5.7 ms here). The socket is its address, as
 * for them. */
ST_SHARED int filtered_out(struct sock_info *si, __u64 sk_addr, struct endpoint *ep)
{
	if (!si || !ep)
		return 1;
	if (owner_wanted(si)) {
		endpoint_of((const struct sock *)sk_addr, si, ep);
		if (endpoint_wanted(ep->family, ep->lport, ep->rport))
			return 0;
	}
	count(ST_CNT_FILTERED);
	return 1;
}

/* Records go to a ring of this CPU's own (ring_slots, ring_pos) instead of
 * a BPF ring buffer, which serialises every CPU's reservations under one
 * spinlock with interrupts off. On this project's VM a program making one
 * record a run (the floor tracer) cost 219-427 ns with the BPF ring buffer
 * and 146-209 ns with a slot of a ring per CPU; socktrace's programs took
 * 0.3-2.2 us less a connection (docs/benchmarks.md). Here a CPU's head is
 * only ever raised by that CPU, so the only shared write is the sequence
 * number that orders records across CPUs (next_seq). A program that
 * interrupts another on the same CPU (a softirq's) reserves after it by the
 * atomic add on head; both commit on their own. Reading back and ordering
 * is src/pring.c's. */
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
		__builtin_memcpy(e->comm, si->comm, sizeof(e->comm));
	}
	if (time_known)
		e->flags |= ST_F_TIME_KNOWN;
	e->family = ep->family;
	e->lport = ep->lport;
	e->rport = ep->rport;
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
 * path of its callers (the state program went from 28,104 instructions
 * processed in 21 ms at every start-up to 3,914 in 3.6 ms). A global
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
	struct owner o = { .pid = si->pid, .wanted_acceptor = wanted_acceptor };

	__builtin_memcpy(o.comm, si->comm, sizeof(o.comm));
	return o;
}

/* Adopt the owner of the listener (listener_of()) a child socket came from. */
static __always_inline void inherit_listener(struct sock_info *si, const struct owner *o)
{
	if (!o)
		return;
	si->pid = o->pid;
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
 * a probe read per field (about 20 ns each here; 16 per connection). direct
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
 * filter matching nothing saves: under make bench's load the state program
 * went from 260-293 to 163-167 ns a run (tests/bench/progcost.sh, -p
 * IDLE_PID). */
static __always_inline __u8 child_verdict(const struct owner *listener)
{
	if (!listener)
		return OWNER_UNWANTED;
	if (listener->wanted_acceptor)
		return OWNER_UNKNOWN;
	return owner_passes(listener->pid, listener->comm) ? OWNER_UNKNOWN : OWNER_UNWANTED;
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

static __always_inline void handle_state(const struct sock *sk, bool direct, int old, int new)
{
	__u64 key = (__u64)sk;
	__u64 now;
	struct sock_info *si;
	struct owner *listener = NULL;
	bool time_known;
	__u64 in_state;
	__u8 verdict;

	/* tcp_close() after shutdown(SHUT_WR) sets FIN_WAIT1 again: no change. */
	if (old == new)
		return;
	si = bpf_map_lookup_elem(&socks, &key);
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
		return;
	}
	now = bpf_ktime_get_ns();
	if (!si) {
		si = sock_info_new(sk, key, opens(old, new) ? now : 0);
		if (!si)
			return;
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

	learn_from_state(si, old);
	if (!si->first_ns && opens(old, new))
		si->first_ns = now; /* found unconnected by the start-up walk */
	if (old == TCP_CLOSE && new == TCP_SYN_SENT) {
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
		return;
	}
	flush_connect(sk, si);

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

	time_known = si->time_known;
	in_state = time_known ? now - si->state_ns : 0;
	emit(sk, si, ST_EV_STATE, old, new, now, in_state, time_known);
	si->state_ns = now;
	si->time_known = 1;

	if (new == TCP_LISTEN) {
		struct listen_key k = listen_key_of(sk);
		struct owner o = listener_entry(si, false);

		listener_put(&k, &o, BPF_ANY, true);
	} else if (new == TCP_CLOSE) {
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

/* ---- state hook ---- */

/* Sections named st.tp_btf/, st.fentry/, st.fexit/ and st.iter/ are
 * socktrace's own (src/tracing_secs.h): loaded as the tracing programs they
 * are, against target ids found without libbpf reading the kernel BTF. */

SEC("st.tp_btf/inet_sock_set_state")
int BPF_PROG(state_btf, const struct sock *sk, const int old, const int new)
{
	if (sk_protocol_direct(sk) == IPPROTO_TCP)
		STAGED(ctx, handle_state(sk, SK_DIRECT, old, new));
	return 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol == IPPROTO_TCP)
		STAGED(ctx, handle_state((const struct sock *)ctx->skaddr, SK_PROBED,
					 ctx->oldstate, ctx->newstate));
	return 0;
}

/* ---- connect hook ---- */

SEC("st.fentry/tcp_connect")
int BPF_PROG(connect_fentry, struct sock *sk)
{
	STAGED(ctx, handle_connect(sk));
	return 0;
}

SEC("kprobe/tcp_connect")
int BPF_KPROBE(connect_kprobe, struct sock *sk)
{
	STAGED(ctx, handle_connect(sk));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int connect_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *skp = bpf_map_lookup_elem(&connecting, &tid);
	__u64 sk;

	if (!skp)
		return 0;
	sk = *skp;
	bpf_map_delete_elem(&connecting, &tid);
	STAGED(ctx, handle_connect((const struct sock *)sk));
	return 0;
}

/* ---- accept hook ---- */

/* The return value is found with bpf_get_func_ret() (5.17), so the same
 * program works before and after 6.10 changed inet_csk_accept()'s
 * arguments (commit 92ef0fd55ac8 "net: change proto->accept api"). The ring
 * buffer object, for older kernels, reads it after the four arguments
 * inet_csk_accept() had until 6.10; on a later kernel the verifier refuses
 * that read and the plan falls back to the next method. */
SEC("st.fexit/inet_csk_accept")
int BPF_PROG(accept_fexit, struct sock *listener)
{
	__u64 ret = 0;
	__u8 verdict;

	if (!accept_matters(&verdict))
		return 0;
#ifndef ST_COMPAT
	bpf_get_func_ret(ctx, &ret);
#else
	ret = ctx[4];
#endif
	STAGED(ctx, handle_accept((const struct sock *)ret, verdict));
	return 0;
}

SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(accept_kretprobe, struct sock *newsk)
{
	__u8 verdict;

	if (accept_matters(&verdict))
		STAGED(ctx, handle_accept(newsk, verdict));
	return 0;
}

/* Resolve the fd accept() returned to its socket, in the caller's table.
 * Every step is a probe read: a direct load of a pointer member from the
 * BTF-typed task would have the verifier look a "__safe_trusted" name up in
 * all of the kernel's BTF, once per load (about 0.3 ms each here, at every
 * start). The probe reads cost about 60 ns more per accept. */
static __always_inline const struct sock *sock_of_fd(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;
	struct socket *so;

	if (fd < 0 || !fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_core_read(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	so = (struct socket *)BPF_CORE_READ(f, private_data);
	if (!so)
		return NULL;
	return BPF_CORE_READ(so, sk);
}

static __always_inline void accept_exit(long ret)
{
	const struct sock *sk;
	__u16 family;
	__u8 verdict;

	if (ret < 0 || !accept_matters(&verdict))
		return;
	sk = sock_of_fd(ret);
	if (!sk)
		return;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family == AF_INET || family == AF_INET6)
		handle_accept(sk, verdict);
}

/* User space attaches this one program to sys_exit_accept4 too: both
 * events have the sys_exit layout, and a second copy would only double the
 * verifier's work at start-up (1.5 ms here). */
SEC("tracepoint/syscalls/sys_exit_accept")
int accept_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	STAGED(ctx, accept_exit(ctx->ret));
	return 0;
}

/* ---- close hook: resets and destruction ---- */

static __always_inline void handle_reset_sent(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct sock_info *si = sk ? bpf_map_lookup_elem(&socks, &key) : NULL;

	if (!si)
		return;
	si->rst_sent = 1;
	finish_pending_close(sk, si, key);
}

static __always_inline void handle_reset_received(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct sock_info *si = bpf_map_lookup_elem(&socks, &key);

	if (si)
		si->rst_received = 1;
}

/* The socket is freed: its summary, if one waits, and then its record go,
 * whatever state it was in. A socket that never left CLOSE (made and never
 * connected, recorded by the start-up walk) has no summary, and its record
 * left behind would be found by the next socket given the same memory,
 * which the slab hands out next on that CPU: that socket would show the
 * old one's owner. */
static __always_inline void handle_destroy(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct sock_info *si = bpf_map_lookup_elem(&socks, &key);

	if (!si)
		return;
	if (si->close_pending)
		emit_close(si, &key);
	bpf_map_delete_elem(&socks, &key);
}

SEC("st.tp_btf/tcp_send_reset")
int BPF_PROG(reset_sent_btf, const struct sock *sk)
{
	STAGED(ctx, handle_reset_sent(sk));
	return 0;
}

SEC("st.tp_btf/tcp_receive_reset")
int BPF_PROG(reset_received_btf, const struct sock *sk)
{
	handle_reset_received(sk);
	return 0;
}

SEC("st.tp_btf/tcp_destroy_sock")
int BPF_PROG(destroy_btf, const struct sock *sk)
{
	STAGED(ctx, handle_destroy(sk));
	return 0;
}

SEC("tracepoint/tcp/tcp_send_reset")
int reset_sent_tp(void *ctx)
{
	STAGED(ctx, handle_reset_sent(send_reset_skaddr(ctx)));
	return 0;
}

SEC("tracepoint/tcp/tcp_receive_reset")
int reset_received_tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	handle_reset_received((const struct sock *)ctx->skaddr);
	return 0;
}

SEC("tracepoint/tcp/tcp_destroy_sock")
int destroy_tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	STAGED(ctx, handle_destroy((const struct sock *)ctx->skaddr));
	return 0;
}

/* ---- seed: sockets that existed before the tracer started ---- */

#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* Run once at start-up over every open file of every task: each TCP socket
 * is recorded with the task holding it as owner (first seen wins), and each
 * listener in the listeners table, so that transitions the kernel runs in
 * softirq later are attributed correctly. Its lifetime is unknown
 * (first_ns = 0). */
SEC("st.iter/task_file")
int seed_iter(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct sock_info n = {};
	const struct sock *sk;
	struct socket *so;
	__u64 key;
	__u16 family;
	long err;

	if (!task || !file)
		return 0;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return 0;
	so = (struct socket *)BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(so, sk);
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if ((family != AF_INET && family != AF_INET6) || sk_protocol_of(sk) != IPPROTO_TCP)
		return 0;

	n.pid = BPF_CORE_READ(task, tgid);
	BPF_CORE_READ_STR_INTO(&n.comm, task, comm);
	n.owner_known = 1;
	n.owner_final = 1;
	learn_from_state(&n, BPF_CORE_READ(sk, __sk_common.skc_state));
	if (BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_LISTEN) {
		struct listen_key k = listen_key_of(sk);
		struct owner o =
			listener_entry(&n, owner_filtered() && owner_passes(n.pid, n.comm));

		listener_learn(&k, &o, true);
	}
	key = (__u64)sk;
	n.id = new_sock_id();
	err = bpf_map_update_elem(&socks, &key, &n, BPF_NOEXIST);
	if (err && err != -EEXIST)
		count(ST_CNT_SEED_FULL);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
