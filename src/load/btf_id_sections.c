#include "btf_id_sections.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_btf.h"

struct sec_kind {
	const char *prefix;    /* section name up to the target */
	const char *btf_name;  /* the target's BTF name, from the section's target */
	unsigned int btf_kind; /* BTF_KIND_* of that name */
	enum bpf_attach_type type;
	const struct btf_id_sections *owner;
	int handler;
};

#define N_KINDS 4

struct btf_id_sections {
	const struct kernel_btf *kernel;
	struct sec_kind kinds[N_KINDS];
};

static const struct sec_kind kinds[N_KINDS] = {
	{ "st.fentry/", "%s", BTF_KIND_FUNC, BPF_TRACE_FENTRY, NULL, 0 },
	{ "st.fexit/", "%s", BTF_KIND_FUNC, BPF_TRACE_FEXIT, NULL, 0 },
	{ "st.tp_btf/", "btf_trace_%s", BTF_KIND_TYPEDEF, BPF_TRACE_RAW_TP, NULL, 0 },
	{ "st.iter/", "bpf_iter_%s", BTF_KIND_FUNC, BPF_TRACE_ITER, NULL, 0 },
};

static int prepare_load(struct bpf_program *prog, struct bpf_prog_load_opts *opts, long cookie)
{
	const struct sec_kind *k = (const struct sec_kind *)cookie;
	const char *target = bpf_program__section_name(prog) + strlen(k->prefix);
	char name[128];
	int id;

	if (k->owner->kernel) {
		snprintf(name, sizeof(name), k->btf_name, target);
		id = kernel_btf_find(k->owner->kernel, name, k->btf_kind);
	} else {
		/* libbpf's way (--no-fast-start): it reads the kernel's
		 * whole BTF, once per program. */
		id = libbpf_find_vmlinux_btf_id(target, k->type);
	}
	if (id < 0)
		return id;
	opts->attach_btf_id = (__u32)id;
	opts->expected_attach_type = k->type;
	return bpf_program__set_type(prog, BPF_PROG_TYPE_TRACING);
}

static int attach(const struct bpf_program *prog, long cookie, struct bpf_link **link)
{
	const struct sec_kind *k = (const struct sec_kind *)cookie;

	*link = k->type == BPF_TRACE_ITER ? bpf_program__attach_iter(prog, NULL)
					  : bpf_program__attach_trace(prog);
	return *link ? 0 : -errno;
}

void btf_id_sections_use(struct btf_id_sections *s, const struct kernel_btf *kernel)
{
	s->kernel = kernel;
}

struct btf_id_sections *btf_id_sections__new(void)
{
	struct btf_id_sections *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	for (int i = 0; i < N_KINDS; i++) {
		struct sec_kind *k = &s->kinds[i];

		*k = kinds[i];
		k->owner = s;
		LIBBPF_OPTS(libbpf_prog_handler_opts, opts, .cookie = (long)k,
			    .prog_prepare_load_fn = prepare_load, .prog_attach_fn = attach);
		/* Not BPF_PROG_TYPE_TRACING yet: libbpf would load all the
		 * kernel BTF for it. prepare_load() sets the real type. */
		k->handler = libbpf_register_prog_handler(k->prefix, BPF_PROG_TYPE_RAW_TRACEPOINT,
							  k->type, &opts);
		if (k->handler < 0) {
			int err = -k->handler;

			btf_id_sections__free(s);
			errno = err;
			return NULL;
		}
	}
	return s;
}

void btf_id_sections__free(struct btf_id_sections *s)
{
	if (!s)
		return;
	for (int i = 0; i < N_KINDS; i++)
		if (s->kinds[i].handler > 0)
			libbpf_unregister_prog_handler(s->kinds[i].handler);
	free(s);
}
