/* pmerge: the perf buffers' records put back in the order they were sent
 * across CPUs. Records are made as bpf/emit.bpf.h stage_leave()
 * stamps them: the time sent in commit (high half) and seq (low half). */
#include <errno.h>
#include <stdint.h>

#include "check.h"
#include "pmerge.h"
#include "socktrace.h"

struct got {
	uint64_t tag[2 * PMERGE_QUEUE_RECS + 16];
	size_t size[2 * PMERGE_QUEUE_RECS + 16];
	size_t n;
};

static void take(void *ctx, const void *rec, size_t size)
{
	struct got *g = ctx;
	struct st_event e;

	memcpy(&e, rec, sizeof(e));
	g->tag[g->n] = e.sock_id;
	g->size[g->n++] = size;
}

static void add(struct pmerge *m, unsigned cpu, uint64_t sent, uint64_t tag, uint8_t type)
{
	struct st_close c = { 0 };

	c.ev.type = type;
	c.ev.commit = (uint32_t)(sent >> 32);
	c.ev.seq = (uint32_t)sent;
	c.ev.sock_id = tag;
	pmerge_add(m, cpu, &c, type == ST_EV_CLOSE ? sizeof(c) : sizeof(c.ev));
}

static int in_order(const struct got *g, const uint64_t *want, size_t n)
{
	if (g->n != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (g->tag[i] != want[i])
			return 0;
	return 1;
}

int main(void)
{
	static struct got g;
	struct pmerge *m = pmerge__new(2, take, &g);
	uint64_t big = 5ull << 32; /* a time past 2^32 ns: both halves used */

	CHECK(m != NULL, "made for 2 CPUs");
	CHECK(pmerge__new(0, take, &g) == NULL, "0 CPUs is refused");

	add(m, 0, big + 10, 1, ST_EV_STATE);
	add(m, 1, big + 5, 2, ST_EV_STATE);
	add(m, 0, big + 30, 3, ST_EV_CLOSE);
	add(m, 1, big + 20, 4, ST_EV_STATE);
	CHECK(pmerge_queued(m) == 4, "four queued");
	CHECK(pmerge_release(m, big + 20) == 3, "three sent by the watermark are released");
	{
		uint64_t want[] = { 2, 1, 4 };

		CHECK(in_order(&g, want, 3), "earliest first across the CPUs");
	}
	CHECK(pmerge_queued(m) == 1, "the later one waits");
	add(m, 1, big + 25, 5, ST_EV_STATE);
	CHECK(pmerge_release(m, UINT64_MAX) == 2, "a flush releases the rest");
	{
		uint64_t want[] = { 2, 1, 4, 5, 3 };

		CHECK(in_order(&g, want, 5), "a record read later but sent earlier goes first");
		CHECK(g.size[4] == sizeof(struct st_close) && g.size[3] == sizeof(struct st_event),
		      "each record keeps its size");
	}

	/* Sent at one time: each CPU's own order, CPU 0's first. */
	g.n = 0;
	add(m, 1, 100, 10, ST_EV_STATE);
	add(m, 0, 100, 11, ST_EV_STATE);
	add(m, 1, 100, 12, ST_EV_STATE);
	add(m, 0, 100, 13, ST_EV_STATE);
	pmerge_release(m, 100);
	{
		uint64_t want[] = { 11, 13, 10, 12 };

		CHECK(in_order(&g, want, 4), "ties keep each CPU's order");
	}

	CHECK(pmerge_add(m, 2, &g, sizeof(struct st_event)) == -EINVAL, "a CPU out of range");
	CHECK(pmerge_add(m, 0, &g, 8) == -EINVAL, "a record too short");
	CHECK(pmerge_add(m, 0, &g, ST_SLOT_SIZE + 1) == -EINVAL, "a record too long");

	/* A full queue: everything up to its newest goes, nothing is lost. */
	g.n = 0;
	add(m, 1, 1, 99, ST_EV_STATE);
	for (uint64_t i = 0; i < PMERGE_QUEUE_RECS + 3; i++)
		add(m, 0, 10 + i, 1000 + i, ST_EV_STATE);
	CHECK(g.n == PMERGE_QUEUE_RECS + 1, "a full queue hands over all it holds");
	CHECK(g.tag[0] == 99 && g.tag[1] == 1000 && g.tag[PMERGE_QUEUE_RECS] ==
		      1000 + PMERGE_QUEUE_RECS - 1, "in order, the other CPU's earlier one first");
	pmerge_release(m, UINT64_MAX);
	CHECK(g.n == PMERGE_QUEUE_RECS + 4 && pmerge_queued(m) == 0, "then the rest");

	/* Taken in part, then refilled to the end: moved to the front. */
	g.n = 0;
	for (uint64_t i = 0; i < PMERGE_QUEUE_RECS; i++)
		add(m, 0, 100000 + i, i, ST_EV_STATE);
	pmerge_release(m, 100000 + 9);
	add(m, 0, 100000 + PMERGE_QUEUE_RECS, PMERGE_QUEUE_RECS, ST_EV_STATE);
	CHECK(g.n == 10 && pmerge_queued(m) == PMERGE_QUEUE_RECS - 9,
	      "a queue taken from keeps every record when it reaches its end");
	pmerge_release(m, UINT64_MAX);
	{
		int ok = g.n == PMERGE_QUEUE_RECS + 1;

		for (size_t i = 0; ok && i < g.n; i++)
			ok = g.tag[i] == i;
		CHECK(ok, "and hands them all over in order");
	}
	pmerge__free(m);
	return check_done();
}
