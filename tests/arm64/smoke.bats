#!/usr/bin/env bats
# What socktrace traced in the arm64 VM (tests/arm64/guest.sh, cut out by
# tests/arm64/run.sh into ARM64_OUT): a busybox httpd served one wget, and
# a second wget was refused, once per attach method; --metrics was scraped.

setup() {
	: "${ARM64_OUT:?run by tests/arm64/run.sh}"
}

# check_run RUN: the records of RUN (METHOD[/EVENTS]), as a client and a
# server would expect; skipped when RUN was not in the VM's list.
check_run() {
	local run=$1 m=${1%%/*} f=${1//\//_} json err server csock ssock
	[[ ",${ARM64_METHODS:-}," == *",$run,"* ]] || skip "not run in the VM (ARM64_METHODS)"
	json=$ARM64_OUT/$f.json err=$ARM64_OUT/$f.err
	[ -f "$err" ] || { echo "no output of the $run run"; return 1; }
	cat "$err"
	if [ "$m" != auto ] && grep -q "cannot use $m" "$err"; then
		skip "the kernel refuses $m: $(grep -m1 "cannot use" "$err")"
	fi
	grep -qx "rc=0" "$err"
	[[ "$run" != */* ]] || grep -q "^socktrace: tracing (.* events=${run#*/})" "$err"
	grep -qx "wget=0" "$err"
	server=$(sed -n 's/^httpd=\([0-9]*\) .*/\1/p' "$err")
	[ -n "$server" ]
	jq -e . "$json" >/dev/null

	# The client: connect, handshake, close, owned by wget (not httpd).
	csock=$(jq -r 'select(.event == "connect" and .rport == 8080) | .sock' "$json" | head -1)
	[ -n "$csock" ]
	jq -e --argjson s "$csock" --argjson srv "$server" -s '
		map(select(.sock == $s)) as $r
		| ($r | all(.pid != null and .pid != $srv and .comm != null))
		and ($r | any(.event == "state" and .old_state == "SYN_SENT" and .new_state == "ESTABLISHED"))
		and ($r | any(.event == "close" and .history == "complete" and .handshake_ns > 0))' "$json"

	# The server side: the accepted socket, from SYN_RECV (softirq) to its
	# close, owned by httpd throughout; its accept record is there.
	ssock=$(jq -r 'select(.event == "accept" and .lport == 8080) | .sock' "$json" | head -1)
	[ -n "$ssock" ]
	jq -e --argjson s "$ssock" --argjson srv "$server" -s '
		map(select(.sock == $s)) as $r
		| ($r | all(.pid == $srv))
		and ($r | any(.event == "state" and .old_state == "SYN_RECV" and .new_state == "ESTABLISHED"))
		and ($r | any(.event == "close" and .cause == "fin"))' "$json"

	# The refused connect.
	jq -e -s 'any(.[]; .event == "close" and .rport == 8081 and .cause == "refused")' "$json"
	# Nothing lost.
	! jq -e -s 'any(.[]; .event == "lost")' "$json"
	# --metrics, scraped before the stop, counted the same: the wget's
	# connect and httpd's accept on 8080, the refused one (the scrape's own
	# connect is a third, counted if its record was read before the reply).
	grep -qx "scrape=0" "$err"
	grep -qx 'socktrace_connections_accepted_total{port="8080"} 1' "$ARM64_OUT/$f.metrics"
	grep -qx 'socktrace_connections_closed_total{cause="refused"} 1' "$ARM64_OUT/$f.metrics"
	grep -qxE 'socktrace_connections_opened_total\{direction="connect",comm="wget"\} [23]' "$ARM64_OUT/$f.metrics"
	# What traced it, for README's Supported kernels table (tests/run.sh).
	[ -z "${E2E_TRACED:-}" ] || grep -o 'tracing ([^)]*)' "$err" >>"$E2E_TRACED"
}

@test "arm64: the guest runs an aarch64 kernel" {
	[ "$(cat "$ARM64_OUT/uname")" = aarch64 ]
}

@test "arm64: --list-attach exits 0 with a method chosen for every hook" {
	cat "$ARM64_OUT/list-attach"
	grep -qx "rc=0" "$ARM64_OUT/list-attach"
	for hook in events state connect accept close seed; do
		grep -Eq "^$hook +[a-z_]+ +.* chosen\$" "$ARM64_OUT/list-attach"
	done
}

@test "arm64 auto: owners, states, connect, accept and close records" {
	check_run auto
}

@test "arm64 kprobe: owners, states, connect, accept and close records" {
	check_run kprobe
}

@test "arm64 tracepoint: owners, states, connect, accept and close records" {
	check_run tracepoint
}

@test "arm64 auto/ringbuf: the same through the BPF ring buffer" {
	check_run auto/ringbuf
}

@test "arm64 kprobe/perfbuf: the same through the perf buffers" {
	check_run kprobe/perfbuf
}
