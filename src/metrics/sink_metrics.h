/* The sink --metrics uses: each record counted, then handed on to the
 * sink that prints the trace, if there is one. */
#ifndef SOCKTRACE_SINK_METRICS_H
#define SOCKTRACE_SINK_METRICS_H

#include "metrics.h"
#include "sink.h"

/* inner: the trace's sink, owned from now on (freed with this one), or NULL
 * for no trace; out: inner's outbuf (or one nothing is written to); names:
 * the owners' cgroups, for the container label (NULL: none; stays the
 * caller's). */
struct cgroup_names;

struct sink *sink__new_metrics(struct outbuf *out, struct sink *inner, struct metrics *m,
			       struct cgroup_names *names);

#endif
