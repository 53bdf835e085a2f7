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
 * This file puts the object together from headers, in this order: by
 * concern, maps.bpf.h (settings, types, maps), filter.bpf.h, emit.bpf.h
 * (records and the transports), sock_state.bpf.h (per-socket and listener
 * state) and handlers.bpf.h (the hooks' bodies); then the entry programs,
 * one file per hook: hook_state, hook_connect, hook_accept, hook_close and
 * hook_seed (.bpf.h).
 *
 * Sections named st.tp_btf/, st.fentry/, st.fexit/ and st.iter/ are
 * socktrace's own (src/load/btf_id_sections.h): loaded as the tracing
 * programs they are, against target ids found without libbpf reading the
 * kernel BTF.
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

#include "hook_state.bpf.h"
#include "hook_connect.bpf.h"
#include "hook_accept.bpf.h"
#include "hook_close.bpf.h"
#include "hook_seed.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
