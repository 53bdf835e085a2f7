#include "events.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pring.h"

struct events {
	enum st_events kind;
	events_fn fn;
	void *ctx;
	struct ring_buffer *rb;  /* rings: the doorbell; ringbuf: the records */
	struct pring *ring;      /* rings only */
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
	ev->ring = pring__new(ev->slots_mem, ev->pos_mem, ncpus, shift);
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
	err = e == EVENTS_RINGS ? open_rings(ev, obj, ncpus, shift)
	      : e == EVENTS_RINGBUF ? open_ringbuf(ev, obj)
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
	pring__free(ev->ring);
	if (ev->slots_mem)
		munmap(ev->slots_mem, ev->slots_len);
	if (ev->pos_mem)
		munmap(ev->pos_mem, ev->pos_len);
	free(ev);
}

int events_wait(struct events *ev, int timeout_ms)
{
	int err = ring_buffer__poll(ev->rb, timeout_ms);

	if (err < 0)
		return err;
	/* On a timeout nothing was handed over; the kernel side wakes the
	 * reader only now and then (RING_WAKE_SHIFT, events_wake_bytes). */
	if (ev->kind == EVENTS_RINGS)
		pring_drain(ev->ring, false, ev->fn, ev->ctx);
	else
		err = ring_buffer__consume(ev->rb);
	return err < 0 ? err : 0;
}

void events_drain(struct events *ev)
{
	if (ev->kind == EVENTS_RINGS)
		pring_drain(ev->ring, true, ev->fn, ev->ctx);
	else
		ring_buffer__consume(ev->rb);
}

uint64_t events_skipped(const struct events *ev)
{
	return ev->ring ? pring_skipped(ev->ring) : 0;
}

const struct pring *events_rings(const struct events *ev)
{
	return ev->ring;
}
