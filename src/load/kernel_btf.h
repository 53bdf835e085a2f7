/* The kernel's BTF (/sys/kernel/btf/vmlinux) read in place: type ids by
 * name for the attach probes and programs, and the types themselves for
 * btf_cut. libbpf's btf__load_vmlinux_btf() would do, but it copies and
 * indexes all of it at every start (docs/benchmarks.md, "Measurements
 * behind the code"). This maps the raw types where the kernel allows (6.16
 * and later), reads them into memory elsewhere, and notes where each type
 * starts (one pass). */
#ifndef SOCKTRACE_KERNEL_BTF_H
#define SOCKTRACE_KERNEL_BTF_H

#include <stddef.h>
#include <stdint.h>

struct kernel_btf;
struct btf_type;

/* Opens raw BTF at path; NULL with errno set if it cannot be read or is not
 * valid BTF (EINVAL). */
struct kernel_btf *kernel_btf__open(const char *path);
/* Wraps a raw BTF image in memory; it must outlive the kernel_btf. */
struct kernel_btf *kernel_btf__from_mem(const void *data, size_t size);
void kernel_btf__free(struct kernel_btf *b);

/* Type ids run from 1 to kernel_btf_type_count() - 1 (0 is void). kernel_btf_type()
 * is NULL for an id out of range; its trailer (members, ...) follows it as
 * in linux/btf.h, already checked to lie inside the section. kernel_btf_str() is
 * NULL for an offset outside the string section. */
uint32_t kernel_btf_type_count(const struct kernel_btf *b);
/* The whole raw image, as read. */
const void *kernel_btf_raw(const struct kernel_btf *b, size_t *size);
const struct btf_type *kernel_btf_type(const struct kernel_btf *b, uint32_t id);
const char *kernel_btf_str(const struct kernel_btf *b, uint32_t off);

/* The id of the type named name of BTF kind kind (BTF_KIND_*), or -ENOENT.
 * (A malformed type section is refused when opening.) */
int kernel_btf_find(const struct kernel_btf *b, const char *name, unsigned int kind);

#endif
