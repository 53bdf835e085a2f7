#!/usr/bin/env bats
# --metrics: the Prometheus endpoint, scraped by a real Prometheus (Debian's,
# started here with its own config and storage), by promtool and by curl,
# over a workload of known size.

bats_require_minimum_version 1.5.0
load helpers

TRIGGER="$BATS_TEST_DIRNAME/../helpers/trigger.py"

setup() {
	PORT=$(free_port)
	MPORT=$(free_port)
	PROM_PID=
	TRIGGER_PID=
}

teardown() {
	[ -z "$PROM_PID" ] || { kill "$PROM_PID" 2>/dev/null; wait "$PROM_PID" || true; }
	[ -z "$TRIGGER_PID" ] || { kill "$TRIGGER_PID" 2>/dev/null; wait "$TRIGGER_PID" || true; }
	cleanup_processes
}

# scrape: one GET /metrics, the body on stdout.
scrape() {
	curl -sf --max-time 5 "http://127.0.0.1:$MPORT/metrics"
}

# value SERIES: that series' value in one scrape (SERIES exactly as
# exposed, labels and all); empty if absent.
value() {
	scrape | awk -v s="$1" '$1 == s { print $2 }'
}

# start_tracer_into FIFO ARG...: start_tracer with its standard output
# into FIFO, whose reader the test arranges.
start_tracer_into() {
	local out=$1
	shift
	TRACE_ERR=$BATS_TEST_TMPDIR/trace.err
	"$SOCKTRACE" "${ATTACH_ARGS[@]}" "$@" >"$out" 2>"$TRACE_ERR" 3>&- &
	TRACER_PID=$!
	wait_for tracer_started
	grep -q '^socktrace: tracing (' "$TRACE_ERR"
}

# ring_full_counted: a scrape counts ring-full losses.
ring_full_counted() {
	local n
	n=$(value 'socktrace_events_lost_total{reason="ring_full"}')
	[ "${n:-0}" -gt 0 ]
}

# start_prometheus: Prometheus scraping socktrace every second, its API at
# http://127.0.0.1:$PROM_PORT.
start_prometheus() {
	command -v prometheus >/dev/null || skip "prometheus is not installed (scripts/deps.sh --test)"
	PROM_PORT=$(free_port)
	cat >"$BATS_TEST_TMPDIR/prometheus.yml" <<-EOF
		global:
		  scrape_interval: 1s
		scrape_configs:
		  - job_name: socktrace
		    static_configs:
		      - targets: ['127.0.0.1:$MPORT']
	EOF
	prometheus --config.file="$BATS_TEST_TMPDIR/prometheus.yml" \
		--storage.tsdb.path="$BATS_TEST_TMPDIR/tsdb" \
		--web.listen-address="127.0.0.1:$PROM_PORT" >"$BATS_TEST_TMPDIR/prometheus.log" 2>&1 3>&- &
	PROM_PID=$!
	wait_long 60 curl -sf "http://127.0.0.1:$PROM_PORT/-/ready"
}

