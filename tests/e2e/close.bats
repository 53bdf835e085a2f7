#!/usr/bin/env bats
# Close records (cause, who closed, handshake time, bytes, retransmits) and
# the --timeline view, for normal closes and for failures.

bats_require_minimum_version 1.5.0
load helpers

TRIGGER="$BATS_TEST_DIRNAME/../helpers/trigger.py"
: "${DELAYQ:=$(dirname "$SOCKTRACE")/helpers/delayq}"

setup() {
	PORT=$(free_port)
	JSON=$BATS_TEST_TMPDIR/trace.json
	NETNS=()
}

teardown() {
	cleanup_processes
	cleanup_netns
}

# close_by_comm NAME: the close record of the first socket owned by NAME.
close_by_comm() {
	jq -s -c --arg c "$1" '[.[] | select(.event == "close" and .comm == $c)][0]' "$JSON"
}

# close_of PID: the close record of that process's socket (the first one).
close_of() {
	jq -s -c --argjson p "$1" '[.[] | select(.event == "close" and .pid == $p)][0]' "$JSON"
}

@test "curl and http.server: fin, who closed first, exact payload bytes, handshakes" {
	start_http_server "$PORT" 127.0.0.1
	head -c 123457 /dev/urandom >"$BATS_TEST_TMPDIR/www/blob"
	start_tracer -j -o "$JSON"
	curl -s -o /dev/null -w '%{size_request} %{size_header} %{size_download}\n' \
		"http://127.0.0.1:$PORT/blob" >"$BATS_TEST_TMPDIR/sizes" &
	CURL_PID=$!
	wait "$CURL_PID"
	stop_tracer
	read -r req hdr body <"$BATS_TEST_TMPDIR/sizes"
	[ "$body" -eq 123457 ]

	client=$(close_of "$CURL_PID")
	server=$(jq -s -c --argjson port "$PORT" '[.[] | select(.event == "close" and .lport == $port)][0]' "$JSON")
	echo "client: $client"
	echo "server: $server"
	[ "$(jq -r .cause <<<"$client")" = fin ]
	[ "$(jq -r .cause <<<"$server")" = fin ]
	[ "$(jq -r .pid <<<"$server")" = "$SERVER_PID" ]
	# Bytes are payload only: what curl wrote and what the server answered.
	[ "$(jq .bytes_sent <<<"$client")" -eq "$req" ]
	[ "$(jq .bytes_received <<<"$server")" -eq "$req" ]
	[ "$(jq .bytes_received <<<"$client")" -eq $((hdr + body)) ]
	[ "$(jq .bytes_sent <<<"$server")" -eq $((hdr + body)) ]
	[ "$(jq .handshake_ns <<<"$client")" -gt 0 ]
	[ "$(jq .handshake_ns <<<"$server")" -gt 0 ]
	[ "$(jq .retransmits <<<"$client")" -eq 0 ]
	# closed_by follows the path the kernel took: CLOSE_WAIT means the peer's
	# FIN came first; FIN_WAIT1 means ours did (both, in a simultaneous close).
	for side in "$client" "$server"; do
		sock=$(jq .sock <<<"$side")
		path=$(jq -s -r --argjson s "$sock" '[.[] | select(.sock == $s and .event == "state") | .new_state] | join(",")' "$JSON")
		case "$path" in
		*CLOSE_WAIT*) [ "$(jq -r .closed_by <<<"$side")" = remote ] ;;
		*FIN_WAIT1*) [ "$(jq -r .closed_by <<<"$side")" = local ] ;;
		*) echo "unexpected path $path"; false ;;
		esac
	done
}

