#!/usr/bin/env bats
# Kernel-side filters (-p -P -L -D -4 -6 -c) and JSON export (-j, -o, .gz).

bats_require_minimum_version 1.5.0
load helpers

TRIGGER="$BATS_TEST_DIRNAME/../helpers/trigger.py"

setup() {
	PA=$(free_port)
	PB=$(free_port)
	JSON=$BATS_TEST_TMPDIR/trace.json
}

teardown() {
	cleanup_processes
	[ -n "${B_PID:-}" ] && kill "$B_PID" 2>/dev/null
	[ -n "${W_PID:-}" ] && kill "$W_PID" 2>/dev/null
	[ -n "${M_PID:-}" ] && kill "$M_PID" 2>/dev/null
	true
}

# Server A: python3 http.server on 127.0.0.1:$PA. Server B: trigger.py as
# "srvb" on [::1]:$PB. Started before the tracer so filters can name them.
start_servers() {
	start_http_server "$PA" 127.0.0.1
	A_PID=$SERVER_PID
	python3 "$TRIGGER" serve ::1 "$PB" --name "'srvb'" >/dev/null 3>&- &
	B_PID=$!
	wait_for is_listening "$PB"
}

# Both clients at once: curl to A, trigger.py as "clib" to B (twice: B was
# already blocked in accept() when the tracer started, and fexit/kretprobe
# only see calls that begin after attach). Then both servers stop, so their
# listeners close inside the trace.
run_clients_and_stop_servers() {
	curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$PA/" &
	C1_PID=$!
	python3 "$TRIGGER" connect ::1 "$PB" --name "'clib'" --count 2 &
	C2_PID=$!
	wait "$C1_PID" "$C2_PID"
	sleep 0.2
	kill "$A_PID" "$B_PID"
	wait "$A_PID" "$B_PID" 2>/dev/null || true
	SERVER_PID=
}

# trace_with ARGS...: the scenario traced as JSON into $JSON (after
# start_servers, so ARGS can name the servers' pids).
trace_with() {
	start_tracer -j -o "$JSON" "$@"
	run_clients_and_stop_servers
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
}

# jqs FILTER: jq over the whole trace as one array.
jqs() { jq -s -e "$1" "$JSON"; }

pids_in_trace() { jq -s -c '[.[].pid] | unique' "$JSON"; }

# start_gated_master [ARGS...]: a pre-forking server (trigger.py serve
# --fork ARGS) on 127.0.0.1:$PA that waits on a fifo before it listens, so
# that a tracer started in between sees its listen(); sets M_PID.
start_gated_master() {
	mkfifo "$BATS_TEST_TMPDIR/go"
	(
		read -r _ <"$BATS_TEST_TMPDIR/go"
		exec python3 "$TRIGGER" serve 127.0.0.1 "$PA" --fork "$@"
	) >"$BATS_TEST_TMPDIR/srv.out" 3>&- &
	M_PID=$!
}

# release_master_and_connect COUNT: lets the master listen and fork its
# worker (sets W_PID), makes COUNT connections to it, stops the tracer.
release_master_and_connect() {
	echo go >"$BATS_TEST_TMPDIR/go"
	wait_for grep -q '^worker ' "$BATS_TEST_TMPDIR/srv.out"
	W_PID=$(sed -n 's/^worker //p' "$BATS_TEST_TMPDIR/srv.out")
	python3 "$TRIGGER" connect 127.0.0.1 "$PA" --count "$1"
	sleep 0.2
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
}

@test "-p SERVER shows exactly that server's listener and accepted sockets" {
	start_servers
	trace_with -p "$A_PID"
	[ "$(pids_in_trace)" = "[$A_PID]" ]
	jqs "any(.[]; .event == \"accept\" and .lport == $PA)"
	# The listener (seeded at start-up) is there: it closes when the server stops.
	jqs "any(.[]; .event == \"state\" and .old_state == \"LISTEN\" and .new_state == \"CLOSE\" and .lport == $PA)"
	# Transitions the kernel runs in softirq pass too.
	jqs 'any(.[]; .old_state == "LISTEN" and .new_state == "SYN_RECV")'
	jqs "all(.[]; .lport != $PB and .rport != $PB)"
}

