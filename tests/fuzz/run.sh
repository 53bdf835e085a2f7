#!/usr/bin/env bash
# Runs each libFuzzer target of BUILD_DIR/fuzz: first over its kept crash
# inputs (tests/fuzz/regressions/TARGET/), then fuzzing for FUZZ_SECONDS
# (default 30) from the corpus it grew in earlier runs (BUILD_DIR/fuzz/corpus)
# and its starting inputs, if any (tests/fuzz/seeds/TARGET/; fuzz_kernel_btf's is
# the every-kind BTF of tests/unit/test_kernel_btf.c, written with KERNEL_BTF_SEED_OUT).
# Prints TAP lines; a crash leaves its input in BUILD_DIR/fuzz/artifacts, to
# be kept as a regression case.
#   tests/fuzz/run.sh BUILD_DIR
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: tests/fuzz/run.sh BUILD_DIR}" && pwd)
seconds=${FUZZ_SECONDS:-30}
n=0

for bin in "$build"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	t=$(basename "$bin")
	regressions=("$here/regressions/$t"/*)
	if [ -e "${regressions[0]}" ]; then
		n=$((n + 1))
		if "$bin" "${regressions[@]}" >"$build/fuzz/$t.replay.log" 2>&1; then
			echo "ok $n - $t: ${#regressions[@]} kept crash inputs replay cleanly"
		else
			echo "not ok $n - $t: a kept crash input fails again"
			grep -E 'fuzz_|ERROR|runtime error' "$build/fuzz/$t.replay.log" | head -5 | sed 's/^/# /'
		fi
	fi
	n=$((n + 1))
	mkdir -p "$build/fuzz/corpus/$t" "$build/fuzz/artifacts"
	"$bin" -max_total_time="$seconds" -max_len=4096 -close_fd_mask=3 \
		-artifact_prefix="$build/fuzz/artifacts/$t-" "$build/fuzz/corpus/$t" \
		$([ -d "$here/seeds/$t" ] && echo "$here/seeds/$t") \
		>"$build/fuzz/$t.log" 2>&1
	rc=$?
	runs=$(sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1 runs in \2 s/p' "$build/fuzz/$t.log")
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		echo "ok $n - $t: $runs, no crash"
	else
		echo "not ok $n - $t: crashed (exit $rc); input kept in $build/fuzz/artifacts/"
		grep -E 'fuzz_|ERROR|runtime error|SUMMARY' "$build/fuzz/$t.log" | head -5 | sed 's/^/# /'
	fi
done
[ "$n" -gt 0 ] || echo "not ok - no fuzz targets in $build/fuzz"
