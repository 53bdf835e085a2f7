// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Entry programs of the close hook: why a connection ended, from resets and the socket's
 * destruction (tp_btf | tracepoint).
 * Included by socktrace.bpf.c after handlers.bpf.h. */
#ifndef SOCKTRACE_HOOK_CLOSE_BPF_H
#define SOCKTRACE_HOOK_CLOSE_BPF_H

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

#endif
