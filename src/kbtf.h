/* Type ids by name in the kernel's BTF (/sys/kernel/btf/vmlinux), for the
 * attach probes. libbpf's btf__load_vmlinux_btf() would do, but it copies
 * and indexes all 5.5 MB of it (126,000 types here): 8 ms and 11 MB of peak
 * memory at every start, paid again when libbpf loads the programs. Finding
 * a handful of names needs one pass over the raw types, mapped in place
 * where the kernel allows (6.16 and later), read into memory elsewhere:
 * 0.6 ms per lookup. */
#ifndef SOCKTRACE_KBTF_H
#define SOCKTRACE_KBTF_H

#include <stddef.h>

struct kbtf;

/* Opens raw BTF at path; NULL with errno set if it cannot be read or is not
 * valid BTF (EINVAL). */
struct kbtf *kbtf__open(const char *path);
/* Wraps a raw BTF image in memory; it must outlive the kbtf. */
struct kbtf *kbtf__from_mem(const void *data, size_t size);
void kbtf__free(struct kbtf *b);

/* The id of the type named name of BTF kind kind (BTF_KIND_*), or -ENOENT.
 * -EINVAL if the type section turns out to be malformed on the way. */
int kbtf_find(const struct kbtf *b, const char *name, unsigned int kind);

#endif