# A client and server connected before the tracer starts; the client sends
# 1500 bytes and closes first only once the tracer runs. What only a socket
# seen from its start has (duration, handshake) is null; the rest is derived
# from the states the sockets are in (established, who sent the first FIN)
# and from the kernel's counters.
@test "a connection older than the tracer, closed orderly: fin, who closed, exact bytes, duration null" {
	local go=$BATS_TEST_TMPDIR/go client c s
	python3 "$TRIGGER" serve 127.0.0.1 "$PORT" >"$BATS_TEST_TMPDIR/srv" 3>&- &
	SERVER_PID=$!
	wait_for grep -q ready "$BATS_TEST_TMPDIR/srv"
	python3 -c '
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
s.sendall(bytes(1500))
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
s.close()
' 127.0.0.1 "$PORT" "$go" 3>&- &
	client=$!
	wait_for sh -c "ss -Htn state established '( dport = :$PORT )' | grep -q ."
	start_tracer -j -P "$PORT"
	touch "$go"
	wait "$client"
	stop_tracer
	cat "$TRACE"
	c=$(jq -s -c --argjson p "$client" '[.[] | select(.event == "close" and .pid == $p)]' "$TRACE")
	s=$(jq -s -c --argjson p "$SERVER_PID" '[.[] | select(.event == "close" and .pid == $p and .lport != 0)]' "$TRACE")
	jq -e --argjson port "$PORT" 'length == 1 and (.[0] | .cause == "fin" and .closed_by == "local"
		and .bytes_sent == 1500 and .bytes_received == 0 and .duration_ns == null
		and .handshake_ns == null and .rport == $port)' <<<"$c"
	jq -e --argjson port "$PORT" 'length == 1 and (.[0] | .cause == "fin" and .closed_by == "remote"
		and .bytes_sent == 0 and .bytes_received == 1500 and .duration_ns == null
		and .handshake_ns == null and .lport == $port)' <<<"$s"
	jq -e 'all(.history == "partial")' <<<"$c$s"
}

# ours_json PORTS_JSON: the trace's records of sockets with a port in PORTS_JSON.
ours_json() {
	jq -c --argjson ports "$1" 'select(.event != "lost"
		and ((.lport as $l | $ports | index($l)) or (.rport as $r | $ports | index($r))))' "$TRACE"
}

# lost_count REASON: the sum of the trace's lost records for REASON.
lost_count() {
	jq -s --arg r "$1" '[.[] | select(.event == "lost" and .reason == $r) | .count] | add // 0' "$TRACE"
}

@test "more sockets than --max-sockets: counted and said; no connection split, nothing invented" {
	local go=$BATS_TEST_TMPDIR/go held=$BATS_TEST_TMPDIR/held ours holder
	start_tracer -j --max-sockets=256
	# 601 sockets at once: 300 connections, both ends, and their listener.
	python3 "$TRIGGER" hold 127.0.0.1 "$PORT" --count 300 --wait-for "$go" >"$held" 3>&- &
	holder=$!
	wait_for grep -q held "$held"
	touch "$go"
	wait "$holder"
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
	[ "$(lost_count socket_table_full)" -gt 0 ]
	grep -q 'events lost: the socket table (256 entries) was full; raise --max-sockets' "$TRACE_ERR"
	ours=$(ours_json "[$PORT]")
	# Each socket end has one id: a socket table that made room by evicting
	# a live socket gave its later records a second id. (A child's SYN_RECV
	# record can precede its peer's address: 6.1 gives it 0.0.0.0:0.)
	jq -r 'select(.rport != 0) | "\(.laddr) \(.lport) \(.raddr) \(.rport) \(.sock)"' <<<"$ours" | sort -u |
		awk '{ print $1, $2, $3, $4 }' | uniq -d | { ! grep .; }
	# Every socket with records has one close record; closes are orderly;
	# a socket whose open was not seen says so, with its life null; owners
	# are the holder or unknown, never another process.
	jq -s -e --argjson h "$holder" '
		(map(select(.event == "state" and ((.old_state == "CLOSE" and
			(.new_state == "SYN_SENT" or .new_state == "LISTEN")) or .new_state == "SYN_RECV")))
			| map(.sock) | unique) as $opened
		| (map(select(.event == "close"))) as $closes
		| ($closes | length) > 256
		and ($closes | map(.sock) | unique | length) == ($closes | length)
		and (map(.sock) | unique | length) == ($closes | length)
		and ($closes | all(.cause == "fin" or (.cause == "listener_closed" and .lport != 0)))
		and ($closes | all((.history == "complete") == (.sock as $s | $opened | index($s) != null)))
		and ($closes | all((.duration_ns == null) == (.history == "partial")))
		and ($closes | any(.history == "partial"))
		and all(.pid == null or .pid == $h)' <<<"$ours"
}

