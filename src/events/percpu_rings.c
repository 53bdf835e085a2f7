/* Reading the per-CPU record rings in reservation order. */
#include "percpu_rings.h"

#include <stdlib.h>

/* How far past a CPU's first unread slot a record is looked for. A CPU's
 * records are in the order of their slots, except where a program
 * interrupted another (a softirq's, in process context) between its slot
 * and its sequence number: then a later slot holds the lower number. Such
 * nesting is a few deep at most (the kernel keeps RING_NEST_ROOM slots for
 * it). */
#define LOOKAHEAD 8

struct cpu_ring {
	uint64_t cur;  /* first slot not handed over */
	uint32_t done; /* bit k: slot cur + k was handed over already */
};

struct percpu_rings {
	const uint8_t *slots;
	struct st_ring_pos *pos;
	unsigned ncpus, shift;
	uint64_t mask;
	uint32_t next;    /* the sequence number whose turn it is */
	unsigned held;    /* drains in a row that a missing record held back */
	uint64_t skipped; /* sequence numbers passed over */
	struct cpu_ring cpu[];
};

unsigned percpu_rings_shift_for(unsigned ncpus)
{
	unsigned shift = 14; /* 16384 slots, 2 MiB */

	while (shift > 12 && ((uint64_t)ncpus << shift) > (1u << 15))
		shift--;
	return shift;
}

struct percpu_rings *percpu_rings__new(const void *slots, struct st_ring_pos *pos, unsigned ncpus,
			 unsigned shift)
{
	struct percpu_rings *r = calloc(1, sizeof(*r) + ncpus * sizeof(r->cpu[0]));

	if (!r)
		return NULL;
	r->slots = slots;
	r->pos = pos;
	r->ncpus = ncpus;
	r->shift = shift;
	r->mask = (1ull << shift) - 1;
	for (unsigned c = 0; c < ncpus; c++)
		r->cpu[c].cur = __atomic_load_n(&pos[c].tail, __ATOMIC_RELAXED);
	return r;
}

void percpu_rings__free(struct percpu_rings *r)
{
	free(r);
}

/* CPU c's record at slot position p if it is written (this lap's), or NULL.
 * The acquire orders the record's reads after the commit word's. */
static const struct st_event *written(const struct percpu_rings *r, unsigned c, uint64_t p)
{
	const struct st_event *e =
		(const void *)(r->slots + ((((uint64_t)c << r->shift) | (p & r->mask)) * ST_SLOT_SIZE));

	return __atomic_load_n(&e->commit, __ATOMIC_ACQUIRE) == (uint32_t)(p + 1) ? e : NULL;
}

/* A written record not yet handed over in some CPU's window: the one with
 * sequence number seq, or with lowest set, the lowest after next. */
static const struct st_event *find(const struct percpu_rings *r, uint32_t seq, bool lowest, unsigned *cpu,
				   unsigned *k)
{
	const struct st_event *best = NULL;

	for (unsigned i = 0; i < LOOKAHEAD; i++) {
		for (unsigned c = 0; c < r->ncpus; c++) {
			const struct cpu_ring *cr = &r->cpu[c];
			const struct st_event *e;

			if (cr->done & (1u << i))
				continue;
			e = written(r, c, cr->cur + i);
			if (!e)
				continue;
			if (!lowest && e->seq != seq)
				continue;
			if (lowest && best && (int32_t)(e->seq - best->seq) >= 0)
				continue;
			best = e;
			*cpu = c;
			*k = i;
			if (!lowest)
				return best;
		}
	}
	return best;
}

/* Marks slot cur + k handed over and moves cur past those that are. */
static void hand_over(struct cpu_ring *cr, unsigned k)
{
	cr->done |= 1u << k;
	while (cr->done & 1) {
		cr->done >>= 1;
		cr->cur++;
	}
}

/* Gives the slots read back to the kernel side. */
static void publish(struct percpu_rings *r)
{
	for (unsigned c = 0; c < r->ncpus; c++)
		__atomic_store_n(&r->pos[c].tail, r->cpu[c].cur, __ATOMIC_RELEASE);
}

size_t percpu_rings_drain(struct percpu_rings *r, bool flush, percpu_rings_fn fn, void *ctx)
{
	const struct st_event *e;
	unsigned c = 0, k = 0;
	size_t n = 0;

	for (;;) {
		bool late = false;

		e = find(r, r->next, false, &c, &k);
		if (!e) {
			e = find(r, 0, true, &c, &k);
			if (!e) {
				r->held = 0;
				break;
			}
			/* Written after it was passed over: out of turn, at once. */
			late = (int32_t)(e->seq - r->next) < 0;
			if (!late && !flush && r->held < PERCPU_RINGS_MAX_HELD) {
				r->held = n ? 1 : r->held + 1;
				break;
			}
			if (!late) {
				r->skipped += (uint32_t)(e->seq - r->next);
				r->next = e->seq;
				r->held = 0;
			}
		}
		fn(ctx, e, ST_SLOT_SIZE);
		if (!late)
			r->next++;
		n++;
		hand_over(&r->cpu[c], k);
		if (n % 1024 == 0)
			publish(r);
	}
	publish(r);
	return n;
}

uint64_t percpu_rings_skipped(const struct percpu_rings *r)
{
	return r->skipped;
}

void percpu_rings_positions(const struct percpu_rings *r, uint64_t *reserved, uint64_t *read)
{
	*reserved = *read = 0;
	for (unsigned c = 0; c < r->ncpus; c++) {
		*reserved += __atomic_load_n(&r->pos[c].head, __ATOMIC_RELAXED);
		*read += __atomic_load_n(&r->pos[c].tail, __ATOMIC_RELAXED);
	}
}

uint64_t percpu_rings_capacity(const struct percpu_rings *r)
{
	return r->mask + 1;
}

double percpu_rings_fullest(const struct percpu_rings *r)
{
	uint64_t most = 0;

	for (unsigned c = 0; c < r->ncpus; c++) {
		uint64_t head = __atomic_load_n(&r->pos[c].head, __ATOMIC_RELAXED);
		uint64_t tail = __atomic_load_n(&r->pos[c].tail, __ATOMIC_RELAXED);

		/* Read in this order, a head can only be behind its tail by a
		 * drain in between: nothing waits then. */
		if (head > tail && head - tail > most)
			most = head - tail;
	}
	if (most > r->mask + 1)
		most = r->mask + 1; /* the kernel side never reserves past it */
	return (double)most / (double)(r->mask + 1);
}
