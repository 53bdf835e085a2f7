/* How records travel from the kernel side to the reader, behind one
 * interface: the per-CPU rings (percpu_rings.h, the rings object), one BPF ring
 * buffer (the ring buffer object, kernels before 5.12) or a perf event
 * buffer per CPU (the perf buffer object, kernels before 5.8). Each way
 * each record reaches fn once, in the order the kernel made them (the perf
 * buffers: sent them, pmerge.h); losses are the kernel's counters
 * (ST_CNT_LOST), the same for all. */
#ifndef SOCKTRACE_EVENTS_H
#define SOCKTRACE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_object;
struct percpu_rings;

enum st_events {
	EVENTS_AUTO = -1, /* --events=auto: the first this kernel loads */
	EVENTS_RINGS,     /* per-CPU rings (ring_slots, ring_pos, doorbell) */
	EVENTS_RINGBUF,   /* BPF ring buffer (events) */
	EVENTS_PERFBUF,   /* perf event buffers (perf_events) */
	EVENTS_COUNT
};

/* "rings", "ringbuf", "perfbuf"; NULL for others. */
const char *events_name(enum st_events e);

typedef void (*events_fn)(void *ctx, const void *rec, size_t size);

struct events;

/* Reads the loaded object's maps of transport e. ncpus and shift: the
 * rings' geometry (as sized before load; a perf buffer per CPU holds as
 * much as a ring). NULL with errno set. */
struct events *events__open(enum st_events e, struct bpf_object *obj, unsigned ncpus,
			    unsigned shift, events_fn fn, void *ctx);
void events__free(struct events *ev);

/* Waits up to timeout_ms for the kernel side's wakeup, then hands over
 * what is there. 0, or -errno (-EINTR: a signal). */
int events_wait(struct events *ev, int timeout_ms);
/* Hands over everything left, at the end of the run. */
void events_drain(struct events *ev);

/* Records the reader gave up waiting for (rings only; 0 otherwise). */
uint64_t events_skipped(const struct events *ev);
/* Records the perf buffers say they lost (0 on the others). The kernel
 * side counts the same ones (ST_CNT_LOST) where bpf_perf_event_output()
 * fails on a full buffer (-ENOSPC, as here); an older kernel whose helper
 * does not say so leaves them to this count only. */
uint64_t events_lost(const struct events *ev);
/* The rings, for the reader's priority watchdog; NULL on the ring buffer and perf buffers. */
const struct percpu_rings *events_rings(const struct events *ev);

#endif
