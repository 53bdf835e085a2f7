/* Names of cgroup v2 ids: the path of a socket owner's cgroup below the
 * cgroup2 mount, and the container it names. The kernel side records a
 * cgroup's id (its directory's inode number); this finds the directory by
 * walking the tree under the mount, so nothing but read access to the tree
 * is needed. The tree is walked again when a record names an id it does
 * not know and the record is newer than the last walk: a cgroup that held
 * a task when the record was made is then in the new walk unless it has
 * been removed since. One removed before any walk saw it has no name: its
 * records say null, never a guess. */
#ifndef SOCKTRACE_CGROUP_NAMES_H
#define SOCKTRACE_CGROUP_NAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "container_id.h"

struct cgroup_names;

/* root: where cgroup2 is mounted (cgroup2_mount_find()); NULL when it is
 * not, which leaves every id without a name. v1_fallback: the host also has
 * cgroup v1 hierarchies, where a container may be named instead. NULL:
 * out of memory. */
struct cgroup_names *cgroup_names__new(const char *root, bool v1_fallback);
void cgroup_names__free(struct cgroup_names *c);

/* id's path relative to the mount ("/" for its root, "/system.slice/x"),
 * or NULL: gone. event_ns: when the record naming id was made
 * (CLOCK_MONOTONIC, as the kernel side's bpf_ktime_get_ns()). */
const char *cgroup_names_path(struct cgroup_names *c, uint64_t id, uint64_t event_ns);

/* The container of an owner in cgroup id with process pid: the one its
 * cgroup v2 path names, else (v1_fallback) the one pid's /proc/PID/cgroup
 * names, read at most once a second per pid. NULL: none. */
const char *cgroup_names_container(struct cgroup_names *c, uint64_t id, uint32_t pid,
				   uint64_t event_ns);

/* Both of the above with one lookup: *path and *container, each NULL when
 * not known. */
void cgroup_names_owner(struct cgroup_names *c, uint64_t id, uint32_t pid, uint64_t event_ns,
			const char **path, const char **container);

/* Every cgroup of the tree as last walked, with the root first, then parents
 * before children: fn(ctx, id, path) for each (cgroup_names_rewalk() first
 * to see the tree as it is now). */
void cgroup_names_each(struct cgroup_names *c, void (*fn)(void *ctx, uint64_t id, const char *path),
		       void *ctx);
/* Walks the tree now; returns 0 or -errno. */
int cgroup_names_rewalk(struct cgroup_names *c);

#endif
