#!/usr/bin/env bash
# make bench: what tracing costs a loopback churn of short connections
# (tests/bench/loadgen.c), for socktrace in several output modes and, when
# installed, for Debian's libbpf-tools tcpstates and tcplife, in one run.
#
# Each round runs every variant as an adjacent pair, untraced and traced
# (in turns, which goes first), so slow phases of a shared machine hit
# both; figures are medians over rounds. Tracer CPU counts only the traced
# load (its threads' run time from when the tracer said it was ready until
# the load ended), per event it wrote. The floor tracer (tests/bench/floor.c) runs beside
# them: a program on the same hook that does nothing, then one that hands
# user space a record per event and nothing more, so the table shows what
# any tracer of every event must cost here and what socktrace adds to it.
# Then one more traced run each of -j, the floor, the no-match filter and
# tcpstates under perf, for the shares of CPU that went to BPF programs,
# syscall tracing and the tracer's process (cpushare.sh).
#
#   tests/bench/run.sh BUILD_DIR     (ROUNDS, CONNS, THREADS, PAYLOAD, LISTENERS, STARTS,
#                                     SHARE_CONNS, NETNS from the environment)
#
# Every load runs in a network namespace of its own, without TIME_WAIT
# sockets (LOADGEN_NETNS, lib.sh: why); NETNS=0 runs them in the host's.
#
# LISTENERS (loadgen -d, default 1): how many server ports the connections
# are spread over. In the host's namespace (NETNS=0), with one, part of the
# load is connect() searching for a port among the client's own TIME_WAITs;
# more make the untraced load faster, so tracing is a larger part of it.
set -euo pipefail
# A failing step ends the bench: say which.
trap 'echo "bench: failed (line $LINENO): $BASH_COMMAND" >&2' ERR

build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
ROUNDS=${ROUNDS:-5}
CONNS=${CONNS:-30000}
THREADS=${THREADS:-2}
PAYLOAD=${PAYLOAD:-1}
LISTENERS=${LISTENERS:-1}
ST=$build/socktrace
LOADGEN=$build/helpers/loadgen
STARTUP=$build/helpers/startup
FLOOR=$build/helpers/floor
CPUSHARE=$(dirname "$0")/cpushare.sh
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"
STARTS=${STARTS:-15}
SHARE_CONNS=${SHARE_CONNS:-20000}
tmp=$(mktemp -d)
sleep 600 & # owns no sockets: the pid a no-match filter names
idle=$!
trap 'kill $idle 2>/dev/null; rm -rf "$tmp"' EXIT
hz=$(getconf CLK_TCK)

# name|command|how its events are counted (counters: socktrace's -v counters,
# which the floor tracer prints the same way; lines: output lines - header)
# [|scrape: GET /metrics every 100 ms while the load runs]
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
variants=(
	"socktrace text >/dev/null|$ST -v|counters|/dev/null"
	"socktrace text > file|$ST -v|counters|$tmp/out.txt"
	"socktrace -j > file|$ST -v -j -o $tmp/out.json|counters|/dev/null"
	# The same without the connect and accept hooks' syscalls:* tracepoints,
	# which a kernel without fentry and kprobes needs for them (docs/benchmarks.md:
	# what they cost).
	"socktrace -j, no syscall hooks|$ST -v -j --no-syscall-hooks -o $tmp/out.json|counters|/dev/null"
	# The BPF ring buffer, which kernels before 5.12 use instead of the
	# per-CPU rings, and the perf buffers, which kernels before 5.8 use
	# (docs/design.md: How events reach user space).
	"socktrace -j --events=ringbuf|$ST -v -j --events=ringbuf -o $tmp/out.json|counters|/dev/null"
	"socktrace -j --events=perfbuf|$ST -v -j --events=perfbuf -o $tmp/out.json|counters|/dev/null"
	"socktrace -j -o x.json.gz|$ST -v -j -o $tmp/out.json.gz|counters|/dev/null"
	"socktrace no-match filter|$ST -v -p $idle|counters|/dev/null"
	# A metrics daemon, alone and with the trace into a file, scraped.
	"socktrace --metrics|$ST -v --metrics=$mport|counters|/dev/null|scrape"
	"socktrace --metrics -j > file|$ST -v --metrics=$mport -j -o $tmp/out.json|counters|/dev/null|scrape"
	"floor: no-op program|$FLOOR noop|counters|/dev/null"
	"floor: records, dropped|$FLOOR ring|counters|/dev/null"
	"floor: records > file|$FLOOR ring -o $tmp/floor.bin|counters|/dev/null"
)
for tool in tcpstates tcplife; do
	# Background jobs of a script start with SIGINT ignored; give it back
	# so the tool's own handler (installed after start-up) flushes its output.
	command -v "$tool" >/dev/null &&
		variants+=("$tool > file|env --default-signal=INT $tool|lines|$tmp/$tool.txt")