@test "more listeners than --max-listeners: counted and said; their children have no owner until accept(), never a wrong one" {
	local out=$BATS_TEST_TMPDIR/listeners ours ports lister
	start_tracer -j --max-listeners=16
	python3 "$TRIGGER" listeners 127.0.0.1 0 --count 40 >"$out" 3>&- &
	lister=$!
	wait "$lister"
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
	[ "$(lost_count listener_table_full)" -ge 24 ]
	grep -q 'listeners not remembered: the listener table (16 entries) was full' "$TRACE_ERR"
	ports="[$(sed -n 's/^ports //p' "$out")]"
	ours=$(ours_json "$ports")
	jq -s -e --argjson l "$lister" '
		map(select(.event == "state" and .new_state == "SYN_RECV")) as $children
		| ($children | length) == 40
		and ($children | map(select(.pid == null)) | length) >= 24
		and ($children | all(.pid == null or .pid == $l))
		and (map(select(.event == "accept")) | length == 40 and all(.pid == $l))' <<<"$ours"
}

@test "handshake time is the path's RTT on both sides: 20 ms delay between two namespaces" {
	[ -x "$DELAYQ" ] || { echo "missing $DELAYQ (make test builds it)"; false; }
	make_netns c
	cns=$NS
	make_netns s
	sns=$NS
	# No duplicate address detection: a fresh link must carry the first SYN.
	for ns in "$cns" "$sns"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	done
	ip link add "stc$$" netns "$cns" type veth peer name "sts$$" netns "$sns"
	ip -n "$cns" addr add fd53:7472::1/64 dev "stc$$" nodad
	ip -n "$sns" addr add fd53:7472::2/64 dev "sts$$" nodad
	ip -n "$cns" link set "stc$$" up
	ip -n "$sns" link set "sts$$" up
	wait_for ip netns exec "$cns" ping -6 -c 1 -W 1 fd53:7472::2
	# Every packet from the client to the server waits 20 ms: the SYN (client
	# side) and the final ACK (the server's SYN-ACK round trip).
	ip netns exec "$cns" ip6tables-legacy -A OUTPUT -p tcp --dport "$PORT" -j NFQUEUE --queue-num 0
	ip netns exec "$cns" "$DELAYQ" 0 20 >"$BATS_TEST_TMPDIR/delayq.out" 3>&- &
	wait_for grep -q ready "$BATS_TEST_TMPDIR/delayq.out"
	ip netns exec "$sns" python3 "$TRIGGER" serve fd53:7472::2 "$PORT" --name "'rttsrv'" >/dev/null 3>&- &
	wait_for ns_is_listening "$sns" "$PORT"
	start_tracer -j -o "$JSON"
	ip netns exec "$cns" python3 "$TRIGGER" connect fd53:7472::2 "$PORT" --name "'rttcli'"
	stop_tracer
	for comm in rttcli rttsrv; do
		hs=$(close_by_comm "$comm" | jq .handshake_ns)
		echo "$comm handshake_ns=$hs"
		[ "$hs" -ge 20000000 ]
		[ "$hs" -lt 1000000000 ]
	done
}

@test "connect to a closed port: cause refused, no handshake, the caller owns it" {
	start_tracer -j -o "$JSON"
	run_curl "http://127.0.0.1:$PORT/"
	stop_tracer
	c=$(close_of "$CURL_PID")
	echo "$c"
	[ "$(jq -r .cause <<<"$c")" = refused ]
	[ "$(jq .handshake_ns <<<"$c")" = null ]
	[ "$(jq -r .comm <<<"$c")" = curl ]
}

@test "SYNs dropped: cause timeout for the caller" {
	make_netns t
	ns=$NS
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syn_retries=1
	ip netns exec "$ns" nft add table inet st
	ip netns exec "$ns" nft 'add chain inet st in { type filter hook input priority 0; }'
	ip netns exec "$ns" nft add rule inet st in tcp dport "$PORT" tcp flags syn drop
	start_tracer -j -o "$JSON"
	run ip netns exec "$ns" python3 "$TRIGGER" connect 127.0.0.1 "$PORT" --name "'synlost'" --timeout 20
	[ "$status" -ne 0 ]
	stop_tracer
	c=$(close_by_comm synlost)
	echo "$c"
	[ "$(jq -r .cause <<<"$c")" = timeout ]
	[ "$(jq .handshake_ns <<<"$c")" = null ]
	# 1 s, then 2 s: the SYN was retried once before giving up.
	[ "$(jq .duration_ns <<<"$c")" -ge 2900000000 ]
	[ "$(jq .retransmits <<<"$c")" -ge 1 ]
}