@test "-p WORKER: sockets the worker accepted from its master's listener, with handshake and life" {
	python3 "$TRIGGER" serve 127.0.0.1 "$PA" --fork >"$BATS_TEST_TMPDIR/srv.out" 3>&- &
	M_PID=$!
	wait_for grep -q '^worker ' "$BATS_TEST_TMPDIR/srv.out"
	W_PID=$(sed -n 's/^worker //p' "$BATS_TEST_TMPDIR/srv.out")
	start_tracer -j -o "$JSON" -p "$W_PID"
	# Twice: the worker was already blocked in accept() when the tracer
	# started (fexit and kretprobe only see calls that begin after attach).
	python3 "$TRIGGER" connect 127.0.0.1 "$PA" --count 2
	sleep 0.2
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
	[ "$(pids_in_trace)" = "[$W_PID]" ]
	# The master listened; the child was first its socket (SYN_RECV, not
	# shown), then the worker's from accept() on. Every accepted child was
	# followed from SYN_RECV: the start-up walk saw the worker hold the
	# listener.
	socks=$(jq -s -c '[.[] | select(.event == "accept") | .sock]' "$JSON")
	[ "$(jq length <<<"$socks")" -ge 1 ]
	for sock in $(jq '.[]' <<<"$socks"); do
		close=$(jq -s -c -e --argjson s "$sock" '.[] | select(.event == "close" and .sock == $s)' "$JSON")
		echo "$close"
		[ "$(jq .handshake_ns <<<"$close")" -gt 0 ]
		[ "$(jq .duration_ns <<<"$close")" -gt "$(jq .handshake_ns <<<"$close")" ]
		[ "$(jq -r .cause <<<"$close")" = fin ]
		jqs "any(.[]; .sock == $sock and .old_state == \"ESTABLISHED\" and .new_state == \"CLOSE_WAIT\" and .in_state_ns > 0)"
	done
}

@test "-c WORKER of a master that listened while traced: the first child from accept() on, later ones whole" {
	# The listener is the master's ("mstr"), the filter names only its
	# worker ("wrk"), forked after the tracer started: a child is not
	# followed before some "wrk" is seen accepting from that listener.
	start_gated_master --name "'mstr'" --worker-name "'wrk'"
	start_tracer -j -o "$JSON" -c wrk
	release_master_and_connect 3
	[ "$(pids_in_trace)" = "[$W_PID]" ]
	socks=$(jq -s -c '[.[] | select(.event == "accept") | .sock]' "$JSON")
	echo "$socks"
	[ "$(jq length <<<"$socks")" -eq 3 ]
	# The first: its record starts at accept(), what came before is unknown,
	# not made up.
	first=$(jq '.[0]' <<<"$socks")
	jqs "[.[] | select(.sock == $first)] | first | .event == \"accept\""
	jqs "any(.[]; .sock == $first and .old_state == \"ESTABLISHED\" and .new_state == \"CLOSE_WAIT\" and .in_state_ns == null)"
	jqs "any(.[]; .sock == $first and .event == \"close\" and .cause == \"fin\" and .duration_ns == null and .handshake_ns == null)"
	# The next ones: whole, from the handshake on.
	for sock in $(jq '.[1:][]' <<<"$socks"); do
		jqs "any(.[]; .sock == $sock and .event == \"close\" and .cause == \"fin\" and .handshake_ns > 0 and .duration_ns > .handshake_ns)"
		jqs "any(.[]; .sock == $sock and .old_state == \"ESTABLISHED\" and .new_state == \"CLOSE_WAIT\" and .in_state_ns > 0)"
	done
}

