/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Records the kernel side (bpf/) hands to user space, whichever transport carries them.
 * Fixed-width types only, explicit padding, type tag first. */
#ifndef SOCKTRACE_H
#define SOCKTRACE_H

#ifdef __VMLINUX_H__
/* kernel side: types come from vmlinux.h */
#else
#include <linux/types.h>
#endif

#define ST_COMM_LEN 16

/* st_event.type */
#define ST_EV_CONNECT 1 /* active open: the SYN was sent */
#define ST_EV_ACCEPT  2 /* passive open: accept() returned the socket */
#define ST_EV_STATE   3 /* a TCP state transition */
#define ST_EV_CLOSE   4 /* the connection's summary: struct st_close */
#define ST_EV_MAX     4

/* st_close.cause: why the connection ended */
#define ST_CAUSE_FIN             1 /* orderly close; closed_by says who sent FIN first */
#define ST_CAUSE_RST_SENT        2
#define ST_CAUSE_RST_RECEIVED    3
#define ST_CAUSE_REFUSED         4 /* RST answered our SYN */
#define ST_CAUSE_TIMEOUT         5 /* SYN or data retransmissions exhausted */
#define ST_CAUSE_ABORTED         6 /* closed before ESTABLISHED for another reason */
#define ST_CAUSE_LISTENER_CLOSED 7
#define ST_CAUSE_MAX             7

/* st_close.closed_by */
#define ST_CLOSED_BY_NONE   0
#define ST_CLOSED_BY_LOCAL  1 /* we sent FIN first */
#define ST_CLOSED_BY_REMOTE 2 /* the peer sent FIN first */

/* st_event.flags */
#define ST_F_OWNER_KNOWN (1u << 0) /* pid/comm are the socket's owner */
#define ST_F_TIME_KNOWN  (1u << 1) /* in_state_ns is measured (not first sight) */
#define ST_F_HANDSHAKE   (1u << 2) /* st_close.handshake_ns is set */

/* st_event.family */
#define ST_AF_INET  2
#define ST_AF_INET6 10

/* Kernel-side counters (per-CPU array "counters"), summed by user space. */
#define ST_CNT_EMITTED  0 /* events written to the rings, ring buffer or perf buffer */
#define ST_CNT_LOST     1 /* events dropped: their ring or buffer was full */
#define ST_CNT_FILTERED 2 /* events dropped by the user's filters */
#define ST_CNT_SOCK_FULL 3     /* events not recorded: the socket table had no room for their socket */
#define ST_CNT_LISTENER_FULL 4 /* listeners not remembered: the listener table was full */
#define ST_CNT_SEED_FULL 5     /* sockets open at start-up the socket table had no room for */
#define ST_CNT_COUNT    6

/* Filter sets. Ports: one bitmap per kind, indexed by port number. */
#define ST_MAX_PIDS     1024
#define ST_PORTS_ANY    0 /* -P: either end */
#define ST_PORTS_LOCAL  1 /* -L */
#define ST_PORTS_REMOTE 2 /* -D */
#define ST_PORTS_SETS   3
#define ST_MAX_CGROUPS  64 /* --cgroup and --container roots */
#define ST_MAX_NETNS    64 /* --netns namespaces */
#define ST_CGROUP_DEPTH 32 /* levels a --cgroup root may be above its sockets' owners */

struct st_port_set {
	__u64 bits[65536 / 64];
};

struct st_event {
	__u8 type;        /* ST_EV_* */
	__u8 family;      /* ST_AF_INET or ST_AF_INET6 */
	__u8 old_state;   /* kernel TCP_* numbers; ST_EV_STATE only */
	__u8 new_state;
	__u8 flags;       /* ST_F_* */
	__u8 pad0[3];
	__u32 pid;        /* owner tgid (valid when ST_F_OWNER_KNOWN) */
	__u32 commit;     /* ring slot: its CPU's position + 1 once written */
	__u64 ts_ns;      /* bpf_ktime_get_ns() */
	__u64 sock_id;    /* per-run socket id, never an address */
	__u64 in_state_ns;/* time spent in old_state; for CLOSE the connection's life */
	__u16 lport;      /* host byte order */
	__u16 rport;
	__u32 seq;        /* order of reservation across all CPUs (wraps) */
	__u8 laddr[16];   /* IPv4: first 4 bytes */
	__u8 raddr[16];
	char comm[ST_COMM_LEN];
	__u64 cgroup_id;  /* owner's cgroup v2 id (valid when ST_F_OWNER_KNOWN; 0: unknown) */
	__u32 netns;      /* the socket's network namespace inode */
	__u32 pad1;
};

_Static_assert(sizeof(struct st_event) == 112, "st_event layout changed");

/* ST_EV_CLOSE: the common part, then the connection's figures. */
struct st_close {
	struct st_event ev;
	__u64 handshake_ns;   /* client: SYN sent to ESTABLISHED; server: SYN-ACK RTT */
	__u64 bytes_sent;     /* payload bytes acked by the peer (tcp_sock.bytes_acked) */
	__u64 bytes_received; /* payload bytes received (tcp_sock.bytes_received) */
	__u32 retransmits;    /* segments retransmitted (tcp_sock.total_retrans) */
	__u8 cause;           /* ST_CAUSE_* */
	__u8 closed_by;       /* ST_CLOSED_BY_* */
	__u8 pad[2];
};

_Static_assert(sizeof(struct st_close) == 144, "st_close layout changed");

/* Records travel in one ring per CPU (bpf/emit.bpf.h reserve(),
 * src/events/percpu_rings.c reads them): an array of slots, each holding one record, and
 * the ring's two positions, counted in slots. The kernel writes head, user
 * space tail; each on a cache line of its own. */
#define ST_SLOT_SIZE 144

struct st_ring_pos {
	__u64 head;      /* slots reserved by this CPU */
	__u64 pad0[7];
	__u64 tail;      /* slots read by user space */
	__u64 pad1[7];
};

_Static_assert(sizeof(struct st_close) == ST_SLOT_SIZE, "a slot holds the largest record");
_Static_assert(sizeof(struct st_ring_pos) == 128, "st_ring_pos layout changed");

#endif /* SOCKTRACE_H */
