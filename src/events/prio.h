/* The reader's CPU priority (--priority). At idle (SCHED_IDLE) the reader
 * only takes CPU time the traced host leaves unused, instead of taking it
 * from the host's own work; a watchdog thread at normal priority raises it
 * to the lowest real-time priority while it falls behind
 * (src/events/prio_policy.c), so a busy host delays the trace a little but does not
 * lose it. */
#ifndef SOCKTRACE_PRIO_H
#define SOCKTRACE_PRIO_H

#include <stdint.h>
#include <stdio.h>

struct reader_prio;
struct percpu_rings;

/* Puts the calling thread, the event rings' reader, at idle priority and
 * starts the watchdog over the rings, which must outlive it. NULL when that
 * could not be set up: the reader stays at normal priority (said on
 * stderr). */
struct reader_prio *reader_prio__start(const struct percpu_rings *ring);

/* Stops the watchdog and puts the reader at normal priority; prints
 * how often it was raised to f, if not NULL. */
void reader_prio__free(struct reader_prio *rp, FILE *f);

#endif
