/* Resolving --cgroup, --container and --netns (container_filters.h). */
#include "container_filters.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "container_id.h"

#define CGROUP2_MAGIC 0x63677270 /* CGROUP2_SUPER_MAGIC */
#define NSFS_MAGIC_ 0x6e736673   /* NSFS_MAGIC */

static int add_cgroup_id(struct filter_cfg *f, uint64_t id)
{
	for (size_t i = 0; i < f->ncgroups; i++)
		if (f->cgroup_ids[i] == id)
			return 0;
	if (f->ncgroups == ST_MAX_CGROUPS)
		return -E2BIG;
	f->cgroup_ids[f->ncgroups++] = id;
	return 0;
}

/* --cgroup=PATH: a directory of the cgroup2 mount, given by its full path
 * or by its path below the mount (as records show it). */
static int resolve_cgroup(struct filter_cfg *f, const char *root, const char *arg, FILE *err)
{
	char path[PATH_MAX];
	size_t rlen = root ? strlen(root) : 0;
	struct statfs sfs;
	struct stat st;

	if (!root) {
		fprintf(err, "socktrace: --cgroup=%s: cgroup v2 is not mounted here "
			     "(no cgroup2 line in /proc/self/mountinfo)\n", arg);
		return EXIT_USAGE;
	}
	if (!strncmp(arg, root, rlen) && (arg[rlen] == '/' || !arg[rlen]))
		snprintf(path, sizeof(path), "%s", arg);
	else
		snprintf(path, sizeof(path), "%s%s%s", root, arg[0] == '/' ? "" : "/", arg);
	if (stat(path, &st) || statfs(path, &sfs)) {
		fprintf(err, "socktrace: --cgroup=%s: %s: %s\n", arg, path, strerror(errno));
		return EXIT_USAGE;
	}
	if (!S_ISDIR(st.st_mode) || sfs.f_type != CGROUP2_MAGIC) {
		fprintf(err, "socktrace: --cgroup=%s: %s is not a cgroup v2 directory (cgroup2 "
			     "is mounted at %s)\n", arg, path, root);
		return EXIT_USAGE;
	}
	if (add_cgroup_id(f, (uint64_t)st.st_ino)) {
		fprintf(err, "socktrace: --cgroup: more than %d cgroups\n", ST_MAX_CGROUPS);
		return EXIT_USAGE;
	}
	return 0;
}

/* The cgroups of the tree whose paths name a container starting with
 * prefix: the first such container's id in match, another in other. */
struct container_search {
	const char *prefix;
	size_t plen;
	char match[CONTAINER_ID_MAX];
	char other[CONTAINER_ID_MAX];
	struct filter_cfg *f;
	int err;
};

static void visit_cgroup(void *ctx, uint64_t id, const char *path)
{
	struct container_search *cs = ctx;
	char cid[CONTAINER_ID_MAX];

	if (!container_id_of_path(path, cid) || strncmp(cid, cs->prefix, cs->plen))
		return;
	if (!cs->match[0])
		memcpy(cs->match, cid, sizeof(cid));
	else if (strcmp(cid, cs->match)) {
		if (!cs->other[0])
			memcpy(cs->other, cid, sizeof(cid));
		return;
	}
	if (add_cgroup_id(cs->f, id))
		cs->err = -E2BIG;
}

/* Whether some process's cgroup v1 paths name a container starting with
 * prefix (a runtime under cgroup v1 that left cgroup v2 alone). */
static bool in_v1_only(const char *prefix)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		char file[300], text[8192], cid[CONTAINER_ID_MAX];
		FILE *fp;
		size_t n;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(file, sizeof(file), "/proc/%s/cgroup", de->d_name);
		fp = fopen(file, "re");
		if (!fp)
			continue;
		n = fread(text, 1, sizeof(text) - 1, fp);
		fclose(fp);
		text[n] = '\0';
		found = container_id_of_proc_cgroup(text, cid) && !strncmp(cid, prefix, strlen(prefix));
	}
	if (d)
		closedir(d);
	return found;
}

