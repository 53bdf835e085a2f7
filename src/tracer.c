#include "tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bpfobj.h"
#include "btf_cut.h"
#include "btf_id_sections.h"
#include "clock_ns.h"
#include "decode.h"
#include "events.h"
#include "kernel_btf.h"
#include "kfilter.h"
#include "loadlog.h"
#include "percpu_rings.h"
#include "premade_maps.h"
#include "socktrace.skel.h"

/* The kernel side wakes us only each time a CPU's ring fills by another
 * eighth (RING_WAKE_SHIFT in bpf/emit.bpf.h); otherwise we drain the
 * rings on this timer, so a reader sees each event within POLL_MS plus
 * write time. */
#define POLL_MS 50
#define LOST_CHECK_NS 200000000ull
#define MAX_LINKS 8

struct tracer {
	struct btf_id_sections *secs; /* outlives obj, which points into it */
	struct tracer_obj obj;
	struct events *events;
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	struct sink *sink;
	bool verbose;
	struct tracer_load_opts load;
	int64_t mono_to_unix_ns;
	uint64_t lost_reported, skipped_reported;
	uint64_t sock_full_reported, listener_full_reported;
	uint64_t bad_records;
	int ncpus;
	struct table_sizes tables; /* as sized at open, for a reopen */
};

static int print_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level, (void)fmt, (void)args;
	return 0;
}

static int print_verbose(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return vfprintf(stderr, fmt, args);
}

void tracer_set_libbpf_logging(bool verbose)
{
	libbpf_set_print(verbose ? print_verbose : print_quiet);
}

static void on_record(void *ctx, const void *data, size_t size)
{
	struct tracer *t = ctx;
	struct st_record r;

	if (decode_event(data, size, t->mono_to_unix_ns, &r)) {
		t->bad_records++;
		return;
	}
	sink_event(t->sink, &r);
}

static struct bpf_program *program(struct tracer *t, const char *name)
{
	return bpf_object__find_program_by_name(t->obj.skel->obj, name);
}

/* Attaches the chosen program(s) of every hook but the seed. */
static int attach_chosen(struct tracer *t, const struct plan *plan)
{
	for (int h = 0; h < HOOK_COUNT; h++) {
		if (h == HOOK_SEED)
			continue;
		const struct plan_prog *progs = plan_programs(plan, (enum st_hook)h);

		for (int i = 0; progs[i].name; i++) {
			const struct plan_prog *pp = &progs[i];
			struct bpf_program *prog = program(t, pp->name);
			struct bpf_link *link = NULL;

			if (prog && pp->tp_category)
				link = bpf_program__attach_tracepoint(prog, pp->tp_category,
								      pp->tp_name);
			else if (prog)
				link = bpf_program__attach(prog);
			if (!link || t->nlinks == MAX_LINKS) {
				fprintf(stderr, "socktrace: attaching %s%s%s failed: %s\n", pp->name,
					pp->tp_name ? " to " : "", pp->tp_name ? pp->tp_name : "",
					strerror(errno));
				bpf_link__destroy(link);
				return -1;
			}
			t->links[t->nlinks++] = link;
		}
	}
	return 0;
}

/* Runs the seed iterator once, after the hooks are attached, so that every
 * socket is either seeded or seen by a hook. Failure only costs owners of
 * pre-existing sockets, so it is reported, not fatal. */
static void seed_existing(struct tracer *t, const struct plan *plan)
{
	const struct plan_prog *progs = plan_programs(plan, HOOK_SEED);
	struct bpf_program *prog = progs[0].name ? program(t, progs[0].name) : NULL;
	struct bpf_link *link;
	char buf[64];
	int fd;

	if (!prog)
		return;
	link = bpf_program__attach_iter(prog, NULL);
	fd = link ? bpf_iter_create(bpf_link__fd(link)) : -1;
	if (fd < 0) {
		fprintf(stderr, "socktrace: warning: cannot walk existing sockets (%s); their "
				"owners show as '-' until their process acts\n",
			strerror(errno));
	} else {
		for (;;) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n == 0 || (n < 0 && errno != EINTR))
				break;
		}
		close(fd);
	}
	bpf_link__destroy(link);
}

static uint64_t read_counter(const struct tracer *t, uint32_t idx);

/* Sockets open at start-up that the socket table had no room for: their
 * records, if the table has room when they next change state, have no
 * owner and no history. */
