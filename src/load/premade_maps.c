#include "premade_maps.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What bpf_map_create() needs, copied from the object before the thread
 * starts, so that the thread never touches it. */
struct map_def {
	const char *name; /* the caller's; at most BPF_OBJ_NAME_LEN - 1 chars */
	enum bpf_map_type type;
	__u32 key_size, value_size, max_entries, flags, numa_node;
	__u64 extra;
	int fd; /* -errno until made */
};

struct premade_maps {
	pthread_t thread;
	bool joined;
	int n;
	int next; /* the next map to make, taken by either thread (atomically) */
	struct map_def defs[]; /* one per name given */
};

static void create(struct map_def *d)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = d->flags, .numa_node = d->numa_node,
		    .map_extra = d->extra);

	d->fd = bpf_map_create(d->type, d->name, d->key_size, d->value_size, d->max_entries,
			       &opts);
	if (d->fd < 0)
		d->fd = -errno;
}

/* Makes maps until none is left to take. */
static void *create_rest(void *arg)
{
	struct premade_maps *p = arg;
	int i;

	while ((i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED)) < p->n)
		create(&p->defs[i]);
	return NULL;
}

/* Starts the thread on another CPU than this one, if there is one: a new
 * thread tends to run first where it was made, and map creation is a few
 * ms in the kernel that would hold up the very work it should overlap
 * (docs/benchmarks.md, "Measurements behind the code"). */
static int start_elsewhere(pthread_t *thread, struct premade_maps *p)
{
	int here = sched_getcpu(), err;
	pthread_attr_t attr;
	cpu_set_t cpus;

	if (here < 0 || sched_getaffinity(0, sizeof(cpus), &cpus) || CPU_COUNT(&cpus) < 2)
		return pthread_create(thread, NULL, create_rest, p);
	CPU_CLR(here, &cpus);
	if (pthread_attr_init(&attr))
		return -1;
	err = pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
	if (!err)
		err = pthread_create(thread, &attr, create_rest, p);
	pthread_attr_destroy(&attr);
	return err;
}

struct premade_maps *premade_maps__start(struct bpf_object *obj, const char *const *names)
{
	size_t count = 0;
	struct premade_maps *p;

	while (names[count])
		count++;
	p = calloc(1, sizeof(*p) + count * sizeof(p->defs[0]));
	if (!p)
		return NULL;
	for (; *names; names++) {
		const struct bpf_map *map = bpf_object__find_map_by_name(obj, *names);
		struct map_def *d = &p->defs[p->n];

		if (!map || strlen(*names) >= BPF_OBJ_NAME_LEN)
			continue;
		d->name = *names;
		d->type = bpf_map__type(map);
		d->key_size = bpf_map__key_size(map);
		d->value_size = bpf_map__value_size(map);
		d->max_entries = bpf_map__max_entries(map);
		d->flags = bpf_map__map_flags(map);
		d->numa_node = bpf_map__numa_node(map);
		d->extra = bpf_map__map_extra(map);
		d->fd = -EAGAIN;
		p->n++;
	}
	if (start_elsewhere(&p->thread, p)) {
		free(p);
		return NULL;
	}
	return p;
}

static void join(struct premade_maps *p)
{
	if (!p->joined)
		pthread_join(p->thread, NULL);
	p->joined = true;
}

int premade_maps_adopt(struct premade_maps *p, struct bpf_object *obj)
{
	create_rest(p); /* help with what the thread has not started yet */
	join(p);
	for (int i = 0; i < p->n; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, p->defs[i].name);
		int err = p->defs[i].fd < 0 ? p->defs[i].fd : !map ? -ENOENT : 0;

		if (!err)
			err = bpf_map__reuse_fd(map, p->defs[i].fd);
		if (err)
			return err;
	}
	return 0;
}

void premade_maps__free(struct premade_maps *p)
{
	if (!p)
		return;
	join(p);
	for (int i = 0; i < p->n; i++)
		if (p->defs[i].fd >= 0)
			close(p->defs[i].fd);
	free(p);
}