# wait_long SECS CMD...: wait_for, for up to SECS (Prometheus under TCG
# takes its time).
wait_long() {
	local i n=$(($1 * 10))
	shift
	for i in $(seq "$n"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "timed out waiting for: $*" >&2
	return 1
}

# promql QUERY: the value of QUERY's only result now, from Prometheus.
promql() {
	curl -sf "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r 'if (.data.result | length) == 1 then .data.result[0].value[1] else "none" end'
}

# scraped_after T: Prometheus holds a scrape taken after unix time T.
scraped_after() {
	local ts
	ts=$(promql 'timestamp(socktrace_info)')
	[ "$ts" != none ] && awk -v a="$ts" -v b="$1" 'BEGIN { exit !(a > b) }'
}

@test "metrics: Prometheus scrapes the exact counts of a known workload (curls, refused connects, resets)" {
	local closed rport n=5 m=3 k=2 t
	closed=$(free_port)
	rport=$(free_port)
	start_http_server "$PORT" 127.0.0.1
	start_tracer --metrics="127.0.0.1:$MPORT" -P "$PORT,$closed,$rport"
	# after the tracer: with fexit or a kretprobe on accept, an accept()
	# already waiting when they attach is not seen
	python3 "$TRIGGER" serve 127.0.0.1 "$rport" --name "'rstserver'" >/dev/null 3>&- &
	TRIGGER_PID=$!
	wait_for is_listening "$rport"
	start_prometheus
	for _ in $(seq $n); do run_curl "http://127.0.0.1:$PORT/"; done
	for _ in $(seq $m); do run_curl "http://127.0.0.1:$closed/"; done
	python3 "$TRIGGER" connect 127.0.0.1 "$rport" --count $k --reset --name "'rstclient'"
	sleep 0.5 # the resets' last transitions
	t=$(date +%s.%N)
	wait_long 30 scraped_after "$t"

	[ "$(promql "socktrace_connections_opened_total{direction=\"connect\",comm=\"curl\"}")" = $((n + m)) ]
	[ "$(promql "socktrace_connections_opened_total{direction=\"connect\",comm=\"rstclient\"}")" = $k ]
	[ "$(promql "socktrace_connections_opened_total{direction=\"accept\",comm=\"python3\"}")" = $n ]
	[ "$(promql "socktrace_connections_opened_total{direction=\"accept\",comm=\"rstserver\"}")" = $k ]
	[ "$(promql "socktrace_connections_accepted_total{port=\"$PORT\"}")" = $n ]
	[ "$(promql "socktrace_connections_accepted_total{port=\"$rport\"}")" = $k ]
	[ "$(promql 'socktrace_connections_closed_total{cause="fin"}')" = $((2 * n)) ]
	[ "$(promql 'socktrace_connections_closed_total{cause="refused"}')" = $m ]
	[ "$(promql 'socktrace_connections_closed_total{cause="rst_sent"}')" = $k ]
	[ "$(promql 'socktrace_connections_closed_total{cause="rst_received"}')" = $k ]
	[ "$(promql 'socktrace_resets_total{direction="sent"}')" = $k ]
	[ "$(promql 'socktrace_resets_total{direction="received"}')" = $((k + m)) ]
	# One handshake per connection that got through, on each side.
	[ "$(promql 'socktrace_handshake_seconds_count{side="client"}')" = $((n + k)) ]
	[ "$(promql 'socktrace_handshake_seconds_count{side="server"}')" = $((n + k)) ]
	[ "$(promql 'socktrace_handshake_seconds_bucket{side="client",le="+Inf"}')" = $((n + k)) ]
	[ "$(promql 'socktrace_connection_lifetime_seconds_count')" = $((2 * n + m + 2 * k)) ]
	[ "$(promql 'socktrace_state_transitions_total{from="SYN_SENT",to="ESTABLISHED"}')" = $((n + k)) ]
	[ "$(promql 'sum(socktrace_events_lost_total)')" = 0 ]
	[ "$(promql 'socktrace_info')" = 1 ]
	# a quiet daemon: no trace without -j, -o, -T or --timeline
	[ ! -s "$TRACE" ]
}

@test "metrics: promtool accepts a scrape; only GET /metrics is served" {
	command -v promtool >/dev/null || skip "promtool is not installed (scripts/deps.sh --test)"
	start_http_server "$PORT" 127.0.0.1
	start_tracer --metrics="$MPORT" -P "$PORT"
	run_curl "http://127.0.0.1:$PORT/"
	sleep 0.3
	scrape >"$BATS_TEST_TMPDIR/scrape.txt"
	run promtool check metrics <"$BATS_TEST_TMPDIR/scrape.txt"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '^# TYPE socktrace_handshake_seconds histogram$' "$BATS_TEST_TMPDIR/scrape.txt"
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/")" = 404 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$MPORT/metrics")" = 405 ]
	# the default address is loopback only
	grep -q "^socktrace: metrics at http://127.0.0.1:$MPORT/metrics$" "$TRACE_ERR"
}

@test "metrics: with -j the trace and the counts agree, record for record" {
	start_http_server "$PORT" 127.0.0.1
	start_tracer --metrics="$MPORT" -j -P "$PORT"
	for _ in 1 2 3; do run_curl "http://127.0.0.1:$PORT/"; done
	sleep 0.5
	local closes connects
	closes=$(scrape | awk '$1 ~ /^socktrace_connections_closed_total/ { n += $2 } END { print n }')
	connects=$(value 'socktrace_connections_opened_total{direction="connect",comm="curl"}')
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
	[ "$closes" = "$(jq -s '[.[] | select(.event == "close")] | length' "$TRACE")" ]
	[ "$connects" = "$(jq -s '[.[] | select(.event == "connect" and .comm == "curl")] | length' "$TRACE")" ]
	[ "$connects" = 3 ]
}

@test "metrics: a scan of 5000 ports and 60 listeners stay within --metrics-top's bound" {
	local out refused series
	start_tracer --metrics="$MPORT" --metrics-top=10 -c scanner
	out=$(python3 "$TRIGGER" scan 127.0.0.1 40000 --count 5000 --name "'scanner'")
	refused=${out#refused }
	python3 "$TRIGGER" listeners 127.0.0.1 0 --count 60 --name "'scanner'" >/dev/null
	sleep 0.5
	scrape >"$BATS_TEST_TMPDIR/scrape.txt"
	[ "$(awk '$1 == "socktrace_connections_closed_total{cause=\"refused\"}" { print $2 }' \
		"$BATS_TEST_TMPDIR/scrape.txt")" = "$refused" ]
	# 60 ports accepted: 10 with a label of their own, 50 under "other"
	series=$(grep -c '^socktrace_connections_accepted_total{' "$BATS_TEST_TMPDIR/scrape.txt")
	[ "$series" -eq 11 ]
	[ "$(awk '$1 ~ /^socktrace_connections_accepted_total\{/ { n += $2 } END { print n }' \
		"$BATS_TEST_TMPDIR/scrape.txt")" = 60 ]
	[ "$(awk '$1 == "socktrace_connections_accepted_total{port=\"other\"}" { print $2 }' \
		"$BATS_TEST_TMPDIR/scrape.txt")" = 50 ]
	# the whole scrape stays small: its size does not grow with the ports
	[ "$(grep -vc '^#' "$BATS_TEST_TMPDIR/scrape.txt")" -lt 200 ]
}

@test "metrics: an address in use, a malformed one, a port out of range: exit 2 saying which" {
	python3 -c 'import socket,time,sys
s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(1); print("up",flush=True); time.sleep(30)' \
		"$MPORT" >"$BATS_TEST_TMPDIR/busy" 3>&- &
	TRIGGER_PID=$!
	wait_for grep -q up "$BATS_TEST_TMPDIR/busy"
	run --separate-stderr "$SOCKTRACE" --metrics="$MPORT"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"cannot listen on 127.0.0.1:$MPORT: Address already in use"* ]]
	run --separate-stderr "$SOCKTRACE" --metrics="::1:$MPORT"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"invalid value '::1:$MPORT' for --metrics"* ]]
	run --separate-stderr "$SOCKTRACE" --metrics=70000
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"must be 1..65535"* ]]
	run --separate-stderr "$SOCKTRACE" --metrics=192.0.2.1:9464
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"not an address of this host"* ]]
}

@test "metrics: a port below 1024 without CAP_NET_BIND_SERVICE: exit 2 naming the capability" {
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=+bpf,+perfmon --ambient-caps=+bpf,+perfmon "$SOCKTRACE" --metrics=80
	echo "$stderr"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"cannot listen on 127.0.0.1:80: Permission denied (a port below 1024 needs CAP_NET_BIND_SERVICE)"* ]]
}

@test "metrics: the systemd unit's capabilities are enough: root's uid with CapabilityBoundingSet only, the plan's choice" {
	local unit="$BATS_TEST_DIRNAME/../../contrib/socktrace.service.in" caps
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr ' ' '\n' |
		sed 's/^CAP_/+/' | tr 'A-Z' 'a-z' | paste -sd,)
	[ -n "$caps" ]
	# the unit has systemd mount tracefs (Wants=sys-kernel-tracing.mount)
	mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
	printf '#!/bin/sh\nexec setpriv --bounding-set=-all,%s --inh-caps=-all "%s" "$@"\n' \
		"$caps" "$SOCKTRACE" >"$BATS_TEST_TMPDIR/socktrace"
	chmod +x "$BATS_TEST_TMPDIR/socktrace"
	start_http_server "$PORT" 127.0.0.1
	# as the unit runs it: every method and transport chosen by the plan
	# (forced kprobes need more: Debian 12's 6.1 refuses them to CAP_PERFMON)
	ATTACH_ARGS=()
	SOCKTRACE="$BATS_TEST_TMPDIR/socktrace" start_tracer --metrics="$MPORT" -P "$PORT"
	grep -q "^CapBnd:	$(printf '%016x' $(( (1 << 39) | (1 << 38) | (1 << 23) )))\$" \
		"/proc/$TRACER_PID/status"
	run_curl "http://127.0.0.1:$PORT/"
	sleep 0.3
	[ "$(value 'socktrace_connections_opened_total{direction="connect",comm="curl"}')" = 1 ]
	[ "$(value 'socktrace_connections_opened_total{direction="accept",comm="python3"}')" = 1 ]
}

