/* The reader's priority, decided from how far it is behind. */
#include "prio_policy.h"

#include <string.h>

void prio_policy_init(struct prio_policy *p, uint64_t ring_size, unsigned stall_max)
{
	memset(p, 0, sizeof(*p));
	p->high = ring_size / 4;
	p->low = ring_size / 64;
	p->stall_max = stall_max;
}

enum prio_action prio_policy_sample(struct prio_policy *p, uint64_t prod, uint64_t cons)
{
	uint64_t backlog = prod - cons;
	bool moved = cons != p->last_cons;

	p->last_cons = cons;
	p->stalled = backlog && !moved ? p->stalled + 1 : 0;
	if (!p->raised) {
		if (backlog < p->high && p->stalled < p->stall_max)
			return PRIO_KEEP;
		p->raised = true;
		return PRIO_RAISE;
	}
	/* Not before the reader ran: a raise for a stall leaves little
	 * waiting, which says nothing until it has been read. */
	if (backlog > p->low || (backlog && !moved))
		return PRIO_KEEP;
	p->raised = false;
	return PRIO_LOWER;
}
