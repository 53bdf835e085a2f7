/* Sections for the BPF programs that attach by kernel BTF id (fentry,
 * fexit, tp_btf, iterators), named "st.fentry/FUNC" and so on in
 * bpf/socktrace.bpf.c. libbpf 1.1 loads the whole kernel BTF (see
 * kernel_btf.h) for any such program in its own sections, only to find the
 * target's id; these handlers find it with kernel_btf instead. The program
 * is declared a raw tracepoint until libbpf is past that check, then loaded
 * as the tracing program it is. Attaching goes through bpf_program__attach().
 * Register before opening the object, free after destroying it, and only
 * once per process: libbpf 1.1 keeps a freed array once the last handler
 * is unregistered, and the next registration frees it again. */
#ifndef SOCKTRACE_BTF_ID_SECTIONS_H
#define SOCKTRACE_BTF_ID_SECTIONS_H

struct kernel_btf;
struct btf_id_sections;

/* NULL with errno set if libbpf refuses a handler. */
struct btf_id_sections *btf_id_sections__new(void);
void btf_id_sections__free(struct btf_id_sections *s);

/* The kernel BTF the ids are looked up in, from then on; it must outlive
 * the load. Until set, or if NULL (no kernel BTF, or --no-fast-start),
 * libbpf finds each id itself (libbpf_find_vmlinux_btf_id(), which reads
 * the kernel's whole BTF every time). */
void btf_id_sections_use(struct btf_id_sections *s, const struct kernel_btf *kernel);

#endif