done

rate_of() { sed -nE 's/.*rate=([0-9]+).*/\1/p' <<<"$1"; }
secs_of() { sed -nE 's/.*seconds=([0-9.]+).*/\1/p' <<<"$1"; }
# CPU time of a process in ns: the sum over its threads of the scheduler's
# run time (/proc/PID/task/*/schedstat), not the 10 ms ticks of
# /proc/PID/stat, which a short round of the floor tracer stays under; the
# ticks where schedstat is missing (a kernel without CONFIG_SCHED_INFO).
cpu_ns() {
	if [ -r "/proc/$1/schedstat" ]; then
		cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'
	else
		awk -v hz="$hz" '{ printf "%.0f", ($14 + $15) * 1e9 / hz }' "/proc/$1/stat"
	fi
}

declare -A ratios cpus evrates losts rss
"${LOADGEN_NETNS[@]}" "$LOADGEN" -t "$THREADS" -n 2000 -s "$PAYLOAD" -d "$LISTENERS" >/dev/null # warm up
echo "bench: $ROUNDS rounds of $CONNS connections, $THREADS client threads, $PAYLOAD-byte payload, $LISTENERS server port(s), $LOADGEN_WHERE" >&2
load() { "${LOADGEN_NETNS[@]}" "$LOADGEN" -t "$THREADS" -n "$CONNS" -s "$PAYLOAD" -d "$LISTENERS"; }
for round in $(seq "$ROUNDS"); do
	for v in "${variants[@]}"; do
		IFS='|' read -r name cmd kind out scrape <<<"$v"
		# Odd rounds run the untraced load first, even rounds after the traced
		# one, so a machine that speeds up or slows down within a pair does
		# not favour one side.
		if [ $((round % 2)) = 1 ]; then base=$(load); fi
		err=$tmp/err
		# shellcheck disable=SC2086
		$cmd >"$out" 2>"$err" &
		pid=$!
		[ "$kind" = counters ] && mark="tracing (" || mark=
		wait_ready "$pid" "$err" "$mark"
		scraper=
		if [ -n "$scrape" ]; then
			# one process on one connection: the scraper's own cost stays
			# out of the figure (a curl per scrape cost the load several %)
			python3 -c 'import http.client, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
while True:
    c.request("GET", "/metrics"); r = c.getresponse(); r.read()
    if r.status != 200: sys.exit(1)
    time.sleep(0.1)' "$mport" &
			scraper=$!
		fi
		c0=$(cpu_ns "$pid")
		traced=$(load)
		sleep 0.1 # the tracer drains what the load left in its ring buffer
		c1=$(cpu_ns "$pid")
		[ -z "$scraper" ] || { kill "$scraper"; wait "$scraper" 2>/dev/null || true; }
		hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
		kill -INT "$pid"
		wait "$pid" || true
		if [ $((round % 2)) = 0 ]; then base=$(load); fi
		if [ "$kind" = counters ]; then
			events=$(sed -nE 's/.*emitted ([0-9]+).*/\1/p' "$err")
			lost=$(sed -nE 's/.*lost ([0-9]+).*/\1/p' "$err")
			# and runs of its programs the kernel skipped (socktrace -v)
			skipped=$(sed -nE 's/.*; ([0-9]+) runs skipped.*/\1/p' "$err")
			lost=$((lost + ${skipped:-0}))
		else
			events=$(($(wc -l <"$out") - 1))
			lost=0
		fi
		ratios[$name]+="$(awk -v t="$(rate_of "$traced")" -v b="$(rate_of "$base")" 'BEGIN { printf "%.3f", t / b }') "
		cpus[$name]+="$(awk -v c=$((c1 - c0)) -v e="$events" 'BEGIN { printf "%.3f", e ? c / 1e3 / e : 0 }') "
		evrates[$name]+="$(awk -v e="$events" -v s="$(secs_of "$traced")" 'BEGIN { printf "%.0f", e / s }') "
		losts[$name]+="$lost "
		rss[$name]+="$hwm "
	done
	echo "bench: round $round done" >&2
