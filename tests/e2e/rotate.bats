#!/usr/bin/env bats
# -o FILE --rotate=SIZE,KEEP: the trace of a churn across many rotations,
# put back together from the gzipped rotated files and the live one.

bats_require_minimum_version 1.5.0
load helpers

: "${LOADGEN:=$(dirname "$SOCKTRACE")/helpers/loadgen}"

setup() {
	PORT=$(free_port)
	DIR=$BATS_TEST_TMPDIR/out
	mkdir -p "$DIR"
}

teardown() {
	cleanup_processes
	! mountpoint -q "$DIR" || umount "$DIR"
}

# emitted: the kernel's count of records sent, from -v's last line.
emitted() {
	sed -nE 's/^socktrace: kernel emitted ([0-9]+) events, filtered out [0-9]+, lost ([0-9]+);.*/\1 \2/p' \
		"$TRACE_ERR"
}

# joined: the rotated files, gunzipped, oldest first, then the live one.
joined() {
	local f
	for f in $(ls "$DIR" | sed -nE 's/^t\.json\.([0-9]+)\.gz$/\1/p' | sort -n); do
		gzip -dc "$DIR/t.json.$f.gz"
	done
	cat "$DIR/t.json"
}

@test "rotate: a churn across many rotations: every record once, in order, each line whole JSON" {
	start_tracer -v -j -o "$DIR/t.json" --rotate=16K,1000 -P "$PORT"
	"$LOADGEN" -t 2 -n 1500 -p "$PORT" >/dev/null
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
	local n rotated got lost
	rotated=$(ls "$DIR" | grep -cE '^t\.json\.[0-9]+\.gz$')
	echo "rotated files: $rotated"
	[ "$rotated" -ge 10 ]
	# nothing left uncompressed or half-written
	[ -z "$(ls "$DIR" | grep -vE '^t\.json(\.[0-9]+\.gz)?$')" ]
	# each rotated file ends at a line's end, and holds at least SIZE
	for f in "$DIR"/t.json.*.gz; do
		[ "$(gzip -dc "$f" | tail -c1 | od -An -c | tr -d ' ')" = '\n' ]
		[ "$(gzip -dc "$f" | wc -c)" -ge 16384 ]
	done
	joined >"$BATS_TEST_TMPDIR/all.json"
	# every line is JSON, and there are as many as the kernel sent
	n=$(jq -c . "$BATS_TEST_TMPDIR/all.json" | wc -l)
	read -r got lost <<<"$(emitted)"
	echo "lines $n, emitted $got, lost $lost"
	[ "$lost" -eq 0 ]
	[ "$n" -eq "$got" ]
	[ "$n" -eq "$(wc -l <"$BATS_TEST_TMPDIR/all.json")" ]
	[ -z "$(sort "$BATS_TEST_TMPDIR/all.json" | uniq -d)" ]
	# in order: every socket's records end with its close, with their times
	# never going back, across the files. An accept may come just after the
	# SYN_RECV -> ESTABLISHED it raced on another CPU, with an earlier time
	# (README, "Event path"), but not before the SYN_RECV.
	jq -s -c 'group_by(.sock) | map(select(. as $g
		| (map(select(.event != "accept") | .ts_ns) as $t | $t != ($t | sort))
		or any(range(1; length); $g[.].event == "accept" and $g[.].ts_ns < $g[. - 1].ts_ns
			and ($g[. - 1].old_state != "SYN_RECV" or $g[. - 1].new_state != "ESTABLISHED"
				or . < 2 or $g[.].ts_ns < $g[. - 2].ts_ns))
		or (.[-1].event != "close" and .[-1].event != "state"))) | .[:3][]' \
		"$BATS_TEST_TMPDIR/all.json" >"$BATS_TEST_TMPDIR/bad.json"
	cat "$BATS_TEST_TMPDIR/bad.json"
	[ ! -s "$BATS_TEST_TMPDIR/bad.json" ]
	# the 1500 connections are all there, client and server side
	[ "$(jq -s '[.[] | select(.event == "connect")] | length' "$BATS_TEST_TMPDIR/all.json")" -eq 1500 ]
	[ "$(jq -s '[.[] | select(.event == "close" and .cause == "fin")] | length' "$BATS_TEST_TMPDIR/all.json")" -eq 3000 ]
}

@test "rotate: no room for a new file: said once a SIZE, not at every write; the trace goes on whole in the old one" {
	mount -t tmpfs -o size=64M,nr_inodes=2 tmpfs "$DIR" # the folder and the live file
	start_tracer -v -j -o "$DIR/t.json" --rotate=1M -P "$PORT"
	"$LOADGEN" -t 2 -n 1500 -p "$PORT" >/dev/null
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
	local size tries got lost
	size=$(stat -c %s "$DIR/t.json")
	tries=$(grep -c 'was not rotated' "$TRACE_ERR")
	grep -m1 'cannot open output file .*No space left on device' "$TRACE_ERR"
	echo "$size bytes, $tries tries"
	[ "$tries" -ge 1 ] && [ "$tries" -le $((size / 1048576)) ]
	[ "$(ls "$DIR")" = t.json ]
	read -r got lost <<<"$(emitted)"
	[ "$lost" -eq 0 ]
	[ "$(jq -c . "$DIR/t.json" | wc -l)" -eq "$got" ]
}

@test "rotate: KEEP newest stay, numbering goes on from the files already there" {
	: >"$DIR/t.json.41.gz" # from an earlier run
	start_tracer -j -o "$DIR/t.json" --rotate=4K,3 -P "$PORT"
	"$LOADGEN" -t 2 -n 300 -p "$PORT" >/dev/null
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
	ls "$DIR"
	[ "$(ls "$DIR" | grep -cE '^t\.json\.[0-9]+\.gz$')" -eq 3 ]
	[ ! -e "$DIR/t.json.41.gz" ]
	local newest
	newest=$(ls "$DIR" | sed -nE 's/^t\.json\.([0-9]+)\.gz$/\1/p' | sort -n | tail -1)
	[ "$newest" -gt 44 ]
	for f in "$DIR"/t.json.*.gz; do gzip -t "$f"; done
}

@test "rotate: without -o, with a .gz name, or a bad SIZE: exit 2 saying why" {
	run --separate-stderr "$SOCKTRACE" --rotate=1M
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--rotate rotates the file -o names"* ]]
	run --separate-stderr "$SOCKTRACE" -o "$DIR/x.json.gz" --rotate=1M
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"keeps the live file plain"* ]]
	run --separate-stderr "$SOCKTRACE" -o "$DIR/x.json" --rotate=1000
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"SIZE at least 4K"* ]]
	run --separate-stderr "$SOCKTRACE" -o "$DIR/x.json" --rotate=1M,0
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"must be 1..1000"* ]]
	[ ! -e "$DIR/x.json" ]
}
