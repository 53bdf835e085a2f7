#include "kernel_probes.h"

#include "kernel_btf.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/btf.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"
#define TRACEFS_MAGIC_NR 0x74726163 /* linux/magic.h's TRACEFS_MAGIC */
#define KPROBE_PMU "/sys/bus/event_source/devices/kprobe"
#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

struct kernel_probes {
	const struct kernel_btf *vmlinux; /* NULL: not readable */
	const char *tracefs;        /* where tracepoint ids are read, once known */
};

struct kernel_probes *kernel_probes__new(const struct kernel_btf *vmlinux)
{
	struct kernel_probes *kf = calloc(1, sizeof(struct kernel_probes));

	if (kf)
		kf->vmlinux = vmlinux;
	return kf;
}

void kernel_probes__free(struct kernel_probes *kf)
{
	free(kf);
}

/* ENOTSUPP (524) is the kernel's own, unknown to libc's strerror(): arm64
 * before 6.4 gives it for fentry/fexit, which need ftrace direct calls. */
#define KERNEL_ENOTSUPP 524

static int fail(char *reason, size_t len, int err, const char *fmt, const char *arg)
{
	char what[160];

	snprintf(what, sizeof(what), fmt, arg);
	snprintf(reason, len, "%s (%s)", what,
		 err == -KERNEL_ENOTSUPP ? "not supported by this kernel, ENOTSUPP" : strerror(-err));
	return err;
}

/* Loads "r0 = 0; exit" as a tracing program of attach_type on btf_id; the
 * kernel answers exactly as it will for the real program. fentry/fexit are
 * attached too, since a trampoline can be refused after the load succeeded
 * (a function without an ftrace entry). tp_btf and iterators are not: once
 * loaded against the BTF id they attach, and attaching and detaching a tp_btf
 * probe patches the kernel text twice, which would be most of socktrace's
 * start-up (docs/benchmarks.md, "Measurements behind the code"). */
static int probe_tracing(struct kernel_probes *kf, enum bpf_attach_type type, const char *name,
			 int kind, const char *what, char *reason, size_t len)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	bool attach = type == BPF_TRACE_FENTRY || type == BPF_TRACE_FEXIT;
	int id, fd, link;

	if (!kf->vmlinux)
		return fail(reason, len, -ENOENT, "cannot read kernel BTF (%s)", VMLINUX_BTF);
	id = kernel_btf_find(kf->vmlinux, name, kind);
	if (id < 0)
		return fail(reason, len, -ENOENT, "%s not found in kernel BTF", name);

	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = type, .attach_btf_id = id);
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, 2, &opts);
	if (fd < 0)
		return fail(reason, len, -errno, "kernel refused to load a %s program", what);
	if (attach) {
		link = bpf_raw_tracepoint_open(NULL, fd);
		if (link < 0) {
			int err = -errno;

			close(fd);
			return fail(reason, len, err, "kernel refused to attach a %s program", what);
		}
		close(link);
	}
	close(fd);
	return 0;
}

static int read_int_file(const char *path, int *out)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%d", out) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* "config:0" in format/retprobe names the config bit of a return probe. */
static int retprobe_bit(void)
{
	FILE *f = fopen(KPROBE_PMU "/format/retprobe", "r");
	int bit = 0;

	if (f) {
		if (fscanf(f, "config:%d", &bit) != 1)
			bit = 0;
		fclose(f);
	}
	return bit;
}

static int probe_kprobe(const char *func, bool ret, char *reason, size_t len)
{
	struct perf_event_attr attr;
	int type, err, fd;

	err = read_int_file(KPROBE_PMU "/type", &type);
	if (err)
		return fail(reason, len, err, "no kprobe PMU%s (kernel built without CONFIG_KPROBES?)",
			    "");
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = (uint32_t)type;
	attr.config = ret ? 1ull << retprobe_bit() : 0;
	attr.config1 = (uint64_t)(uintptr_t)func;
	fd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return fail(reason, len, -errno, "cannot create a kprobe on %s", func);
	close(fd);
	return 0;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Is a tracefs mounted at path? Asks the mount, not its contents, which a
 * user without root may not be allowed to see. */
static bool is_tracefs(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == TRACEFS_MAGIC_NR;
}

/* Finds tracefs, mounting it at its standard place when nothing has. */
static int find_tracefs(struct kernel_probes *kf, char *reason, size_t len)
{
	if (kf->tracefs)
		return 0;
	if (is_dir(TRACEFS "/events")) {
		kf->tracefs = TRACEFS;
		return 0;
	}
	if (is_dir(DEBUGFS_TRACING "/events")) {
		kf->tracefs = DEBUGFS_TRACING;
		return 0;
	}
	if (is_tracefs(TRACEFS)) /* there, but not ours to read (mode 0700) */
		return fail(reason, len, stat(TRACEFS "/events", &(struct stat){}) ? -errno : -EACCES,
			    "tracefs is mounted at %s but this user cannot read it", TRACEFS);
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return fail(reason, len, -errno, "tracefs is not mounted and mounting it at %s failed",
			    TRACEFS);
	kf->tracefs = TRACEFS;
	return 0;
}

static int probe_tracepoint(struct kernel_probes *kf, const char *cat_name, char *reason, size_t len)
{
	char path[256];
	int err, id;

	err = find_tracefs(kf, reason, len);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/events/%s/id", kf->tracefs, cat_name);
	err = read_int_file(path, &id);
	if (err)
		return fail(reason, len, err, "tracepoint %s not found", cat_name);
	return 0;
}

int kernel_probes_probe(struct kernel_probes *kf, enum kernel_probes_kind kind,
			const char *target, char *reason, size_t len)
{
	char tp[128];

	switch (kind) {
	case KF_FENTRY:
		return probe_tracing(kf, BPF_TRACE_FENTRY, target, BTF_KIND_FUNC, "fentry", reason,
				     len);
	case KF_FEXIT:
		return probe_tracing(kf, BPF_TRACE_FEXIT, target, BTF_KIND_FUNC, "fexit", reason,
				     len);
	case KF_KPROBE:
		return probe_kprobe(target, false, reason, len);
	case KF_KRETPROBE:
		return probe_kprobe(target, true, reason, len);
	case KF_TP_BTF:
		snprintf(tp, sizeof(tp), "btf_trace_%s", target);
		return probe_tracing(kf, BPF_TRACE_RAW_TP, tp, BTF_KIND_TYPEDEF, "tp_btf", reason,
				     len);
	case KF_TRACEPOINT:
		return probe_tracepoint(kf, target, reason, len);
	case KF_ITER:
		snprintf(tp, sizeof(tp), "bpf_iter_%s", target);
		return probe_tracing(kf, BPF_TRACE_ITER, tp, BTF_KIND_FUNC, "BPF iterator", reason,
				     len);
	}
	return fail(reason, len, -EINVAL, "unknown probe%s", "");
}