@test "-p MASTER: children its worker accepted are the master's until accept(), then gone" {
	# The master must listen while traced, so that its listener is known
	# as its own.
	start_gated_master
	start_tracer -j -o "$JSON" -p "$M_PID"
	release_master_and_connect 2
	[ "$(pids_in_trace)" = "[$M_PID]" ]
	jqs "any(.[]; .old_state == \"CLOSE\" and .new_state == \"LISTEN\" and .lport == $PA)"
	# Before accept() a child is shown as its listener's...
	[ "$(jq -s '[.[] | select(.old_state == "SYN_RECV" and .new_state == "ESTABLISHED")] | length' "$JSON")" -eq 2 ]
	# ... and the worker's accept() takes it out of the trace: no accept,
	# none of its closing transitions, no close summary.
	jqs 'all(.[]; .event != "accept" and .event != "close")'
	jqs 'all(.[]; .event != "state" or (.new_state | IN("CLOSE_WAIT", "LAST_ACK", "CLOSE") | not))'
}

@test "-p with two pids shows both processes" {
	start_servers
	trace_with -p "$A_PID,$B_PID"
	[ "$(pids_in_trace)" = "$(jq -nc "[$A_PID, $B_PID] | sort")" ]
}

@test "-P PORT shows both ends of the connections on that port, nothing else" {
	start_servers
	trace_with -P "$PB"
	jqs "all(.[]; .lport == $PB or .rport == $PB)"
	[ "$(pids_in_trace)" = "$(jq -nc "[$B_PID, $C2_PID] | sort")" ]
}

@test "-L PORT shows only sockets with that local port (server side)" {
	start_servers
	trace_with -L "$PA"
	jqs "all(.[]; .lport == $PA)"
	[ "$(pids_in_trace)" = "[$A_PID]" ]
}

@test "-D PORT shows only sockets with that remote port (client side)" {
	start_servers
	trace_with -D "$PA"
	jqs "all(.[]; .rport == $PA)"
	[ "$(pids_in_trace)" = "[$C1_PID]" ]
	jqs 'any(.[]; .event == "connect")'
}

@test "-4 shows only IPv4 sockets" {
	start_servers
	trace_with -4
	jqs 'all(.[]; .family == 4)'
	jqs "any(.[]; .pid == $A_PID) and any(.[]; .pid == $C1_PID)"
	jqs "all(.[]; .pid != $B_PID and .pid != $C2_PID)"
}

@test "-6 shows only IPv6 sockets" {
	start_servers
	trace_with -6
	jqs 'all(.[]; .family == 6)'
	jqs "any(.[]; .pid == $B_PID) and any(.[]; .pid == $C2_PID)"
	jqs "all(.[]; .pid != $A_PID and .pid != $C1_PID)"
}

@test "-c NAME shows only sockets owned by processes with that name" {
	start_servers
	trace_with -c srvb
	jqs 'all(.[]; .comm == "srvb")'
	[ "$(pids_in_trace)" = "[$B_PID]" ]
	jqs "any(.[]; .event == \"accept\" and .lport == $PB)"
}

@test "filters combine with AND: -c curl -P PA is curl's side only" {
	start_servers
	trace_with -c curl -P "$PA"
	[ "$(pids_in_trace)" = "[$C1_PID]" ]
	jqs "all(.[]; .comm == \"curl\" and .rport == $PA)"
}

@test "a filter that matches nothing under load: the kernel emits 0 events" {
	# Outlives the test: under ASan the test once took 58 s, its sleep 30
	# had ended, and the kill below failed the test.
	sleep 600 &
	idle=$!
	start_http_server "$PA" 127.0.0.1
	start_tracer -v -p "$idle"
	for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PA/"; done
	stop_tracer
	kill "$idle"
	grep -E 'kernel emitted 0 events, filtered out [0-9]+' "$TRACE_ERR"
	filtered=$(sed -nE 's/.*filtered out ([0-9]+).*/\1/p' "$TRACE_ERR")
	# 50 connections, each 5 client transitions, and the server's 5, accept
	# and summary; the client's CONNECT and summary are never looked at.
	[ "$filtered" -ge 500 ]
	[ "$(wc -l <"$TRACE")" -eq 1 ] # the header alone
}

