/* percpu_rings: the per-CPU event rings read back in reservation order. The
 * kernel side is played here: records are written into plain memory the
 * way bpf/emit.bpf.h's reserve() and submit() write them. */
#include <stdlib.h>

#include "check.h"
#include "percpu_rings.h"

#define SHIFT 3 /* 8 slots a CPU: small, so tests wrap around */
#define SLOTS (1u << SHIFT)
#define NCPUS 2

struct rings {
	struct st_close slots[NCPUS * SLOTS];
	struct st_ring_pos pos[NCPUS];
};

/* Reserves the next slot of cpu for a record with sequence number seq,
 * tagged by its sock_id; returns it unpublished. */
static struct st_event *reserve(struct rings *m, unsigned cpu, uint32_t seq, uint64_t tag)
{
	uint64_t p = m->pos[cpu].head++;
	struct st_event *e = &m->slots[cpu * SLOTS + (p & (SLOTS - 1))].ev;

	memset(e, 0, sizeof(struct st_close));
	e->type = ST_EV_STATE;
	e->family = ST_AF_INET;
	e->seq = seq;
	e->sock_id = tag;
	e->ts_ns = p; /* where it went, for publish() */
	return e;
}

static void publish(struct st_event *e)
{
	e->commit = (uint32_t)(e->ts_ns + 1);
}

static void write_rec(struct rings *m, unsigned cpu, uint32_t seq, uint64_t tag)
{
	publish(reserve(m, cpu, seq, tag));
}

/* The tags handed over, in order. */
struct seen {
	uint64_t tags[64];
	size_t n;
};

static void collect(void *ctx, const void *rec, size_t size)
{
	struct seen *s = ctx;
	const struct st_event *e = rec;

	if (size == ST_SLOT_SIZE && s->n < 64)
		s->tags[s->n++] = e->sock_id;
}

static int tags_are(const struct seen *s, const uint64_t *want, size_t n)
{
	if (s->n != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s->tags[i] != want[i])
			return 0;
	return 1;
}

static struct percpu_rings *fresh(struct rings *m)
{
	memset(m, 0, sizeof(*m));
	return percpu_rings__new(m->slots, m->pos, NCPUS, SHIFT);
}

