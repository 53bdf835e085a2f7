#!/usr/bin/env bash
# Where a tracer's BPF time goes, by the function each sample was in: perf
# samples both CPUs (with call chains) while loadgen runs traced, and every
# sample with a BPF program or its dispatch in its chain (as cpushare.sh's
# `bpf` bucket) is counted under its innermost function: a program's own
# code (bpf_prog_TAG_NAME, subprograms included), a helper or a kernel
# function that one calls (hash lookups, LRU locks, clock reads).
#   tests/bench/bpfprof.sh BUILD_DIR READY_MARK COMMAND...
# READY_MARK: text on the command's stderr once it traces; empty: wait 1 s.
# Prints the BPF samples' share of the busy ones, then the top TOP (20)
# functions with their share of the BPF samples, then the same by program.
# A virtual machine's sampling interrupt may only land once interrupts are
# enabled again: time spent with them off shows up on the function that
# enables them (pvm_irq_enable, _raw_spin_unlock_irqrestore).
set -euo pipefail
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

build=${1:?usage: bpfprof.sh BUILD_DIR READY_MARK COMMAND...}
mark=$2
shift 2
command -v perf >/dev/null || { echo "bpfprof: perf is not installed" >&2; exit 1; }
perf_traced_load "$build" "$mark" "$@"

perf script -i "$PERF_DIR/perf.data" -F comm,ip,sym 2>/dev/null | awk -v bpfre="$BPF_FRAME_RE" -v top="${TOP:-20}" '
	function done_sample() {
		if (!open) return
		if (comm != "swapper") busy++
		if (isbpf) {
			bpf++
			leaf[first]++
			if (prog != "") byprog[prog]++
		}
		open = 0
	}
	function show(title, a,    k, n, i, keys, vals, j, t) {
		print title
		n = 0
		for (k in a) { n++; keys[n] = k; vals[n] = a[k] }
		for (i = 1; i <= n; i++)	# a few dozen entries: insertion sort
			for (j = i; j > 1 && vals[j] > vals[j - 1]; j--) {
				t = vals[j]; vals[j] = vals[j - 1]; vals[j - 1] = t
				t = keys[j]; keys[j] = keys[j - 1]; keys[j - 1] = t
			}
		for (i = 1; i <= n && i <= top; i++)
			printf "  %6d  %5.1f%%  %s\n", vals[i], 100 * vals[i] / bpf, keys[i]
	}
	/^[^ \t]/ { done_sample(); comm = $1; isbpf = 0; open = 1; first = ""; prog = ""; next }
	NF == 0 { done_sample(); next }
	{
		s = $2
		if (first == "") first = s
		if (s ~ bpfre) isbpf = 1
		if (prog == "" && s ~ /^bpf_prog_/) prog = s
	}
	END {
		done_sample()
		if (!bpf) { print "bpfprof: no BPF samples"; exit 1 }
		printf "BPF: %d of %d busy samples (%.2f%%)\n", bpf, busy, 100 * bpf / busy
		show("by innermost function (share of BPF samples):", leaf)
		show("by program (its innermost one in the chain):", byprog)
	}'
