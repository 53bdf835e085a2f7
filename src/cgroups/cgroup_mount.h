/* Where cgroup v2 is mounted: /sys/fs/cgroup on a unified host,
 * /sys/fs/cgroup/unified on a hybrid one (v1 controllers beside it). */
#ifndef SOCKTRACE_CGROUP_MOUNT_H
#define SOCKTRACE_CGROUP_MOUNT_H

#include <stdbool.h>
#include <stddef.h>

/* The mount point of the first cgroup2 mount in mountinfo (the text of
 * /proc/self/mountinfo), its octal escapes undone, into out. Returns 0,
 * -ENOENT (none) or -ENAMETOOLONG. */
int cgroup2_mount_parse(const char *mountinfo, char *out, size_t size);

/* The same from this process's /proc/self/mountinfo. */
int cgroup2_mount_find(char *out, size_t size);

/* Whether proc_cgroup (the text of /proc/PID/cgroup) has a cgroup v1
 * hierarchy's line: any but "0::PATH", the cgroup v2 one. */
bool cgroup_v1_in(const char *proc_cgroup);

/* The same for this process: the host's layout is hybrid (or v1). */
bool cgroup_v1_present(void);

#endif
