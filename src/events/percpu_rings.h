/* Reads the per-CPU record rings the kernel side writes (bpf/emit.bpf.h,
 * reserve()) in the order the records were reserved across all CPUs: each
 * record carries a sequence number (st_event.seq) taken from one counter,
 * and a commit word its CPU's position + 1 (st_event.commit) written last.
 * Pure: it works on memory the caller mapped (src/tracer.c), so the unit
 * tests hand it plain memory. */
#ifndef SOCKTRACE_PERCPU_RINGS_H
#define SOCKTRACE_PERCPU_RINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socktrace.h"

struct percpu_rings;

/* Called with each record in order; rec is ST_SLOT_SIZE bytes. */
typedef void (*percpu_rings_fn)(void *ctx, const void *rec, size_t size);

/* log2 of the slots per CPU for ncpus CPUs: about 4 MiB in all, from 512
 * KiB to 2 MiB a CPU. */
unsigned percpu_rings_shift_for(unsigned ncpus);

/* slots: ncpus << shift slots of ST_SLOT_SIZE bytes, CPU c's from slot
 * c << shift; pos: ncpus positions, tail written here. NULL on ENOMEM. */
struct percpu_rings *percpu_rings__new(const void *slots, struct st_ring_pos *pos, unsigned ncpus,
			 unsigned shift);
void percpu_rings__free(struct percpu_rings *r);

/* Hands fn every written record whose turn has come, and frees their
 * slots. A record's turn comes after every record with a lower sequence
 * number; one reserved but not yet written holds back those after it
 * (written within microseconds), unless flush (at exit) or the hold has
 * lasted PERCPU_RINGS_MAX_HELD drains: then it is passed over (and handed over
 * whenever it is written after all, out of turn). Returns how many
 * records were handed over. */
#define PERCPU_RINGS_MAX_HELD 20
size_t percpu_rings_drain(struct percpu_rings *r, bool flush, percpu_rings_fn fn, void *ctx);

/* How many records were passed over as never written (see percpu_rings_drain). */
uint64_t percpu_rings_skipped(const struct percpu_rings *r);

/* Slots reserved and slots read, summed over the CPUs; any thread. */
void percpu_rings_positions(const struct percpu_rings *r, uint64_t *reserved, uint64_t *read);

/* Slots per CPU. */
uint64_t percpu_rings_capacity(const struct percpu_rings *r);

/* The fullest CPU's ring: its slots reserved and not yet read, as a
 * fraction of its slots (0 to 1); any thread. */
double percpu_rings_fullest(const struct percpu_rings *r);

#endif
