#include "sink_impl.h"

#include <stdlib.h>

struct sink *sink__alloc(size_t size, const struct sink_ops *ops, struct outbuf *out,
			 const struct sink_opts *opts)
{
	struct sink *s = calloc(1, size);

	if (!s)
		return NULL;
	s->ops = ops;
	s->out = out;
	s->opts = *opts;
	return s;
}

void sink__free(struct sink *s)
{
	if (s && s->ops->destroy)
		s->ops->destroy(s);
	free(s);
}

void sink_begin(struct sink *s)
{
	if (s->ops->begin)
		s->ops->begin(s);
}

void sink_event(struct sink *s, const struct st_record *r)
{
	s->ops->event(s, r);
}

void sink_lost(struct sink *s, enum sink_loss why, uint64_t count, uint64_t ts_ns,
	       uint64_t unix_ns)
{
	s->ops->lost(s, why, count, ts_ns, unix_ns);
}

const char *sink_loss_what(enum sink_loss why)
{
	switch (why) {
	case SINK_LOSS_SKIPPED:
		return "events (program runs the kernel skipped)";
	case SINK_LOSS_SOCKET_TABLE:
		return "events (socket table full)";
	case SINK_LOSS_LISTENER_TABLE:
		return "listener owners (listener table full)";
	case SINK_LOSS_RING_FULL:
		break;
	}
	return "events";
}

int sink_end(struct sink *s)
{
	if (s->ops->end)
		s->ops->end(s);
	return outbuf_finish(s->out);
}

int sink_flush(struct sink *s)
{
	return outbuf_flush(s->out);
}
