// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The filters (-p, -c, -P, -L, -D, -4/-6): whether a socket and its owner
 * pass, decided once per socket where it can be.
 * Part of socktrace.bpf.c's one object: included there, in this order. */
#ifndef SOCKTRACE_FILTER_BPF_H
#define SOCKTRACE_FILTER_BPF_H

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
	return filter_pid || filter_comm || filter_cgroup;
}

/* Whether a process passes the owner filters (-p, -c, --cgroup and
 * --container). pid is a copy on the stack: a map key must be there or in
 * a map before 6.2 (a sock_info is a global function's argument memory,
 * which 6.1 refuses as a key). cgroup_in: cgroup_within() of its cgroup,
 * asked where the owner was taken (in its context, or the start-up walk's
 * task), since a cgroup's ancestors cannot be found from its id. */
static __always_inline bool owner_passes(__u32 pid, const char *comm, bool cgroup_in)
{
	if (filter_pid && !bpf_map_lookup_elem(&filter_pids, &pid))
		return false;
	if (filter_comm && !comm_matches(comm))
		return false;
	if (filter_cgroup && !cgroup_in)
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
		si->owner_verdict = si->owner_known && owner_passes(si->pid, si->comm, si->cgroup_in)
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
	return owner_passes(bpf_get_current_pid_tgid() >> 32, comm, current_cgroup_within());
}

/* Whether an accept() by the current process can change what is shown.
 * *verdict: the current process's, when the filters were asked (kept in
 * the child by handle_accept(), so they are not asked again), else
 * OWNER_UNKNOWN. Without owner filters it always does: it names the
 * socket's owner. Under them, an accepter that fails makes the child
 * unwanted for good; that only differs from what the child shows anyway
 * (its listener's owner until accept(), or nobody: unwanted) if that owner
 * passed. So while no child's did, an accept() by a process that fails is
 * not looked at: no fd table walk, no socket lookup, most of the accept
 * program's cost under a filter matching nothing. The price: such a
 * child's owner is never final, so its later transitions are not dropped
 * before the bookkeeping, a little more per state program run
 * (docs/benchmarks.md, "Measurements behind the code"). */
static __always_inline bool accept_matters(__u8 *verdict)
{
	*verdict = OWNER_UNKNOWN;
	if (!owner_filtered())
		return true;
	*verdict = current_passes() ? OWNER_WANTED : OWNER_UNWANTED;
	return *verdict == OWNER_WANTED || wanted_child_seen;
}

/* Whether its endpoint passes; decided before a record takes space. */
static __always_inline bool endpoint_wanted(__u8 family, __u16 lport, __u16 rport, __u32 netns)
{
	if (filter_netns && !bpf_map_lookup_elem(&filter_netns_set, &netns))
		return false;
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
	ep->netns = sk_netns_of(sk);
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

/* The user's filters, owner first (no socket reads for an owner filter);
 * fills *ep when the socket passes, and returns 1 if it was filtered out
 * (counted). A global function like emit_record() below, and
 * called by it and emit_close(): a program that has both (the state
 * program) has it verified once, not twice (docs/benchmarks.md, "Measurements behind the code"). The
 * socket is its address, as for them. */
ST_SHARED int filtered_out(struct sock_info *si, __u64 sk_addr, struct endpoint *ep)
{
	if (!si || !ep)
		return 1;
	if (owner_wanted(si)) {
		endpoint_of((const struct sock *)sk_addr, si, ep);
		if (endpoint_wanted(ep->family, ep->lport, ep->rport, ep->netns))
			return 0;
	}
	count(ST_CNT_FILTERED);
	return 1;
}

#endif /* SOCKTRACE_FILTER_BPF_H */
