/* Container ids in cgroup paths, as the common runtimes name their
 * cgroups. Pure string work: no files are read here. */
#ifndef SOCKTRACE_CONTAINER_ID_H
#define SOCKTRACE_CONTAINER_ID_H

#include <stdbool.h>
#include <stddef.h>

/* A container id (64 hex digits) or a Kubernetes pod UID (36 characters),
 * and its terminating NUL. */
#define CONTAINER_ID_MAX 65

/* The container id a cgroup path names, into out: the nearest component
 * to the end that is 64 hex digits, alone (docker and Kubernetes under
 * cgroupfs: /docker/ID, /kubepods/burstable/podUID/ID) or as a systemd
 * unit or runtime name (docker-ID.scope, cri-containerd-ID.scope,
 * crio-ID.scope, libpod-ID.scope, libpod-ID). Without one, the pod UID of
 * a Kubernetes pod's cgroup (podUID, or kubepods-...-podUID.slice with
 * the UID's dashes as underscores), with dashes. False: neither. */
bool container_id_of_path(const char *path, char out[CONTAINER_ID_MAX]);

/* The same, from the text of /proc/PID/cgroup: the first line whose path
 * names one, cgroup v1 hierarchies included (where runtimes under cgroup
 * v1 put a container, when its cgroup v2 path names none). */
bool container_id_of_proc_cgroup(const char *text, char out[CONTAINER_ID_MAX]);

#endif
