/* The running tracer: loads the BPF programs the plan chose, attaches
 * them, and feeds decoded events to a sink until asked to stop. */
#ifndef SOCKTRACE_TRACER_H
#define SOCKTRACE_TRACER_H

#include <signal.h>
#include <stdbool.h>

#include "cli.h"
#include "plan.h"
#include "sink.h"

struct tracer;
struct socktrace_bpf;
struct kbtf;

/* The BPF object opened so that loading it never needs libbpf to read the
 * whole kernel BTF: programs that attach by BTF id are in tracing_secs.h's
 * sections, whose handlers must be registered first and outlive the object,
 * and with cut, CO-RE relocates against corebtf.h's cut of vmlinux (if it
 * cannot be made, against all of it; -v says which). */
struct tracer_obj {
	struct socktrace_bpf *skel;
	int core_fd; /* the cut, until loaded; -1 if none */
};

/* Returns 0 or -errno. vmlinux must outlive the object. */
int tracer_open_obj(struct tracer_obj *o, const struct kbtf *vmlinux, bool cut, bool verbose);
/* Destroys the skeleton too. Fine on an object already closed or that
 * tracer_open_obj failed to open. */
void tracer_close_obj(struct tracer_obj *o);

/* Sets up an opened, not yet loaded skeleton as the tracer loads it: the
 * plan's programs only, the settings they depend on, the filters. Returns
 * 0 or -errno. (tracer__new does this; tests/bench/verifier_stats too.) */
int tracer_configure(struct socktrace_bpf *skel, const struct plan *plan,
		     const struct filter_cfg *filter);

/* Routes libbpf's messages to stderr when verbose, drops them otherwise. */
void tracer_set_libbpf_logging(bool verbose);

/* Loads with the filters set, and attaches; prints why to stderr and
 * returns NULL on failure. The sink stays owned by the caller. */
struct tracer *tracer__new(const struct plan *plan, const struct filter_cfg *filter,
			   struct sink *sink, const struct kbtf *vmlinux, bool verbose);
void tracer__free(struct tracer *t);

/* Polls until *stop is set or output fails. Returns the process exit
 * status: 0 (stopped, or the reader went away), 1 on an error. */
int tracer_run(struct tracer *t, const volatile sig_atomic_t *stop);

#endif