static void report_seed_room(const struct tracer *t)
{
	uint64_t n = read_counter(t, ST_CNT_SEED_FULL);

	if (n)
		fprintf(stderr,
			"socktrace: warning: the socket table (%u entries) is full with the sockets "
			"open at start-up; %llu of them are not tracked; raise --max-sockets\n",
			t->obj.tables.sockets, (unsigned long long)n);
}

/* The maps created beside the rest of the preparation (premade_maps.h). */
static const char *const premade[] = { "socks", "ring_slots", "listeners", "connecting",
				       "ring_pos", "doorbell", "events", NULL };

/* The smallest power of two of at least n. */
static uint32_t pow2_at_least(uint64_t n)
{
	uint32_t p = 1;

	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

/* Before the maps are made. The rings object: a ring per possible CPU
 * (percpu_rings_shift_for() sizes them). The ring buffer object: one ring buffer
 * with room for as many state records (with the ring buffer's 8-byte
 * header) as all the rings have slots. The perf buffer object: a
 * buffer per CPU of a ring's bytes (events.c). The other transports' maps
 * at their smallest. */
static int size_rings(struct tracer_obj *o)
{
	int ncpus = libbpf_num_possible_cpus();
	uint32_t bytes;
	int err;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	o->ncpus = (unsigned)ncpus;
	o->ring_shift = percpu_rings_shift_for(o->ncpus);
	o->skel->rodata->ring_shift = o->ring_shift;
	o->skel->rodata->id_cpus = o->ncpus;
	bytes = pow2_at_least((uint64_t)(o->ncpus << o->ring_shift) *
			      (sizeof(struct st_event) + BPF_RINGBUF_HDR_SZ));
	o->skel->rodata->events_wake_bytes = bytes >> 3;
	err = bpf_map__set_max_entries(o->skel->maps.ring_slots,
				       o->events == EVENTS_RINGS ? o->ncpus << o->ring_shift : 1);
	if (!err)
		err = bpf_map__set_max_entries(o->skel->maps.ring_pos, o->ncpus);
	if (!err && o->events == EVENTS_RINGBUF)
		err = bpf_map__set_max_entries(o->skel->maps.events, bytes);
	return err;
}

/* Before the maps are made. */
static int size_tables(struct tracer_obj *o, const struct table_sizes *tables)
{
	int err;

	if (!tables) {
		o->tables.sockets = bpf_map__max_entries(o->skel->maps.socks);
		o->tables.listeners = bpf_map__max_entries(o->skel->maps.listeners);
		return 0;
	}
	o->tables = *tables;
	err = bpf_map__set_max_entries(o->skel->maps.socks, tables->sockets);
	if (!err)
		err = bpf_map__set_max_entries(o->skel->maps.listeners, tables->listeners);
	return err;
}

int tracer_open_obj(struct tracer_obj *o, bool fast, const char *btf_path,
		    const struct table_sizes *tables, enum st_events events)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	char path[32];
	int err = 0;

	*o = (struct tracer_obj){ .core_fd = -1, .events = events };
	if (!fast) {
		opts.btf_custom_path = btf_path;
	} else {
		/* libbpf reads the file when loading; tracer_load_obj fills it
		 * in while premade_maps works. */
		o->core_fd = memfd_create("socktrace-core-btf", MFD_CLOEXEC);
		if (o->core_fd < 0)
			return -errno;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", o->core_fd);
		opts.btf_custom_path = path; /* copied by libbpf */
	}
	o->skel = bpfobj_open(events, &opts);
	if (!o->skel)
		err = -errno;
	if (!err)
		err = size_rings(o);
	if (!err)
		err = size_tables(o, tables);
	if (!err && fast)
		o->premade_maps = premade_maps__start(o->skel->obj, premade);
	if (err)
		tracer_close_obj(o);
	return err;
}

int tracer_load_obj(struct tracer_obj *o, const struct kernel_btf *types, bool verbose)
{
	int err = 0;

	if (o->core_fd >= 0) {
		char note[160];
		size_t size;
		const void *elf = bpfobj_elf(o->events, &size);

		err = types ? btf_cut_write(o->core_fd, types, elf, size, note, sizeof(note))
			      : -ENOENT;
		if (err < 0)
			return err;
		o->whole_btf = err == 1;
		if (verbose)
			fprintf(stderr, "socktrace: %s\n", note);
	}
	err = o->premade_maps ? premade_maps_adopt(o->premade_maps, o->skel->obj) : 0;
	if (err && verbose)
		fprintf(stderr, "socktrace: maps not made ahead (%s); libbpf makes them\n",
			strerror(-err));
	err = socktrace_bpf__load(o->skel);
	premade_maps__free(o->premade_maps); /* the object holds its own fds of them */
	o->premade_maps = NULL;
	if (o->core_fd >= 0) { /* read by the load; no longer needed */
		close(o->core_fd);
		o->core_fd = -1;
	}
	return err;
}

