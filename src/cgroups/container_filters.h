/* --cgroup, --container and --netns: from what the user gave (paths, id
 * prefixes, inodes) to the ids the kernel side compares. */
#ifndef SOCKTRACE_CONTAINER_FILTERS_H
#define SOCKTRACE_CONTAINER_FILTERS_H

#include <stdio.h>

#include "cgroup_names.h"
#include "cli.h"

/* Fills f->cgroup_ids and f->netns from f's *_args. root: the cgroup2
 * mount (NULL: none); names: its tree. Returns 0, or EXIT_USAGE after
 * saying on err what is wrong with which value (no such cgroup, not a
 * cgroup v2 directory, no container or more than one with that prefix, no
 * such namespace). */
int container_filters_resolve(struct filter_cfg *f, const char *root, struct cgroup_names *names,
			      FILE *err);

#endif