@test "64 pids and 64 ports are accepted" {
	pids=$(seq -s, 1000 1063)
	ports=$(seq -s, 20000 20063)
	run --separate-stderr "$SOCKTRACE" -p "$pids" -P "$ports" --list-attach
	[ "$status" -eq 0 ]
}

@test "bad filter values exit 2 naming the option and the value" {
	check_bad() {
		run --separate-stderr "$SOCKTRACE" "$@"
		[ "$status" -eq 2 ] || { echo "status $status for $*"; return 1; }
		[ -z "$output" ]
	}
	check_bad -p 0 && [[ "$stderr" == *"'0'"*"--pid"* ]]
	check_bad -p abc && [[ "$stderr" == *"'abc'"*"--pid"* ]]
	check_bad -p 4194305 && [[ "$stderr" == *"4194305"* ]]
	check_bad -p -5 && [[ "$stderr" == *"--pid"* ]]
	check_bad -P 70000 && [[ "$stderr" == *"'70000'"*"--port"* ]]
	check_bad -P 1,,2 && [[ "$stderr" == *"'1,,2'"*"--port"* ]]
	check_bad -P 80, && [[ "$stderr" == *"--port"* ]]
	check_bad -L 0 && [[ "$stderr" == *"--localport"* ]]
	check_bad -D 99999999999999999999 && [[ "$stderr" == *"--remoteport"* ]]
	check_bad -c 0123456789abcdef && [[ "$stderr" == *"--comm"* ]]
	check_bad -4 -6 && [[ "$stderr" == *"-4 and -6"* ]]
	check_bad -p && [[ "$stderr" == *"requires an argument"* ]]
}

