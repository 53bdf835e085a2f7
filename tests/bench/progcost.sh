#!/usr/bin/env bash
# Kernel-side cost of each socktrace BPF program: run_time_ns / run_cnt from
# the kernel's BPF stats while loadgen makes CONNS connections (default
# 20000). The stats include their own two clock reads per run.
#   tests/bench/progcost.sh BUILD_DIR SOCKTRACE_BIN [SOCKTRACE ARGS...]
set -euo pipefail
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

build=${1:?usage: progcost.sh BUILD_DIR SOCKTRACE_BIN [ARGS...]}
bin=${2:?usage: progcost.sh BUILD_DIR SOCKTRACE_BIN [ARGS...]}
shift 2
err=$(mktemp)
was=$(sysctl -n kernel.bpf_stats_enabled)
pid=
cleanup() {
	sysctl -q kernel.bpf_stats_enabled="$was"
	[ -z "$pid" ] || kill -INT "$pid" 2>/dev/null || true
	rm -f "$err"
}
trap cleanup EXIT

"$bin" "$@" >/dev/null 2>"$err" &
pid=$!
wait_ready "$pid" "$err" "tracing ("
sysctl -q kernel.bpf_stats_enabled=1
rate=$("${LOADGEN_NETNS[@]}" "$build/helpers/loadgen" -n "${CONNS:-20000}" | sed -nE 's/.*rate=([0-9]+).*/\1/p')
for id in $(awk '/^prog_id:/ { print $2 }' /proc/"$pid"/fdinfo/* | sort -u); do
	bpftool prog show id "$id" -j
done | jq -r 'select(.run_cnt > 0) | "\(.name) \(.run_cnt) runs, \(.run_time_ns / .run_cnt | floor) ns/run"' | sort
echo "loadgen: $rate connections/s"