static int resolve_container(struct filter_cfg *f, const char *root, struct cgroup_names *names,
			     const char *arg, FILE *err)
{
	struct container_search cs = { .prefix = arg, .plen = strlen(arg), .f = f };

	if (cs.plen >= CONTAINER_ID_MAX || strspn(arg, "0123456789abcdef-") != cs.plen) {
		fprintf(err, "socktrace: --container=%s: not a container id (hex digits) or pod "
			     "UID\n", arg);
		return EXIT_USAGE;
	}
	if (names)
		cgroup_names_each(names, visit_cgroup, &cs);
	if (cs.other[0]) {
		fprintf(err, "socktrace: --container=%s: more than one container has this prefix "
			     "(%.12s, %.12s); give more digits\n", arg, cs.match, cs.other);
		return EXIT_USAGE;
	}
	if (cs.err) {
		fprintf(err, "socktrace: --container: more than %d cgroups\n", ST_MAX_CGROUPS);
		return EXIT_USAGE;
	}
	if (!cs.match[0]) {
		if (in_v1_only(arg))
			fprintf(err, "socktrace: --container=%s: the container's runtime put it in "
				     "cgroup v1 hierarchies only; the filter needs its cgroup v2 "
				     "directory (cgroup2 at %s)\n", arg, root ? root : "(not mounted)");
		else
			fprintf(err, "socktrace: --container=%s: no container with this id in the "
				     "cgroup v2 tree (%s)\n", arg, root ? root : "not mounted");
		return EXIT_USAGE;
	}
	return 0;
}

static int add_netns(struct filter_cfg *f, const char *arg, unsigned long long ino, FILE *err)
{
	for (size_t i = 0; i < f->nnetns; i++)
		if (f->netns[i] == ino)
			return 0;
	if (f->nnetns == ST_MAX_NETNS) {
		fprintf(err, "socktrace: --netns=%s: more than %d namespaces\n", arg, ST_MAX_NETNS);
		return EXIT_USAGE;
	}
	f->netns[f->nnetns++] = (uint32_t)ino;
	return 0;
}

/* The CLONE_NEW* type of namespace file path, or -1. */
static int ns_type_of(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), type;

	if (fd < 0)
		return -1;
	type = ioctl(fd, NS_GET_NSTYPE);
	close(fd);
	return type;
}

/* --netns=PATH|INODE: a namespace file (/run/netns/NAME, /proc/PID/ns/net)
 * or the inode number records show. */
static int resolve_netns(struct filter_cfg *f, const char *arg, FILE *err)
{
	struct statfs sfs;
	struct stat st;
	char *end;
	unsigned long long ino;

	errno = 0;
	ino = strtoull(arg, &end, 10);
	if (arg[0] >= '0' && arg[0] <= '9' && !*end) {
		if (errno || !ino || ino > UINT32_MAX) {
			fprintf(err, "socktrace: --netns=%s: an inode number is 1..%u\n", arg,
				UINT32_MAX);
			return EXIT_USAGE;
		}
		return add_netns(f, arg, ino, err);
	}
	if (stat(arg, &st) || statfs(arg, &sfs)) {
		fprintf(err, "socktrace: --netns=%s: %s\n", arg, strerror(errno));
		return EXIT_USAGE;
	}
	if (sfs.f_type != NSFS_MAGIC_ || ns_type_of(arg) != CLONE_NEWNET) {
		fprintf(err, "socktrace: --netns=%s: not a network namespace file (expected "
			     "/run/netns/NAME or /proc/PID/ns/net)\n", arg);
		return EXIT_USAGE;
	}
	return add_netns(f, arg, (unsigned long long)st.st_ino, err);
}

int container_filters_resolve(struct filter_cfg *f, const char *root, struct cgroup_names *names,
			      FILE *err)
{
	int status = 0;

	if (f->ncontainer_args && names)
		cgroup_names_rewalk(names);
	for (size_t i = 0; !status && i < f->ncgroup_args; i++)
		status = resolve_cgroup(f, root, f->cgroup_args[i], err);
	for (size_t i = 0; !status && i < f->ncontainer_args; i++)
		status = resolve_container(f, root, names, f->container_args[i], err);
	for (size_t i = 0; !status && i < f->nnetns_args; i++)
		status = resolve_netns(f, f->netns_args[i], err);
	return status;
}
