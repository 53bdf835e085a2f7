#!/usr/bin/env bats
# Connect, accept and every state transition, with the right owner on each line.

load helpers

setup() {
	PORT=$(free_port)
}

teardown() {
	cleanup_processes
}

# check_client RIP: asserts on curl's socket to the server on $PORT in the
# trace of one curl (RIP: how the remote address prints); its local port in
# CPORT.
check_client() {
	local rip=$1 client
	client=$(sock_where "\$2 == $CURL_PID && \$7 == \"CONNECT\" && \$6 == \"$rip:$PORT\"")
	[ -n "$client" ] || { cat "$TRACE"; echo "no CONNECT by curl $CURL_PID"; return 1; }
	[ "$(wc -w <<<"$client")" -eq 1 ]
	# Every line of the client socket belongs to curl, including softirq ones.
	[ "$(owners_of "$client")" = "$CURL_PID curl" ] || { owners_of "$client"; return 1; }
	[ "$(events_of "$client" | head -n 3 | paste -sd,)" = "CONNECT,CLOSE -> SYN_SENT,SYN_SENT -> ESTABLISHED" ]
	assert_chain "$client"
	assert_lifecycle_end "$client"
	CPORT=$(awk -v id="$client" '$1 == id && $7 == "CONNECT" { n = split($5, a, ":"); print a[n] }' "$TRACE")
}

# check_client_and_server RIP: check_client, then the server's side of it.
check_client_and_server() {
	local server
	check_client "$1"
	server=$(sock_where "\$7 == \"ACCEPT\" && \$5 ~ /:$PORT\$/ && \$6 ~ /:$CPORT\$/")
	[ -n "$server" ] || { cat "$TRACE"; echo "no ACCEPT of port $CPORT"; return 1; }
	[ "$(owners_of "$server")" = "$SERVER_PID python3" ] || { owners_of "$server"; return 1; }
	# The child's handshake transitions run in softirq; they still carry the server.
	events_of "$server" | grep -qx "LISTEN -> SYN_RECV"
	events_of "$server" | grep -qx "SYN_RECV -> ESTABLISHED"
	events_of "$server" | grep -qx "ACCEPT"
	assert_chain "$server"
	assert_lifecycle_end "$server"
}

@test "curl over 127.0.0.1: client and server lifecycles with their owners" {
	start_http_server "$PORT" 127.0.0.1
	start_tracer
	run_curl "http://127.0.0.1:$PORT/"
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
	check_client_and_server 127.0.0.1
}

@test "curl over ::1: IPv6 lifecycles with their owners" {
	start_http_server "$PORT" ::1
	start_tracer
	run_curl "http://[::1]:$PORT/"
	stop_tracer
	check_client_and_server "[::1]"
	grep -qE " 6  \[::1\]:$PORT " "$TRACE"
}

@test "IPv4 client of a dual-stack server: the server side is v4-mapped IPv6" {
	start_http_server "$PORT" ::
	start_tracer
	run_curl "http://127.0.0.1:$PORT/"
	stop_tracer
	check_client_and_server 127.0.0.1
	grep -qE " 6  \[::ffff:127\.0\.0\.1\]:$PORT " "$TRACE"
}

@test "server started after the tracer: listen() and accepted sockets carry its pid" {
	start_tracer
	start_http_server "$PORT" 127.0.0.1
	run_curl "http://127.0.0.1:$PORT/"
	stop_tracer
	listener=$(sock_where "\$7 == \"CLOSE\" && \$9 == \"LISTEN\" && \$5 == \"127.0.0.1:$PORT\"")
	[ -n "$listener" ]
	[ "$(owners_of "$listener")" = "$SERVER_PID python3" ]
	check_client_and_server 127.0.0.1
}

@test "refused connect: SYN_SENT -> CLOSE for the caller" {
	start_tracer
	run_curl "http://127.0.0.1:$PORT/"
	stop_tracer
	client=$(sock_where "\$2 == $CURL_PID && \$7 == \"CONNECT\" && \$6 == \"127.0.0.1:$PORT\"")
	[ -n "$client" ] || { cat "$TRACE"; return 1; }
	[ "$(owners_of "$client")" = "$CURL_PID curl" ]
	[ "$(events_of "$client" | paste -sd,)" = "CONNECT,CLOSE -> SYN_SENT,SYN_SENT -> CLOSE,CLOSE" ]
	# The local port was assigned and is reported, not 0.
	awk -v id="$client" '$1 == id { split($5, a, ":"); if (a[2] == 0) exit 1 }' "$TRACE"
}

