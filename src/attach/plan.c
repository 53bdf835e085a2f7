#include "plan.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "kernel_probes.h"

#define MAX_METHODS 3
#define MAX_PROBES 2
#define MAX_PROGS 4 /* incl. NULL terminator */

struct method_def {
	enum st_method method;
	const char *label;
	struct {
		enum kernel_probes_kind kind;
		const char *target;
	} probes[MAX_PROBES]; /* all must pass; target NULL ends the list */
	struct plan_prog progs[MAX_PROGS];
	bool syscalls; /* on syscalls:* tracepoints: --no-syscall-hooks rules it out */
	const char *targets; /* what its programs hook, as --list-attach names it
			      * ({a,b}: either word in its place) */
};

struct hook_def {
	const char *name;
	const char *without; /* what is lost with no method; NULL: required */
	struct method_def methods[MAX_METHODS];
};

/* Preference order per hook; program names are those of bpf/socktrace.bpf.c. */
static const struct hook_def hooks[HOOK_COUNT] = {
	[HOOK_STATE] = {
		.name = "state",
		.methods = {
			{ METHOD_TP_BTF, "tp_btf", { { KF_TP_BTF, "inet_sock_set_state" } },
			  { { .name = "state_btf" } }, .targets = "inet_sock_set_state" },
			{ METHOD_TRACEPOINT, "tracepoint",
			  { { KF_TRACEPOINT, "sock/inet_sock_set_state" } }, { { .name = "state_tp" } },
			  .targets = "sock:inet_sock_set_state" },
		},
	},
	[HOOK_CONNECT] = {
		.name = "connect",
		.without = "CONNECT is reported at the socket's next state change",
		.methods = {
			{ METHOD_FENTRY, "fentry", { { KF_FENTRY, "tcp_connect" } },
			  { { .name = "connect_fentry" } }, .targets = "tcp_connect" },
			{ METHOD_KPROBE, "kprobe", { { KF_KPROBE, "tcp_connect" } },
			  { { .name = "connect_kprobe" } }, .targets = "tcp_connect" },
			{ METHOD_TRACEPOINT, "tracepoint",
			  { { KF_TRACEPOINT, "syscalls/sys_exit_connect" } },
			  { { .name = "connect_exit_tp" } }, .syscalls = true,
			  .targets = "syscalls:sys_exit_connect" },
		},
	},
	[HOOK_ACCEPT] = {
		.name = "accept",
		.without = "no ACCEPT events; accepted sockets keep the listener's owner",
		.methods = {
			{ METHOD_FENTRY, "fexit", { { KF_FEXIT, "inet_csk_accept" } },
			  { { .name = "accept_fexit" } }, .targets = "inet_csk_accept" },
			{ METHOD_KPROBE, "kretprobe", { { KF_KRETPROBE, "inet_csk_accept" } },
			  { { .name = "accept_kretprobe" } }, .targets = "inet_csk_accept" },
			{ METHOD_TRACEPOINT, "tracepoint",
			  { { KF_TRACEPOINT, "syscalls/sys_exit_accept" },
			    { KF_TRACEPOINT, "syscalls/sys_exit_accept4" } },
			  { { .name = "accept_exit_tp" },
			    { "accept_exit_tp", "syscalls", "sys_exit_accept4" } },
			  .syscalls = true, .targets = "syscalls:sys_exit_accept{,4}" },
		},
	},
	[HOOK_CLOSE] = {
		.name = "close",
		.without = "close records say rst_sent as aborted; no wait for a reset",
		.methods = {
			{ METHOD_TP_BTF, "tp_btf",
			  { { KF_TP_BTF, "tcp_send_reset" }, { KF_TP_BTF, "tcp_destroy_sock" } },
			  { { .name = "reset_sent_btf" }, { .name = "reset_received_btf" }, { .name = "destroy_btf" } },
			  .targets = "tcp_{send,receive}_reset,tcp_destroy_sock" },
			{ METHOD_TRACEPOINT, "tracepoint",
			  { { KF_TRACEPOINT, "tcp/tcp_send_reset" },
			    { KF_TRACEPOINT, "tcp/tcp_destroy_sock" } },
			  { { .name = "reset_sent_tp" }, { .name = "reset_received_tp" }, { .name = "destroy_tp" } },
			  .targets = "tcp:tcp_{send,receive}_reset,tcp_destroy_sock" },
		},
	},
	[HOOK_SEED] = {
		.name = "seed",
		.without = "sockets opened before start show no owner until their process acts",
		.methods = {
			{ METHOD_ITER, "iter", { { KF_ITER, "task_file" } }, { { .name = "seed_iter" } },
			  .targets = "task_file" },
		},
	},
};

