#!/usr/bin/env bats
# Overload, signals, exits, concurrent tracers, bad environments.

bats_require_minimum_version 1.5.0
load helpers

: "${LOADGEN:=$(dirname "$SOCKTRACE")/helpers/loadgen}"

# loadgen's connections each give exactly 14 records (CONNECT, ACCEPT, 10
# state changes, 2 close records), its listener 3 (CLOSE -> LISTEN,
# LISTEN -> CLOSE, close record).
PER_CONN=14
PER_LISTENER=3

# A handshake can also leave a child that dies in SYN_RECV: when the final
# ACK and the first data segment are processed on two CPUs at once, both
# make a child, and the one that loses the connection's hash slot is closed
# at once (inet_ehash_nolisten(): SYN_RECV -> CLOSE). Each such child adds
# three true records: LISTEN -> SYN_RECV, SYN_RECV -> CLOSE and its close
# record. Seen once so far: in CI's sanitizer run of the full-rate test.
dead_children_json() {
	jq -s '[.[] | select(.event == "state" and .old_state == "SYN_RECV" and .new_state == "CLOSE")] | length' "$JSON"
}
dead_children_text() { grep -c ' SYN_RECV -> CLOSE' "$TRACE" || true; }

# total_adds_up TOTAL N DEAD: TOTAL records (emitted + lost) are exactly N
# connections, the listener and DEAD children seen dying in SYN_RECV, plus
# at most two more such children whose SYN_RECV -> CLOSE record was among
# those lost while the ring was full (so none is missing from the total
# unless it is a whole child's three).
total_adds_up() {
	local extra=$(($1 - $2 * PER_CONN - PER_LISTENER - 3 * $3))
	echo "records beyond N connections, the listener and $3 dead children: $extra"
	[ "$extra" -ge 0 ] && [ "$extra" -le 6 ] && [ $((extra % 3)) -eq 0 ]
}

setup() {
	PORT=$(free_port)
	JSON=$BATS_TEST_TMPDIR/trace.json
}

teardown() {
	[ -z "${HOG_PIDS:-}" ] || kill $HOG_PIDS 2>/dev/null || true
	[ -n "${TRACER_PID:-}" ] && kill -CONT "$TRACER_PID" 2>/dev/null
	cleanup_processes
	[ -z "${MNT:-}" ] || umount "$MNT" 2>/dev/null || true
	[ -z "${SHM_DIR:-}" ] || rm -rf "$SHM_DIR"
}

# counter NAME: a counter from -v's last line ("kernel emitted N events, ...").
counter() {
	sed -nE "s/^socktrace: kernel emitted ([0-9]+) events, filtered out ([0-9]+), lost ([0-9]+);.*/\\$1/p" \
		"$TRACE_ERR"
}

# skipped_runs: how many runs of its programs the kernel skipped, from -v's
# last line.
skipped_runs() {
	sed -nE 's/^socktrace: kernel emitted .*; ([0-9]+) runs skipped, .*/\1/p' "$TRACE_ERR"
}

# all_emitted WANT: the kernel emitted WANT records, or fewer and the
# tracer reported runs of its programs that the kernel skipped (which no
# tracer can prevent: a BPF program was already running on that CPU); $JSON
# has lost events for exactly those runs.
all_emitted() {
	local got skipped
	got=$(counter 1) skipped=$(skipped_runs)
	echo "emitted $got of $1; $skipped program runs skipped by the kernel"
	[ "$(jq -s '[.[] | select(.reason == "skipped") | .count] | add // 0' "$JSON")" -eq "$skipped" ]
	[ "$got" -eq "$1" ] || { [ "$got" -lt "$1" ] && [ "$skipped" -gt 0 ]; }
}

# stopped_load N: runs N loadgen connections on $PORT while the tracer is
# stopped (SIGSTOP), so its event rings fill (16,384 records a CPU here),
# then lets it go on.
stopped_load() {
	kill -STOP "$TRACER_PID"
	"$LOADGEN" -t 2 -n "$1" -p "$PORT" >/dev/null
	sleep 1
	kill -CONT "$TRACER_PID"
}

# The priority watchdog reads the rings' fill: on the ring buffer and the
# perf buffers the reader stays at normal priority (src/main.c).
skip_on_ringbuf_reader() {
	case "${SOCKTRACE_EVENTS:-}" in
	ringbuf | perfbuf)
		skip "--events=$SOCKTRACE_EVENTS: the reader stays at normal priority (the watchdog reads the rings)"
		;;
	esac
}

