/* Command-line parsing with argp. Errors never exit the process: they are
 * printed (by argp, with a --help hint) and returned, so main decides and
 * tests can call this directly. */
#include "cli.h"

#include <argp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_LIST_ATTACH = 0x100,
	OPT_USAGE,
	OPT_TIMELINE,
	OPT_ATTACH,
	OPT_PRIORITY,
	OPT_NO_SYSCALL_HOOKS,
	OPT_MAX_SOCKETS,
	OPT_MAX_LISTENERS,
	OPT_EVENTS,
	OPT_BTF,
	OPT_VERSION,
	OPT_METRICS,
	OPT_METRICS_TOP,
	OPT_ROTATE,
	OPT_NO_FAST_START,
	OPT_CGROUP,
	OPT_CONTAINER,
	OPT_NETNS,
	OPT_CONTAINERS,
};

#define PID_MAX 4194304 /* PID_MAX_LIMIT on 64-bit */

static const char doc[] =
	"Trace the life of every TCP socket: connect, accept, each state change\n"
	"with the time spent in the state before, and close.\n"
	"\n"
	"USAGE: socktrace [-T] [-v] [-j] [-o FILE] [-p PID,..] [-P PORT,..]\n"
	"         [-L PORT,..] [-D PORT,..] [-4|-6] [-c COMM] [--timeline]\n"
	"         [--list-attach] [--attach=auto|fentry|kprobe|tracepoint]\n"
	"         [--events=auto|rings|ringbuf|perfbuf] [--priority=idle|normal]\n"
	"         [--no-syscall-hooks] [--no-fast-start] [--max-sockets=N]\n"
	"         [--max-listeners=N] [--btf=FILE] [--metrics=[ADDR:]PORT]\n"
	"         [--metrics-top=N] [--rotate=SIZE[,KEEP]] [--cgroup=PATH]\n"
	"         [--container=ID] [--netns=PATH|INODE] [--containers] [--version]\n"
	"\n"
	"Filters run in the kernel: kinds combine with AND, list values with OR.\n"
	"\n"
	"EXAMPLES:\n"
	"    socktrace                    # trace all TCP sockets\n"
	"    socktrace -T                 # with wall-clock timestamps\n"
	"    socktrace -p 181,182         # sockets owned by pids 181 or 182\n"
	"    socktrace -P 80,443          # port 80 or 443 at either end\n"
	"    socktrace -L 8080 -6         # IPv6 sockets with local port 8080\n"
	"    socktrace -c nginx -j        # nginx's sockets, as NDJSON\n"
	"    socktrace --container=3f2a --containers  # one container's sockets\n"
	"    socktrace --netns=/run/netns/blue -j     # sockets in one network namespace\n"
	"    socktrace -j -o trace.json.gz  # gzip-compressed NDJSON into a file\n"
	"    socktrace --timeline -P 443  # each HTTPS connection's story when it ends\n"
	"    socktrace --metrics=9464     # Prometheus metrics on 127.0.0.1:9464, no trace\n"
	"    socktrace -j -o t.json --rotate=100M,10  # t.json.N.gz: the last 10 of 100 MiB\n"
	"    socktrace --list-attach      # show how each hook attaches on this kernel\n"
	"    socktrace --attach=kprobe    # kprobes where a hook offers them, or fail\n";