void tracer_close_obj(struct tracer_obj *o)
{
	socktrace_bpf__destroy(o->skel);
	premade_maps__free(o->premade_maps);
	if (o->core_fd >= 0)
		close(o->core_fd);
	*o = (struct tracer_obj){ .core_fd = -1 };
}

int tracer_configure(struct socktrace_bpf *skel, const struct plan *plan,
		     const struct filter_cfg *filter)
{
	skel->rodata->connect_via_syscall = plan_method(plan, HOOK_CONNECT) == METHOD_TRACEPOINT;
	skel->rodata->close_hooks = plan_method(plan, HOOK_CLOSE) != METHOD_NONE;
	kfilter_set_rodata(filter, skel);
	return plan_apply(plan, skel->obj);
}

/* The first transport to try: the forced one, else the fastest. */
static enum st_events first_events(int forced)
{
	return forced >= 0 ? (enum st_events)forced : EVENTS_RINGS;
}

struct tracer *tracer__open(bool verbose, struct table_sizes tables, int events,
			    const struct tracer_load_opts *lo)
{
	struct tracer *t = calloc(1, sizeof(*t));
	struct host_size host;
	int err;

	if (!t)
		return NULL;
	tables_read_host(&host);
	tables = tables_size(tables, &host);
	if (verbose)
		fprintf(stderr, "socktrace: socket table %u entries, listener table %u entries\n",
			tables.sockets, tables.listeners);
	t->obj.core_fd = -1;
	t->verbose = verbose;
	t->tables = tables;
	t->load = *lo;
	t->ncpus = libbpf_num_possible_cpus();
	t->secs = btf_id_sections__new();
	err = !t->secs	      ? -errno
	      : t->ncpus <= 0 ? t->ncpus
			      : tracer_open_obj(&t->obj, !lo->plain, lo->btf_path, &tables,
						first_events(events));
	if (err) {
		fprintf(stderr, "socktrace: opening the BPF object failed: %s\n", strerror(-err));
		tracer__free(t);
		return NULL;
	}
	return t;
}

/* libbpf's messages during one load, kept to find out what the kernel
 * refused (loadlog.h). libbpf's print callback takes no context, so this
 * is the one capture in flight, only ever on the main thread, inside
 * load_once(). */
static struct {
	char *text;
	size_t len, cap;
	bool verbose;
} capture;

static int print_capture(enum libbpf_print_level level, const char *fmt, va_list args)
{
	va_list copy;
	int n;

	if (capture.verbose) {
		va_copy(copy, args);
		vfprintf(stderr, fmt, copy);
		va_end(copy);
	}
	if (level == LIBBPF_DEBUG)
		return 0;
	va_copy(copy, args);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n <= 0)
		return 0;
	if (capture.len + (size_t)n + 1 > capture.cap) {
		size_t cap = (capture.len + (size_t)n + 1) * 2;
		char *p = realloc(capture.text, cap);

		if (!p)
			return 0;
		capture.text = p;
		capture.cap = cap;
	}
	vsnprintf(capture.text + capture.len, capture.cap - capture.len, fmt, args);
	capture.len += (size_t)n;
	return 0;
}

/* Configures and loads t->obj; on failure, fills prog (the program the
 * kernel refused, "" if none) and reason. */
static int load_once(struct tracer *t, const struct plan *plan, const struct filter_cfg *filter,
		     const struct kernel_btf *types, char *prog, size_t prog_len, char *reason,
		     size_t reason_len)
{
	libbpf_print_fn_t old;
	int err;

	capture.len = 0;
	capture.verbose = t->verbose;
	old = libbpf_set_print(print_capture);
	err = tracer_configure(t->obj.skel, plan, filter);
	if (!err)
		err = tracer_load_obj(&t->obj, types, t->verbose);
	libbpf_set_print(old);
	if (err) {
		if (capture.text)
			capture.text[capture.len] = '\0';
		if (!capture.text || !loadlog_failure(capture.text, prog, prog_len, reason,
						      reason_len)) {
			prog[0] = '\0';
			snprintf(reason, reason_len, "%s", strerror(-err));
		}
	}
	free(capture.text);
	capture.text = NULL;
	capture.len = capture.cap = 0;
	return err;
}