@test "output through a pipe is flushed while the tracer runs" {
	start_http_server "$PORT" 127.0.0.1
	TRACE=$BATS_TEST_TMPDIR/piped.out
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	cat "$BATS_TEST_TMPDIR/fifo" >"$TRACE" &
	CAT_PID=$!
	"$SOCKTRACE" "${ATTACH_ARGS[@]}" 2>"$BATS_TEST_TMPDIR/err" >"$BATS_TEST_TMPDIR/fifo" &
	TRACER_PID=$!
	wait_for grep -q '^socktrace: tracing (' "$BATS_TEST_TMPDIR/err"
	run_curl "http://127.0.0.1:$PORT/"
	# Seen within a second while socktrace is still running (it flushes every 50 ms).
	for _ in $(seq 20); do
		grep -q "^[0-9]* *$CURL_PID .*CONNECT" "$TRACE" && break
		sleep 0.05
	done
	kill -0 "$TRACER_PID"
	grep -q "^[0-9]* *$CURL_PID .*CONNECT" "$TRACE"
	stop_tracer
	wait "$CAT_PID"
}

@test "no kernel address appears in the output" {
	start_http_server "$PORT" 127.0.0.1
	start_tracer -T -v
	run_curl "http://127.0.0.1:$PORT/"
	stop_tracer
	[ "$(wc -l <"$TRACE")" -gt 5 ]
	! grep -Ei 'ffff[0-9a-f]{12}' "$TRACE" "$TRACE_ERR"
}

# chosen_method ARGS... HOOK: the method --list-attach chooses for HOOK with
# ARGS (and the suite's --attach), or "none".
chosen_method() {
	local hook=${*: -1}
	"$SOCKTRACE" "${ATTACH_ARGS[@]}" "${@:1:$#-1}" --list-attach |
		awk -v h="$hook" '$1 == h && ($4 == "chosen" || $2 == "none") { print $2 }'
}

# syscall_tps PID: the syscalls:* tracepoints PID's programs are attached to.
syscall_tps() {
	bpftool perf list -j | jq -r --argjson p "$1" \
		'.[] | select(.pid == $p and .fd_type == "tracepoint" and (.tracepoint | startswith("sys_"))) | .tracepoint'
}

@test "--no-syscall-hooks: no program on a syscalls:* tracepoint, lifecycles still whole" {
	local connect accept server
	# What bpftool shows for a tracer that does use them: the check below can fail.
	if [ "$(chosen_method accept)" = tracepoint ]; then
		start_tracer
		syscall_tps "$TRACER_PID" | grep -qx sys_exit_accept4
		stop_tracer
	fi
	connect=$(chosen_method --no-syscall-hooks connect)
	accept=$(chosen_method --no-syscall-hooks accept)
	[ -n "$connect" ] && [ "$connect" != tracepoint ]
	[ -n "$accept" ] && [ "$accept" != tracepoint ]

	start_http_server "$PORT" 127.0.0.1
	start_tracer --no-syscall-hooks
	grep -q " connect=$connect accept=$accept " "$TRACE_ERR"
	[ -z "$(syscall_tps "$TRACER_PID")" ]
	run_curl "http://127.0.0.1:$PORT/"
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
	if [ "$accept" != none ]; then
		check_client_and_server 127.0.0.1 # fentry or kprobe: ACCEPT as always
		return
	fi

	# Without a connect hook, CONNECT comes at the next state change, with the
	# real local port; without an accept hook there is no ACCEPT, and the
	# accepted socket keeps its listener's owner.
	check_client 127.0.0.1
	[ "$CPORT" -gt 0 ]
	! awk 'NR > 1 { print $7 }' "$TRACE" | grep -qx ACCEPT
	server=$(sock_where "\$5 == \"127.0.0.1:$PORT\" && \$6 == \"127.0.0.1:$CPORT\"")
	[ "$(wc -w <<<"$server")" -eq 1 ] || { cat "$TRACE"; return 1; }
	[ "$(owners_of "$server")" = "$SERVER_PID python3" ]
	[ "$(events_of "$server" | head -n 2 | paste -sd,)" = "LISTEN -> SYN_RECV,SYN_RECV -> ESTABLISHED" ]
	assert_chain "$server"
	assert_lifecycle_end "$server"
}
