#!/usr/bin/env bash
# Compares tracer builds or variants by the one figure make bench's targets
# are stated in: the traced/untraced connection-rate ratio of loadgen, each
# round an adjacent untraced/traced pair per command (which goes first
# alternates between rounds, as in run.sh), medians over ROUNDS (9) rounds
# of CONNS (30000) connections. For deciding whether a change moves the
# ratio at all: run the old and the new build in one call, so that both
# meet the same phases of a shared machine.
#   tests/bench/abratio.sh BUILD_DIR 'COMMAND [ARGS...]' ['COMMAND...' ...]
# Each COMMAND is a tracer's command line (split at spaces), started once
# per round and stopped with SIGINT; it counts as tracing once MARK ("tracing
# (", socktrace's) is on its stderr; with MARK empty, after one second.
# OUT in a command is replaced by a file in a temporary directory.
set -euo pipefail
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

usage="usage: abratio.sh BUILD_DIR 'COMMAND [ARGS...]' ['COMMAND...' ...]"
build=${1:?$usage}
shift
[ $# -gt 0 ] || { echo "$usage" >&2; exit 2; }
rounds=${ROUNDS:-9}
mark=${MARK-tracing (}
loadgen=$build/helpers/loadgen
[ -x "$loadgen" ] || { echo "abratio: $loadgen is not built (make bench builds it)" >&2; exit 1; }
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -z "$pid" ] || kill -INT "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

rate() {
	"${LOADGEN_NETNS[@]}" "$loadgen" -n "${CONNS:-30000}" | sed -nE 's/.*rate=([0-9]+).*/\1/p'
}

declare -a ratios
for round in $(seq "$rounds"); do
	for i in $(seq 0 $(($# - 1))); do
		cmd=${*:i+1:1}
		if [ $((round % 2)) = 1 ]; then base=$(rate); fi
		# shellcheck disable=SC2086 # a command line, split at spaces
		${cmd//OUT/$tmp/out} >/dev/null 2>"$tmp/err" &
		pid=$!
		wait_ready "$pid" "$tmp/err" "$mark"
		traced=$(rate)
		kill -INT "$pid"
		wait "$pid" || true
		pid=
		if [ $((round % 2)) = 0 ]; then base=$(rate); fi
		ratios[i]+="$(awk -v t="$traced" -v b="$base" 'BEGIN { printf "%.3f", t / b }') "
	done
	echo "abratio: round $round done" >&2
done

for i in $(seq 0 $(($# - 1))); do
	printf 'median %.3f (%s, %s rounds)  %s\n' "$(tr ' ' '\n' <<<"${ratios[i]}" | median)" \
		"$(tr ' ' '\n' <<<"${ratios[i]}" | spread)" "$rounds" "${*:i+1:1}"
done
