/* Kernel feature probes: can a given attach method work on this kernel?
 * Each probe loads a do-nothing program (fentry/fexit: and attaches it) or
 * opens the event, and releases it, so the answer is the kernel's own. */
#ifndef SOCKTRACE_KFEAT_H
#define SOCKTRACE_KFEAT_H

#include <stddef.h>

enum kfeat_kind {
	KF_FENTRY,     /* target: kernel function */
	KF_FEXIT,      /* target: kernel function */
	KF_KPROBE,     /* target: kernel function */
	KF_KRETPROBE,  /* target: kernel function */
	KF_TP_BTF,     /* target: tracepoint name, e.g. "inet_sock_set_state" */
	KF_TRACEPOINT, /* target: "category/name" */
	KF_ITER,       /* target: BPF iterator, e.g. "task_file" */
};

struct kfeat;
struct kbtf;

/* vmlinux: the kernel's BTF, for the ids of tracing targets; NULL if it
 * cannot be read (then every tracing probe fails, saying so). It must
 * outlive the kfeat. */
struct kfeat *kfeat__new(const struct kbtf *vmlinux);
void kfeat__free(struct kfeat *kf);

/* Returns 0 if the method can attach to target, else a negative errno with
 * a human reason in reason[len]. A classic tracepoint needs tracefs: if it
 * is not mounted, the probe mounts it at /sys/kernel/tracing. */
int kfeat_probe(struct kfeat *kf, enum kfeat_kind kind, const char *target, char *reason,
		size_t len);

#endif