@test "SIGSTOP under load: every event is written or counted lost, JSON" {
	n=5000 # 70,000 records: more than the rings hold
	start_tracer -j -v -P "$PORT" -o "$JSON"
	stopped_load "$n"
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
	emitted=$(counter 1)
	lost=$(counter 3)
	written=$(jq -s '[.[] | select(.event != "lost")] | length' "$JSON")
	lost_json=$(jq -s '[.[] | select(.event == "lost" and .reason == "ring_full") | .count] | add' "$JSON")
	echo "emitted=$emitted lost=$lost written=$written lost_json=$lost_json"
	[ "$lost" -gt 0 ]
	[ "$written" -eq "$emitted" ]
	[ "$lost_json" -eq "$lost" ]
	total_adds_up $((emitted + lost)) "$n" "$(dead_children_json)"
	grep -q "^socktrace: $lost events lost (event rings or buffers full)$" "$TRACE_ERR"
	jq -e -s 'all(.[] | select(.event == "lost"); (.time | type) == "string" and .ts_ns > 0)' "$JSON"
}

@test "SIGSTOP under load: text says LOST n events, adding up to the total" {
	n=5000
	start_tracer -v -P "$PORT"
	stopped_load "$n"
	stop_tracer
	emitted=$(counter 1)
	lost=$(counter 3)
	lost_text=$(awk '$1 == "LOST" && $3 == "events" { s += $2 } END { print s + 0 }' "$TRACE")
	written=$(($(wc -l <"$TRACE") - 1 - $(grep -c '^LOST ' "$TRACE")))
	echo "emitted=$emitted lost=$lost lost_text=$lost_text written=$written"
	[ "$lost" -gt 0 ]
	[ "$lost_text" -eq "$lost" ]
	[ "$written" -eq "$emitted" ]
	total_adds_up $((emitted + lost)) "$n" "$(dead_children_text)"
}

# steal_ticks: CPU time the hypervisor gave to others, all CPUs (USER_HZ).
steal_ticks() { awk '$1 == "cpu" { print $9 }' /proc/stat; }

# full_rate_run N: the tracer beside N connections at the generator's full
# rate; prints what -v counted and the time stolen from this VM meanwhile.
# The trace goes to memory: this measures the tracer against the generator,
# not the disk.
full_rate_run() {
	local steal0
	steal0=$(steal_ticks)
	start_tracer -j -v -P "$PORT" -o "$JSON"
	"$LOADGEN" -t 2 -n "$1" -p "$PORT" >/dev/null
	stop_tracer
	echo "emitted $(counter 1), lost $(counter 3), $(( $(steal_ticks) - steal0 )) ticks stolen"
	[ "$TRACER_RC" -eq 0 ]
}

@test "at the generator's full rate nothing is lost" {
	n=${FULL_RATE_CONNS:-20000}
	if [ -d /dev/shm ]; then
		SHM_DIR=$(mktemp -d /dev/shm/socktrace-bats.XXXXXX)
		JSON=$SHM_DIR/trace.json
	fi
	full_rate_run "$n"
	# A shared host can stop one of this VM's CPUs, the reader's, while
	# the other fills its ring (CI lost 12,245 of 280,003 once, on 6.18
	# with --attach=tracepoint, which passes alone); losing and counting is
	# then right (the SIGSTOP tests check it). A tracer too slow for the
	# generator loses again.
	if [ "$(counter 3)" -ne 0 ]; then
		echo "once more"
		full_rate_run "$n"
	fi
	grep '^socktrace:' "$TRACE_ERR"
	echo "by kind:"
	jq -r '.event + " " + (.old_state // "") + ">" + (.new_state // "")' "$JSON" | sort | uniq -c
	[ "$(counter 3)" -eq 0 ]
	# Nothing lost, so every dead child is in the trace: no slack.
	all_emitted $((n * PER_CONN + PER_LISTENER + 3 * $(dead_children_json)))
	! grep -q '"reason":"ring_full"' "$JSON"
	# In order though made on both CPUs: each socket's state changes chain
	# (one's old state is the last one's new state), at rising times.
	jq -s -e 'map(select(.event == "state")) | group_by(.sock)
		| all(. as $r | [range(1; length)]
			| all($r[.].old_state == $r[. - 1].new_state and $r[.].ts_ns >= $r[. - 1].ts_ns))' \
		"$JSON"
}

