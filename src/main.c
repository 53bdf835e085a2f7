/* socktrace: trace the life of every TCP socket. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_mount.h"
#include "cgroup_names.h"
#include "cli.h"
#include "container_filters.h"
#include "env_check.h"
#include "fdio.h"
#include "kernel_btf.h"
#include "metrics.h"
#include "output.h"
#include "plan.h"
#include "prio.h"
#include "serve.h"
#include "sink.h"
#include "sink_metrics.h"
#include "tracer.h"

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"
#define OUTBUF_SIZE (256 * 1024)

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void install_signal_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal }; /* no SA_RESTART: wake poll */

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL); /* the terminal or ssh session went away */
	signal(SIGPIPE, SIG_IGN); /* a vanished reader shows up as EPIPE */
}

/* With stdout closed (now /dev/null, see fd_open_std), a trace meant for it
 * would vanish: say so instead. */
static bool output_has_a_place(const struct config *cfg, int closed_std)
{
	if (cfg->output || cfg->quiet || cfg->show_help || !(closed_std & 1 << STDOUT_FILENO))
		return true;
	fprintf(stderr, "socktrace: standard output is closed; give -o FILE to write the trace "
			"to a file\n");
	return false;
}

static struct sink *open_trace_sink(const struct config *cfg, struct outbuf *out,
				    struct cgroup_names *names)
{
	const struct sink_opts opts = {
		.timestamps = cfg->timestamps,
		.containers = cfg->containers,
		.cgroups = names,
	};

	if (cfg->json)
		return sink__new_json(out, &opts);
	if (cfg->timeline)
		return sink__new_timeline(out, &opts);
	return sink__new_text(out, &opts);
}

/* The trace's sink; with --metrics, the metrics' in front of it (alone
 * when the daemon is quiet). */
static struct sink *open_sink(const struct config *cfg, struct outbuf *out, struct metrics *m,
			      struct cgroup_names *names)
{
	struct sink *trace = NULL;

	if (!cfg->quiet && !(trace = open_trace_sink(cfg, out, names)))
		return NULL;
	return m ? sink__new_metrics(out, trace, m, names) : trace;
}

/* The names of the cgroup2 tree, found from /proc/self/mountinfo, for the
 * records' cgroup and container; with them --cgroup, --container and
 * --netns become the ids the kernel compares. Returns 0, 1 (out of
 * memory) or EXIT_USAGE after saying which value is bad. */
static int open_cgroup_names(struct filter_cfg *f, struct cgroup_names **names)
{
	char root[PATH_MAX];
	bool mounted = cgroup2_mount_find(root, sizeof(root)) == 0;

	*names = cgroup_names__new(mounted ? root : NULL, cgroup_v1_present());
	if (!*names) {
		fprintf(stderr, "socktrace: out of memory\n");
		return 1;
	}
	return container_filters_resolve(f, mounted ? root : NULL, *names, stderr);
}

/* --metrics: the counters and their server, started before anything is
 * loaded so that an address in use fails at once. Returns 0, or EXIT_USAGE
 * (a bad address) or 1 after saying why. */
static int start_metrics(const struct config *cfg, struct metrics **m,
			 struct metrics_server **srv)
{
	char where[96];

	if (!cfg->metrics.on)
		return 0;
	*m = metrics__new(cfg->metrics.top);
	if (!*m) {
		fprintf(stderr, "socktrace: --metrics: out of memory\n");
		return 1;
	}
	*srv = metrics_server__start((const struct sockaddr *)&cfg->metrics.addr,
				     cfg->metrics.addr_len, *m, stderr, where, sizeof(where));
	if (!*srv)
		return EXIT_USAGE;
	fprintf(stderr, "socktrace: metrics at http://%s/metrics\n", where);
	return 0;
}

/* socktrace_info's labels: the version and the attach plan. */
static void describe_metrics(struct metrics *m, const struct plan *plan)
{
	char labels[512];
	int n = snprintf(labels, sizeof(labels), "version=\"%s\",", SOCKTRACE_VERSION);

	plan_labels(plan, labels + n, sizeof(labels) - (size_t)n);
	metrics_set_info(m, labels);
}

/* --priority: unless normal, the reader (this thread) at idle priority,
 * with the watchdog that raises it while it falls behind. */
