// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Entry programs of the accept hook: a passive open and the process that accepts it
 * (fexit | kretprobe | sys_exit_accept[4]).
 * Included by socktrace.bpf.c after handlers.bpf.h. */
#ifndef SOCKTRACE_HOOK_ACCEPT_BPF_H
#define SOCKTRACE_HOOK_ACCEPT_BPF_H

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
 * all of the kernel's BTF, once per load, at every start; the probe reads
 * cost a little more per accept (docs/benchmarks.md, "Measurements behind the code"). */
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
 * verifier's work at start-up. */
SEC("tracepoint/syscalls/sys_exit_accept")
int accept_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	STAGED(ctx, accept_exit(ctx->ret));
	return 0;
}

#endif
