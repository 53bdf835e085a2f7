#include "bpfobj.h"

#include <errno.h>
#include <stddef.h>

#include "socktrace.skel.h"
#include "socktrace_pb.skel.h"
#include "socktrace_rb.skel.h"

/* The skeleton maps the objects' global sections as these structs: the
 * ring buffer and perf buffer objects' must be laid out as the rings
 * object's. */
#define SAME_VAR_AS(other, sec, v)                                                         \
	_Static_assert(offsetof(struct socktrace_bpf__##sec, v) ==                         \
			       offsetof(struct other##_bpf__##sec, v) &&                   \
			       sizeof(((struct socktrace_bpf__##sec *)0)->v) ==            \
				       sizeof(((struct other##_bpf__##sec *)0)->v),        \
		       "the objects disagree on " #sec " variable " #v)
#define SAME_VAR(sec, v) SAME_VAR_AS(socktrace_rb, sec, v); SAME_VAR_AS(socktrace_pb, sec, v)

#define SAME_SHAPE(other)                                                                  \
	_Static_assert(sizeof(struct socktrace_bpf__rodata) ==                             \
				       sizeof(struct other##_bpf__rodata) &&               \
			       sizeof(struct socktrace_bpf__bss) ==                        \
				       sizeof(struct other##_bpf__bss),                    \
		       "the objects' .rodata or .bss differ");                             \
	_Static_assert(sizeof(((struct socktrace_bpf *)0)->maps) ==                        \
				       sizeof(((struct other##_bpf *)0)->maps) &&          \
			       sizeof(((struct socktrace_bpf *)0)->progs) ==               \
				       sizeof(((struct other##_bpf *)0)->progs),           \
		       "the objects' maps or programs differ")

SAME_SHAPE(socktrace_rb);
SAME_SHAPE(socktrace_pb);
SAME_VAR(rodata, connect_via_syscall);
SAME_VAR(rodata, close_hooks);
SAME_VAR(rodata, filter_pid);
SAME_VAR(rodata, filter_port);
SAME_VAR(rodata, filter_lport);
SAME_VAR(rodata, filter_rport);
SAME_VAR(rodata, filter_family);
SAME_VAR(rodata, filter_comm);
SAME_VAR(rodata, filter_comm_name);
SAME_VAR(rodata, ring_shift);
SAME_VAR(rodata, id_cpus);
SAME_VAR(rodata, events_wake_bytes);
SAME_VAR(bss, next_sock_id);
SAME_VAR(bss, wanted_child_seen);
SAME_VAR(bss, next_seq);

const void *bpfobj_elf(enum st_events e, size_t *size)
{
	switch (e) {
	case EVENTS_RINGBUF:
		return socktrace_rb_bpf__elf_bytes(size);
	case EVENTS_PERFBUF:
		return socktrace_pb_bpf__elf_bytes(size);
	default:
		return socktrace_bpf__elf_bytes(size);
	}
}

struct socktrace_bpf *bpfobj_open(enum st_events e, const struct bpf_object_open_opts *opts)
{
	struct socktrace_bpf *obj = calloc(1, sizeof(*obj));
	int err;

	if (!obj)
		return NULL;
	err = socktrace_bpf__create_skeleton(obj);
	if (!err) {
		/* The skeleton's names, another image. */
		obj->skeleton->data = (void *)bpfobj_elf(e, &obj->skeleton->data_sz);
		err = bpf_object__open_skeleton(obj->skeleton, opts);
	}
	if (err) {
		socktrace_bpf__destroy(obj);
		errno = -err;
		return NULL;
	}
	return obj;
}