done

# Start-up: exec until attached and able to show an event, and the peak
# memory by then (tests/bench/startup.c), the tracers started in turn.
starts=("stderr:tracing (:$ST")
command -v tcpstates >/dev/null && starts+=("stdout::stdbuf -oL tcpstates")
startup=$("$STARTUP" "$STARTS" "${starts[@]}")

# Where the cost goes: shares of one traced run's busy CPU samples
# (tests/bench/cpushare.sh), steadier than the ratios on a noisy machine.
# SHARE_CONNS connections each, whatever the rounds' CONNS: 5,000 gave
# under 2,000 samples, and shares that moved by a point between runs.
shares=$(
	export CONNS=$SHARE_CONNS LISTENERS
	"$CPUSHARE" "$build" "socktrace -j > file" "tracing (" "$ST" -j -o "$tmp/share.json"
	"$CPUSHARE" "$build" "floor: records > file" "tracing (" "$FLOOR" ring -o "$tmp/share.bin"
	"$CPUSHARE" "$build" "socktrace no-match filter" "tracing (" "$ST" -p "$idle"
	! command -v tcpstates >/dev/null ||
		"$CPUSHARE" "$build" "tcpstates >/dev/null" "" env --default-signal=INT tcpstates
)

echo
table=$(
printf '%-30s %8s %13s %10s %10s %8s %9s\n' "tracer" "ratio" "(rounds)" "cpu us/ev" "events/s" "lost" "maxRSS"
for v in "${variants[@]}"; do
	IFS='|' read -r name _ <<<"$v"
	printf '%-30s %8.3f %13s %10.3f %10.0f %8s %7.1fMi\n' "$name" \
		"$(tr ' ' '\n' <<<"${ratios[$name]}" | median)" \
		"($(tr ' ' '\n' <<<"${ratios[$name]}" | spread))" \
		"$(tr ' ' '\n' <<<"${cpus[$name]}" | median)" \
		"$(tr ' ' '\n' <<<"${evrates[$name]}" | median)" \
		"$(tr ' ' '\n' <<<"${losts[$name]}" | awk '{ s += $1 } END { print s + 0 }')" \
		"$(tr ' ' '\n' <<<"${rss[$name]}" | median | awk '{ print $1 / 1024 }')"
done
)
echo "$table"
echo "$startup"
echo
echo "where the traced load's CPU went (share of busy CPU samples, one run each):"
echo "$shares"
sm() { tr ' ' '\n' <<<"${ratios[$1]:-}" | median; }
cm() { tr ' ' '\n' <<<"${cpus[$1]:-}" | median; }
bpf_share() { awk -v n="$1" 'index($0, n) == 1 { for (i = 1; i <= NF; i++) if ($i == "bpf") print $(i + 1) }' <<<"$shares"; }
startup_ms() { awk -v n="$1" '$2 ~ n "$" { print $4 }' <<<"$startup"; } # median start-up of a tool
echo
echo "summary: json-to-file ratio $(sm 'socktrace -j > file') ($(sm 'socktrace -j, no syscall hooks') without syscall hooks, $(sm 'socktrace -j --events=ringbuf') on the ring buffer, $(sm 'socktrace -j --events=perfbuf') on the perf buffers), no-match ratio $(sm 'socktrace no-match filter'), floor ratio $(sm 'floor: records > file'), cpu $(cm 'socktrace -j > file') us/event (json), tcpstates ratio $(sm 'tcpstates > file'), start-up $(startup_ms socktrace) ms (tcpstates $(startup_ms tcpstates)), bpf share json $(bpf_share 'socktrace -j') no-match $(bpf_share 'socktrace no-match')"

# README's Benchmark table (tests/bench/readme_block.sh): into
# BUILD_DIR/bench-summary.md always, into README.md with BENCH_README=1.
headline="$(date -u +%F), kernel $(uname -r | cut -d- -f1), \`make bench\`: $ROUNDS rounds of $CONNS connections; start-up $(startup_ms socktrace) ms (tcpstates $(startup_ms tcpstates))"
"$(dirname "$0")"/readme_block.sh "$headline" <<<"$table" >"$build/bench-summary.md"
if [ "${BENCH_README:-}" = 1 ]; then
	"$(dirname "$0")"/readme_block.sh "$headline" "$(dirname "$0")/../../README.md" <<<"$table"
	echo "bench: README.md's Benchmark table rewritten" >&2
fi
