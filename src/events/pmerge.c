#include "pmerge.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "socktrace.h"

struct queued {
	uint64_t sent_ns;
	uint32_t size;
	unsigned char rec[ST_SLOT_SIZE];
};

/* One CPU's records, oldest at head, in memory reserved for
 * PMERGE_QUEUE_RECS; high: the most it held since it last emptied. */
struct queue {
	struct queued *q;
	size_t head, tail, high;
};

struct pmerge {
	unsigned ncpus;
	size_t queued;
	pmerge_fn fn;
	void *ctx;
	struct queue cpu[];
};

#define QUEUE_BYTES (PMERGE_QUEUE_RECS * sizeof(struct queued))
/* Kept when a queue empties: what a quiet host's reads hold. */
#define QUEUE_KEEP_BYTES (64u << 10)

struct pmerge *pmerge__new(unsigned ncpus, pmerge_fn fn, void *ctx)
{
	struct pmerge *m;

	if (!ncpus)
		return NULL;
	m = calloc(1, sizeof(*m) + ncpus * sizeof(m->cpu[0]));
	if (!m)
		return NULL;
	m->ncpus = ncpus;
	m->fn = fn;
	m->ctx = ctx;
	for (unsigned c = 0; c < ncpus; c++) {
		/* Address space only: pages are taken as records arrive. */
		void *p = mmap(NULL, QUEUE_BYTES, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED) {
			pmerge__free(m);
			return NULL;
		}
		m->cpu[c].q = p;
	}
	return m;
}

void pmerge__free(struct pmerge *m)
{
	if (!m)
		return;
	for (unsigned c = 0; c < m->ncpus; c++)
		if (m->cpu[c].q)
			munmap(m->cpu[c].q, QUEUE_BYTES);
	free(m);
}

uint64_t pmerge_sent_ns(const void *rec)
{
	const unsigned char *r = rec;
	uint32_t hi, lo;

	/* The two words only: rec need not be aligned (a perf sample's data). */
	memcpy(&hi, r + offsetof(struct st_event, commit), sizeof(hi));
	memcpy(&lo, r + offsetof(struct st_event, seq), sizeof(lo));
	return (uint64_t)hi << 32 | lo;
}

/* An emptied queue starts again at the front, and gives back the pages a
 * burst took beyond QUEUE_KEEP_BYTES. */
static void emptied(struct queue *q)
{
	size_t used = q->high * sizeof(q->q[0]);

	q->head = q->tail = 0;
	if (used > QUEUE_KEEP_BYTES)
		madvise((char *)q->q + QUEUE_KEEP_BYTES, used - QUEUE_KEEP_BYTES,
			MADV_DONTNEED);
	q->high = 0;
}

int pmerge_add(struct pmerge *m, unsigned cpu, const void *rec, size_t size)
{
	struct queue *q;
	struct queued *e;

	if (cpu >= m->ncpus || size < sizeof(struct st_event) || size > ST_SLOT_SIZE)
		return -EINVAL;
	q = &m->cpu[cpu];
	if (q->tail == PMERGE_QUEUE_RECS) {
		if (q->head) { /* the taken part out of the way */
			memmove(q->q, q->q + q->head, (q->tail - q->head) * sizeof(q->q[0]));
			q->tail -= q->head;
			q->head = 0;
		} else { /* full: its records cannot wait any longer */
			pmerge_release(m, q->q[q->tail - 1].sent_ns);
		}
	}
	e = &q->q[q->tail++];
	memcpy(e->rec, rec, size);
	e->size = (uint32_t)size;
	e->sent_ns = pmerge_sent_ns(rec);
	if (q->tail > q->high)
		q->high = q->tail;
	m->queued++;
	return 0;
}

size_t pmerge_release(struct pmerge *m, uint64_t upto_ns)
{
	size_t n = 0;

	for (;;) {
		struct queue *best = NULL;

		/* A scan of the CPUs' heads per record: a fallback transport's
		 * reader, where this costs less than the copy. */
		for (unsigned c = 0; c < m->ncpus; c++) {
			struct queue *q = &m->cpu[c];

			if (q->head == q->tail || q->q[q->head].sent_ns > upto_ns)
				continue;
			if (!best || q->q[q->head].sent_ns < best->q[best->head].sent_ns)
				best = q;
		}
		if (!best)
			break;
		m->fn(m->ctx, best->q[best->head].rec, best->q[best->head].size);
		if (++best->head == best->tail)
			emptied(best);
		m->queued--;
		n++;
	}
	return n;
}

size_t pmerge_queued(const struct pmerge *m)
{
	return m->queued;
}