static struct reader_prio *start_reader_prio(const struct config *cfg, const struct tracer *t)
{
	/* The watchdog reads the rings' fill; on the ring buffer and the perf
	 * buffers the reader stays at normal priority. */
	if (cfg->normal_priority)
		return NULL;
	if (!tracer_ring(t)) {
		if (cfg->verbose)
			fprintf(stderr, "socktrace: the reader stays at normal priority: its "
					"watchdog reads the rings, and records take another way\n");
		return NULL;
	}
	return reader_prio__start(tracer_ring(t));
}

/* --btf's types, for CO-RE where the kernel has no BTF of its own; NULL
 * after saying why if they cannot be used. */
static struct kernel_btf *open_btf_file(const char *path)
{
	struct kernel_btf *b = kernel_btf__open(path);

	if (!b)
		fprintf(stderr, "socktrace: --btf=%s: %s\n", path,
			errno == EINVAL ? "not raw BTF (a BTFHub .btf file, unpacked, is)"
					: strerror(errno));
	return b;
}

/* Traces until a signal or an output error: the output opened, the
 * programs attached, records formatted into it. Returns the exit status. */
static int trace(const struct config *cfg, struct tracer *tracer, const struct plan *plan,
		 struct metrics *m, struct cgroup_names *names)
{
	const struct output_rotation rot = { cfg->rotate_size, cfg->rotate_keep };
	struct outbuf *out = cfg->quiet ? output_open_nowhere()
					: output_open(cfg->output, OUTBUF_SIZE, &rot);
	struct sink *sink = NULL;
	struct reader_prio *prio;
	int status = 1;

	if (!out)
		return 1;
	outbuf_watch_stop(out, &stop_requested);
	sink = open_sink(cfg, out, m, names);
	if (!sink)
		goto cleanup;
	install_signal_handlers();
	if (tracer_start(tracer, plan, &cfg->filter, sink))
		goto cleanup;
	plan_announce(plan, stderr);
	if (m) {
		describe_metrics(m, plan);
		metrics_set_rings(m, tracer_ring(tracer));
	}
	prio = start_reader_prio(cfg, tracer);
	status = tracer_run(tracer, &stop_requested);
	if (output_report_unwritten(out, stderr))
		status = 1;
	reader_prio__free(prio, cfg->verbose ? stderr : NULL);
cleanup:
	sink__free(sink);
	outbuf__free(out);
	return status;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct kernel_btf *vmlinux = NULL, *btf_file = NULL;
	struct plan *plan = NULL;
	struct tracer *tracer = NULL;
	struct metrics *metrics = NULL;
	struct metrics_server *server = NULL;
	struct cgroup_names *names = NULL;
	bool usable;
	int status, closed_std;

	closed_std = fd_open_std();
	if (closed_std < 0)
		return 1;
	status = cli_parse(argc, argv, &cfg);
	if (status || cfg.show_help)
		return status;
	if (!output_has_a_place(&cfg, closed_std))
		return 1;
	status = open_cgroup_names(&cfg.filter, &names);
	if (!status && env_check(KERNEL_BTF, cfg.btf))
		status = 1;
	if (status)
		goto cleanup;
	tracer_set_libbpf_logging(cfg.verbose);
	status = cfg.list_attach ? 0 : start_metrics(&cfg, &metrics, &server);
	if (status)
		goto cleanup;
	status = 1;
	/* The tracer first: its maps are made while the plan probes. */
	tracer = tracer__open(cfg.verbose, cfg.tables, cfg.events,
			      &(struct tracer_load_opts){ cfg.no_fast_start, cfg.btf });
	if (!tracer)
		goto cleanup;
	vmlinux = kernel_btf__open(KERNEL_BTF); /* NULL: the plan says what that rules out */
	if (cfg.btf && !(btf_file = open_btf_file(cfg.btf)))
		goto cleanup;
	plan = plan__new(cfg.attach, cfg.no_syscall_hooks, vmlinux);
	if (!plan)
		goto cleanup;
	usable = plan_usable(plan, stderr) &&
		 !tracer_load(tracer, plan, &cfg.filter, vmlinux, btf_file ? btf_file : vmlinux,
			      cfg.events);
	if (cfg.list_attach)
		plan_print(plan, stdout);
	if (usable && !cfg.list_attach)
		status = trace(&cfg, tracer, plan, metrics, names);
	else
		status = usable ? 0 : 1;

cleanup:
	metrics_server__stop(server);
	metrics__free(metrics);
	tracer__free(tracer);
	plan__free(plan);
	kernel_btf__free(vmlinux);
	kernel_btf__free(btf_file);
	cgroup_names__free(names);
	return status;
}
