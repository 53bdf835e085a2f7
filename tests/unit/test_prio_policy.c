/* prio_policy: when the idle-priority reader is raised and lowered. */
#include "check.h"
#include "prio_policy.h"

#define RING (4u << 20)
#define STALL 8

static struct prio_policy fresh(void)
{
	struct prio_policy p;

	prio_policy_init(&p, RING, STALL);
	return p;
}

int main(void)
{
	struct prio_policy p = fresh();
	enum prio_action a;
	uint64_t cons;

	CHECK(p.high == RING / 4 && p.low == RING / 64, "thresholds: a quarter and 1/64 of the ring");

	/* Below the high mark, moving: stays idle. */
	CHECK(prio_policy_sample(&p, 0, 0) == PRIO_KEEP, "empty ring: keep");
	CHECK(prio_policy_sample(&p, RING / 4 - 1, 100) == PRIO_KEEP, "just below a quarter: keep");
	CHECK(prio_policy_sample(&p, RING / 4 + 200, 200) == PRIO_RAISE, "a quarter waiting: raise");
	CHECK(prio_policy_sample(&p, RING / 4 + 200, 200) == PRIO_KEEP,
	      "raised: no second raise while it waits");

	/* Lowered once the reader moved and the backlog is small. */
	CHECK(prio_policy_sample(&p, RING / 4 + 300, RING / 4 + 300 - RING / 64 - 1) == PRIO_KEEP,
	      "raised, moved, above 1/64: keep");
	CHECK(prio_policy_sample(&p, RING / 4 + 400, RING / 4 + 400 - RING / 64) == PRIO_LOWER,
	      "raised, moved, at 1/64: lower");
	CHECK(!p.raised, "lowered: not raised");

	/* A small backlog the reader does not touch: raised after stall_max
	 * samples in a row, not before. */
	p = fresh();
	cons = 1000;
	a = prio_policy_sample(&p, cons + 10, cons);
	for (int i = 1; i < STALL; i++)
		a = prio_policy_sample(&p, cons + 10 + (uint64_t)i, cons);
	CHECK(a == PRIO_KEEP, "stalled for stall_max - 1 samples: keep");
	CHECK(prio_policy_sample(&p, cons + 100, cons) == PRIO_RAISE,
	      "stalled for stall_max samples: raise");
	CHECK(prio_policy_sample(&p, cons + 100, cons) == PRIO_KEEP,
	      "raised for a stall: not lowered before the reader ran");
	CHECK(prio_policy_sample(&p, cons + 150, cons + 120) == PRIO_LOWER,
	      "raised for a stall: lowered once it moved");

	/* Waiting data with the reader moving is not a stall. */
	p = fresh();
	a = PRIO_KEEP;
	for (uint64_t i = 1; i <= 3 * STALL && a == PRIO_KEEP; i++)
		a = prio_policy_sample(&p, i * 1000 + 50, i * 1000);
	CHECK(a == PRIO_KEEP, "data waiting but read between samples: never raised");

	/* An empty ring with a reader at rest is not a stall either. */
	p = fresh();
	a = PRIO_KEEP;
	for (int i = 0; i < 3 * STALL && a == PRIO_KEEP; i++)
		a = prio_policy_sample(&p, 5000, 5000);
	CHECK(a == PRIO_KEEP, "nothing waiting: never raised");

	/* Positions are free-running 64-bit counters: only the difference counts. */
	p = fresh();
	CHECK(prio_policy_sample(&p, UINT64_MAX / 2 + RING / 4, UINT64_MAX / 2) == PRIO_RAISE,
	      "large positions: the backlog is their difference");
	return check_done();
}
