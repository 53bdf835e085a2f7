#!/usr/bin/env bash
# Where a tracer's cost goes, as shares of one run's CPU samples: perf
# samples both CPUs (with call chains) while loadgen runs traced, and each
# sample is put in one bucket by its own process and call chain:
#   tracer   the tracer's process (reading the ring, formatting, writing)
#   bpf      a BPF program or its dispatch (bpf_prog_*, bpf_trace_run*,
#            trace_call_bpf, the fentry/kprobe trampolines) anywhere in the chain
#   syscall  the syscall tracing slow path every syscall takes once a
#            syscalls:* tracepoint is on (syscall_exit_work, syscall_trace_enter)
#   idle     the idle task
# Shares are of all samples but idle, so a machine that runs fast or slow
# for the whole run moves none of them: precise where rate ratios are not.
#   tests/bench/cpushare.sh BUILD_DIR LABEL READY_MARK COMMAND...
# READY_MARK: text on the command's stderr once it traces; empty: wait 1 s.
# Prints: LABEL  bpf X%  syscall Y%  tracer Z%  (N samples)
set -euo pipefail
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

build=${1:?usage: cpushare.sh BUILD_DIR LABEL READY_MARK COMMAND...}
label=${2:?usage}
mark=$3
shift 3
command -v perf >/dev/null || { echo "$label  (perf not installed: no CPU shares)"; exit 0; }
perf_traced_load "$build" "$mark" "$@"

tracer=$(basename "$1")
[ "$tracer" = env ] && tracer=$(basename "${@: -1}") # env --default-signal=INT TOOL
perf script -i "$PERF_DIR/perf.data" -F comm,ip,sym 2>/dev/null | awk -v bpfre="$BPF_FRAME_RE" -v tracer="${tracer:0:15}" -v label="$label" '
	function done_sample() {
		if (!open) return
		n++
		if (comm == "swapper") idle++
		else if (comm == tracer) tr++
		else if (isbpf) bpf++
		else if (issys) sys++
		open = 0
	}
	/^[^ \t]/ { done_sample(); comm = $1; isbpf = 0; issys = 0; open = 1; next }
	NF == 0 { done_sample(); next }
	{
		s = $2
		if (s ~ bpfre) isbpf = 1
		if (s ~ /^syscall_exit_work$|^syscall_trace_enter$/) issys = 1
	}
	END {
		done_sample()
		busy = n - idle
		if (busy <= 0) { print label " no samples"; exit 1 }
		printf "%-28s bpf %5.2f%%  syscall %5.2f%%  tracer %5.2f%%  (%d samples)\n", \
			label, 100 * bpf / busy, 100 * sys / busy, 100 * tr / busy, busy
	}'
