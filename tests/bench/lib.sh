# shellcheck shell=bash
# Shared by the bench scripts; source it.

# wait_ready PID ERRFILE MARK: until the tracer PID has written MARK to its
# stderr (ERRFILE); with an empty MARK (a tool that says nothing once
# attached), one second. Exits 1 with its stderr if it dies or takes over
# 10 s.
wait_ready() {
	local pid=$1 err=$2 mark=$3
	if [ -z "$mark" ]; then
		sleep 1
		return
	fi
	for _ in $(seq 1000); do
		grep -qF "$mark" "$err" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	echo "bench: tracer did not start:" >&2
	cat "$err" >&2
	exit 1
}

# Put before loadgen's command: runs it in a network namespace made for that
# run (loopback up, gone when loadgen exits) where closes leave no TIME_WAIT
# (net.ipv4.tcp_max_tw_buckets=0), so every run starts from the same state
# and its own cost does not depend on how fast it goes. In the host's
# namespace (NETNS=0) a run's regime depended on the TIME_WAITs the runs of
# the last minute left, and below the table's cap connect()'s search for a
# free port hid part of a tracer's cost: docs/benchmarks.md, "Where the load runs".
# LOADGEN_WHERE says which it is, for the bench's header.
# shellcheck disable=SC2034 # used by the scripts that source this
if [ "${NETNS:-1}" = 0 ]; then
	LOADGEN_NETNS=()
	LOADGEN_WHERE="in the host's network namespace"
else
	LOADGEN_NETNS=(unshare --net -- sh -c
		'ip link set lo up && sysctl -qw net.ipv4.tcp_max_tw_buckets=0 && exec "$@"' loadgen)
	LOADGEN_WHERE="each run in a new network namespace without TIME_WAIT"
fi

# Of numbers on stdin, one per line (empty lines skipped): the median
# ("nan" for none), and spread's lowest-highest, how far one round can be
# from the median on this machine (run.sh, abratio.sh).
median() { awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
spread() { awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%s-%s", v[1], v[NR] }'; }

# A sample counts as BPF when one of these is in its call chain: a program,
# or its dispatch (tracepoints, fentry trampolines, kprobes). An awk regex,
# for perf script's symbol column (cpushare.sh, bpfprof.sh).
# shellcheck disable=SC2034 # used by the scripts that source this
BPF_FRAME_RE='^bpf_prog_|^bpf_trace_run|^trace_call_bpf$|^__bpf_prog_enter|^bpf_trampoline_|^kprobe_ftrace_handler$|^kprobe_perf_func$'

# perf_traced_load BUILD_DIR MARK COMMAND...: starts COMMAND (a tracer),
# waits until it traces (wait_ready, with MARK), records every CPU with call
# chains into $PERF_DIR/perf.data while loadgen makes CONNS (20000)
# connections over LISTENERS (1) ports, then stops the tracer with SIGINT.
# PERF_DIR is a temporary directory, removed at exit with the tracer
# stopped (its EXIT trap); exits 1 with perf's stderr if perf fails.
PERF_DIR=
TRACED_PID=
perf_cleanup() {
	[ -z "$TRACED_PID" ] || kill -INT "$TRACED_PID" 2>/dev/null || true
	[ -z "$PERF_DIR" ] || rm -rf "$PERF_DIR"
}
perf_traced_load() {
	local build=$1 mark=$2
	shift 2
	PERF_DIR=$(mktemp -d)
	trap perf_cleanup EXIT
	"$@" >/dev/null 2>"$PERF_DIR/err" &
	TRACED_PID=$!
	wait_ready "$TRACED_PID" "$PERF_DIR/err" "$mark"
	perf record -q -a -g -o "$PERF_DIR/perf.data" -- \
		"${LOADGEN_NETNS[@]}" "$build/helpers/loadgen" -n "${CONNS:-20000}" \
		-d "${LISTENERS:-1}" >/dev/null 2>"$PERF_DIR/perf.err" ||
		{ cat "$PERF_DIR/perf.err" >&2; exit 1; }
	kill -INT "$TRACED_PID"
	wait "$TRACED_PID" || true
	TRACED_PID=
}