@test "metrics: a quiet daemon does not stop when its standard output's reader goes away" {
	# stdout a pipe whose reader has exited
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	(exec 3<"$BATS_TEST_TMPDIR/fifo"; exec 3<&-) &
	start_tracer_into "$BATS_TEST_TMPDIR/fifo" --metrics="$MPORT"
	sleep 1
	kill -0 "$TRACER_PID"
	scrape | grep -q '^socktrace_info{'
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
}

@test "metrics: a reader stuck on its output: the ring fill says so, the losses are counted, the fill falls back" {
	local fifo=$BATS_TEST_TMPDIR/fifo fill lost hold drain events
	mkfifo "$fifo"
	sleep 600 <"$fifo" 3>&- & # holds the pipe open, never reads
	hold=$!
	start_tracer_into "$fifo" --metrics="$MPORT" -j -P "$PORT"
	events=$(sed -nE 's/^socktrace: tracing \(.*events=([a-z]+)\).*/\1/p' "$TRACE_ERR")
	if [ "$events" != rings ]; then
		# the other transports' fill is not read: the series is left out
		! scrape | grep -q '^socktrace_ring_fill_ratio'
		kill "$hold"
		skip "events=$events here: the fill is the per-CPU rings'"
	fi
	# about 14 records a connection: more than both CPUs' rings hold
	"$LOADGEN" -t 2 -n 3000 -p "$PORT" >/dev/null
	fill=$(value socktrace_ring_fill_ratio)
	lost=$(value 'socktrace_events_lost_total{reason="ring_full"}')
	echo "stuck: fill $fill, lost $lost"
	awk -v f="$fill" 'BEGIN { exit !(f > 0.9) }'
	cat "$fifo" >/dev/null 3>&- &
	drain=$!
	wait_for ring_full_counted
	sleep 0.5
	fill=$(value socktrace_ring_fill_ratio)
	lost=$(value 'socktrace_events_lost_total{reason="ring_full"}')
	echo "reading again: fill $fill, lost $lost"
	awk -v f="$fill" 'BEGIN { exit !(f < 0.1) }'
	stop_tracer
	kill "$hold" "$drain" 2>/dev/null || true
	[ "$TRACER_RC" -eq 0 ]
	grep -E "^socktrace: $lost events lost" "$TRACE_ERR"
}
