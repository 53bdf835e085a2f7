// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* floor: the least a tracer of every TCP state change costs, for make bench
 * (tests/bench/floor.c). One program on the same hook socktrace's state
 * program uses (tp_btf inet_sock_set_state). With record unset it returns
 * at once: the cost of having a program there at all. With record set it
 * hands user space one record of socktrace's record size per change, with
 * no wakeup (user space polls): the cost of reporting every event, with no
 * per-socket bookkeeping, filtering or formatting. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define FLOOR_RECORD_SIZE 96 /* sizeof(struct st_event) */

const volatile bool record;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* socktrace's size */
} events SEC(".maps");

/* [0] records handed over, [1] records that found the ring buffer full */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *n = bpf_map_lookup_elem(&counts, &which);

	if (n)
		(*n)++;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(floor_state, const struct sock *sk, const int old, const int new)
{
	__u64 *r;

	if (!record)
		return 0;
	r = bpf_ringbuf_reserve(&events, FLOOR_RECORD_SIZE, 0);
	if (!r) {
		count(1);
		return 0;
	}
	__builtin_memset(r, 0, FLOOR_RECORD_SIZE);
	r[0] = bpf_ktime_get_ns();
	r[1] = (__u64)old << 8 | (__u64)new;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	count(0);
	return 0;
}

/* Do-nothing programs on the syscall tracepoints socktrace's connect and
 * accept hooks fall back to on a kernel without fentry and kprobes (user
 * space loads them only for "floor ring+syscalls"): while any syscalls:*
 * tracepoint has a program, every syscall of every process takes the
 * kernel's syscall tracing path. */
SEC("tracepoint/syscalls/sys_exit_connect")
int floor_connect(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int floor_accept(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int floor_accept4(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
