#include "events.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock_ns.h"
#include "percpu_rings.h"
#include "pmerge.h"
#include "socktrace.h"

/* How long a perf buffer's record waits for earlier ones from other CPUs
 * after the read that found it began: longer than a program takes between
 * stamping a record and sending it. */
#define PERF_HOLD_NS 20000000ull

struct events {
	enum st_events kind;
	events_fn fn;
	void *ctx;
	struct ring_buffer *rb;  /* rings: the doorbell; ringbuf: the records */
	struct percpu_rings *ring;      /* rings only */
	struct perf_buffer *pb;  /* perfbuf only */
	struct pmerge *merge;    /* perfbuf only */
	uint64_t perf_lost;      /* perfbuf: the buffers' own count of records lost */
	void *slots_mem, *pos_mem;
	size_t slots_len, pos_len;
};

const char *events_name(enum st_events e)
{
	switch (e) {
	case EVENTS_RINGS:
		return "rings";
	case EVENTS_RINGBUF:
		return "ringbuf";
	case EVENTS_PERFBUF:
		return "perfbuf";
	default:
		return NULL;
	}
}

/* Doorbell records only wake poll(); the rings hold the events. */
static int on_doorbell(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	return 0;
}

static int on_ringbuf(void *ctx, void *data, size_t size)
{
	struct events *ev = ctx;

	ev->fn(ev->ctx, data, size);
	return 0;
}

/* Maps a BPF_F_MMAPABLE array map whole; *len: the length mapped. */
static void *map_array(const struct bpf_map *map, int prot, size_t *len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t bytes = (size_t)bpf_map__value_size(map) * bpf_map__max_entries(map);
	void *p;

	*len = (bytes + page - 1) / page * page;
	p = mmap(NULL, *len, prot, MAP_SHARED, bpf_map__fd(map), 0);
	if (p == MAP_FAILED) {
		*len = 0;
		return NULL;
	}
	return p;
}

static int open_rings(struct events *ev, struct bpf_object *obj, unsigned ncpus, unsigned shift)
{
	struct bpf_map *slots = bpf_object__find_map_by_name(obj, "ring_slots");
	struct bpf_map *pos = bpf_object__find_map_by_name(obj, "ring_pos");
	struct bpf_map *bell = bpf_object__find_map_by_name(obj, "doorbell");

	if (!slots || !pos || !bell)
		return -ENOENT;
	ev->slots_mem = map_array(slots, PROT_READ, &ev->slots_len);
	if (!ev->slots_mem)
		return -errno;
	ev->pos_mem = map_array(pos, PROT_READ | PROT_WRITE, &ev->pos_len);
	if (!ev->pos_mem)
		return -errno;
	ev->ring = percpu_rings__new(ev->slots_mem, ev->pos_mem, ncpus, shift);
	if (!ev->ring)
		return -ENOMEM;
	ev->rb = ring_buffer__new(bpf_map__fd(bell), on_doorbell, NULL, NULL);
	return ev->rb ? 0 : -errno;
}

static int open_ringbuf(struct events *ev, struct bpf_object *obj)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "events");

	if (!map)
		return -ENOENT;
	ev->rb = ring_buffer__new(bpf_map__fd(map), on_ringbuf, ev, NULL);
	return ev->rb ? 0 : -errno;
}

/* A perf buffer's sample: its raw data follows a u32 size (padded to
 * 8-byte alignment, so size may exceed the record's by up to 4). */
struct perf_sample_raw {
	struct perf_event_header header;
	uint32_t size;
	unsigned char data[];
};

static enum bpf_perf_event_ret on_perf(void *ctx, int cpu, struct perf_event_header *h)
{
	struct events *ev = ctx;
	const struct perf_sample_raw *s = (const void *)h;
	size_t size;

	if (h->type == PERF_RECORD_LOST) {
		const struct {
			struct perf_event_header header;
			uint64_t id, lost;
		} *l = (const void *)h;

		ev->perf_lost += l->lost;
		return LIBBPF_PERF_EVENT_CONT;
	}
	if (h->type != PERF_RECORD_SAMPLE)
		return LIBBPF_PERF_EVENT_CONT;
	size = s->size >= sizeof(struct st_event) && s->data[0] == ST_EV_CLOSE
		       ? sizeof(struct st_close)
		       : sizeof(struct st_event);
	if (s->size < size)
		size = s->size;
	if (pmerge_add(ev->merge, (unsigned)cpu, s->data, size))
		ev->fn(ev->ctx, s->data, s->size); /* the decoder counts it bad */
	return LIBBPF_PERF_EVENT_CONT;
}

