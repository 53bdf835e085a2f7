/* The kernel's BTF (/sys/kernel/btf/vmlinux) read in place: type ids by
 * name for the attach probes and programs, and the types themselves for
 * corebtf. libbpf's btf__load_vmlinux_btf() would do, but it copies and
 * indexes all of it at every start (docs/benchmarks.md, "Measurements behind the code"). This maps the raw
 * types where the kernel allows (6.16 and later), reads them into memory
 * elsewhere, and notes where each type starts (one pass). */
#ifndef SOCKTRACE_KBTF_H
#define SOCKTRACE_KBTF_H

#include <stddef.h>
#include <stdint.h>

struct kbtf;
struct btf_type;

/* Opens raw BTF at path; NULL with errno set if it cannot be read or is not
 * valid BTF (EINVAL). */
struct kbtf *kbtf__open(const char *path);
/* Wraps a raw BTF image in memory; it must outlive the kbtf. */
struct kbtf *kbtf__from_mem(const void *data, size_t size);
void kbtf__free(struct kbtf *b);

/* Type ids run from 1 to kbtf_type_count() - 1 (0 is void). kbtf_type()
 * is NULL for an id out of range; its trailer (members, ...) follows it as
 * in linux/btf.h, already checked to lie inside the section. kbtf_str() is
 * NULL for an offset outside the string section. */
uint32_t kbtf_type_count(const struct kbtf *b);
/* The whole raw image, as read. */
const void *kbtf_raw(const struct kbtf *b, size_t *size);
const struct btf_type *kbtf_type(const struct kbtf *b, uint32_t id);
const char *kbtf_str(const struct kbtf *b, uint32_t off);

/* The id of the type named name of BTF kind kind (BTF_KIND_*), or -ENOENT.
 * (A malformed type section is refused when opening.) */
int kbtf_find(const struct kbtf *b, const char *name, unsigned int kind);

#endif
