/* The kernel's BTF cut down to what a BPF object's CO-RE relocations read,
 * for libbpf's btf_custom_path. Given the whole kernel BTF, libbpf 1.1
 * copies and indexes it and then scans all of its types once per struct
 * the programs relocate against, most of a start's time and peak memory
 * (docs/benchmarks.md, "Measurements behind the code"). The cut holds, for
 * each relocation, every candidate type libbpf would consider and, of a
 * struct, only the members on the relocated paths (at their own offsets,
 * with their sizes, kinds and int encodings, which is all libbpf's
 * matching reads), so libbpf computes the same offsets, sizes and answers as against the whole BTF;
 * tests/helpers/btf_cut_diff checks that instruction by instruction. */
#ifndef SOCKTRACE_BTF_CUT_H
#define SOCKTRACE_BTF_CUT_H

#include <stddef.h>

struct kernel_btf;

/* Builds the cut for the BPF ELF object elf[size] and writes it to fd, an
 * empty file. Returns 0, or 1 if it wrote the whole kernel BTF instead (a
 * relocation needs what the cut cannot express, e.g. TYPE_ID_TARGET), or
 * -errno if writing failed. note[len] says which and why, for -v. */
int btf_cut_write(int fd, const struct kernel_btf *kernel, const void *elf, size_t size, char *note,
		  size_t len);
/* The same from the object's .BTF and .BTF.ext sections themselves. */
int btf_cut_write_sections(int fd, const struct kernel_btf *kernel, const void *btf, size_t btf_size,
			   const void *ext, size_t ext_size, char *note, size_t len);

#endif
