/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Kernel-version differences, read through CO-RE in one place. */
#ifndef SOCKTRACE_CORE_FIXES_BPF_H
#define SOCKTRACE_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/* sk_protocol was a bitfield inside __sk_flags_offset until 5.6
 * (commit bf9765145b85 "sock: Make sk_protocol a 16-bit value");
 * the PROBED bitfield read handles both layouts. */
static __always_inline __u16 sk_protocol_of(const struct sock *sk)
{
	return (__u16)BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
}

/* The same from a BTF-typed socket (tp_btf, fentry arguments): a direct
 * load instead of a probe read, on every state change. */
static __always_inline __u16 sk_protocol_direct(const struct sock *sk)
{
	return (__u16)BPF_CORE_READ_BITFIELD(sk, sk_protocol);
}

/* Network namespace inode number, used to key listeners by (netns, port). */
static __always_inline __u32 sk_netns_of(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* The classic tcp:tcp_send_reset tracepoint was an instance of the
 * tcp_event_sk_skb class until 6.10 gave it an event of its own (with the
 * reset reason; "trace: tcp: fully support trace_tcp_send_reset"). Both put
 * the socket in skaddr, at offsets CO-RE resolves; only the type that exists
 * on the running kernel is read, the other branch is dead code the verifier
 * drops. Read with a helper: clang merges two direct loads into one at a
 * variable ctx offset, which the verifier refuses. */
struct trace_event_raw_tcp_event_sk_skb___pre610 {
	struct trace_entry ent;
	const void *skbaddr;
	const void *skaddr;
} __attribute__((preserve_access_index));

/* The 6.10 event, declared here rather than taken from vmlinux.h, so that a
 * vmlinux.h made from an older kernel (vmlinux/aarch64/, from 6.1) builds. */
struct trace_event_raw_tcp_send_reset___610 {
	struct trace_entry ent;
	const void *skbaddr;
	const void *skaddr;
} __attribute__((preserve_access_index));

static __always_inline const struct sock *send_reset_skaddr(void *ctx)
{
	if (bpf_core_type_exists(struct trace_event_raw_tcp_send_reset___610))
		return BPF_CORE_READ((struct trace_event_raw_tcp_send_reset___610 *)ctx, skaddr);
	return BPF_CORE_READ((struct trace_event_raw_tcp_event_sk_skb___pre610 *)ctx, skaddr);
}

#endif
