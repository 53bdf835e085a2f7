// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Entry programs of the seed: owners of the sockets that existed before the tracer started
 * (iter/task_file, run once at start-up).
 * Included by socktrace.bpf.c after handlers.bpf.h. */
#ifndef SOCKTRACE_HOOK_SEED_BPF_H
#define SOCKTRACE_HOOK_SEED_BPF_H

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
	const struct cgroup *cg;
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
	cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	n.cgroup_id = BPF_CORE_READ(cg, kn, id);
	n.cgroup_in = filter_cgroup && cgroup_within(cg);
	n.owner_known = 1;
	n.owner_final = 1;
	learn_from_state(&n, BPF_CORE_READ(sk, __sk_common.skc_state));
	if (BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_LISTEN) {
		struct listen_key k = listen_key_of(sk);
		struct owner o =
			listener_entry(&n, owner_filtered() && owner_passes(n.pid, n.comm, n.cgroup_in));

		listener_learn(&k, &o, true);
	}
	key = (__u64)sk;
	n.id = new_sock_id();
	err = bpf_map_update_elem(&socks, &key, &n, BPF_NOEXIST);
	if (err && err != -EEXIST)
		count(ST_CNT_SEED_FULL);
	return 0;
}

#endif
