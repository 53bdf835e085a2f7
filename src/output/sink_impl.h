/* For sink implementations only. */
#ifndef SOCKTRACE_SINK_IMPL_H
#define SOCKTRACE_SINK_IMPL_H

#include "sink.h"

struct sink_ops {
	void (*begin)(struct sink *s);
	void (*event)(struct sink *s, const struct st_record *r);
	void (*lost)(struct sink *s, enum sink_loss why, uint64_t count, uint64_t ts_ns,
		     uint64_t unix_ns);
	void (*end)(struct sink *s);
	void (*destroy)(struct sink *s); /* frees what the implementation holds */
};

/* Implementations that need state embed this first. */
struct sink {
	const struct sink_ops *ops;
	struct outbuf *out;
	struct sink_opts opts;
};

/* What text lines say after "LOST n " for why: "events" for a full ring,
 * "events (why)" or what else was lost. */
const char *sink_loss_what(enum sink_loss why);

/* Allocates size bytes (an implementation's struct, struct sink first),
 * zeroed, with the common part filled in. */
struct sink *sink__alloc(size_t size, const struct sink_ops *ops, struct outbuf *out,
			 const struct sink_opts *opts);

#endif
