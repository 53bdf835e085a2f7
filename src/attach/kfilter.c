#include "kfilter.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include "socktrace.skel.h"

void kfilter_set_rodata(const struct filter_cfg *f, struct socktrace_bpf *skel)
{
	typeof(skel->rodata) ro = skel->rodata;

	ro->filter_pid = f->npids > 0;
	ro->filter_port = f->nports[ST_PORTS_ANY] > 0;
	ro->filter_lport = f->nports[ST_PORTS_LOCAL] > 0;
	ro->filter_rport = f->nports[ST_PORTS_REMOTE] > 0;
	ro->filter_family = f->family == 4 ? ST_AF_INET : f->family == 6 ? ST_AF_INET6 : 0;
	ro->filter_comm = f->has_comm;
	memcpy((char *)ro->filter_comm_name, f->comm, sizeof(f->comm));
	ro->filter_cgroup = f->ncgroups > 0;
	ro->filter_netns = f->nnetns > 0;
}

int kfilter_fill_maps(const struct filter_cfg *f, struct socktrace_bpf *skel)
{
	int pids_fd = bpf_map__fd(skel->maps.filter_pids);
	int ports_fd = bpf_map__fd(skel->maps.port_sets);
	struct st_port_set set;
	const __u8 yes = 1;

	for (size_t i = 0; i < f->npids; i++)
		if (bpf_map_update_elem(pids_fd, &f->pids[i], &yes, BPF_ANY))
			return -errno;
	for (size_t i = 0; i < f->ncgroups; i++)
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.filter_cgroups), &f->cgroup_ids[i],
					&yes, BPF_ANY))
			return -errno;
	for (size_t i = 0; i < f->nnetns; i++)
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.filter_netns_set), &f->netns[i], &yes,
					BPF_ANY))
			return -errno;
	for (__u32 k = 0; k < ST_PORTS_SETS; k++) {
		if (!f->nports[k])
			continue;
		memset(&set, 0, sizeof(set));
		for (size_t i = 0; i < f->nports[k]; i++)
			set.bits[f->ports[k][i] >> 6] |= 1ull << (f->ports[k][i] & 63);
		if (bpf_map_update_elem(ports_fd, &k, &set, BPF_ANY))
			return -errno;
	}
	return 0;
}
