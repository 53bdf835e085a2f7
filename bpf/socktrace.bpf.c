// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* socktrace kernel side: TCP socket lifecycle.
 *
 * Five hooks, each with one __always_inline body and thin entry programs,
 * one per attach method; user space (src/attach/plan.c) autoloads exactly one
 * method per hook:
 *   state   (every TCP state change):  tp_btf | tracepoint
 *   connect (active open, port known): fentry | kprobe | sys_exit_connect
 *   accept  (passive open, acceptor):  fexit  | kretprobe | sys_exit_accept[4]
 *   close   (why it ended):            tp_btf | tracepoint  (tcp_send_reset,
 *                                      tcp_receive_reset, tcp_destroy_sock)
 *   seed    (sockets open at start):   iter/task_file
 *
 * Three objects are built from this file (Makefile). The rings object
 * carries records in rings of one per CPU (ring_slots), which take atomic
 * fetch-add and exchange instructions, and verifies its shared functions
 * once each as global functions: both need 5.12 or later. The ring buffer
 * object (ST_COMPAT, built with -mcpu=v2) has neither: records go to a BPF
 * ring buffer (5.8), socket ids come from per-CPU counters, and the shared
 * functions are inlined. The perf buffer object (ST_COMPAT and ST_PERFBUF)
 * is the ring buffer object with records sent through the perf event
 * buffer of each CPU (perf_events), which every kernel with BPF
 * tracepoints has. All declare the same maps and globals, so user space
 * drives any through one skeleton (src/tracer.c loads the first that this
 * kernel's verifier accepts).
 *
 * This file holds the entry programs; what they share is in headers by
 * concern, included in this order: maps.bpf.h (settings, types, maps),
 * filter.bpf.h, emit.bpf.h (records and the transports), sock_state.bpf.h
 * (per-socket and listener state) and handlers.bpf.h (the hooks' bodies).
 *
 * Per-socket state lives in the kernel (socks map): a run-local id, the
 * owner process, and timestamps. Ownership is decided where it is known
 * (connect()/listen()/accept() run in the owner's context) and carried to
 * transitions that run in softirq, where "current" is unrelated.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "socktrace.h"
#include "core_fixes.bpf.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define EEXIST 17 /* BPF_NOEXIST: the key is there */
#define ETIMEDOUT 110
#define ECONNREFUSED 111
#define SOCK_DONE 1 /* enum sock_flags: set by tcp_fin(), the peer's FIN arrived */

/* Functions the programs share: global ones, verified once each, need
 * 5.12's verifier (older ones refuse a global function that takes
 * pointers); the ring buffer object inlines them. */
#ifdef ST_COMPAT
#define ST_SHARED static __always_inline
#else
#define ST_SHARED __noinline
#endif

#include "maps.bpf.h"
#include "filter.bpf.h"
#include "emit.bpf.h"
#include "sock_state.bpf.h"
#include "handlers.bpf.h"

/* ---- state hook ---- */

/* Sections named st.tp_btf/, st.fentry/, st.fexit/ and st.iter/ are
 * socktrace's own (src/load/btf_id_sections.h): loaded as the tracing programs they
 * are, against target ids found without libbpf reading the kernel BTF. */

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

/* ---- connect hook ---- */

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

/* ---- accept hook ---- */

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

/* ---- close hook: resets and destruction ---- */

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

/* ---- seed: sockets that existed before the tracer started ---- */

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
	n.owner_known = 1;
	n.owner_final = 1;
	learn_from_state(&n, BPF_CORE_READ(sk, __sk_common.skc_state));
	if (BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_LISTEN) {
		struct listen_key k = listen_key_of(sk);
		struct owner o =
			listener_entry(&n, owner_filtered() && owner_passes(n.pid, n.comm));

		listener_learn(&k, &o, true);
	}
	key = (__u64)sk;
	n.id = new_sock_id();
	err = bpf_map_update_elem(&socks, &key, &n, BPF_NOEXIST);
	if (err && err != -EEXIST)
		count(ST_CNT_SEED_FULL);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
