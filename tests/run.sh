#!/usr/bin/env bash
# Runs the unit tests (C, TAP) and the end-to-end tests (bats, TAP) and ends
# with one line "N passed, M failed[, K skipped]". Exits non-zero if anything
# failed or if nothing ran.
#   tests/run.sh BUILD_DIR [unit|e2e|all]
set -uo pipefail

build=${1:?usage: tests/run.sh BUILD_DIR [unit|e2e|all]}
what=${2:-all}
here=$(cd "$(dirname "$0")" && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_unit() {
	for t in "$build"/unit/test_*; do
		[ -x "$t" ] || continue
		echo "# unit: $(basename "$t")"
		"$t" 2>&1 | tee -a "$log"
	done
}

run_e2e() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "not ok - e2e tests need root (BPF); run make test as root" | tee -a "$log"
		return
	fi
	SOCKTRACE="$(cd "$build" && pwd)/socktrace" DELAYQ="$(cd "$build" && pwd)/helpers/delayq" \
		bats --tap "$here"/e2e/*.bats 2>&1 | tee -a "$log"
}

case "$what" in
unit) run_unit ;;
e2e) run_e2e ;;
all) run_unit; run_e2e ;;
*) echo "unknown suite $what" >&2; exit 2 ;;
esac

skipped=$(grep -cE '^ok [0-9]+.*# skip' "$log")
passed=$(( $(grep -cE '^ok [0-9]+' "$log") - skipped ))
failed=$(grep -cE '^not ok [0-9]+|^not ok -' "$log")
echo
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
