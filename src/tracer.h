/* The running tracer: loads the BPF programs the plan chose, attaches
 * them, and feeds decoded events to a sink until asked to stop. */
#ifndef SOCKTRACE_TRACER_H
#define SOCKTRACE_TRACER_H

#include <signal.h>
#include <stdbool.h>

#include "cli.h"
#include "events.h"
#include "plan.h"
#include "sink.h"
#include "tables.h"

struct tracer;
struct socktrace_bpf;
struct kernel_btf;
struct premade_maps;
struct percpu_rings;

/* The BPF object opened so that loading it never needs libbpf to read the
 * whole kernel BTF: programs that attach by BTF id are in btf_id_sections.h's
 * sections, whose handlers must be registered first and outlive the object,
 * and with cut, CO-RE relocates against btf_cut.h's cut of vmlinux (if it
 * cannot be made, against all of it; -v says which). Its biggest maps are
 * made on a thread meanwhile (premade_maps.h). */
struct tracer_obj {
	struct socktrace_bpf *skel;
	int core_fd; /* what CO-RE relocates against, until loaded; -1 if none */
	bool whole_btf; /* the cut could not be made: core_fd had all of it */
	struct premade_maps *premade_maps;
	enum st_events events; /* its transport: which object (bpfobj.h) */
	unsigned ncpus, ring_shift; /* the event rings: one per CPU, 1 << ring_shift slots */
	struct table_sizes tables;  /* the socket and listener tables' entries */
};

/* Open; configure (tracer_configure), then load with CO-RE against types
 * (the kernel's BTF, or --btf's), which must outlive the object. Return 0
 * or -errno. Without fast, libbpf does it all (--no-fast-start; tests
 * compare the two): CO-RE against the file btf_path (NULL: the kernel's
 * BTF, which libbpf reads itself), and libbpf makes the maps. tables: the
 * tables' sizes (NULL: the object's own). */
int tracer_open_obj(struct tracer_obj *o, bool fast, const char *btf_path,
		    const struct table_sizes *tables, enum st_events events);
int tracer_load_obj(struct tracer_obj *o, const struct kernel_btf *types, bool verbose);
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

/* How the tracer loads its object: the fast start (src/load/), or, with
 * plain, libbpf alone, CO-RE against btf_path (--btf; NULL: the kernel's). */
struct tracer_load_opts {
	bool plain;
	const char *btf_path;
};

/* Opens the BPF object of the first transport to try (events: --events's,
 * an enum st_events or EVENTS_AUTO) and, unless lo->plain, starts making
 * its biggest maps, so that this overlaps the attach plan's probes.
 * tables: the sizes asked for, 0 where the host decides (tables_size()).
 * Prints why and returns NULL on failure. */
struct tracer *tracer__open(bool verbose, struct table_sizes tables, int events,
			    const struct tracer_load_opts *lo);
/* Loads what the plan chose, with the filters set, programs that attach
 * by BTF id found in vmlinux (the kernel's BTF; NULL: it has none) and
 * CO-RE against types (vmlinux or --btf's); both must outlive the
 * tracer. It proves the plan: while the
 * verifier refuses a program, its hook falls back to its next method, and
 * a refused state program (or object) to the next transport's object
 * (rings, then ringbuf; only the forced one with events >= 0). The plan
 * records each refusal for plan_print(). Prints why and returns -1 if
 * nothing loads. */
int tracer_load(struct tracer *t, struct plan *plan, const struct filter_cfg *filter,
		const struct kernel_btf *vmlinux, const struct kernel_btf *types, int events);
/* Fills the filter maps, attaches what tracer_load() loaded, walks the
 * sockets open now and opens the reader. Prints why and returns -1 on
 * failure. The sink stays owned by the caller. */
int tracer_start(struct tracer *t, const struct plan *plan, const struct filter_cfg *filter,
		 struct sink *sink);
void tracer__free(struct tracer *t);

/* The started tracer's event rings; NULL on the ring buffer and perf buffers. */
const struct percpu_rings *tracer_ring(const struct tracer *t);

/* Polls until *stop is set or output fails. Returns the process exit
 * status: 0 (stopped, or the reader went away), 1 on an error. */
int tracer_run(struct tracer *t, const volatile sig_atomic_t *stop);

#endif
