/* Names of cgroup v2 ids (cgroup_names.h). */
#include "cgroup_names.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WALK_DEPTH 64     /* deeper directories are not named */
#define PID_SLOTS 1024    /* processes whose v1 container is remembered */
#define GONE_SLOTS 1024   /* removed cgroups remembered, so as not to walk for them again */
#define PID_TTL_NS 1000000000ull

struct cgroup_entry {
	uint64_t id;
	char *path;       /* relative to the mount, "/" for its root */
	bool has_container;
	char container[CONTAINER_ID_MAX];
};

struct pid_slot {
	uint32_t pid;     /* 0: empty */
	uint64_t cgroup_id;
	uint64_t read_ns;
	bool found;
	char container[CONTAINER_ID_MAX];
};

struct cgroup_names {
	char *root;                   /* NULL: no cgroup2 */
	bool v1_fallback;
	struct cgroup_entry *entries; /* as walked: parents first */
	size_t n, cap;
	size_t *by_id;                /* indices into entries, by id */
	uint64_t walked_ns;           /* when the last walk began */
	bool walked;
	uint64_t gone[GONE_SLOTS];    /* ids a walk missed after a record named them */
	struct pid_slot pids[PID_SLOTS];
};

struct cgroup_names *cgroup_names__new(const char *root, bool v1_fallback)
{
	struct cgroup_names *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->v1_fallback = v1_fallback;
	if (root && !(c->root = strdup(root))) {
		free(c);
		return NULL;
	}
	return c;
}

static void clear_entries(struct cgroup_names *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->entries[i].path);
	c->n = 0;
}

void cgroup_names__free(struct cgroup_names *c)
{
	if (!c)
		return;
	clear_entries(c);
	free(c->entries);
	free(c->by_id);
	free(c->root);
	free(c);
}

static int add_entry(struct cgroup_names *c, uint64_t id, const char *path)
{
	struct cgroup_entry *e;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		void *p = realloc(c->entries, cap * sizeof(*c->entries));

		if (!p)
			return -ENOMEM;
		c->entries = p;
		c->cap = cap;
	}
	e = &c->entries[c->n];
	e->id = id;
	e->path = strdup(path);
	if (!e->path)
		return -ENOMEM;
	e->has_container = container_id_of_path(path, e->container);
	c->n++;
	return 0;
}

/* Adds the cgroups below directory fd_dir (closed here): path (len bytes)
 * is its path, relative. */
static int walk_dir(struct cgroup_names *c, int fd_dir, char *path, size_t len, int depth)
{
	DIR *d = fdopendir(fd_dir);
	struct dirent *de;
	int err = 0;

	if (!d) {
		close(fd_dir);
		return -errno;
	}
	while (!err && (de = readdir(d))) {
		size_t nlen = strlen(de->d_name);
		struct stat st;
		int fd;

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || depth >= WALK_DEPTH)
			continue;
		if (len + 1 + nlen >= PATH_MAX)
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue; /* removed since readdir(), or unreadable */
		if (fstat(fd, &st)) {
			close(fd);
			continue;
		}
		path[len] = '/';
		memcpy(path + len + 1, de->d_name, nlen + 1);
		err = add_entry(c, (uint64_t)st.st_ino, path);
		if (!err)
			err = walk_dir(c, fd, path, len + 1 + nlen, depth + 1);
		else
			close(fd);
		path[len] = '\0';
	}
	closedir(d);
	return err == -ENOMEM ? err : 0;
}

static int cmp_by_id(const void *a, const void *b, void *ctx)
{
	const struct cgroup_entry *e = ctx;
	uint64_t x = e[*(const size_t *)a].id, y = e[*(const size_t *)b].id;

	return x < y ? -1 : x > y;
}

