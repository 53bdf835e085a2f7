# Shared helpers for the end-to-end tests. SOCKTRACE is the binary under test;
# SOCKTRACE_ATTACH (fentry, kprobe, tracepoint; empty: auto) is the attach
# method and SOCKTRACE_EVENTS (rings, ringbuf; empty: auto) the event
# transport every traced run of the suite forces.
: "${SOCKTRACE:?set SOCKTRACE to the socktrace binary}"
ATTACH_ARGS=()
if [ -n "${SOCKTRACE_ATTACH:-}" ]; then
	ATTACH_ARGS=("--attach=$SOCKTRACE_ATTACH")
fi
if [ -n "${SOCKTRACE_EVENTS:-}" ]; then
	ATTACH_ARGS+=("--events=$SOCKTRACE_EVENTS")
fi

# A TCP port nothing listens on right now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for CMD... : retries CMD every 50 ms for up to 10 s.
wait_for() {
	local i
	for i in $(seq 200); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "timed out waiting for: $*" >&2
	return 1
}

is_listening() { ss -Hltn "sport = :$1" | grep -q .; }
ns_is_listening() { ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q .; }
ns_has_established() { ip netns exec "$1" ss -Htn state established "dport = :$2" | grep -q .; }

# start_http_server PORT BIND_ADDR: python3 http.server serving $BATS_TEST_TMPDIR/www.
start_http_server() {
	mkdir -p "$BATS_TEST_TMPDIR/www"
	echo hello >"$BATS_TEST_TMPDIR/www/index.html"
	python3 -m http.server "$1" --bind "$2" --directory "$BATS_TEST_TMPDIR/www" \
		>/dev/null 2>&1 3>&- &
	SERVER_PID=$!
	wait_for is_listening "$1"
}

# start_tracer ARGS...: runs socktrace, output in $TRACE, stderr in $TRACE_ERR;
# returns once it says every hook is attached.
start_tracer() {
	TRACE=$BATS_TEST_TMPDIR/trace.out
	TRACE_ERR=$BATS_TEST_TMPDIR/trace.err
	"$SOCKTRACE" "${ATTACH_ARGS[@]}" "$@" >"$TRACE" 2>"$TRACE_ERR" 3>&- &
	TRACER_PID=$!
	wait_for tracer_started || {
		echo "socktrace did not start; its stderr:" >&2
		cat "$TRACE_ERR" >&2
		return 1
	}
	grep -q '^socktrace: tracing (' "$TRACE_ERR" || {
		echo "socktrace exited before it started tracing; its stderr:" >&2
		cat "$TRACE_ERR" >&2
		wait "$TRACER_PID" || true
		TRACER_PID=
		return 1
	}
}

# tracer_started: socktrace said it is tracing, or it has exited (then
# waiting longer is pointless).
tracer_started() {
	grep -q '^socktrace: tracing (' "$TRACE_ERR" || ! kill -0 "$TRACER_PID" 2>/dev/null
}

# stop_tracer [SIGNAL]: stops it (SIGINT by default); exit status in TRACER_RC.
stop_tracer() {
	sleep 0.3 # let the last softirq transitions arrive
	kill -"${1:-INT}" "$TRACER_PID"
	TRACER_RC=0
	wait "$TRACER_PID" || TRACER_RC=$?
	TRACER_PID=
}

# run_curl URL: fetches URL; its pid in CURL_PID.
run_curl() {
	curl -s -o /dev/null --max-time 5 "$1" &
	CURL_PID=$!
	wait "$CURL_PID" || true
}

cleanup_processes() {
	[ -n "${TRACER_PID:-}" ] && kill -INT "$TRACER_PID" 2>/dev/null && wait "$TRACER_PID"
	[ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID"
	true
}

# Text output fields: SOCK PID COMM IP LOCAL REMOTE EVENT...
# sock_where AWK_CONDITION: ids of sockets with a line matching the condition.
sock_where() {
	awk "NR > 1 && ($1) { print \$1 }" "$TRACE" | sort -u
}

# events_of ID: the socket's events, one per line, without durations
# ("CONNECT", "SYN_SENT -> ESTABLISHED", "CLOSE").
events_of() {
	awk -v id="$1" 'NR > 1 && $1 == id { print ($8 == "->") ? $7 " -> " $9 : $7 }' "$TRACE"
}

# owners_of ID: the distinct "pid comm" pairs on the socket's lines.
owners_of() {
	awk -v id="$1" 'NR > 1 && $1 == id { print $2, $3 }' "$TRACE" | sort -u
}

# assert_chain ID: every transition starts in the state the previous one ended in.
assert_chain() {
	events_of "$1" | awk '
		$2 == "->" { if (prev != "" && $1 != prev) { print "broken chain at " $0; bad = 1 } prev = $3 }
		END { exit bad }'
}

# assert_lifecycle_end ID: the socket's last two events are "X -> CLOSE" and "CLOSE".
assert_lifecycle_end() {
	local ev
	ev=$(events_of "$1" | tail -n 2)
	[[ "$(sed -n 1p <<<"$ev")" == *" -> CLOSE" ]] || { echo "no -> CLOSE: $ev"; return 1; }
	[ "$(sed -n 2p <<<"$ev")" = CLOSE ] || { echo "no CLOSE record: $ev"; return 1; }
}

# make_netns NAME: a network namespace with lo up, its name in $NS; removed
# with everything running in it by cleanup_netns. (Not for $(...): the
# registration must happen in the test's shell.)
make_netns() {
	NS="st-$1-$$"
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	NETNS+=("$NS")
}

cleanup_netns() {
	local ns
	for ns in "${NETNS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	NETNS=()
}