# policy_of TID: its scheduling policy as chrt names it (SCHED_IDLE, ...).
policy_of() { chrt -p "$1" | sed -nE 's/.*scheduling policy: (SCHED_[A-Z]+).*/\1/p'; }

# policies: "TID POLICY" per thread of the tracer, reader (the main thread) first.
policies() {
	local t
	echo "$TRACER_PID $(policy_of "$TRACER_PID")"
	for t in /proc/"$TRACER_PID"/task/*; do
		[ "${t##*/}" = "$TRACER_PID" ] || echo "${t##*/} $(policy_of "${t##*/}")"
	done
}

reader_is() { [ "$(policy_of "$TRACER_PID")" = "$1" ]; }

@test "the reader runs at idle priority and its watchdog at normal; --priority=normal: no watchdog" {
	skip_on_ringbuf_reader
	start_tracer -j -o "$JSON"
	wait_for reader_is SCHED_IDLE
	policies
	[ "$(policies | wc -l)" -eq 2 ]
	[ "$(policies | sed -n 2p | cut -d' ' -f2)" = SCHED_OTHER ]
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]

	start_tracer --priority=normal -j -o "$JSON"
	sleep 0.5
	policies
	[ "$(policies)" = "$TRACER_PID SCHED_OTHER" ]
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
}

# The idle reader only gets CPU time nothing else wants. With a busy loop on
# every CPU there is none, so only the watchdog raising it in time keeps the
# event rings from filling under the generator's full rate. A build whose
# watchdog read its thresholds from an unset variable raised it too late,
# lost 3,600-25,000 of 280,000 events here, and failed this test.
@test "busy loops on every CPU: the idle reader is raised while behind, loses nothing, goes back to idle" {
	skip_on_ringbuf_reader
	n=${FULL_RATE_CONNS:-20000}
	HOG_PIDS=
	for _ in $(seq "$(nproc)"); do
		(while :; do :; done) &
		HOG_PIDS="$HOG_PIDS $!"
	done
	start_tracer -j -v -P "$PORT" -o "$JSON"
	wait_for reader_is SCHED_IDLE
	"$LOADGEN" -t 2 -n "$n" -p "$PORT" >/dev/null
	wait_for reader_is SCHED_IDLE
	stop_tracer
	kill $HOG_PIDS
	HOG_PIDS=
	grep -v '^libbpf:' "$TRACE_ERR" || true
	raises=$(sed -nE 's/^socktrace: the reader was raised to real-time priority ([0-9]+) times$/\1/p' "$TRACE_ERR")
	[ "$raises" -gt 0 ]
	[ "$(counter 3)" -eq 0 ]
	all_emitted $((n * PER_CONN + PER_LISTENER + 3 * $(dead_children_json)))
}

@test "socktrace -j | head -1: quiet exit 0 as soon as the reader is gone" {
	start_http_server "$PORT" 127.0.0.1
	(
		wait_for grep -q '^socktrace: tracing (' "$BATS_TEST_TMPDIR/err"
		curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/"
	) 3>&- &
	run --separate-stderr timeout 20 bash -c \
		'"$0" -j 2>"$1" | head -1; echo "socktrace=${PIPESTATUS[0]}"' \
		"$SOCKTRACE" "$BATS_TEST_TMPDIR/err"
	[ "$status" -eq 0 ]
	[ "${lines[0]:0:1}" = "{" ]
	[ "${lines[1]}" = "socktrace=0" ]
	# stderr says only that it started.
	[ "$(grep -cv '^socktrace: tracing (' "$BATS_TEST_TMPDIR/err")" -eq 0 ]
}