static int open_perfbuf(struct events *ev, struct bpf_object *obj, unsigned ncpus,
			unsigned shift)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "perf_events");
	size_t page = (size_t)sysconf(_SC_PAGESIZE), pages = 1;
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_type = PERF_SAMPLE_RAW,
		.sample_period = 1,
		.watermark = 1,
	};

	if (!map)
		return -ENOENT;
	/* As many bytes a CPU as a ring holds, in a power of two of pages;
	 * the reader is woken when an eighth of one waits, and otherwise
	 * reads on its timer, as with the rings. */
	while (pages * page < ((size_t)ST_SLOT_SIZE << shift) && pages < (1u << 16))
		pages <<= 1;
	attr.wakeup_watermark = (uint32_t)(pages * page / 8);
	ev->merge = pmerge__new(ncpus, ev->fn, ev->ctx);
	if (!ev->merge)
		return -ENOMEM;
	ev->pb = perf_buffer__new_raw(bpf_map__fd(map), pages, &attr, on_perf, ev, NULL);
	return ev->pb ? 0 : -errno;
}

/* Reads every CPU's buffer, then hands over what no CPU can still
 * precede (all of it when flush). */
static int read_perfbuf(struct events *ev, bool flush)
{
	uint64_t began = clock_ns(CLOCK_MONOTONIC);
	int err = perf_buffer__consume(ev->pb);

	pmerge_release(ev->merge, flush ? UINT64_MAX : began - PERF_HOLD_NS);
	return err;
}

struct events *events__open(enum st_events e, struct bpf_object *obj, unsigned ncpus,
			    unsigned shift, events_fn fn, void *ctx)
{
	struct events *ev = calloc(1, sizeof(*ev));
	int err;

	if (!ev)
		return NULL;
	ev->kind = e;
	ev->fn = fn;
	ev->ctx = ctx;
	err = e == EVENTS_RINGS     ? open_rings(ev, obj, ncpus, shift)
	      : e == EVENTS_RINGBUF ? open_ringbuf(ev, obj)
	      : e == EVENTS_PERFBUF ? open_perfbuf(ev, obj, ncpus, shift)
				    : -EINVAL;
	if (err) {
		events__free(ev);
		errno = -err;
		return NULL;
	}
	return ev;
}

void events__free(struct events *ev)
{
	if (!ev)
		return;
	ring_buffer__free(ev->rb);
	percpu_rings__free(ev->ring);
	perf_buffer__free(ev->pb);
	pmerge__free(ev->merge);
	if (ev->slots_mem)
		munmap(ev->slots_mem, ev->slots_len);
	if (ev->pos_mem)
		munmap(ev->pos_mem, ev->pos_len);
	free(ev);
}

int events_wait(struct events *ev, int timeout_ms)
{
	int err;

	if (ev->kind == EVENTS_PERFBUF) {
		err = perf_buffer__poll(ev->pb, timeout_ms);
		if (err >= 0)
			err = read_perfbuf(ev, false);
		return err < 0 ? err : 0;
	}
	err = ring_buffer__poll(ev->rb, timeout_ms);

	if (err < 0)
		return err;
	/* On a timeout nothing was handed over; the kernel side wakes the
	 * reader only now and then (RING_WAKE_SHIFT, events_wake_bytes). */
	if (ev->kind == EVENTS_RINGS)
		percpu_rings_drain(ev->ring, false, ev->fn, ev->ctx);
	else
		err = ring_buffer__consume(ev->rb);
	return err < 0 ? err : 0;
}

void events_drain(struct events *ev)
{
	if (ev->kind == EVENTS_RINGS)
		percpu_rings_drain(ev->ring, true, ev->fn, ev->ctx);
	else if (ev->kind == EVENTS_PERFBUF)
		read_perfbuf(ev, true);
	else
		ring_buffer__consume(ev->rb);
}

uint64_t events_skipped(const struct events *ev)
{
	return ev->ring ? percpu_rings_skipped(ev->ring) : 0;
}

uint64_t events_lost(const struct events *ev)
{
	return ev->perf_lost;
}

const struct percpu_rings *events_rings(const struct events *ev)
{
	return ev->ring;
}
