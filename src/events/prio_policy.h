/* When a reader kept at idle CPU priority must be raised (src/events/prio.c says
 * to what), and when it may go back: decided from the ring buffer's
 * producer and consumer positions, sampled at a fixed interval by a
 * watchdog (src/events/prio.c). Pure: no threads, no syscalls. */
#ifndef SOCKTRACE_PRIO_POLICY_H
#define SOCKTRACE_PRIO_POLICY_H

#include <stdbool.h>
#include <stdint.h>

struct prio_policy {
	uint64_t high;       /* raise when this many bytes wait */
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

/* For a ring of ring_size bytes: raise at a quarter full, lower at 1/64. */
void prio_policy_init(struct prio_policy *p, uint64_t ring_size, unsigned stall_max);

/* One sample of the ring's positions (bytes written, bytes read). */
enum prio_action prio_policy_sample(struct prio_policy *p, uint64_t prod, uint64_t cons);

#endif