enum verdict { NOT_TRIED, SKIPPED, EXCLUDED, REJECTED, CHOSEN };

struct hook_plan {
	bool forced; /* only the forced method was tried */
	int chosen; /* index into hooks[h].methods, or -1 */
	enum verdict verdict[MAX_METHODS];
	char reason[MAX_METHODS][192];
};

struct plan {
	enum st_method forced;
	bool no_syscalls;
	const struct kernel_btf *vmlinux;
	struct hook_plan h[HOOK_COUNT];
	struct hook_plan probed[HOOK_COUNT]; /* as the probes left it: plan_restart() */
	struct {
		int forced; /* enum st_events, or EVENTS_AUTO */
		enum verdict verdict[EVENTS_COUNT];
		char reason[EVENTS_COUNT][192];
	} events;
};

static int probe_method(struct kernel_probes *kf, const struct method_def *m, char *reason, size_t len)
{
	for (int i = 0; i < MAX_PROBES && m->probes[i].target; i++) {
		int err = kernel_probes_probe(kf, m->probes[i].kind, m->probes[i].target, reason, len);

		if (err)
			return err;
	}
	return 0;
}

/* Index of hook h's method m, or -1 if the hook does not offer it. */
static int method_index(int h, enum st_method m)
{
	for (int i = 0; i < MAX_METHODS && hooks[h].methods[i].label; i++)
		if (hooks[h].methods[i].method == m)
			return i;
	return -1;
}

/* Chooses hook h's first method from index m on that is not ruled out and
 * passes its probes. */
static void choose_from(struct plan *p, struct kernel_probes *kf, int h, int m)
{
	int only = p->forced == METHOD_NONE ? -1 : method_index(h, p->forced);

	p->h[h].chosen = -1;
	p->h[h].forced = only >= 0;
	for (; m < MAX_METHODS && hooks[h].methods[m].label; m++) {
		if (only >= 0 && m != only) {
			p->h[h].verdict[m] = SKIPPED;
			continue;
		}
		if (p->no_syscalls && hooks[h].methods[m].syscalls) {
			p->h[h].verdict[m] = EXCLUDED;
			continue;
		}
		if (probe_method(kf, &hooks[h].methods[m], p->h[h].reason[m],
				 sizeof(p->h[h].reason[m]))) {
			p->h[h].verdict[m] = REJECTED;
			continue;
		}
		p->h[h].verdict[m] = CHOSEN;
		p->h[h].chosen = m;
		break;
	}
}

struct plan *plan__new(enum st_method forced, bool no_syscalls, const struct kernel_btf *vmlinux)
{
	struct plan *p = calloc(1, sizeof(*p));
	struct kernel_probes *kf = kernel_probes__new(vmlinux);

	if (!p || !kf) {
		free(p);
		kernel_probes__free(kf);
		return NULL;
	}
	p->forced = forced;
	p->no_syscalls = no_syscalls;
	p->vmlinux = vmlinux;
	p->events.forced = EVENTS_AUTO;
	for (int h = 0; h < HOOK_COUNT; h++)
		choose_from(p, kf, h, 0);
	memcpy(p->probed, p->h, sizeof(p->h));
	kernel_probes__free(kf);
	return p;
}

/* The hook whose chosen method loads program prog, or -1. */
static int hook_of_prog(const struct plan *p, const char *prog)
{
	for (int h = 0; h < HOOK_COUNT; h++) {
		const struct plan_prog *progs = plan_programs(p, (enum st_hook)h);

		for (int i = 0; progs[i].name; i++)
			if (!strcmp(progs[i].name, prog))
				return h;
	}
	return -1;
}

bool plan_prog_is_state(const struct plan *p, const char *prog)
{
	return hook_of_prog(p, prog) == HOOK_STATE;
}

