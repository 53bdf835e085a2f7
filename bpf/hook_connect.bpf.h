// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Entry programs of the connect hook: an active open, once its local port is known
 * (fentry | kprobe | sys_exit_connect).
 * Included by socktrace.bpf.c after handlers.bpf.h. */
#ifndef SOCKTRACE_HOOK_CONNECT_BPF_H
#define SOCKTRACE_HOOK_CONNECT_BPF_H

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

#endif