/* Loads transport e's object, falling back by method while the kernel
 * refuses one program of a hook that has another (plan_reject_prog). A
 * refused state program is the object's failure, unless last: no other
 * object is left to try, so its hook's next method is. Fills why. */
static int load_events(struct tracer *t, struct plan *plan, const struct filter_cfg *filter,
		       const struct kernel_btf *types, enum st_events e, bool last, char *why,
		       size_t why_len)
{
	char prog[64], reason[160];
	int err = 0;

	for (int tries = 0; tries < 3 * HOOK_COUNT; tries++) {
		if (!t->obj.skel)
			err = tracer_open_obj(&t->obj, !t->load.plain, t->load.btf_path, &t->tables, e);
		if (err) {
			snprintf(why, why_len, "opening its object failed: %s", strerror(-err));
			return err;
		}
		err = load_once(t, plan, filter, types, prog, sizeof(prog), reason,
				sizeof(reason));
		if (!err)
			return 0;
		tracer_close_obj(&t->obj);
		if (prog[0])
			snprintf(why, why_len, "the verifier refused %s: %s", prog, reason);
		else
			snprintf(why, why_len, "%s", reason);
		if (!prog[0] || (plan_prog_is_state(plan, prog) && !last) ||
		    !plan_reject_prog(plan, prog, reason) || !plan_usable(plan, NULL))
			return err;
	}
	return err;
}

int tracer_load(struct tracer *t, struct plan *plan, const struct filter_cfg *filter,
		const struct kernel_btf *vmlinux, const struct kernel_btf *types, int events)
{
	char why[256] = "";
	int err = -EINVAL;

	btf_id_sections_use(t->secs, t->load.plain ? NULL : vmlinux);
	plan_events_forced(plan, events);
	for (int e = first_events(events); e < EVENTS_COUNT; e++) {
		bool last = events >= 0 || e == EVENTS_COUNT - 1;

		err = load_events(t, plan, filter, types, (enum st_events)e, last, why,
				  sizeof(why));
		plan_events_result(plan, e, err ? why : NULL);
		if (!err)
			return 0;
		if (last)
			break;
		plan_restart(plan);
	}
	fprintf(stderr, "socktrace: loading the BPF programs failed: %s (run with -v for the "
			"verifier log)\n",
		why);
	return -1;
}

static void on_record(void *ctx, const void *data, size_t size);

int tracer_start(struct tracer *t, const struct plan *plan, const struct filter_cfg *filter,
		 struct sink *sink)
{
	int err;

	t->sink = sink;
	err = kfilter_fill_maps(filter, t->obj.skel);
	if (err) {
		fprintf(stderr, "socktrace: setting up the filters failed: %s\n", strerror(-err));
		return -1;
	}
	if (attach_chosen(t, plan))
		return -1;
	seed_existing(t, plan);
	report_seed_room(t);
	t->events = events__open(t->obj.events, t->obj.skel->obj, t->obj.ncpus,
				 t->obj.ring_shift, on_record, t);
	if (!t->events) {
		fprintf(stderr, "socktrace: setting up the reader of the %s failed: %s\n",
			events_name(t->obj.events), strerror(errno));
		return -1;
	}
	t->mono_to_unix_ns = (int64_t)(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));
	return 0;
}

void tracer__free(struct tracer *t)
{
	if (!t)
		return;
	events__free(t->events);
	for (int i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	tracer_close_obj(&t->obj);
	btf_id_sections__free(t->secs);
	free(t);
}

const struct percpu_rings *tracer_ring(const struct tracer *t)
{
	return events_rings(t->events);
}

static uint64_t read_counter(const struct tracer *t, uint32_t idx)
{
	uint64_t vals[t->ncpus], sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(t->obj.skel->maps.counters), &idx, vals))
		return 0;
	for (int i = 0; i < t->ncpus; i++)
		sum += vals[i];
	return sum;
}

/* Runs of our programs that the kernel skipped since they were loaded
 * (bpf_prog_info's recursion_misses, 5.12 and later; 0 before): another
 * BPF program was running on that CPU, or the same one, interrupted. Each
 * is an event, or part of one, missing from the trace. */
