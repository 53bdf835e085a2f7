#include "env_check.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1u << (cap % 32));
}

static bool privileged_enough(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	return has_cap(data, CAP_SYS_ADMIN) || (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON));
}

int env_check(const char *kernel_btf, const char *btf_file)
{
	if (!privileged_enough()) {
		fprintf(stderr, "socktrace: permission denied: loading BPF programs needs root "
				"(or CAP_BPF and CAP_PERFMON); run it with sudo\n");
		return 1;
	}
	if (btf_file) {
		if (access(btf_file, R_OK)) {
			fprintf(stderr, "socktrace: --btf=%s: cannot read it (%s)\n", btf_file,
				strerror(errno));
			return 1;
		}
		return 0;
	}
	if (access(kernel_btf, R_OK)) {
		fprintf(stderr, "socktrace: kernel BTF not readable at %s (%s): socktrace needs a "
				"kernel built with CONFIG_DEBUG_INFO_BTF=y, or this kernel's types "
				"in a file: --btf=FILE (BTFHub has them for many distribution "
				"kernels)\n",
			kernel_btf, strerror(errno));
		return 1;
	}
	return 0;
}
