// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The settings user space gives before load, the kernel side's types, its
 * maps and globals, and the accessors everything else uses.
 * Part of socktrace.bpf.c's one object: included there, in this order. */
#ifndef SOCKTRACE_MAPS_BPF_H
#define SOCKTRACE_MAPS_BPF_H

/* Set by user space before load. */
const volatile bool connect_via_syscall = false; /* connect hook is sys_exit_connect */
const volatile bool close_hooks = false;         /* the close hook is attached */

/* Filters (src/attach/kfilter.c): AND across kinds, OR within a set. */
const volatile bool filter_pid = false;     /* owner tgid in filter_pids */
const volatile bool filter_port = false;    /* either port in port_sets[ST_PORTS_ANY] */
const volatile bool filter_lport = false;   /* local port in port_sets[ST_PORTS_LOCAL] */
const volatile bool filter_rport = false;   /* remote port in port_sets[ST_PORTS_REMOTE] */
const volatile __u8 filter_family = 0;      /* ST_AF_INET or ST_AF_INET6; 0: both */
const volatile bool filter_comm = false;
const volatile char filter_comm_name[ST_COMM_LEN] = {};
const volatile bool filter_cgroup = false;  /* owner's cgroup v2 at or below one in filter_cgroups */
const volatile bool filter_netns = false;   /* socket's netns inode in filter_netns_set */

/* Where: what every record carries. */
struct endpoint {
	__u8 laddr[16]; /* IPv4: first 4 bytes */
	__u8 raddr[16];
	__u16 lport;
	__u16 rport;
	__u8 family;    /* ST_AF_*, as records carry it */
	__u8 valid;     /* in sock_info: read, and final */
	__u32 netns;    /* network namespace inode */
};

struct sock_info {
	struct endpoint ep; /* cached once final, see endpoint_of() */
	__u64 id;
	__u64 cgroup_id; /* owner's cgroup v2 id (with pid and comm) */
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
	__u8 cgroup_in;       /* under --cgroup: the owner's cgroup is at or below a root */
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
	__u64 cgroup_id;
	__u32 pid;
	char comm[ST_COMM_LEN];
	/* Under owner filters (-p, -c): a process that passes holds this
	 * listener (start-up walk) or accepted from it, so its children are
	 * recorded even when pid fails (see child_verdict()). */
	__u8 wanted_acceptor;
	__u8 cgroup_in; /* as sock_info.cgroup_in */
	__u8 pad[2];
};

/* One ring of record slots per CPU (src/events/percpu_rings.c reads them): CPU c's
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
 * per CPU, which user space opens and maps (src/events/events.c). */
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
 * --max-listeners, src/load/tables.c). */
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

/* --cgroup/--container roots, by cgroup v2 id (the directory's inode). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ST_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, __u8);
} filter_cgroups SEC(".maps");

/* --netns namespaces, by inode. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ST_MAX_NETNS);
	__type(key, __u32);
	__type(value, __u8);
} filter_netns_set SEC(".maps");

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

/* Whether cgroup cg (a task's cgroup v2) is one of the --cgroup roots or
 * below one: its own id and its ancestors' are looked up, nearest first.
 * Read through the cgroup tree, not by bpf_current_task_under_cgroup(),
 * so that the start-up walk can ask it of a task that is not current. */
static __always_inline bool cgroup_within(const struct cgroup *cg)
{
	for (int i = 0; i < ST_CGROUP_DEPTH && cg; i++) {
		__u64 id = BPF_CORE_READ(cg, kn, id);

		if (bpf_map_lookup_elem(&filter_cgroups, &id))
			return true;
		cg = (const struct cgroup *)BPF_CORE_READ(cg, self.parent);
	}
	return false;
}

static __always_inline bool current_cgroup_within(void)
{
	const struct task_struct *t = (const struct task_struct *)bpf_get_current_task();

	return filter_cgroup && cgroup_within(BPF_CORE_READ(t, cgroups, dfl_cgrp));
}

/* Only called where the kernel runs in the owner's context (connect(),
 * listen(), close(), accept()), so the owner is final. */
static __always_inline void set_owner_current(struct sock_info *si)
{
	si->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(si->comm, sizeof(si->comm));
	si->cgroup_id = bpf_get_current_cgroup_id();
	si->cgroup_in = current_cgroup_within();
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

#endif /* SOCKTRACE_MAPS_BPF_H */