# gone_within SECONDS PID: PID has exited within SECONDS.
gone_within() {
	local i
	for i in $(seq $(($1 * 10))); do
		kill -0 "$2" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# The reader opens the FIFO but reads nothing until the tracer has gone:
# its writes block on a full pipe. Without the stop watching its writes,
# only SIGKILL ended it.
@test "a reader that stops reading: SIGINT still ends it promptly, what was written is valid, the rest is counted" {
	local fifo=$BATS_TEST_TMPDIR/out.fifo n=1000 written unwritten emitted
	mkfifo "$fifo"
	TRACE_ERR=$BATS_TEST_TMPDIR/trace.err
	"$SOCKTRACE" "${ATTACH_ARGS[@]}" -v -j -P "$PORT" >"$fifo" 2>"$TRACE_ERR" 3>&- &
	TRACER_PID=$!
	exec 4<"$fifo"
	wait_for grep -q '^socktrace: tracing (' "$TRACE_ERR"
	# 14,000 records, some MB of JSON: far beyond the pipe (64 KiB) and
	# the tracer's buffer, few enough for the rings to hold them all.
	"$LOADGEN" -t 2 -n "$n" -p "$PORT" >/dev/null
	sleep 1
	kill -INT "$TRACER_PID"
	gone_within 10 "$TRACER_PID"
	TRACER_RC=0
	wait "$TRACER_PID" || TRACER_RC=$?
	TRACER_PID=
	cat <&4 >"$JSON"
	exec 4<&-
	cat "$TRACE_ERR"
	[ "$TRACER_RC" -eq 1 ]
	unwritten=$(sed -nE "s/^socktrace: stopped while the output's reader was not reading: ([0-9]+) lines not written.*/\\1/p" "$TRACE_ERR")
	[ "$unwritten" -gt 0 ]
	# Only a line the stop cut short may be incomplete, and it is said.
	if grep -q 'the last line written is cut short' "$TRACE_ERR"; then
		[ "$(tail -c1 "$JSON" | od -An -c | tr -d ' ')" != '\n' ]
		sed -i '$d' "$JSON"
	else
		[ "$(tail -c1 "$JSON" | od -An -c | tr -d ' ')" = '\n' ]
	fi
	jq -e . "$JSON" >/dev/null
	written=$(wc -l <"$JSON")
	emitted=$(counter 1)
	echo "written $written, not written $unwritten, emitted $emitted"
	[ "$written" -gt 0 ]
	# Every record is a line written or one counted as not written; lost
	# records (none expected) would add their lines.
	[ "$(counter 3)" -eq 0 ]
	[ $((written + unwritten)) -eq "$emitted" ]
}

# prog_and_link_ids PID: "prog N" and "link N" for each BPF fd of PID.
prog_and_link_ids() {
	awk '/^prog_id:/ { print "prog", $2 } /^link_id:/ { print "link", $2 }' \
		/proc/"$1"/fdinfo/* 2>/dev/null | sort -u
}

none_left() {
	local kind id
	while read -r kind id; do
		bpftool "$kind" show id "$id" >/dev/null 2>&1 && return 1
	done <"$BATS_TEST_TMPDIR/ids"
	return 0
}

@test "SIGKILL leaves no program, link or pinned object in the kernel" {
	start_tracer
	prog_and_link_ids "$TRACER_PID" >"$BATS_TEST_TMPDIR/ids"
	cat "$BATS_TEST_TMPDIR/ids"
	[ "$(grep -c '^prog ' "$BATS_TEST_TMPDIR/ids")" -ge 4 ]
	[ "$(grep -c '^link ' "$BATS_TEST_TMPDIR/ids")" -ge 4 ]
	while read -r kind id; do bpftool "$kind" show id "$id" >/dev/null; done <"$BATS_TEST_TMPDIR/ids"
	kill -KILL "$TRACER_PID"
	wait "$TRACER_PID" || true
	TRACER_PID=
	wait_for none_left
	# Nothing pinned: socktrace never pins (bpffs, if mounted, has none of it).
	! grep -qs . <(find /sys/fs/bpf -name '*socktrace*' 2>/dev/null)
}

@test "two tracers at once each see their own filter's complete trace" {
	P2=$(free_port)
	start_http_server "$PORT" 127.0.0.1
	S1=$SERVER_PID
	start_http_server "$P2" 127.0.0.1
	S2=$SERVER_PID
	"$SOCKTRACE" "${ATTACH_ARGS[@]}" -j -P "$P2" >"$BATS_TEST_TMPDIR/two.json" \
		2>"$BATS_TEST_TMPDIR/two.err" 3>&- &
	T2=$!
	wait_for grep -q '^socktrace: tracing (' "$BATS_TEST_TMPDIR/two.err"
	start_tracer -j -P "$PORT"
	run_curl "http://127.0.0.1:$PORT/"
	run_curl "http://127.0.0.1:$P2/"
	stop_tracer
	kill -INT "$T2"
	wait "$T2"
	kill "$S1" "$S2"
	wait "$S1" "$S2" || true
	SERVER_PID=
	for f in "$TRACE:$PORT" "$BATS_TEST_TMPDIR/two.json:$P2"; do
		file=${f%:*} port=${f##*:}
		jq -e -s --argjson p "$port" 'all(.[]; .lport == $p or .rport == $p)' "$file"
		# connect, accept, both ends' close records, client and server chains.
		jq -e -s --argjson p "$port" '
			(map(select(.event == "connect" and .rport == $p)) | length) == 1 and
			(map(select(.event == "accept" and .lport == $p)) | length) == 1 and
			(map(select(.event == "close" and .rport == $p)) | length) == 1 and
			(map(select(.event == "state" and .new_state == "ESTABLISHED")) | length) == 2' "$file"
	done
}

@test "a full disk: exit 1 saying so, not silence" {
	MNT=$BATS_TEST_TMPDIR/small
	mkdir -p "$MNT"
	mount -t tmpfs -o size=64k tmpfs "$MNT"
	start_tracer -j -P "$PORT" -o "$MNT/trace.json"
	"$LOADGEN" -t 2 -n 500 -p "$PORT" >/dev/null
	wait_for bash -c "! kill -0 $TRACER_PID"
	TRACER_RC=0
	wait "$TRACER_PID" || TRACER_RC=$?
	TRACER_PID=
	[ "$TRACER_RC" -eq 1 ]
	grep -q '^socktrace: writing output failed: No space left on device$' "$TRACE_ERR"
}

@test "no kernel address in any output mode, stdout or stderr" {
	start_http_server "$PORT" 127.0.0.1
	for mode in "" "-T" "-j" "-j -T" "--timeline" "-v" "--list-attach"; do
		# shellcheck disable=SC2086
		if [ "$mode" = --list-attach ]; then
			"$SOCKTRACE" --list-attach >"$BATS_TEST_TMPDIR/out" 2>&1
		else
			start_tracer -v $mode
			run_curl "http://127.0.0.1:$PORT/"
			python3 "$BATS_TEST_DIRNAME/../helpers/trigger.py" connect 127.0.0.1 "$PORT" --reset
			python3 "$BATS_TEST_DIRNAME/../helpers/trigger.py" connect 127.0.0.1 1 || true
			stop_tracer
			cat "$TRACE" "$TRACE_ERR" >"$BATS_TEST_TMPDIR/out"
			[ "$(wc -l <"$TRACE")" -gt 3 ] || { echo "mode '$mode' wrote nothing"; return 1; }
		fi
		! grep -Ei 'ffff[0-9a-f]{12}|0x[0-9a-f]{8,}' "$BATS_TEST_TMPDIR/out" ||
			{ echo "mode '$mode'"; return 1; }
	done
}

@test "no BTF: exit 1 with a message naming it" {
	run --separate-stderr unshare -m sh -c \
		'mount -t tmpfs tmpfs /sys/kernel/btf && exec "$0"' "$SOCKTRACE"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"BTF"* ]]
	[ -z "$output" ]
}

@test "a kernel without the tracepoint: exit 1 naming hook and tracepoint" {
	# An empty tracefs is what a kernel without these events shows.
	run --separate-stderr unshare -m sh -c \
		'mount -t tmpfs tmpfs /sys/kernel/tracing && mkdir /sys/kernel/tracing/events &&
		 exec "$0" --attach=tracepoint' "$SOCKTRACE"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"hook state cannot use tracepoint"*"sock/inet_sock_set_state"* ]]
	[ -z "$output" ]
}

@test "soak: socket map and private memory stay bounded (short run of tests/soak.sh)" {
	# ASan keeps freed memory in quarantine (up to 256 MiB): RSS says nothing there.
	[ -z "${ASAN_OPTIONS:-}" ] || skip "RSS of an ASan build is not the program's"
	run "$BATS_TEST_DIRNAME/../soak.sh" "$(dirname "$SOCKTRACE")" "${SOAK_CONNS:-50000}" \
		"${ATTACH_ARGS[@]}" --timeline
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"soak: bounded"* ]]
}
