/* Command-line parsing into struct config. Pure: no BPF, no root. */
#ifndef SOCKTRACE_CLI_H
#define SOCKTRACE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "events.h"
#include "plan.h"
#include "socktrace.h"
#include "tables.h"

#define CLI_MAX_PORTS 1024 /* per port option */
#define CLI_METRICS_TOP 50        /* --metrics-top's default */
#define CLI_MAX_METRICS_TOP 10000
#define CLI_ROTATE_MIN 4096       /* --rotate's least SIZE */
#define CLI_ROTATE_KEEP 10        /* --rotate's default KEEP */

/* What to keep; every kind given must match (AND), any value of a list may
 * (OR). Applied in the kernel. */
struct filter_cfg {
	uint32_t pids[ST_MAX_PIDS];
	size_t npids;
	uint16_t ports[ST_PORTS_SETS][CLI_MAX_PORTS]; /* indexed by ST_PORTS_* */
	size_t nports[ST_PORTS_SETS];
	unsigned family; /* 4 or 6; 0: both */
	char comm[ST_COMM_LEN];
	bool has_comm;
	/* As given (each option may repeat); src/cgroups/container_filters.c
	 * turns them into the ids below before load. */
	const char *cgroup_args[ST_MAX_CGROUPS];   /* --cgroup */
	size_t ncgroup_args;
	const char *container_args[ST_MAX_CGROUPS]; /* --container */
	size_t ncontainer_args;
	const char *netns_args[ST_MAX_NETNS];      /* --netns */
	size_t nnetns_args;
	uint64_t cgroup_ids[ST_MAX_CGROUPS]; /* roots: an owner's cgroup at or below one passes */
	size_t ncgroups;
	uint32_t netns[ST_MAX_NETNS];        /* namespace inodes */
	size_t nnetns;
};

/* --metrics: where to serve, and the labels' bound. */
struct metrics_cfg {
	bool on;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	uint32_t top; /* --metrics-top */
};

struct config {
	struct filter_cfg filter;
	bool json;        /* -j: NDJSON instead of text */
	bool timeline;    /* --timeline: a block per connection when it closes */
	const char *output; /* -o: file (".gz": gzip); NULL: stdout */
	size_t rotate_size;   /* --rotate: SIZE in bytes; 0: no rotation */
	unsigned rotate_keep; /* --rotate: KEEP */
	bool timestamps;  /* -T: wall-clock time on each line */
	bool containers;  /* --containers: text gets CONTAINER and NETNS columns */
	struct metrics_cfg metrics;
	bool quiet;       /* --metrics without -j, -o, -T or --timeline: no trace */
	bool verbose;     /* -v: libbpf messages and counters at exit */
	bool list_attach; /* --list-attach: print the attach plan and exit */
	enum st_method attach; /* --attach: METHOD_NONE (auto), _FENTRY, _KPROBE, _TRACEPOINT */
	int events;            /* --events: an enum st_events, or EVENTS_AUTO */
	const char *btf;       /* --btf: kernel types for CO-RE; NULL: the kernel's own */
	bool normal_priority; /* --priority=normal: the reader never runs at idle priority */
	bool no_syscall_hooks; /* --no-syscall-hooks: no method on syscalls:* tracepoints */
	bool no_fast_start;    /* --no-fast-start: load with libbpf alone (src/load/ off) */
	struct table_sizes tables; /* --max-sockets, --max-listeners; 0: sized from the host */
	bool show_help;   /* --help, --usage or --version was printed: exit 0 */
};

#ifndef SOCKTRACE_VERSION
#define SOCKTRACE_VERSION "unknown" /* the Makefile sets it */
#endif

/* Exit statuses socktrace uses. */
enum { EXIT_USAGE = 2 };

/* Fills cfg from argv. Returns 0 on success, or EXIT_USAGE after printing a
 * one-line error naming the option and a hint to stderr. */
int cli_parse(int argc, char **argv, struct config *cfg);

#endif
