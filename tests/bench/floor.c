/* floor: the least a tracer of every TCP state change costs, for make bench.
 *
 *   floor noop                 a program on the state hook that does nothing
 *   floor ring [-o FILE]       one record per change through the ring buffer,
 *                              drained every 50 ms like socktrace; with -o,
 *                              the raw records written to FILE (buffered)
 *   floor ring+syscalls [-o FILE]
 *                              the same, plus do-nothing programs on the
 *                              syscalls:* tracepoints socktrace's connect and
 *                              accept hooks fall back to without fentry and
 *                              kprobes (needs tracefs mounted, as socktrace
 *                              leaves it)
 *
 * Prints "tracing (floor MODE)" on stderr once attached and, on SIGINT or
 * SIGTERM, "emitted N, lost M" the way socktrace -v does, so make bench
 * runs it as one more tracer. Against socktrace in the same run, the gap
 * is what socktrace's own work costs: per-socket bookkeeping, filtering,
 * formatting. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "floor.skel.h"
#include "outbuf.h"

#define POLL_MS 50
#define OUT_BUF (64 * 1024)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ctx: the output buffer, or NULL when records are dropped. */
static int on_record(void *ctx, void *data, size_t size)
{
	if (ctx)
		outbuf_write(ctx, data, size);
	return 0;
}

static unsigned long long count_of(struct floor_bpf *skel, __u32 which)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long sum = 0, *per_cpu;

	if (ncpu <= 0)
		return 0;
	per_cpu = calloc((size_t)ncpu, sizeof(*per_cpu));
	if (per_cpu && !bpf_map__lookup_elem(skel->maps.counts, &which, sizeof(which), per_cpu,
					     sizeof(*per_cpu) * (size_t)ncpu, 0))
		for (int i = 0; i < ncpu; i++)
			sum += per_cpu[i];
	free(per_cpu);
	return sum;
}

/* Drains the ring like socktrace: a poll with POLL_MS timeout (no wakeups
 * come), then whatever is left, then one flush. */
static int run(struct floor_bpf *skel, struct outbuf *out)
{
	struct ring_buffer *rb =
		ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, out, NULL);
	int err = rb ? 0 : -errno;

	while (!err && !stop) {
		err = ring_buffer__poll(rb, POLL_MS);
		if (err == 0)
			err = ring_buffer__consume(rb);
		if (err > 0 || err == -EINTR)
			err = 0;
		if (!err && out)
			err = outbuf_flush(out);
	}
	if (!err)
		err = ring_buffer__consume(rb) < 0 ? -EIO : out ? outbuf_finish(out) : 0;
	ring_buffer__free(rb);
	return err;
}

int main(int argc, char **argv)
{
	struct outbuf *out = NULL;
	struct floor_bpf *skel = NULL;
	bool record, syscalls;
	int err = 1;

	if (argc < 2 || (strcmp(argv[1], "noop") && strcmp(argv[1], "ring") &&
			 strcmp(argv[1], "ring+syscalls")) ||
	    (argc != 2 && !(argc == 4 && strcmp(argv[1], "noop") && !strcmp(argv[2], "-o")))) {
		fprintf(stderr, "usage: floor noop | floor ring [-o FILE] | floor ring+syscalls [-o FILE]\n");
		return 2;
	}
	record = strcmp(argv[1], "noop") != 0;
	syscalls = !strcmp(argv[1], "ring+syscalls");
	if (argc == 4) {
		int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		out = fd < 0 ? NULL : outbuf__new(fd, OUT_BUF, OUTBUF_OWNS_FD);
		if (!out) {
			fprintf(stderr, "floor: %s: %s\n", argv[3], strerror(errno));
			if (fd >= 0)
				close(fd);
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: opening the BPF object failed: %s\n", strerror(errno));
		goto cleanup;
	}
	skel->rodata->record = record;
	bpf_program__set_autoload(skel->progs.floor_connect, syscalls);
	bpf_program__set_autoload(skel->progs.floor_accept, syscalls);
	bpf_program__set_autoload(skel->progs.floor_accept4, syscalls);
	if (floor_bpf__load(skel) || floor_bpf__attach(skel)) {
		fprintf(stderr, "floor: loading or attaching failed: %s\n", strerror(errno));
		goto cleanup;
	}
	fprintf(stderr, "floor: tracing (floor %s); Ctrl-C to stop\n", argv[1]);
	if (run(skel, out)) {
		fprintf(stderr, "floor: reading or writing records failed\n");
		goto cleanup;
	}
	fprintf(stderr, "floor: emitted %llu, lost %llu\n", count_of(skel, 0), count_of(skel, 1));
	err = 0;
cleanup:
	floor_bpf__destroy(skel);
	outbuf__free(out);
	return err;
}
