/* The attach plan: for each hook, the best method this kernel accepts.
 * Probing happens once, in plan__new; everything else reads the result. */
#ifndef SOCKTRACE_PLAN_H
#define SOCKTRACE_PLAN_H

#include <stdbool.h>
#include <stdio.h>

struct bpf_object;
struct kernel_btf;

enum st_hook {
	HOOK_STATE,   /* every TCP state change */
	HOOK_CONNECT, /* active open, once the local port is known */
	HOOK_ACCEPT,  /* passive open, in the accepting process */
	HOOK_CLOSE,   /* resets and destruction: why a connection ended */
	HOOK_SEED,    /* start-up walk of existing sockets and their owners */
	HOOK_COUNT
};

enum st_method {
	METHOD_NONE = -1,
	METHOD_FENTRY,     /* fentry or fexit */
	METHOD_KPROBE,     /* kprobe or kretprobe */
	METHOD_TP_BTF,
	METHOD_TRACEPOINT, /* classic tracepoint(s) */
	METHOD_ITER,       /* BPF iterator */
};

struct plan;

/* Probes every hook's methods in order of preference. With forced other
 * than METHOD_NONE, a hook that offers that method tries only it (the
 * other hooks keep their preference order). With no_syscalls, methods on
 * syscalls:* tracepoints are not tried: while one is attached, every
 * syscall of every process on the host takes the kernel's slower syscall
 * path, and such a hook goes without (its "without" line) instead. vmlinux
 * is the kernel's BTF, or NULL if unreadable (see kernel_probes.h). NULL on ENOMEM. */
struct plan *plan__new(enum st_method forced, bool no_syscalls, const struct kernel_btf *vmlinux);
void plan__free(struct plan *p);

enum st_method plan_method(const struct plan *p, enum st_hook hook);
/* False when a hook the tracer cannot do without has no method, or a forced
 * method was refused; then one line per such hook goes to why (if not NULL). */
bool plan_usable(const struct plan *p, FILE *why);

/* The plan as loading proves it (src/tracer.c): loading an object can fail
 * where the probes passed, as the verifier refuses a program. */

/* Whether program prog is one of the state hook's (which every record
 * goes through: its refusal is the object's, not a method's). */
bool plan_prog_is_state(const struct plan *p, const char *prog);
/* The verifier refused program prog for reason: its hook's method is
 * rejected with it and the hook takes its next method that passes the
 * probes. False if prog is not a chosen program, or its hook cannot do
 * without and has no method left. */
bool plan_reject_prog(struct plan *p, const char *prog, const char *reason);
/* Back to the probes' choice, for another object. */
void plan_restart(struct plan *p);
/* The event transports: forced is --events's (an enum st_events, or
 * EVENTS_AUTO); then each one tried is CHOSEN, or rejected with refused
 * (not NULL). */
void plan_events_forced(struct plan *p, int forced);
void plan_events_result(struct plan *p, int e, const char *refused);

/* The name --attach uses for a forceable method ("fentry", ...), or NULL. */
const char *plan_method_name(enum st_method m);

/* One line per hook and method: chosen, rejected (with the kernel's
 * reason) or not tried; hooks without a method say what is lost. */
void plan_print(const struct plan *p, FILE *out);

/* One line: "socktrace: tracing (state=tp_btf connect=... events=rings)",
 * printed once every hook is attached. */
void plan_announce(const struct plan *p, FILE *out);

/* The plan as Prometheus label pairs (state="tp_btf",...,events="rings")
 * into buf, truncated to len; returns the length it needed. */
size_t plan_labels(const struct plan *p, char *buf, size_t len);

/* Enables autoload for the chosen programs only. Returns 0 or -errno. */
int plan_apply(const struct plan *p, struct bpf_object *obj);

/* A program of a chosen method and where it attaches: where its section
 * name says, or at the classic tracepoint tp_category/tp_name when set (one
 * program serving several tracepoints). */
struct plan_prog {
	const char *name; /* in bpf/socktrace.bpf.c */
	const char *tp_category;
	const char *tp_name;
};

/* The programs of a hook's chosen method; the list ends with name NULL. A
 * program may appear more than once, attached at different places. */
const struct plan_prog *plan_programs(const struct plan *p, enum st_hook hook);

#endif
