/* Output sinks: the one interface handlers use to report what happened.
 * Implementations (text, JSON) format records into an outbuf. */
#ifndef SOCKTRACE_SINK_H
#define SOCKTRACE_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "outbuf.h"

struct sink;

struct cgroup_names;

struct sink_opts {
	bool timestamps; /* text: leading wall-clock column */
	bool containers; /* text: CONTAINER and NETNS columns */
	struct cgroup_names *cgroups; /* names of owners' cgroups; NULL: none (stays the caller's) */
};

/* The sink writes to out, which stays owned by the caller. */
struct sink *sink__new_text(struct outbuf *out, const struct sink_opts *opts);
/* NDJSON, one object per event; schema in README.md. */
struct sink *sink__new_json(struct outbuf *out, const struct sink_opts *opts);
/* --timeline: each connection as a block once it closes. */
struct sink *sink__new_timeline(struct outbuf *out, const struct sink_opts *opts);
void sink__free(struct sink *s);

void sink_begin(struct sink *s);
void sink_event(struct sink *s, const struct st_record *r);
/* Why events are missing from the trace. */
enum sink_loss {
	SINK_LOSS_RING_FULL,      /* count records found their CPU's ring full */
	SINK_LOSS_SKIPPED,        /* the kernel skipped count runs of our programs */
	SINK_LOSS_SOCKET_TABLE,   /* count events' sockets found the socket table full */
	SINK_LOSS_LISTENER_TABLE, /* count listeners found the listener table full */
};
/* count events (or, for SINK_LOSS_LISTENER_TABLE, listeners' owners) are
 * missing, for why. */
void sink_lost(struct sink *s, enum sink_loss why, uint64_t count, uint64_t ts_ns,
	       uint64_t unix_ns);
/* Writes out buffered output; returns 0 or -errno of a failed write. */
int sink_flush(struct sink *s);
/* Writes any trailer and flushes; returns 0 or -errno of a failed write. */
int sink_end(struct sink *s);

#endif
