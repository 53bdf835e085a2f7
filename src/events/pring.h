/* Reads the per-CPU record rings the kernel side writes (bpf/emit.bpf.h,
 * reserve()) in the order the records were reserved across all CPUs: each
 * record carries a sequence number (st_event.seq) taken from one counter,
 * and a commit word its CPU's position + 1 (st_event.commit) written last.
 * Pure: it works on memory the caller mapped (src/tracer.c), so the unit
 * tests hand it plain memory. */
#ifndef SOCKTRACE_PRING_H
#define SOCKTRACE_PRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socktrace.h"

struct pring;

/* Called with each record in order; rec is ST_SLOT_SIZE bytes. */
typedef void (*pring_fn)(void *ctx, const void *rec, size_t size);

/* log2 of the slots per CPU for ncpus CPUs: about 4 MiB in all, from 512
 * KiB to 2 MiB a CPU. */
unsigned pring_shift_for(unsigned ncpus);

/* slots: ncpus << shift slots of ST_SLOT_SIZE bytes, CPU c's from slot
 * c << shift; pos: ncpus positions, tail written here. NULL on ENOMEM. */
struct pring *pring__new(const void *slots, struct st_ring_pos *pos, unsigned ncpus,
			 unsigned shift);
void pring__free(struct pring *r);

/* Hands fn every written record whose turn has come, and frees their
 * slots. A record's turn comes after every record with a lower sequence
 * number; one reserved but not yet written holds back those after it
 * (written within microseconds), unless flush (at exit) or the hold has
 * lasted PRING_MAX_HELD drains: then it is passed over (and handed over
 * whenever it is written after all, out of turn). Returns how many
 * records were handed over. */
#define PRING_MAX_HELD 20
size_t pring_drain(struct pring *r, bool flush, pring_fn fn, void *ctx);

/* How many records were passed over as never written (see pring_drain). */
uint64_t pring_skipped(const struct pring *r);

/* Slots reserved and slots read, summed over the CPUs; any thread. */
void pring_positions(const struct pring *r, uint64_t *reserved, uint64_t *read);

/* Slots per CPU. */
uint64_t pring_capacity(const struct pring *r);

#endif