static const struct argp_option options[] = {
	{ "pid", 'p', "PID[,PID...]", 0, "Only sockets owned by these processes", 0 },
	{ "port", 'P', "PORT[,...]", 0, "Only connections with one of these ports at either end", 0 },
	{ "localport", 'L', "PORT[,...]", 0, "Only sockets with one of these local ports", 0 },
	{ "remoteport", 'D', "PORT[,...]", 0, "Only sockets with one of these remote ports", 0 },
	{ "ipv4", '4', NULL, 0, "Only IPv4 sockets", 0 },
	{ "ipv6", '6', NULL, 0, "Only IPv6 sockets", 0 },
	{ "comm", 'c', "NAME", 0, "Only sockets owned by processes with this name", 0 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "Only sockets whose owner is in this cgroup v2 or below it (repeatable)", 0 },
	{ "container", OPT_CONTAINER, "ID", 0,
	  "Only sockets owned by this container (a unique id prefix; repeatable)", 0 },
	{ "netns", OPT_NETNS, "PATH|INODE", 0,
	  "Only sockets in this network namespace (/run/netns/NAME, /proc/PID/ns/net; repeatable)",
	  0 },
	{ "json", 'j', NULL, 0, "Write one JSON object per line (NDJSON)", 0 },
	{ "output", 'o', "FILE", 0, "Write to FILE (mode 0600; gzip if it ends in .gz)", 0 },
	{ "rotate", OPT_ROTATE, "SIZE[,KEEP]", 0,
	  "With -o FILE: once FILE holds SIZE bytes (K, M, G: KiB, MiB, GiB; at least 4K), "
	  "at a line's end rename it to FILE.N and gzip that to FILE.N.gz, keeping the KEEP "
	  "newest (default 10)", 0 },
	{ "timeline", OPT_TIMELINE, NULL, 0,
	  "Print each connection as a block once it closes (or at exit)", 0 },
	{ "timestamp", 'T', NULL, 0, "Print wall-clock time on each line", 0 },
	{ "containers", OPT_CONTAINERS, NULL, 0,
	  "Text: add the CONTAINER and NETNS columns", 0 },
	{ "metrics", OPT_METRICS, "[ADDR:]PORT", 0,
	  "Serve Prometheus metrics at http://ADDR:PORT/metrics (ADDR: 127.0.0.1 unless given; "
	  "an IPv4 address or [IPv6]); without -j, -o, -T or --timeline no trace is printed", 0 },
	{ "metrics-top", OPT_METRICS_TOP, "N", 0,
	  "Process names and listening ports with a metrics label of their own: the first N "
	  "seen (default 50); the rest are counted as \"other\"", 0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf messages and event counters", 0 },
	{ "list-attach", OPT_LIST_ATTACH, NULL, 0, "Print the attach plan and exit", 0 },
	{ "attach", OPT_ATTACH, "METHOD", 0,
	  "auto (default), fentry, kprobe or tracepoint: every hook offering METHOD must use it", 0 },
	{ "events", OPT_EVENTS, "HOW", 0,
	  "auto (default): per-CPU rings where the kernel loads them (5.12 and later), else "
	  "the BPF ring buffer (5.8), else perf event buffers; rings, ringbuf or perfbuf: "
	  "that one, or fail", 0 },
	{ "btf", OPT_BTF, "FILE", 0,
	  "The kernel's types from FILE (raw BTF, as BTFHub's .btf files unpacked) where the "
	  "kernel has no /sys/kernel/btf/vmlinux; only tracepoints and kprobes attach then", 0 },
	{ "no-syscall-hooks", OPT_NO_SYSCALL_HOOKS, NULL, 0,
	  "Never attach to syscalls:* tracepoints (they cost the connect and accept hooks' "
	  "runs, and put every syscall on the host on a slower path): on a kernel without "
	  "fentry and kprobes, no ACCEPT events and CONNECT at the next state change", 0 },
	{ "no-fast-start", OPT_NO_FAST_START, NULL, 0,
	  "Load with libbpf alone: CO-RE against the whole kernel BTF, maps made by libbpf, "
	  "BTF ids found by libbpf (a slower start; a way around the fast one)", 0 },
	{ "priority", OPT_PRIORITY, "PRIO", 0,
	  "idle (default): read events in CPU time the host leaves unused, raised to real-time "
	  "priority only while behind; normal: always at normal priority", 0 },
	{ "max-sockets", OPT_MAX_SOCKETS, "N", 0,
	  "TCP sockets tracked at once (default: four times those open now, at least 65536, "
	  "within 1/64 of memory); events of sockets beyond it are counted as lost", 0 },
	{ "max-listeners", OPT_MAX_LISTENERS, "N", 0,
	  "Listening sockets whose owner is remembered (default: an eighth of --max-sockets, "
	  "at least 8192); connections to others have no owner until accept()", 0 },
	{ "help", 'h', NULL, 0, "Show this help", 0 },
	{ "usage", OPT_USAGE, NULL, 0, "Show a short usage message", 0 },
	{ "version", OPT_VERSION, NULL, 0, "Print the version and exit", 0 },
	{ 0 },
};

/* Parses "N[,N...]" into out[*n...], each in [min, max]. On error prints
 * one line naming the option and the value and returns EINVAL. */
static error_t parse_list(struct argp_state *state, const char *opt, const char *arg, long min,
			  long max, uint32_t *out, size_t cap, size_t *n)
{
	const char *p = arg;

	if (!*arg) {
		argp_error(state, "empty value for %s", opt);
		return EINVAL;
	}
	for (;;) {
		char *end;
		long v = 0;

		errno = 0;
		end = (char *)p;
		if (*p >= '0' && *p <= '9') /* no sign, no space: strtol would take them */
			v = strtol(p, &end, 10);
		if (end == p || (*end && *end != ',')) {
			argp_error(state, "invalid value '%s' for %s: expected a number list like 1,2,3",
				   arg, opt);
			return EINVAL;
		}
		if (errno == ERANGE || v < min || v > max) {
			argp_error(state, "invalid value '%.*s' for %s: must be %ld..%ld",
				   (int)(end - p), p, opt, min, max);
			return EINVAL;
		}
		if (*n == cap) {
			argp_error(state, "too many values for %s (at most %zu)", opt, cap);
			return EINVAL;
		}
		out[(*n)++] = (uint32_t)v;
		if (!*end)
			return 0;
		p = end + 1;
	}
}

/* One number in [min, max] for opt into *out. */
static error_t parse_count(struct argp_state *state, const char *opt, const char *arg, long min,
			   long max, uint32_t *out)
{
	char *end = (char *)arg;
	long v = 0;

	errno = 0;
	if (*arg >= '0' && *arg <= '9') /* no sign, no space: strtol would take them */
		v = strtol(arg, &end, 10);
	if (end == arg || *end) {
		argp_error(state, "invalid value '%s' for %s: expected a number", arg, opt);
		return EINVAL;
	}
	if (errno == ERANGE || v < min || v > max) {
		argp_error(state, "invalid value '%s' for %s: must be %ld..%ld", arg, opt, min, max);
		return EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static error_t parse_ports(struct argp_state *state, const char *opt, const char *arg,
			   struct filter_cfg *f, int set)
{
	uint32_t tmp[CLI_MAX_PORTS];
	size_t n = 0;
	error_t err = parse_list(state, opt, arg, 1, 65535, tmp, CLI_MAX_PORTS - f->nports[set], &n);

	for (size_t i = 0; !err && i < n; i++)
		f->ports[set][f->nports[set]++] = (uint16_t)tmp[i];
	return err;
}

static error_t set_family(struct argp_state *state, struct filter_cfg *f, unsigned family)
{
	if (f->family && f->family != family) {
		argp_error(state, "-4 and -6 exclude each other");
		return EINVAL;
	}
	f->family = family;
	return 0;
}

static error_t parse_priority(struct argp_state *state, const char *arg, bool *normal)
{
	if (strcmp(arg, "idle") && strcmp(arg, "normal")) {
		argp_error(state, "invalid value '%s' for --priority: expected idle or normal", arg);
		return EINVAL;
	}
	*normal = !strcmp(arg, "normal");
	return 0;
}

static error_t parse_attach(struct argp_state *state, const char *arg, enum st_method *out)
{
	static const struct {
		const char *name;
		enum st_method method;
	} methods[] = {
		{ "auto", METHOD_NONE },
		{ "fentry", METHOD_FENTRY },
		{ "kprobe", METHOD_KPROBE },
		{ "tracepoint", METHOD_TRACEPOINT },
	};

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (!strcmp(arg, methods[i].name)) {
			*out = methods[i].method;
			return 0;
		}
	}
	argp_error(state, "invalid value '%s' for --attach: expected auto, fentry, kprobe or "
			  "tracepoint", arg);
	return EINVAL;
}

static error_t parse_events(struct argp_state *state, const char *arg, int *out)
{
	static const char *const names[EVENTS_COUNT] = { [EVENTS_RINGS] = "rings",
							 [EVENTS_RINGBUF] = "ringbuf",
							 [EVENTS_PERFBUF] = "perfbuf" };

	if (!strcmp(arg, "auto")) {
		*out = EVENTS_AUTO;
		return 0;
	}
	for (int e = 0; e < EVENTS_COUNT; e++) {
		if (!strcmp(arg, names[e])) {
			*out = e;
			return 0;
		}
	}
	argp_error(state,
		   "invalid value '%s' for --events: expected auto, rings, ringbuf or perfbuf", arg);
	return EINVAL;
}

/* A repeatable string option's next value into list (n of max). */
static error_t add_arg(struct argp_state *state, const char *opt, char *arg, const char **list,
		       size_t *n, size_t max)
{
	if (!*arg) {
		argp_error(state, "empty value for %s", opt);
		return EINVAL;
	}
	if (*n >= max) {
		argp_error(state, "too many %s values: at most %zu", opt, max);
		return EINVAL;
	}
	list[(*n)++] = arg;
	return 0;
}

/* The filter options (-p, -P, -L, -D, -4, -6, -c, --cgroup, --container,
 * --netns); ARGP_ERR_UNKNOWN for any other. */
static error_t parse_filter_opt(int key, char *arg, struct argp_state *state,
				struct filter_cfg *f)
{
	switch (key) {
	case 'p':
		return parse_list(state, "--pid", arg, 1, PID_MAX, f->pids, ST_MAX_PIDS, &f->npids);
	case 'P':
		return parse_ports(state, "--port", arg, f, ST_PORTS_ANY);
	case 'L':
		return parse_ports(state, "--localport", arg, f, ST_PORTS_LOCAL);
	case 'D':
		return parse_ports(state, "--remoteport", arg, f, ST_PORTS_REMOTE);
	case '4':
		return set_family(state, f, 4);
	case '6':
		return set_family(state, f, 6);
	case 'c':
		if (!*arg || strlen(arg) >= ST_COMM_LEN) {
			argp_error(state, "invalid value '%s' for --comm: must be 1..%d bytes "
					  "(the kernel keeps %d)",
				   arg, ST_COMM_LEN - 1, ST_COMM_LEN - 1);
			return EINVAL;
		}
		memset(f->comm, 0, sizeof(f->comm));
		memcpy(f->comm, arg, strlen(arg));
		f->has_comm = true;
		break;
	case OPT_CGROUP:
		return add_arg(state, "--cgroup", arg, f->cgroup_args, &f->ncgroup_args,
			       ST_MAX_CGROUPS);
	case OPT_CONTAINER:
		return add_arg(state, "--container", arg, f->container_args, &f->ncontainer_args,
			       ST_MAX_CGROUPS);
	case OPT_NETNS:
		return add_arg(state, "--netns", arg, f->netns_args, &f->nnetns_args, ST_MAX_NETNS);
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* --rotate=SIZE[,KEEP]: SIZE in bytes, or with K, M or G (powers of 1024). */
static error_t parse_rotate(struct argp_state *state, const char *arg, struct config *cfg)
{
	char *end = (char *)arg;
	unsigned long long v = 0;
	uint32_t keep = CLI_ROTATE_KEEP;
	int shift = 0;

	errno = 0;
	if (*arg >= '0' && *arg <= '9')
		v = strtoull(arg, &end, 10);
	if (*end && strchr("KkMmGg", *end)) {
		shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' || *end == 'm' ? 20 : 30;
		end++;
	}
	if (end == arg || (*end && *end != ',') || errno || v > (1ull << 40) >> shift ||
	    v << shift < CLI_ROTATE_MIN) {
		argp_error(state, "invalid value '%s' for --rotate: expected SIZE[,KEEP], SIZE at "
				  "least 4K (e.g. 100M,10)", arg);
		return EINVAL;
	}
	if (*end == ',' && parse_count(state, "--rotate's KEEP", end + 1, 1, 1000, &keep))
		return EINVAL;
	cfg->rotate_size = (size_t)(v << shift);
	cfg->rotate_keep = keep;
	return 0;
}

/* --metrics=[ADDR:]PORT: ADDR an IPv4 address or [IPv6], 127.0.0.1 if
 * absent; PORT 1..65535. */
static error_t parse_listen_addr(struct argp_state *state, const char *arg,
				 struct metrics_cfg *out)
{
	const char *colon = strrchr(arg, ':');
	size_t hlen = colon ? (size_t)(colon - arg) : 0;
	bool bracketed = hlen >= 2 && arg[0] == '[' && arg[hlen - 1] == ']';
	struct sockaddr_in *in4 = (struct sockaddr_in *)&out->addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->addr;
	char host[INET6_ADDRSTRLEN] = "127.0.0.1";
	uint32_t port;

	if (bracketed)
		hlen -= 2;
	if (colon && (!hlen || hlen >= sizeof(host)))
		goto bad;
	if (colon) {
		memcpy(host, arg + bracketed, hlen);
		host[hlen] = 0;
	}
	memset(&out->addr, 0, sizeof(out->addr));
	if (!bracketed && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		out->addr_len = sizeof(*in4);
	} else if (bracketed && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		out->addr_len = sizeof(*in6);
	} else {
		goto bad;
	}
	if (parse_count(state, "--metrics", colon ? colon + 1 : arg, 1, 65535, &port))
		return EINVAL;
	in4->sin_port = htons((uint16_t)port); /* sin_port and sin6_port share their place */
	return 0;
bad:
	argp_error(state, "invalid value '%s' for --metrics: expected [ADDR:]PORT, ADDR an "
			  "IPv4 address or an IPv6 one in brackets", arg);
	return EINVAL;
}

/* -j, --timeline, -o, -T: what the output looks like and where it goes. */
static error_t parse_output_opt(int key, char *arg, struct argp_state *state, struct config *cfg)
{
	switch (key) {
	case 'j':
		cfg->json = true;
		break;
	case OPT_TIMELINE:
		cfg->timeline = true;
		break;
	case 'o':
		if (!*arg) {
			argp_error(state, "empty file name for --output");
			return EINVAL;
		}
		cfg->output = arg;
		break;
	case OPT_CONTAINERS:
		cfg->containers = true;
		break;
	case 'T':
		cfg->timestamps = true;
		break;
	case OPT_ROTATE:
		return parse_rotate(state, arg, cfg);
	case OPT_METRICS:
		cfg->metrics.on = true;
		return parse_listen_addr(state, arg, &cfg->metrics);
	case OPT_METRICS_TOP:
		return parse_count(state, "--metrics-top", arg, 1, CLI_MAX_METRICS_TOP,
				   &cfg->metrics.top);
	case ARGP_KEY_END:
		if (cfg->json && cfg->timeline) {
			argp_error(state, "--timeline is a text view; it does not combine with -j");
			return EINVAL;
		}
		if (cfg->rotate_size && (!cfg->output || !strcmp(cfg->output, "-"))) {
			argp_error(state, "--rotate rotates the file -o names; give -o FILE");
			return EINVAL;
		}
		if (cfg->rotate_size && strlen(cfg->output) > 3 &&
		    !strcmp(cfg->output + strlen(cfg->output) - 3, ".gz")) {
			argp_error(state, "--rotate keeps the live file plain (rotated ones are "
					  "gzipped): give -o a name without .gz");
			return EINVAL;
		}
		/* A metrics daemon prints no trace unless asked for one. */
		cfg->quiet = cfg->metrics.on &&
			     !(cfg->json || cfg->timeline || cfg->output || cfg->timestamps);
		return ARGP_ERR_UNKNOWN; /* the end is every parser's */
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* --attach, --events, --btf, --priority, --no-syscall-hooks,
 * --no-fast-start, --max-*: how the tracer meets the kernel. */
static error_t parse_kernel_opt(int key, char *arg, struct argp_state *state, struct config *cfg)
{
	switch (key) {
	case OPT_ATTACH:
		return parse_attach(state, arg, &cfg->attach);
	case OPT_EVENTS:
		return parse_events(state, arg, &cfg->events);
	case OPT_BTF:
		if (!*arg) {
			argp_error(state, "empty value for --btf");
			return EINVAL;
		}
		cfg->btf = arg;
		return 0;
	case OPT_PRIORITY:
		return parse_priority(state, arg, &cfg->normal_priority);
	case OPT_NO_SYSCALL_HOOKS:
		cfg->no_syscall_hooks = true;
		return 0;
	case OPT_NO_FAST_START:
		cfg->no_fast_start = true;
		return 0;
	case OPT_MAX_SOCKETS:
		return parse_count(state, "--max-sockets", arg, 16, TABLES_MAX_SOCKETS,
				   &cfg->tables.sockets);
	case OPT_MAX_LISTENERS:
		return parse_count(state, "--max-listeners", arg, 16, TABLES_MAX_LISTENERS,
				   &cfg->tables.listeners);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct config *cfg = state->input;
	error_t err = parse_filter_opt(key, arg, state, &cfg->filter);

	if (err == ARGP_ERR_UNKNOWN)
		err = parse_output_opt(key, arg, state, cfg);
	if (err == ARGP_ERR_UNKNOWN)
		err = parse_kernel_opt(key, arg, state, cfg);
	if (err != ARGP_ERR_UNKNOWN)
		return err;
	switch (key) {
	case 'v':
		cfg->verbose = true;
		break;
	case OPT_LIST_ATTACH:
		cfg->list_attach = true;
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP & ~ARGP_HELP_EXIT_OK);
		cfg->show_help = true;
		break;
	case OPT_USAGE:
		argp_state_help(state, stdout, ARGP_HELP_USAGE);
		cfg->show_help = true;
		break;
	case OPT_VERSION:
		printf("socktrace %s\n", SOCKTRACE_VERSION);
		cfg->show_help = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return EINVAL;
	case ARGP_KEY_END:
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cli_parse(int argc, char **argv, struct config *cfg)
{
	const struct argp argp = { options, parse_opt, NULL, doc, NULL, NULL, NULL };
	int err;

	memset(cfg, 0, sizeof(*cfg));
	cfg->attach = METHOD_NONE;
	cfg->events = EVENTS_AUTO;
	cfg->metrics.top = CLI_METRICS_TOP;
	/* ARGP_NO_EXIT: argp prints the error and its --help hint, then returns. */
	err = argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, NULL, cfg);
	return err ? EXIT_USAGE : 0;
}