static uint64_t skipped_runs(const struct tracer *t)
{
	struct bpf_program *prog;
	uint64_t sum = 0;

	bpf_object__for_each_program(prog, t->obj.skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
}

/* Tells the sink how far a running total of losses (why) grew since
 * *reported, the total it was last told. */
static void report_growth(struct tracer *t, enum sink_loss why, uint64_t total,
			  uint64_t *reported)
{
	if (total <= *reported)
		return;
	sink_lost(t->sink, why, total - *reported, clock_ns(CLOCK_MONOTONIC),
		  clock_ns(CLOCK_REALTIME));
	*reported = total;
}

/* Tells the sink of losses since the last call. */
static void report_losses(struct tracer *t)
{
	uint64_t lost = read_counter(t, ST_CNT_LOST), buffers_lost = events_lost(t->events);

	/* The same records twice where both count them (events.h). */
	report_growth(t, SINK_LOSS_RING_FULL, lost > buffers_lost ? lost : buffers_lost,
		      &t->lost_reported);
	report_growth(t, SINK_LOSS_SKIPPED, skipped_runs(t), &t->skipped_reported);
	report_growth(t, SINK_LOSS_SOCKET_TABLE, read_counter(t, ST_CNT_SOCK_FULL),
		      &t->sock_full_reported);
	report_growth(t, SINK_LOSS_LISTENER_TABLE, read_counter(t, ST_CNT_LISTENER_FULL),
		      &t->listener_full_reported);
}

/* What a full socket or listener table cost, on stderr at exit. */
static void report_full_tables(const struct tracer *t)
{
	if (t->sock_full_reported)
		fprintf(stderr,
			"socktrace: %llu events lost: the socket table (%u entries) was full; "
			"raise --max-sockets\n",
			(unsigned long long)t->sock_full_reported, t->obj.tables.sockets);
	if (t->listener_full_reported)
		fprintf(stderr,
			"socktrace: %llu listeners not remembered: the listener table (%u entries) "
			"was full, so their connections had no owner until accept(); raise "
			"--max-listeners\n",
			(unsigned long long)t->listener_full_reported, t->obj.tables.listeners);
}

/* A write error ends the run: quietly when the reader went away. */
static int output_failed(int err)
{
	if (err == -EPIPE)
		return 0;
	fprintf(stderr, "socktrace: writing output failed: %s\n", strerror(-err));
	return 1;
}

int tracer_run(struct tracer *t, const volatile sig_atomic_t *stop)
{
	uint64_t next_lost_check = 0;
	int err, status = 0;

	sink_begin(t->sink);
	while (!*stop) {
		err = events_wait(t->events, POLL_MS);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "socktrace: reading events failed: %s\n", strerror(-err));
			status = 1;
			break;
		}
		if (clock_ns(CLOCK_MONOTONIC) >= next_lost_check) {
			report_losses(t);
			next_lost_check = clock_ns(CLOCK_MONOTONIC) + LOST_CHECK_NS;
		}
		err = sink_flush(t->sink);
		if (err == -ECANCELED)
			break;
		if (err)
			return output_failed(err);
	}
	events_drain(t->events);
	report_losses(t);
	err = sink_end(t->sink);
	/* -ECANCELED: a stop gave up on a reader that had stopped reading; the
	 * rest of the run's report still goes out, and main says what was given
	 * up. */
	if (err && err != -ECANCELED)
		return output_failed(err);
	if (err)
		status = 1;
	if (t->lost_reported)
		fprintf(stderr, "socktrace: %llu events lost (event rings or buffers full)\n",
			(unsigned long long)t->lost_reported);
	if (t->skipped_reported)
		fprintf(stderr,
			"socktrace: %llu events lost: the kernel skipped socktrace's programs that "
			"many times (a BPF program was already running on that CPU)\n",
			(unsigned long long)t->skipped_reported);
	report_full_tables(t);
	if (t->verbose)
		fprintf(stderr,
			"socktrace: kernel emitted %llu events, filtered out %llu, lost %llu; "
			"%llu runs skipped, %llu bad records, %llu never written; socket table "
			"full %llu times, listener table %llu, at start-up %llu\n",
			(unsigned long long)read_counter(t, ST_CNT_EMITTED),
			(unsigned long long)read_counter(t, ST_CNT_FILTERED),
			(unsigned long long)t->lost_reported,
			(unsigned long long)t->skipped_reported, (unsigned long long)t->bad_records,
			(unsigned long long)events_skipped(t->events),
			(unsigned long long)t->sock_full_reported,
			(unsigned long long)t->listener_full_reported,
			(unsigned long long)read_counter(t, ST_CNT_SEED_FULL));
	return status;
}