int main(void)
{
	struct rings *m = calloc(1, sizeof(*m));
	struct percpu_rings *r;
	struct seen s;
	uint64_t reserved, read;

	CHECK(percpu_rings_shift_for(1) == 14 && percpu_rings_shift_for(2) == 14, "1-2 CPUs: 16384 slots each");
	CHECK(percpu_rings_shift_for(3) == 13 && percpu_rings_shift_for(4) == 13, "3-4 CPUs: 8192 slots each");
	CHECK(percpu_rings_shift_for(8) == 12 && percpu_rings_shift_for(256) == 12, "8 CPUs and more: 4096 each");

	r = fresh(m);
	CHECK(r && percpu_rings_capacity(r) == SLOTS, "capacity: slots per CPU");
	s = (struct seen){ 0 };
	CHECK(percpu_rings_drain(r, false, collect, &s) == 0 && s.n == 0, "empty rings: nothing");

	/* Two CPUs, sequence numbers interleaved: merged in their order. */
	write_rec(m, 0, 0, 10);
	write_rec(m, 1, 1, 11);
	write_rec(m, 1, 2, 12);
	write_rec(m, 0, 3, 13);
	write_rec(m, 1, 4, 14);
	s = (struct seen){ 0 };
	CHECK(percpu_rings_drain(r, false, collect, &s) == 5, "five records handed over");
	CHECK(tags_are(&s, (const uint64_t[]){ 10, 11, 12, 13, 14 }, 5), "in sequence order");
	CHECK(m->pos[0].tail == 2 && m->pos[1].tail == 3, "both CPUs' slots given back");
	percpu_rings_positions(r, &reserved, &read);
	CHECK(reserved == 5 && read == 5, "positions summed over CPUs");
	CHECK(percpu_rings_fullest(r) == 0.0, "all read: the fullest ring is empty");
	/* The fullest CPU's share of its slots, not the sum over CPUs. */
	m->pos[0].head += 2;
	m->pos[1].head += 6;
	CHECK(percpu_rings_fullest(r) == 0.75, "6 of 8 waiting on CPU 1, 2 on CPU 0: 0.75");
	m->pos[1].head += 5;
	CHECK(percpu_rings_fullest(r) == 1.0, "never more than full");
	m->pos[0].head -= 2;
	m->pos[1].head -= 11;
	m->pos[1].tail += 1; /* a drain between the reads of head and tail */
	CHECK(percpu_rings_fullest(r) == 0.0, "a tail past its head: nothing waits");
	m->pos[1].tail -= 1;

	/* A program interrupted between its slot and its number: the later
	 * slot holds the lower number, and goes first. */
	write_rec(m, 0, 6, 21);
	write_rec(m, 0, 5, 20);
	s = (struct seen){ 0 };
	percpu_rings_drain(r, false, collect, &s);
	CHECK(tags_are(&s, (const uint64_t[]){ 20, 21 }, 2), "nested on one CPU: by number");
	CHECK(m->pos[0].tail == 4, "and both slots given back");

	/* Reserved, not yet written: what comes after it waits. */
	struct st_event *slow = reserve(m, 0, 7, 30);
	write_rec(m, 1, 8, 31);
	s = (struct seen){ 0 };
	CHECK(percpu_rings_drain(r, false, collect, &s) == 0, "a record being written holds back the next");
	CHECK(m->pos[1].tail == 3, "the held record's slot is kept");
	publish(slow);
	s = (struct seen){ 0 };
	percpu_rings_drain(r, false, collect, &s);
	CHECK(tags_are(&s, (const uint64_t[]){ 30, 31 }, 2), "once written, both in order");

	/* Wrapping around: a slot of the last lap is not taken for this one's. */
	for (uint32_t i = 0; i < SLOTS - 1; i++)
		write_rec(m, 1, 9 + i, 40 + i);
	s = (struct seen){ 0 };
	CHECK(percpu_rings_drain(r, false, collect, &s) == SLOTS - 1, "a lap's worth, wrapping");
	CHECK(s.tags[0] == 40 && s.tags[SLOTS - 2] == 40 + SLOTS - 2, "in order across the wrap");
	s = (struct seen){ 0 };
	CHECK(percpu_rings_drain(r, false, collect, &s) == 0, "old laps' slots are not read again");
	percpu_rings__free(r);

	/* A number never written holds the rest back for PERCPU_RINGS_MAX_HELD
	 * drains, then is passed over; written after all, it still comes,
	 * out of turn. */
	r = fresh(m);
	slow = reserve(m, 0, 0, 50);
	write_rec(m, 1, 1, 51);
	for (int i = 0; i < PERCPU_RINGS_MAX_HELD; i++)
		percpu_rings_drain(r, false, collect, &s);
	s = (struct seen){ 0 };
	CHECK(percpu_rings_drain(r, false, collect, &s) == 1 && s.tags[0] == 51,
	      "held PERCPU_RINGS_MAX_HELD drains, then passed over");
	CHECK(percpu_rings_skipped(r) == 1, "the number passed over is counted");
	publish(slow);
	write_rec(m, 1, 2, 52);
	s = (struct seen){ 0 };
	percpu_rings_drain(r, false, collect, &s);
	CHECK(tags_are(&s, (const uint64_t[]){ 52, 50 }, 2), "late record still handed over");
	CHECK(m->pos[0].tail == 1 && m->pos[1].tail == 2, "every slot given back");
	percpu_rings__free(r);

	/* At exit (flush) nothing waits for a number never written. */
	r = fresh(m);
	reserve(m, 1, 0, 60);
	write_rec(m, 0, 1, 61);
	s = (struct seen){ 0 };
	CHECK(percpu_rings_drain(r, true, collect, &s) == 1 && s.tags[0] == 61, "flush: passed over at once");
	percpu_rings__free(r);

	percpu_rings__free(NULL);
	free(m);
	return check_done();
}
