#!/usr/bin/env bash
# Start-up of socktrace builds side by side: exec until the "tracing (" line
# (every hook attached), and max RSS (VmHWM, reached while libbpf loads),
# starting each binary in turn N times so that a slow phase of the machine
# hits all of them. Prints the median and lowest time and the median VmHWM.
#   tests/bench/startup.sh N BIN [BIN...]
# Under perf: perf record -g -- tests/bench/startup.sh 20 build/socktrace
set -euo pipefail

n=${1:?usage: startup.sh N BIN [BIN...]}
shift
[ $# -gt 0 ] || { echo "usage: startup.sh N BIN [BIN...]" >&2; exit 2; }
err=$(mktemp)
trap 'rm -f "$err"' EXIT
declare -A ms hwm

for _ in $(seq "$n"); do
	for bin in "$@"; do
		t0=$(date +%s%N)
		"$bin" >/dev/null 2>"$err" &
		pid=$!
		until grep -q '^socktrace: tracing (' "$err"; do
			kill -0 "$pid" 2>/dev/null || { echo "startup: $bin did not start:" >&2; cat "$err" >&2; exit 1; }
			sleep 0.001
		done
		ms[$bin]+="$((($(date +%s%N) - t0) / 1000)) "
		hwm[$bin]+="$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status") "
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null || true
	done
done

median() { tr ' ' '\n' | awk NF | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
lowest() { tr ' ' '\n' | awk NF | sort -n | head -1; }
for bin in "$@"; do
	printf '%-40s start-up median %6.1f ms, lowest %6.1f ms; max RSS median %6.1f MiB\n' "$bin" \
		"$(median <<<"${ms[$bin]}" | awk '{ print $1 / 1000 }')" \
		"$(lowest <<<"${ms[$bin]}" | awk '{ print $1 / 1000 }')" \
		"$(median <<<"${hwm[$bin]}" | awk '{ print $1 / 1024 }')"
done
