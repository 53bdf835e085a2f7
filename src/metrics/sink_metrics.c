#include "sink_metrics.h"

#include "cgroup_names.h"
#include "sink_impl.h"

struct metrics_sink {
	struct sink base;
	struct sink *inner;
	struct metrics *m;
	struct cgroup_names *names; /* NULL: no container is known */
};

static void m_begin(struct sink *s)
{
	struct metrics_sink *ms = (struct metrics_sink *)s;

	if (ms->inner)
		sink_begin(ms->inner);
}

static void m_event(struct sink *s, const struct st_record *r)
{
	struct metrics_sink *ms = (struct metrics_sink *)s;

	metrics_record(ms->m, r);
	if (r->type == ST_EV_CONNECT || r->type == ST_EV_ACCEPT)
		metrics_container_open(ms->m, r,
				       r->cgroup_id && ms->names
					       ? cgroup_names_container(ms->names, r->cgroup_id,
									r->pid, r->ts_ns)
					       : NULL);
	if (ms->inner)
		sink_event(ms->inner, r);
}

static void m_lost(struct sink *s, enum sink_loss why, uint64_t count, uint64_t ts_ns,
		   uint64_t unix_ns)
{
	struct metrics_sink *ms = (struct metrics_sink *)s;

	metrics_lost(ms->m, why, count);
	if (ms->inner)
		sink_lost(ms->inner, why, count, ts_ns, unix_ns);
}

/* The inner sink's trailer; sink_end finishes the shared outbuf once. */
static void m_end(struct sink *s)
{
	struct metrics_sink *ms = (struct metrics_sink *)s;

	if (ms->inner && ms->inner->ops->end)
		ms->inner->ops->end(ms->inner);
}

static void m_destroy(struct sink *s)
{
	sink__free(((struct metrics_sink *)s)->inner);
}

static const struct sink_ops metrics_ops = {
	.begin = m_begin,
	.event = m_event,
	.lost = m_lost,
	.end = m_end,
	.destroy = m_destroy,
};

struct sink *sink__new_metrics(struct outbuf *out, struct sink *inner, struct metrics *m,
			       struct cgroup_names *names)
{
	const struct sink_opts opts = { 0 };
	struct metrics_sink *ms =
		(struct metrics_sink *)sink__alloc(sizeof(*ms), &metrics_ops, out, &opts);

	if (!ms) {
		sink__free(inner);
		return NULL;
	}
	ms->inner = inner;
	ms->m = m;
	ms->names = names;
	return &ms->base;
}
