/* Kernel feature probes: can a given attach method work on this kernel?
 * Each probe loads a do-nothing program (fentry/fexit: and attaches it) or
 * opens the event, and releases it, so the answer is the kernel's own. */
#ifndef SOCKTRACE_KERNEL_PROBES_H
#define SOCKTRACE_KERNEL_PROBES_H

#include <stddef.h>

enum kernel_probes_kind {
	KF_FENTRY,     /* target: kernel function */
	KF_FEXIT,      /* target: kernel function */
	KF_KPROBE,     /* target: kernel function */
	KF_KRETPROBE,  /* target: kernel function */
	KF_TP_BTF,     /* target: tracepoint name, e.g. "inet_sock_set_state" */
	KF_TRACEPOINT, /* target: "category/name" */
	KF_ITER,       /* target: BPF iterator, e.g. "task_file" */
};

struct kernel_probes;
struct kernel_btf;

/* vmlinux: the kernel's BTF, for the ids of tracing targets; NULL if it
 * cannot be read (then every tracing probe fails, saying so). It must
 * outlive the kernel_probes. */
struct kernel_probes *kernel_probes__new(const struct kernel_btf *vmlinux);
void kernel_probes__free(struct kernel_probes *kf);

/* Returns 0 if the method can attach to target, else a negative errno with
 * a human reason in reason[len]. A classic tracepoint needs tracefs: if it
 * is not mounted, the probe mounts it at /sys/kernel/tracing. */
int kernel_probes_probe(struct kernel_probes *kf, enum kernel_probes_kind kind,
			const char *target, char *reason, size_t len);

#endif