bool plan_reject_prog(struct plan *p, const char *prog, const char *reason)
{
	int h = hook_of_prog(p, prog), m;
	struct kernel_probes *kf;

	if (h < 0)
		return false;
	m = p->h[h].chosen;
	p->h[h].verdict[m] = REJECTED;
	snprintf(p->h[h].reason[m], sizeof(p->h[h].reason[m]), "the verifier refused %s: %s",
		 prog, reason);
	kf = kernel_probes__new(p->vmlinux);
	if (!kf)
		return false;
	choose_from(p, kf, h, m + 1);
	kernel_probes__free(kf);
	return p->h[h].chosen >= 0 || hooks[h].without;
}

void plan_restart(struct plan *p)
{
	memcpy(p->h, p->probed, sizeof(p->h));
}

void plan_events_forced(struct plan *p, int forced)
{
	p->events.forced = forced;
	for (int e = 0; e < EVENTS_COUNT; e++)
		p->events.verdict[e] = forced >= 0 && e != forced ? SKIPPED : NOT_TRIED;
}

void plan_events_result(struct plan *p, int e, const char *refused)
{
	p->events.verdict[e] = refused ? REJECTED : CHOSEN;
	if (refused)
		snprintf(p->events.reason[e], sizeof(p->events.reason[e]), "%s", refused);
}

void plan__free(struct plan *p)
{
	free(p);
}

enum st_method plan_method(const struct plan *p, enum st_hook hook)
{
	int m = p->h[hook].chosen;

	return m < 0 ? METHOD_NONE : hooks[hook].methods[m].method;
}

const char *plan_method_name(enum st_method m)
{
	switch (m) {
	case METHOD_FENTRY:
		return "fentry";
	case METHOD_KPROBE:
		return "kprobe";
	case METHOD_TRACEPOINT:
		return "tracepoint";
	default:
		return NULL;
	}
}

/* Whether hook h, forced to one method, went without it because
 * --no-syscall-hooks ruled it out (not because the kernel refused it). */
static bool excluded_only(const struct plan *p, int h)
{
	int only = method_index(h, p->forced);

	return only >= 0 && p->h[h].verdict[only] == EXCLUDED;
}

bool plan_usable(const struct plan *p, FILE *why)
{
	bool ok = true;

	for (int h = 0; h < HOOK_COUNT; h++) {
		int only = p->h[h].forced ? method_index(h, p->forced) : -1;

		if (p->h[h].chosen >= 0)
			continue;
		if (only >= 0 && !excluded_only(p, h)) {
			if (why)
				fprintf(why, "socktrace: --attach=%s: hook %s cannot use %s: %s\n",
					plan_method_name(p->forced), hooks[h].name,
					hooks[h].methods[only].label, p->h[h].reason[only]);
			ok = false;
		} else if (!hooks[h].without) {
			if (why)
				fprintf(why, "socktrace: hook %s: no attach method works on this "
					     "kernel (see socktrace --list-attach)\n",
					hooks[h].name);
			ok = false;
		}
	}
	return ok;
}

/* Width of the TARGET column: the longest target, at least its title. */
static int target_width(void)
{
	int w = (int)strlen("TARGET");

	for (int h = 0; h < HOOK_COUNT; h++)
		for (int m = 0; m < MAX_METHODS && hooks[h].methods[m].label; m++)
			if ((int)strlen(hooks[h].methods[m].targets) > w)
				w = (int)strlen(hooks[h].methods[m].targets);
	return w;
}

static void print_row(FILE *out, const char *hook, const char *method, const char *target,
		      int width, const char *status)
{
	fprintf(out, "%-8s %-11s %-*s %s\n", hook, method, width, target, status);
}

/* The events rows: which transport's object loaded, why others did not. */
static void events_print(const struct plan *p, FILE *out, int width)
{
	char why[224];

	for (int e = 0; e < EVENTS_COUNT; e++) {
		const char *label = events_name((enum st_events)e);

		switch (p->events.verdict[e]) {
		case CHOSEN:
			snprintf(why, sizeof(why), "chosen");
			break;
		case REJECTED:
			snprintf(why, sizeof(why), "rejected: %s", p->events.reason[e]);
			break;
		case SKIPPED:
			snprintf(why, sizeof(why), "not tried (--events=%s)",
				 events_name((enum st_events)p->events.forced));
			break;
		default:
			snprintf(why, sizeof(why), "not tried (%s)",
				 e ? "a better one loads" : "not loaded");
			break;
		}
		print_row(out, "events", label, "-", width, why);
	}
}

