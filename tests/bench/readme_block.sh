#!/usr/bin/env bash
# README's Benchmark table from a make bench table (tests/bench/run.sh's
# output, on stdin): the socktrace and libbpf-tools rows, between README's
# bench-table markers.
#   readme_block.sh "HEADLINE" < table        prints the block
#   readme_block.sh "HEADLINE" README.md < table  puts it into README.md
set -euo pipefail

headline=${1:?usage: readme_block.sh HEADLINE [README]}
block=$(
	echo "<!-- bench-table:begin (make bench BENCH_README=1 writes it) -->"
	echo "$headline"
	echo
	echo "| tracer | ratio (rounds) | cpu us/event | lost | max RSS |"
	echo "|---|---|---|---|---|"
	# Rows: "NAME  RATIO (LO-HI)  CPU  EVENTS/S  LOST  RSS", NAME with spaces.
	awk '/^(socktrace|tcpstates|tcplife)/ && $(NF - 3) ~ /^[0-9.]+$/ {
		rss = $NF; lost = $(NF - 1); cpu = $(NF - 3); spread = $(NF - 4); ratio = $(NF - 5)
		name = $1; for (i = 2; i <= NF - 6; i++) name = name " " $i
		sub(/Mi$/, " MiB", rss)
		printf "| `%s` | %s %s | %s | %s | %s |\n", name, ratio, spread, cpu, lost, rss
	}'
	echo "<!-- bench-table:end -->"
)
if [ $# -lt 2 ]; then
	echo "$block"
	exit 0
fi
grep -q '^<!-- bench-table:begin' "$2" && grep -q '^<!-- bench-table:end -->' "$2" || {
	echo "readme_block.sh: $2 has no bench-table markers" >&2
	exit 1
}
tmp=$(mktemp)
awk -v block="$block" '
	/^<!-- bench-table:begin/ { print block; skip = 1; next }
	/^<!-- bench-table:end -->/ { skip = 0; next }
	!skip' "$2" >"$tmp"
cat "$tmp" >"$2"
rm -f "$tmp"
