/* Test helper: does CO-RE against btf_cut's cut of the kernel BTF relocate
 * socktrace's programs exactly as libbpf does against the whole of it?
 * Loads what `socktrace OPTIONS` would load twice, once each way, and
 * compares every loaded program's final instructions.
 *   build/helpers/btf_cut_diff [SOCKTRACE OPTIONS]
 * Prints one summary line; exit 0 if identical, 1 if not (each difference
 * is printed), 2 if a load failed or the cut could not be made. */
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf_id_sections.h"
#include "cli.h"
#include "kernel_btf.h"
#include "plan.h"
#include "socktrace.skel.h"
#include "tracer.h"

#define MAX_PROGS 32

struct loaded {
	int n;
	char *name[MAX_PROGS];
	struct bpf_insn *insns[MAX_PROGS];
	size_t cnt[MAX_PROGS];
};

/* Map references (ld_imm64 of a map fd) name the map by its place in the
 * object instead: the fds differ from one load to the next. */
static void normalize_maps(struct bpf_insn *insns, size_t cnt, const struct bpf_object *obj)
{
	for (size_t i = 0; i < cnt; i++) {
		const struct bpf_map *map;
		int at = 0;

		if (insns[i].code != (BPF_LD | BPF_IMM | BPF_DW) ||
		    (insns[i].src_reg != BPF_PSEUDO_MAP_FD && insns[i].src_reg != BPF_PSEUDO_MAP_VALUE))
			continue;
		bpf_object__for_each_map(map, obj) {
			if (bpf_map__fd(map) == insns[i].imm)
				break;
			at++;
		}
		insns[i].imm = map ? -1000 - at : -1;
	}
}

/* Loads the object (with the cut or not) and keeps a copy of each loaded
 * program's instructions. */
static int load(struct loaded *l, const struct kernel_btf *vmlinux, const struct plan *plan,
		const struct filter_cfg *filter, bool cut)
{
	struct tracer_obj obj;
	struct bpf_program *prog;
	int err;

	err = tracer_open_obj(&obj, cut, NULL, NULL, EVENTS_RINGS);
	if (err)
		return err;
	err = tracer_configure(obj.skel, plan, filter);
	err = err ?: tracer_load_obj(&obj, vmlinux, false);
	if (!err && cut && obj.whole_btf) {
		fprintf(stderr, "btf_cut_diff: no cut was made (socktrace -v says why)\n");
		err = -1;
	}
	bpf_object__for_each_program(prog, obj.skel->obj) {
		size_t bytes = bpf_program__insn_cnt(prog) * sizeof(struct bpf_insn);

		if (err || !bpf_program__autoload(prog) || l->n == MAX_PROGS)
			continue;
		l->name[l->n] = strdup(bpf_program__name(prog));
		l->insns[l->n] = malloc(bytes);
		if (l->insns[l->n]) {
			memcpy(l->insns[l->n], bpf_program__insns(prog), bytes);
			normalize_maps(l->insns[l->n], bpf_program__insn_cnt(prog), obj.skel->obj);
		}
		l->cnt[l->n++] = bpf_program__insn_cnt(prog);
	}
	tracer_close_obj(&obj);
	return err;
}

static int compare(const struct loaded *whole, const struct loaded *cut)
{
	size_t same = 0, differ = 0;

	if (whole->n != cut->n) {
		printf("btf_cut_diff: %d programs loaded with the whole BTF, %d with the cut\n",
		       whole->n, cut->n);
		return 1;
	}
	for (int i = 0; i < whole->n; i++) {
		if (strcmp(whole->name[i], cut->name[i]) || whole->cnt[i] != cut->cnt[i]) {
			printf("btf_cut_diff: %s: %zu instructions, %s: %zu\n", whole->name[i],
			       whole->cnt[i], cut->name[i], cut->cnt[i]);
			differ++;
			continue;
		}
		for (size_t j = 0; j < whole->cnt[i]; j++) {
			if (memcmp(&whole->insns[i][j], &cut->insns[i][j], sizeof(struct bpf_insn))) {
				printf("btf_cut_diff: %s: instruction %zu differs\n", whole->name[i], j);
				differ++;
			} else {
				same++;
			}
		}
	}
	printf("btf_cut_diff: %d programs, %zu instructions identical, %zu differ\n", whole->n,
	       same, differ);
	return differ ? 1 : 0;
}

static void release(struct loaded *l)
{
	for (int i = 0; i < l->n; i++) {
		free(l->name[i]);
		free(l->insns[i]);
	}
}

int main(int argc, char **argv)
{
	struct loaded whole = { 0 }, cut = { 0 };
	struct btf_id_sections *secs = NULL;
	struct kernel_btf *vmlinux;
	struct plan *plan;
	struct config cfg;
	int status = 2;

	if (cli_parse(argc, argv, &cfg) || cfg.show_help)
		return 2;
	tracer_set_libbpf_logging(false);
	vmlinux = kernel_btf__open("/sys/kernel/btf/vmlinux");
	plan = vmlinux ? plan__new(cfg.attach, cfg.no_syscall_hooks, vmlinux) : NULL;
	if (plan && plan_usable(plan, stderr))
		secs = btf_id_sections__new();
	if (secs) {
		btf_id_sections_use(secs, vmlinux);
		if (load(&whole, vmlinux, plan, &cfg.filter, false) ||
		    load(&cut, vmlinux, plan, &cfg.filter, true))
			fprintf(stderr, "btf_cut_diff: loading failed\n");
		else
			status = compare(&whole, &cut);
	}
	release(&whole);
	release(&cut);
	btf_id_sections__free(secs);
	plan__free(plan);
	kernel_btf__free(vmlinux);
	return status;
}
