/* When a reader kept at idle CPU priority must be raised (src/events/prio.c
 * says to what), and when it may go back: decided from the event rings'
 * positions (slots reserved and slots read, summed over the CPUs), sampled
 * at a fixed interval by a watchdog (src/events/prio.c). The unit is the
 * caller's; the rings give slots. Pure: no threads, no syscalls. */
#ifndef SOCKTRACE_PRIO_POLICY_H
#define SOCKTRACE_PRIO_POLICY_H

#include <stdbool.h>
#include <stdint.h>

struct prio_policy {
	uint64_t high;       /* raise when this many slots wait */
	uint64_t low;        /* lower again at or below this, once the reader moved */
	unsigned stall_max;  /* raise when data waited this many samples in a row
				with the reader not moving */
	bool raised;
	uint64_t last_cons;
	unsigned stalled;
};

enum prio_action {
	PRIO_KEEP,
	PRIO_RAISE, /* out of idle priority */
	PRIO_LOWER, /* back to idle */
};

/* Raise when ring_size / 4 slots wait, lower at ring_size / 64. */
void prio_policy_init(struct prio_policy *p, uint64_t ring_size, unsigned stall_max);

/* One sample of the rings' positions (slots reserved, slots read). */
enum prio_action prio_policy_sample(struct prio_policy *p, uint64_t prod, uint64_t cons);

#endif