@test "a peer that resets (SO_LINGER 0): rst_sent on its side, rst_received on the other" {
	python3 "$TRIGGER" serve 127.0.0.1 "$PORT" --name "'rstsrv'" >/dev/null 3>&- &
	SERVER_PID=$!
	wait_for is_listening "$PORT"
	start_tracer -j -o "$JSON"
	python3 "$TRIGGER" connect 127.0.0.1 "$PORT" --name "'rstcli'" --reset
	stop_tracer
	cli=$(close_by_comm rstcli)
	srv=$(jq -s -c '[.[] | select(.event == "close" and .comm == "rstsrv" and .lport != null and .rport != 0)][0]' "$JSON")
	echo "client: $cli"
	echo "server: $srv"
	[ "$(jq -r .cause <<<"$cli")" = rst_sent ]
	[ "$(jq -r .cause <<<"$srv")" = rst_received ]
	[ "$(jq .handshake_ns <<<"$srv")" -gt 0 ]
}

@test "segments dropped during a transfer: retransmits counted" {
	make_netns r
	ns=$NS
	ip -n "$ns" link set lo mtu 1500
	ip netns exec "$ns" nft add table inet st
	ip netns exec "$ns" nft 'add chain inet st in { type filter hook input priority 0; }'
	# Every fifth data segment to the server is lost (not SYNs or bare ACKs).
	ip netns exec "$ns" nft add rule inet st in tcp dport "$PORT" meta length gt 200 numgen inc mod 5 0 drop
	ip netns exec "$ns" python3 "$TRIGGER" serve 127.0.0.1 "$PORT" --name "'lossy'" >/dev/null 3>&- &
	wait_for ns_is_listening "$ns" "$PORT"
	start_tracer -j -o "$JSON"
	ip netns exec "$ns" python3 "$TRIGGER" connect 127.0.0.1 "$PORT" --name "'sender'" --send 2000000 --timeout 30
	stop_tracer
	c=$(close_by_comm sender)
	echo "$c"
	[ "$(jq .retransmits <<<"$c")" -gt 0 ]
	[ "$(jq .bytes_sent <<<"$c")" -eq 2000000 ]
	[ "$(jq -r .cause <<<"$c")" = fin ]
}

@test "a peer that stops answering mid-connection: cause timeout, retransmits counted" {
	make_netns a
	ns=$NS
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_retries2=2
	ip netns exec "$ns" python3 "$TRIGGER" serve 127.0.0.1 "$PORT" --name "'gone'" >/dev/null 3>&- &
	wait_for ns_is_listening "$ns" "$PORT"
	start_tracer -j -o "$JSON"
	ip netns exec "$ns" python3 "$TRIGGER" connect 127.0.0.1 "$PORT" --name "'abandoned'" \
		--wait-for "$BATS_TEST_TMPDIR/go" --send 100000 --timeout 30 2>/dev/null 3>&- &
	client=$!
	wait_for ns_has_established "$ns" "$PORT"
	# From now on the peer is silent: nothing reaches it. The client sends
	# only once the rule is in (a fixed pause was once too short in the VM:
	# the data got through and the close was "fin").
	ip netns exec "$ns" nft add table inet st
	ip netns exec "$ns" nft 'add chain inet st in { type filter hook input priority 0; }'
	ip netns exec "$ns" nft add rule inet st in tcp dport "$PORT" drop
	touch "$BATS_TEST_TMPDIR/go"
	wait "$client" || true
	stop_tracer
	c=$(close_by_comm abandoned)
	echo "$c"
	[ "$(jq -r .cause <<<"$c")" = timeout ]
	[ "$(jq .handshake_ns <<<"$c")" -gt 0 ]
	[ "$(jq .retransmits <<<"$c")" -ge 2 ]
}

