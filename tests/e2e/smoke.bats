#!/usr/bin/env bats
# The kernel matrix's smoke suite (tests/run.sh run_vm_cell), for kernels the
# full suite does not run on: the attach plan, and one real client and
# server traced, as JSON. Runs on the host too.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	PORT=$(free_port)
}

teardown() {
	cleanup_processes
}

@test "smoke: --list-attach names a method or a reason for every hook" {
	run "$SOCKTRACE" "${ATTACH_ARGS[@]}" --list-attach
	echo "$output"
	[ "$status" -eq 0 ]
	for h in state connect accept close seed; do
		grep -qE "^$h +[a-z_]+ +[^ ]+ +(chosen|rejected|not tried)" <<<"$output"
	done
	[ "$(grep -c ' chosen' <<<"$output")" -ge 4 ]
}

@test "smoke: --list-attach proves one event transport by loading it; a refused one says why" {
	run "$SOCKTRACE" "${ATTACH_ARGS[@]}" --list-attach
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -cE '^events +[a-z]+ +[^ ]+ +chosen$' <<<"$output")" -eq 1 ]
	if [ -n "${SOCKTRACE_EVENTS:-}" ]; then
		grep -qE "^events +$SOCKTRACE_EVENTS +[^ ]+ +chosen$" <<<"$output"
	fi
	# every other row: not tried, or rejected with the verifier's words
	! grep -E '^events ' <<<"$output" | grep -vE ' chosen$| not tried \(|rejected: .+: .+'
}

@test "smoke: --events=rings where the kernel refuses the rings: exit 1, naming the refusal" {
	run "$SOCKTRACE" --list-attach
	grep -qE '^events +rings +[^ ]+ +rejected: ' <<<"$output" ||
		skip "this kernel loads the rings (--list-attach: $(grep -E '^events +rings' <<<"$output" | tr -s ' '))"
	run "$SOCKTRACE" --events=rings -j
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q 'loading the BPF programs failed: the verifier refused state_' <<<"$output"
	run "$SOCKTRACE" --events=rings --list-attach
	[ "$status" -eq 1 ]
	grep -qE '^events +rings +[^ ]+ +rejected: the verifier refused' <<<"$output"
	grep -qE '^events +ringbuf +[^ ]+ +not tried \(--events=rings\)' <<<"$output"
}

@test "smoke: a method the verifier refuses is rejected with its reason, and its hook falls back" {
	run "$SOCKTRACE" "${ATTACH_ARGS[@]}" --list-attach
	echo "$output"
	[ "$status" -eq 0 ]
	local refused h
	refused=$(grep -E '^[a-z]+ +[a-z_]+ +[^ ]+ +rejected: the verifier refused ' <<<"$output" |
		grep -v '^events ' | awk '{print $1}' | sort -u)
	[ -n "$refused" ] || skip "the verifier refused no method's programs here"
	for h in $refused; do
		grep -qE "^$h +[a-z_]+ +[^ ]+ +chosen$|^$h +none " <<<"$output"
	done
}

# start_tracer_or_skip ARGS...: start_tracer; on a kernel this cell knows
# socktrace does not load on yet (SMOKE_KNOWN_NO_LOAD: why, set by the cell),
# a failed load is a skip naming the verifier's complaint, never a pass.
start_tracer_or_skip() {
	local why
	start_tracer -v "$@" && return 0
	if [ -n "${SMOKE_KNOWN_NO_LOAD:-}" ] && grep -q 'loading the BPF programs failed' "$TRACE_ERR"; then
		why=$(grep -m1 'uses reserved fields' "$TRACE_ERR" ||
			grep -m1 -E 'unknown func|invalid|not supported' "$TRACE_ERR" || true)
		skip "$SMOKE_KNOWN_NO_LOAD; the verifier: ${why:-see -v}"
	fi
	cat "$TRACE_ERR"
	return 1
}

