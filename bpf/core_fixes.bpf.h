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

/* Network namespace inode number, used to key listeners by (netns, port). */
static __always_inline __u32 sk_netns_of(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

#endif