void plan_print(const struct plan *p, FILE *out)
{
	int width = target_width();

	print_row(out, "HOOK", "METHOD", "TARGET", width, "STATUS");
	events_print(p, out, width);
	for (int h = 0; h < HOOK_COUNT; h++) {
		for (int m = 0; m < MAX_METHODS && hooks[h].methods[m].label; m++) {
			const char *label = hooks[h].methods[m].label;
			const char *target = hooks[h].methods[m].targets;
			char why[224];

			switch (p->h[h].verdict[m]) {
			case CHOSEN:
				snprintf(why, sizeof(why), "chosen");
				break;
			case REJECTED:
				snprintf(why, sizeof(why), "rejected: %s", p->h[h].reason[m]);
				break;
			case SKIPPED:
				snprintf(why, sizeof(why), "not tried (--attach=%s)",
					 plan_method_name(p->forced));
				break;
			case EXCLUDED:
				snprintf(why, sizeof(why), "not tried (--no-syscall-hooks)");
				break;
			case NOT_TRIED:
				snprintf(why, sizeof(why), "not tried (a better method works)");
				break;
			}
			print_row(out, hooks[h].name, label, target, width, why);
		}
		if (p->h[h].chosen < 0 && p->h[h].forced && !excluded_only(p, h)) {
			char why[64];

			snprintf(why, sizeof(why), "--attach=%s refused: cannot trace",
				 plan_method_name(p->forced));
			print_row(out, hooks[h].name, "none", "-", width, why);
		} else if (p->h[h].chosen < 0) {
			print_row(out, hooks[h].name, "none", "-", width,
				  hooks[h].without ? hooks[h].without : "required: cannot trace");
		}
	}
}

void plan_announce(const struct plan *p, FILE *out)
{
	fprintf(out, "socktrace: tracing (");
	for (int h = 0; h < HOOK_COUNT; h++) {
		int m = p->h[h].chosen;

		fprintf(out, "%s%s=%s", h ? " " : "", hooks[h].name,
			m < 0 ? "none" : hooks[h].methods[m].label);
	}
	for (int e = 0; e < EVENTS_COUNT; e++)
		if (p->events.verdict[e] == CHOSEN)
			fprintf(out, " events=%s", events_name((enum st_events)e));
	fprintf(out, "); Ctrl-C to stop\n");
	fflush(out);
}

size_t plan_labels(const struct plan *p, char *buf, size_t len)
{
	size_t n = 0;

	for (int h = 0; h < HOOK_COUNT; h++) {
		int m = p->h[h].chosen;

		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s=\"%s\"", h ? "," : "",
				      hooks[h].name, m < 0 ? "none" : hooks[h].methods[m].label);
	}
	for (int e = 0; e < EVENTS_COUNT; e++)
		if (p->events.verdict[e] == CHOSEN)
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, ",events=\"%s\"",
					      events_name((enum st_events)e));
	return n;
}

int plan_apply(const struct plan *p, struct bpf_object *obj)
{
	for (int h = 0; h < HOOK_COUNT; h++) {
		for (int m = 0; m < MAX_METHODS && hooks[h].methods[m].label; m++) {
			const struct plan_prog *progs = hooks[h].methods[m].progs;

			for (int i = 0; i < MAX_PROGS && progs[i].name; i++) {
				struct bpf_program *prog =
					bpf_object__find_program_by_name(obj, progs[i].name);

				if (!prog)
					return -ENOENT;
				bpf_program__set_autoload(prog, p->h[h].chosen == m);
			}
		}
	}
	return 0;
}

const struct plan_prog *plan_programs(const struct plan *p, enum st_hook hook)
{
	static const struct plan_prog none[] = { { .name = NULL } };
	int m = p->h[hook].chosen;

	return m < 0 ? none : hooks[hook].methods[m].progs;
}