# curl_traced: the trace ($TRACE) of run_curl against the server on $PORT
# has curl's and the server's owners, states, accept and close records.
curl_traced() {
	grep '^{' "$TRACE" >"$TRACE.json"
	jq -s -e --argjson c "$CURL_PID" --argjson s "$SERVER_PID" --argjson p "$PORT" '
		def moves: map(select(.event == "state") | "\(.old_state)>\(.new_state)");
		map(select(.event != "lost" and .rport == $p)) as $cl
		| (map(select(.event != "lost" and .lport == $p and .rport != 0) | .sock) | unique) as $ids
		| map(select(.sock as $x | $ids | index($x))) as $sv
		| ($cl | length) > 0 and ($sv | length) > 0
		and ($cl | all(.pid == $c and .comm == "curl"))
		and ($cl | map(.event) | index("connect") != null)
		and ($cl | moves | index("SYN_SENT>ESTABLISHED") != null)
		and ($cl | map(select(.event == "close")) | length == 1 and
			(.[0] | .cause == "fin" and .bytes_received > 0 and .history == "complete"))
		and ($sv | all(.pid == $s))
		and ($sv | map(.event) | index("accept") != null)
		and ($sv | moves | index("LISTEN>SYN_RECV") != null)
		and ($sv | map(select(.event == "close")) | length == 1 and
			(.[0] | .cause == "fin" and .bytes_sent > 0))' "$TRACE.json" ||
		{ echo "curl $CURL_PID, server $SERVER_PID, port $PORT:"; cat "$TRACE.json"; false; }
}

@test "smoke: curl against http.server: owners, states, accept and close records" {
	start_http_server "$PORT" 127.0.0.1
	start_tracer_or_skip -j
	run_curl "http://127.0.0.1:$PORT/"
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
	curl_traced
	[ -z "${SOCKTRACE_EVENTS:-}" ] || grep -q "^socktrace: tracing (.* events=$SOCKTRACE_EVENTS)" "$TRACE_ERR"
	# What traced it, for README's Supported kernels table (tests/run.sh).
	[ -z "${E2E_TRACED:-}" ] || grep -o 'tracing ([^)]*)' "$TRACE_ERR" >>"$E2E_TRACED"
}

@test "smoke: --no-fast-start: libbpf alone loads what the plan chose and traces curl the same" {
	start_http_server "$PORT" 127.0.0.1
	start_tracer_or_skip -j --no-fast-start
	run_curl "http://127.0.0.1:$PORT/"
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
	curl_traced
	# libbpf read the kernel's BTF itself; socktrace cut none and made no map.
	grep -q "loading kernel BTF" "$TRACE_ERR"
	! grep -q "^socktrace: CO-RE against" "$TRACE_ERR"
	! grep -q "skipping creation (preset fd" "$TRACE_ERR"
}

# socktrace_without_btf DIR: a wrapper in DIR that runs $SOCKTRACE where
# /sys/kernel/btf is empty (a tmpfs in its own mount namespace), as on a
# kernel built without BTF; the wrapper's pid is socktrace's.
socktrace_without_btf() {
	printf '#!/bin/sh\nexec unshare -m sh -c %s %s "$@"\n' \
		"'mount -t tmpfs tmpfs /sys/kernel/btf && exec \"\$0\" \"\$@\"'" "$SOCKTRACE" >"$1/socktrace"
	chmod +x "$1/socktrace"
	echo "$1/socktrace"
}

@test "smoke: no /sys/kernel/btf/vmlinux: --btf=FILE traces curl on tracepoints; without it, exit 1 naming --btf" {
	cp /sys/kernel/btf/vmlinux "$BATS_TEST_TMPDIR/vmlinux.btf"
	SOCKTRACE=$(socktrace_without_btf "$BATS_TEST_TMPDIR")
	run "$SOCKTRACE" -j
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"kernel BTF not readable at /sys/kernel/btf/vmlinux"*"--btf=FILE"* ]]
	# fentry needs the kernel's own BTF: that cell's run is the default plan.
	[ "${SOCKTRACE_ATTACH:-}" != fentry ] ||
		ATTACH_ARGS=(${SOCKTRACE_EVENTS:+"--events=$SOCKTRACE_EVENTS"})
	# No iter seed without the kernel's BTF: the server starts after the
	# tracer, so that its listen() gives the owner.
	start_tracer_or_skip -j --btf="$BATS_TEST_TMPDIR/vmlinux.btf"
	start_http_server "$PORT" 127.0.0.1
	run_curl "http://127.0.0.1:$PORT/"
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
	grep -E '^socktrace: tracing \(state=tracepoint .*close=tracepoint seed=none events=[a-z]+\)' "$TRACE_ERR"
	curl_traced
}