@test "a socket that never left CLOSE is forgotten at destroy: its reused memory is a new socket" {
	# A socket created and never connected is in CLOSE when the tracer
	# starts, so the start-up walk records it. Closing it has no state
	# change, only a destroy. The next TCP socket made on the same CPU
	# usually gets its memory (the slab reuses the last object freed), and
	# must not be taken for it: its owner is the process that connect()s.
	start_http_server "$PORT" 127.0.0.1
	mkfifo "$BATS_TEST_TMPDIR/go"
	taskset -c 0 python3 -c '
import socket, sys
s = socket.socket()
print("ready", flush=True)
open(sys.argv[1]).read()
s.close()
' "$BATS_TEST_TMPDIR/go" >"$BATS_TEST_TMPDIR/holder.out" 3>&- &
	holder=$!
	wait_for grep -q ready "$BATS_TEST_TMPDIR/holder.out"
	start_tracer -j -o "$JSON"
	echo go >"$BATS_TEST_TMPDIR/go"
	wait "$holder"
	taskset -c 0 python3 "$TRIGGER" connect 127.0.0.1 "$PORT" --name "'newcomer'"
	stop_tracer
	c=$(close_by_comm newcomer)
	echo "$c"
	[ "$c" != null ]
	sock=$(jq .sock <<<"$c")
	jq -s -e "all(.[]; .sock != $sock or .comm == \"newcomer\")" "$JSON"
}

@test "a closed listener: cause listener_closed" {
	start_tracer -j -o "$JSON"
	start_http_server "$PORT" 127.0.0.1
	kill "$SERVER_PID"
	wait "$SERVER_PID" || true
	SERVER_PID=
	stop_tracer
	c=$(jq -s -c --argjson port "$PORT" '[.[] | select(.event == "close" and .lport == $port)][0]' "$JSON")
	echo "$c"
	[ "$(jq -r .cause <<<"$c")" = listener_closed ]
	[ "$(jq -r .comm <<<"$c")" = python3 ]
}

@test "--timeline: the connection's story in order, with the handshake" {
	start_http_server "$PORT" 127.0.0.1
	start_tracer --timeline
	run_curl "http://127.0.0.1:$PORT/"
	stop_tracer
	cat "$TRACE"
	block=$(awk -v pid="$CURL_PID" '$1 == "sock" && $0 ~ "\\(pid " pid "\\)" {on = 1} on && /^$/ {exit} on' "$TRACE")
	[ -n "$block" ]
	[[ "$(sed -n 1p <<<"$block")" == *"127.0.0.1:$PORT  client" ]]
	# The handshake lines, in this order.
	grep -n 'CONNECT\|CLOSE -> SYN_SENT\|SYN_SENT -> ESTABLISHED' <<<"$block" | cut -d: -f1 | paste -sd, | grep -qE '^2,3,4$'
	grep -qE 'SYN_SENT -> ESTABLISHED +SYN\+ACK received, ACK sent: ESTABLISHED \(handshake [0-9.]+ (us|ms)\)' <<<"$block"
	grep -qE 'ended: fin, closed by (local|remote); life' <<<"$block"
	# The server's block says how its side went.
	grep -qE 'LISTEN -> SYN_RECV +SYN received, SYN\+ACK sent' "$TRACE"
	grep -qE 'SYN_RECV -> ESTABLISHED +ACK received: ESTABLISHED \(handshake' "$TRACE"
}

@test "--timeline prints connections still open at exit" {
	python3 "$TRIGGER" serve 127.0.0.1 "$PORT" --name "'holder'" >/dev/null 3>&- &
	SERVER_PID=$!
	wait_for is_listening "$PORT"
	start_tracer --timeline
	exec {conn}<>/dev/tcp/127.0.0.1/"$PORT"
	sleep 0.2
	stop_tracer
	exec {conn}>&-
	grep -qE "^sock [0-9]+  bash \(pid $$\)  127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:$PORT  client  \(still open at exit\)" "$TRACE"
}

@test "--timeline with -j is a usage error" {
	run --separate-stderr "$SOCKTRACE" --timeline -j
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--timeline"* ]]
}