static int index_entries(struct cgroup_names *c)
{
	size_t *idx = realloc(c->by_id, (c->n ? c->n : 1) * sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	c->by_id = idx;
	for (size_t i = 0; i < c->n; i++)
		idx[i] = i;
	qsort_r(idx, c->n, sizeof(*idx), cmp_by_id, c->entries);
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int cgroup_names_rewalk(struct cgroup_names *c)
{
	char path[PATH_MAX] = "";
	struct stat st;
	int fd, err;

	c->walked = true;
	c->walked_ns = mono_ns();
	clear_entries(c);
	if (!c->root)
		return -ENOENT;
	fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	err = add_entry(c, (uint64_t)st.st_ino, "/");
	if (err) {
		close(fd);
		return err;
	}
	err = walk_dir(c, fd, path, 0, 0);
	return err ? err : index_entries(c);
}

static const struct cgroup_entry *find(const struct cgroup_names *c, uint64_t id)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cgroup_entry *e = &c->entries[c->by_id[mid]];

		if (e->id == id)
			return e;
		if (e->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* id's entry, walking again if it is not known and the last walk began
 * before the record (made at event_ns) that names it. */
static const struct cgroup_entry *lookup(struct cgroup_names *c, uint64_t id, uint64_t event_ns)
{
	const struct cgroup_entry *e = c->walked ? find(c, id) : NULL;

	if (e || !id || !c->root || c->gone[id % GONE_SLOTS] == id)
		return e;
	if (c->walked && c->walked_ns > event_ns)
		return NULL; /* removed before that walk */
	cgroup_names_rewalk(c);
	e = find(c, id);
	/* It held a task before this walk began, so it is gone for good (ids
	 * are not reused): a socket that outlives its owner's cgroup does not
	 * make every later record walk the tree. */
	if (!e)
		c->gone[id % GONE_SLOTS] = id;
	return e;
}

const char *cgroup_names_path(struct cgroup_names *c, uint64_t id, uint64_t event_ns)
{
	const struct cgroup_entry *e = lookup(c, id, event_ns);

	return e ? e->path : NULL;
}

/* pid's container by its /proc/PID/cgroup, remembered for PID_TTL_NS. */
static const char *v1_container(struct cgroup_names *c, uint64_t id, uint32_t pid,
				uint64_t now_ns)
{
	struct pid_slot *s = &c->pids[pid % PID_SLOTS];
	char file[32], text[8192];
	ssize_t n;
	int fd;

	if (s->pid == pid && s->cgroup_id == id && now_ns - s->read_ns < PID_TTL_NS)
		return s->found ? s->container : NULL;
	s->pid = pid;
	s->cgroup_id = id;
	s->read_ns = now_ns;
	s->found = false;
	snprintf(file, sizeof(file), "/proc/%u/cgroup", pid);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL; /* the process is gone */
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	text[n] = '\0';
	s->found = container_id_of_proc_cgroup(text, s->container);
	return s->found ? s->container : NULL;
}

/* The container of an owner whose cgroup id has entry e (NULL: none). */
static const char *container_of(struct cgroup_names *c, const struct cgroup_entry *e,
				uint64_t id, uint32_t pid, uint64_t event_ns)
{
	if (e && e->has_container)
		return e->container;
	if (!c->v1_fallback || !pid)
		return NULL;
	return v1_container(c, id, pid, event_ns);
}

const char *cgroup_names_container(struct cgroup_names *c, uint64_t id, uint32_t pid,
				   uint64_t event_ns)
{
	return container_of(c, lookup(c, id, event_ns), id, pid, event_ns);
}

void cgroup_names_owner(struct cgroup_names *c, uint64_t id, uint32_t pid, uint64_t event_ns,
			const char **path, const char **container)
{
	const struct cgroup_entry *e = lookup(c, id, event_ns);

	*path = e ? e->path : NULL;
	*container = container_of(c, e, id, pid, event_ns);
}

void cgroup_names_each(struct cgroup_names *c, void (*fn)(void *ctx, uint64_t id, const char *path),
		       void *ctx)
{
	for (size_t i = 0; i < c->n; i++)
		fn(ctx, c->entries[i].id, c->entries[i].path);
}