# assert_schema FILE: every line is a JSON object with the documented fields.
# pid and comm are null together for a socket whose owner is unknown (an
# orphan of an earlier test, say, still retransmitting its FIN).
assert_schema() {
	local bad
	bad=$(jq -c 'select(
		(.time | type != "string" or (test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$") | not))
		or (.ts_ns | type != "number")
		or (.event | IN("connect","accept","state","close","lost") | not)
		or (.event != "lost" and (
			(.sock | type != "number")
			or (.pid | type | IN("number","null") | not) or (.comm | type | IN("string","null") | not)
			or ((.pid == null) != (.comm == null))
			or (.family | IN(4,6) | not) or (.laddr | type != "string") or (.raddr | type != "string")
			or (.lport | type != "number") or (.rport | type != "number")))
		or (.event == "state" and ((.old_state | type != "string") or (.new_state | type != "string")
			or (.in_state_ns | type | IN("number","null") | not)))
		or (.event == "close" and (.duration_ns | type | IN("number","null") | not))
		or (.event == "lost" and ((.count | type != "number") or (.reason | IN("ring_full","skipped") | not)))
	)' "$1") || { echo "not valid JSON lines: $1"; return 1; }
	[ -z "$bad" ] || { echo "schema violations:"; echo "$bad"; return 1; }
}

# assert_curl_story FILE: a curl to $PA is in FILE with the right values.
assert_curl_story() {
	jq -s -e --argjson c "$CURL_PID" --argjson p "$PA" '
		[.[] | select(.pid == $c)] as $mine
		| ($mine | map(.event) | index("connect")) != null
		and ($mine | all(.laddr == "127.0.0.1" and .raddr == "127.0.0.1" and .rport == $p and .family == 4 and .comm == "curl"))
		and ($mine | any(.event == "state" and .old_state == "SYN_SENT" and .new_state == "ESTABLISHED" and .in_state_ns > 0))
		and ($mine | any(.event == "close" and .duration_ns > 0))
		and ($mine | map(.ts_ns) | . == sort)' "$1"
}

@test "-j to stdout: every line parses and carries the documented fields" {
	start_http_server "$PA" 127.0.0.1
	start_tracer -j
	run_curl "http://127.0.0.1:$PA/"
	stop_tracer
	[ "$(wc -l <"$TRACE")" -gt 10 ]
	assert_schema "$TRACE"
	assert_curl_story "$TRACE"
}

@test "-o FILE writes JSON to a new 0600 file" {
	start_http_server "$PA" 127.0.0.1
	start_tracer -j -o "$JSON"
	run_curl "http://127.0.0.1:$PA/"
	stop_tracer
	[ "$(stat -c %a "$JSON")" = 600 ]
	[ ! -s "$TRACE" ]
	assert_schema "$JSON"
	assert_curl_story "$JSON"
}

@test "-o FILE.gz is gzip, complete and valid after SIGTERM" {
	start_http_server "$PA" 127.0.0.1
	start_tracer -j -o "$JSON.gz"
	run_curl "http://127.0.0.1:$PA/"
	stop_tracer TERM
	[ "$TRACER_RC" -eq 0 ]
	gzip -t "$JSON.gz"
	gzip -dc "$JSON.gz" >"$JSON"
	assert_schema "$JSON"
	assert_curl_story "$JSON"
}

@test "SIGHUP (the terminal went away) during a .gz run: exit 0, the file complete and valid" {
	start_http_server "$PA" 127.0.0.1
	start_tracer -j -o "$JSON.gz"
	run_curl "http://127.0.0.1:$PA/"
	stop_tracer HUP
	[ "$TRACER_RC" -eq 0 ]
	gzip -t "$JSON.gz"
	gzip -dc "$JSON.gz" >"$JSON"
	assert_schema "$JSON"
	assert_curl_story "$JSON"
}

@test "a process named a\"b\\c<newline><0x01> still yields valid JSON that round-trips" {
	start_http_server "$PA" 127.0.0.1
	start_tracer -j -o "$JSON"
	python3 "$TRIGGER" connect 127.0.0.1 "$PA" --name "'a\"b\\\\c\\n\\x01'"
	stop_tracer
	assert_schema "$JSON"
	jq -s -e 'any(.[]; .event == "connect" and .comm == "a\"b\\c\n\u0001")' "$JSON"
	# The text output keeps such a name on one line too.
	start_tracer
	python3 "$TRIGGER" connect 127.0.0.1 "$PA" --name "'a\"b\\\\c\\n\\x01'"
	stop_tracer
	grep -qF 'a"b\x5cc\x0a\x01 ' "$TRACE"
}

@test "a process name with a C1 control (U+009B, CSI) is escaped in JSON, never written raw" {
	start_http_server "$PA" 127.0.0.1
	start_tracer -j -o "$JSON"
	python3 "$TRIGGER" connect 127.0.0.1 "$PA" --name "'x\\xc2\\x9b[31m'"
	stop_tracer
	assert_schema "$JSON"
	jq -s -e 'any(.[]; .event == "connect" and .comm == "x\u009b[31m")' "$JSON"
	grep -qF 'x\u009b[31m' "$JSON"
	[ "$(LC_ALL=C grep -c $'\xc2\x9b' "$JSON")" -eq 0 ]
}

# A FIFO's reader blocks in open() until a writer opens it: if -o opened
# the path before refusing it, the reader would wake and see end of file.
@test "-o refuses a FIFO or a device without opening it, exit 1" {
	local fifo=$BATS_TEST_TMPDIR/out.fifo reader
	mkfifo "$fifo"
	cat "$fifo" >/dev/null 3>&- &
	reader=$!
	run --separate-stderr "$SOCKTRACE" -j -o "$fifo"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"not a regular file"* ]]
	sleep 0.5
	kill -0 "$reader" # still waiting for a writer
	: >"$fifo"        # let it go
	wait "$reader"
	run --separate-stderr "$SOCKTRACE" -j -o /dev/null
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"refusing to write /dev/null: not a regular file"* ]]
}

@test "-o refuses a symlink and reports an unwritable path, exit 1" {
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$BATS_TEST_TMPDIR/link.json"
	run --separate-stderr "$SOCKTRACE" -j -o "$BATS_TEST_TMPDIR/link.json"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"symbolic link"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/elsewhere" ]
	run --separate-stderr "$SOCKTRACE" -o /proc/socktrace-cannot-write-here
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot open output file"* ]]
}
