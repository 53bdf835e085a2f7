/* Puts the perf buffer object's records back in order across CPUs. Each
 * CPU's perf buffer hands its records over in the order they were sent;
 * each carries the time it was sent (st_event.commit and seq hold its
 * halves, bpf/emit.bpf.h stage_leave()). Records wait here, one queue
 * per CPU, until no CPU can still have an earlier one to hand over: the
 * caller releases up to a time a little before its last read of every
 * buffer began. A queue holds at most PMERGE_QUEUE_RECS; one that fills
 * hands over everything up to its newest record at once, so nothing is
 * lost, only perhaps out of order. Its memory is given back whenever it
 * empties, so a burst leaves nothing behind. Pure, so the unit tests drive
 * it with plain records. */
#ifndef SOCKTRACE_PMERGE_H
#define SOCKTRACE_PMERGE_H

#include <stddef.h>
#include <stdint.h>

#define PMERGE_QUEUE_RECS 16384

struct pmerge;

typedef void (*pmerge_fn)(void *ctx, const void *rec, size_t size);

/* Records are handed to fn. NULL on ENOMEM. */
struct pmerge *pmerge__new(unsigned ncpus, pmerge_fn fn, void *ctx);
void pmerge__free(struct pmerge *m);

/* The time a record was sent, from its commit and seq words. */
uint64_t pmerge_sent_ns(const void *rec);

/* Queues a copy of rec (sizeof(struct st_event) to ST_SLOT_SIZE bytes),
 * read from cpu's buffer. 0, or -EINVAL (cpu or size out of range). */
int pmerge_add(struct pmerge *m, unsigned cpu, const void *rec, size_t size);

/* Hands over, earliest first, every queued record sent at or before
 * upto_ns (UINT64_MAX: all); records sent at one time keep their CPU's
 * order. Returns how many. */
size_t pmerge_release(struct pmerge *m, uint64_t upto_ns);

/* Records queued. */
size_t pmerge_queued(const struct pmerge *m);

#endif
