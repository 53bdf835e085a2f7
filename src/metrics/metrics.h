/* --metrics: what the trace counts, kept for Prometheus. The reader thread
 * counts each record; a scrape (another thread) takes a copy and renders it
 * in the text exposition format. */
#ifndef SOCKTRACE_METRICS_H
#define SOCKTRACE_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "decode.h"
#include "percpu_rings.h"
#include "sink.h"

struct metrics;

/* top: how many process names and how many listening ports keep a label of
 * their own (the first seen); the rest are counted under "other". NULL on
 * out-of-memory. */
struct metrics *metrics__new(unsigned top);
void metrics__free(struct metrics *m);
/* The label pairs of socktrace_info (e.g. version="0.1.0",state="tp_btf"),
 * copied; until set, socktrace_info has none. Returns 0 or -ENOMEM. */
int metrics_set_info(struct metrics *m, const char *labels);

/* The per-CPU rings, whose fill a scrape reads (socktrace_ring_fill_ratio);
 * until set, or NULL (the other transports), the metric is left out. r
 * must outlive the scrapes (the server is stopped before it is freed). */
void metrics_set_rings(struct metrics *m, const struct percpu_rings *r);

/* The reader's side: one record, or count lost for why. */
void metrics_record(struct metrics *m, const struct st_record *r);
void metrics_lost(struct metrics *m, enum sink_loss why, uint64_t count);
/* A connect or accept record's container (its id, or NULL: none), for
 * socktrace_container_connections_opened_total; other records are not
 * counted here. */
void metrics_container_open(struct metrics *m, const struct st_record *r, const char *container);

/* The scrape's side: the exposition text of what was counted so far, into
 * f. Holds the counters' lock only while copying them. Returns 0 or -ENOMEM. */
int metrics_render(struct metrics *m, FILE *f);

#endif
