// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Entry programs of the state hook: every TCP state change
 * (tp_btf | tracepoint).
 * Included by socktrace.bpf.c after handlers.bpf.h. */
#ifndef SOCKTRACE_HOOK_STATE_BPF_H
#define SOCKTRACE_HOOK_STATE_BPF_H

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

#endif
