/* Container ids in cgroup paths, the cgroup2 mount in mountinfo, and the
 * cgroup v1 lines of /proc/PID/cgroup. */
#include <errno.h>

#include "cgroup_mount.h"
#include "check.h"
#include "container_id.h"

#define ID64 "3f2a9c0d5b7e41f8a6c2d9e0b1f3a5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8"
#define POD "8d9b2f1c-3a4e-4b6d-9f0a-1c2e3d4f5a6b"

static const char *id_of(const char *path)
{
	static char out[CONTAINER_ID_MAX];

	return container_id_of_path(path, out) ? out : NULL;
}

static bool is(const char *got, const char *want)
{
	return got && want ? !strcmp(got, want) : got == want;
}

static void test_paths(void)
{
	CHECK(is(id_of("/system.slice/docker-" ID64 ".scope"), ID64), "docker, systemd driver");
	CHECK(is(id_of("/docker/" ID64), ID64), "docker, cgroupfs driver");
	CHECK(is(id_of("/system.slice/cri-containerd-" ID64 ".scope"), ID64), "containerd (CRI)");
	CHECK(is(id_of("/kubepods.slice/kubepods-burstable.slice/crio-" ID64 ".scope"), ID64),
	      "CRI-O");
	CHECK(is(id_of("/machine.slice/libpod-" ID64 ".scope/container"), ID64),
	      "podman, its id above the leaf");
	CHECK(is(id_of("/libpod_parent/libpod-" ID64), ID64), "podman, cgroupfs");
	CHECK(is(id_of("/kubepods/burstable/pod" POD "/" ID64), ID64),
	      "a container below its pod: the container's id");
	CHECK(is(id_of("/kubepods/besteffort/pod" POD), POD), "a pod's own cgroup: its UID");
	CHECK(is(id_of("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
		       "8d9b2f1c_3a4e_4b6d_9f0a_1c2e3d4f5a6b.slice"),
		 POD),
	      "a pod's systemd slice: underscores back to dashes");
	CHECK(is(id_of("/machine.slice/libpod-conmon-" ID64 ".scope"), NULL),
	      "podman's conmon is not the container");
	CHECK(is(id_of("/system.slice/nginx.service"), NULL), "a service: none");
	CHECK(is(id_of("/"), NULL) && is(id_of(""), NULL), "the root: none");
	CHECK(is(id_of("/docker/3F2A9C0D5B7E41F8A6C2D9E0B1F3A5C7D9E1F2A4B6C8D0E2F4A6B8C0D2E4F6A8"),
		 NULL),
	      "upper-case hex is not an id");
	CHECK(is(id_of("/docker/" ID64 "0"), NULL), "65 digits are not an id");
	CHECK(is(id_of("/process_api/3dcca2846bef355378a0c90434a7ad7e"), NULL),
	      "32 digits are not an id");
	CHECK(is(id_of("/xpod" POD), NULL), "pod only at a word's start");
}

static void test_proc_cgroup(void)
{
	char out[CONTAINER_ID_MAX];

	CHECK(container_id_of_proc_cgroup("12:memory:/docker/" ID64 "\n0::/\n", out) &&
		      !strcmp(out, ID64),
	      "a v1 hierarchy names it");
	CHECK(!container_id_of_proc_cgroup("4:memory:/process_api/3dcc\n0::/\n", out),
	      "no line names one");
	CHECK(container_id_of_proc_cgroup("0::/system.slice/docker-" ID64 ".scope", out) &&
		      !strcmp(out, ID64),
	      "the v2 line, without a final newline");
	CHECK(cgroup_v1_in("9:name=systemd:/\n0::/\n"), "hybrid: v1 lines");
	CHECK(!cgroup_v1_in("0::/user.slice\n"), "unified: none");
}

static void test_mountinfo(void)
{
	char out[64];
	const char *hybrid =
		"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
		"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
		"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
	const char *unified =
		"26 23 0:23 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";

	CHECK(cgroup2_mount_parse(hybrid, out, sizeof(out)) == 0 &&
		      !strcmp(out, "/sys/fs/cgroup/unified"),
	      "hybrid: the unified mount");
	CHECK(cgroup2_mount_parse(unified, out, sizeof(out)) == 0 && !strcmp(out, "/sys/fs/cgroup"),
	      "unified, with an optional field");
	CHECK(cgroup2_mount_parse("50 1 0:40 / /mnt/my\\040cg rw - cgroup2 none rw\n", out,
				  sizeof(out)) == 0 &&
		      !strcmp(out, "/mnt/my cg"),
	      "an escaped space");
	CHECK(cgroup2_mount_parse("32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n",
				  out, sizeof(out)) == -ENOENT,
	      "v1 only: none");
	CHECK(cgroup2_mount_parse(unified, out, 8) == -ENAMETOOLONG, "a short buffer");
}

int main(void)
{
	test_paths();
	test_proc_cgroup();
	test_mountinfo();
	return check_done();
}
