/* Bench tool: what the kernel's verifier spends on each program socktrace
 * loads on this machine, from the verifier's own summary (BPF_LOG_STATS).
 * Takes socktrace's options (--attach=METHOD, filters), so it loads exactly
 * what `socktrace OPTIONS` would.
 *   build/helpers/verifier_stats [SOCKTRACE OPTIONS]
 * Prints one line per program and a total. */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf_id_sections.h"
#include "cli.h"
#include "kernel_btf.h"
#include "plan.h"
#include "socktrace.skel.h"
#include "tracer.h"

#define LOG_SIZE (1 << 20)

/* "verification time N usec" and "processed N insns" from a stats log. */
static void summarize(const char *log, long *usec, long *insns)
{
	const char *p = strstr(log, "verification time ");
	const char *q = strstr(log, "processed ");

	*usec = p ? strtol(p + strlen("verification time "), NULL, 10) : -1;
	*insns = q ? strtol(q + strlen("processed "), NULL, 10) : -1;
}

int main(int argc, char **argv)
{
	struct tracer_obj obj = { .core_fd = -1 };
	struct socktrace_bpf *skel = NULL;
	struct btf_id_sections *secs = NULL;
	struct kernel_btf *vmlinux = NULL;
	struct plan *plan = NULL;
	struct bpf_program *prog;
	struct config cfg;
	char *logs[64] = { 0 };
	long total_usec = 0;
	int n = 0, status = 1;

	if (cli_parse(argc, argv, &cfg) || cfg.show_help)
		return 2;
	tracer_set_libbpf_logging(false);
	vmlinux = kernel_btf__open("/sys/kernel/btf/vmlinux");
	plan = plan__new(cfg.attach, cfg.no_syscall_hooks, vmlinux);
	if (plan && plan_usable(plan, stderr))
		secs = btf_id_sections__new();
	if (secs)
		btf_id_sections_use(secs, vmlinux);
	if (secs && !tracer_open_obj(&obj, true, NULL, NULL, EVENTS_RINGS))
		skel = obj.skel;
	if (!skel || tracer_configure(skel, plan, &cfg.filter))
		goto out;
	bpf_object__for_each_program(prog, skel->obj) {
		if (!bpf_program__autoload(prog) || n == 64)
			continue;
		logs[n] = calloc(1, LOG_SIZE);
		if (!logs[n])
			goto out;
		bpf_program__set_log_level(prog, 4); /* BPF_LOG_STATS */
		bpf_program__set_log_buf(prog, logs[n++], LOG_SIZE);
	}
	if (tracer_load_obj(&obj, vmlinux, false)) {
		fprintf(stderr, "verifier_stats: loading failed\n");
		goto out;
	}
	n = 0;
	bpf_object__for_each_program(prog, skel->obj) {
		long usec, insns;

		if (!bpf_program__autoload(prog) || n == 64)
			continue;
		summarize(logs[n++], &usec, &insns);
		printf("%-20s %7ld us  %7ld insns processed\n", bpf_program__name(prog), usec, insns);
		total_usec += usec;
	}
	printf("%-20s %7ld us\n", "total", total_usec);
	status = 0;
out:
	tracer_close_obj(&obj);
	btf_id_sections__free(secs);
	plan__free(plan);
	kernel_btf__free(vmlinux);
	for (int i = 0; i < 64; i++)
		free(logs[i]);
	return status;
}
