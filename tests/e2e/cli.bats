#!/usr/bin/env bats
# Attach plan, bad input, privileges and signals.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	cleanup_processes
}

@test "--list-attach names a chosen method for every hook and exits 0" {
	run --separate-stderr "$SOCKTRACE" --list-attach
	[ "$status" -eq 0 ]
	for hook in state connect accept seed; do
		[ "$(grep -cE "^$hook +[a-z_]+ +[^ ]+ +chosen$" <<<"$output")" -eq 1 ] || {
			echo "$output"
			return 1
		}
	done
	# Each method's row names what it hooks in the kernel.
	grep -qE '^state +tp_btf +inet_sock_set_state +' <<<"$output"
	grep -qE '^state +tracepoint +sock:inet_sock_set_state +' <<<"$output"
	grep -qE '^connect +fentry +tcp_connect +' <<<"$output"
	grep -qE '^connect +tracepoint +syscalls:sys_exit_connect +' <<<"$output"
	grep -qE '^accept +kretprobe +inet_csk_accept +' <<<"$output"
	grep -qE '^seed +iter +task_file +' <<<"$output"
	# ...and every row has a TARGET: "-" only for transports and "none".
	! awk 'NR > 1 && $1 != "events" && $2 != "none" && $3 == "-"' <<<"$output" | grep .
}

@test "--list-attach says why a method was rejected" {
	run --separate-stderr "$SOCKTRACE" --list-attach
	[ "$status" -eq 0 ]
	if [ ! -e /sys/bus/event_source/devices/kprobe ]; then
		# This kernel has no kprobes: both kprobe methods are rejected with the reason.
		grep -qE '^connect +kprobe +[^ ]+ +rejected: no kprobe PMU' <<<"$output"
		grep -qE '^accept +kretprobe +[^ ]+ +rejected: no kprobe PMU' <<<"$output"
	fi
	# Every rejected line carries a reason.
	! grep -E 'rejected: *$' <<<"$output"
}

# Labels --list-attach and the start-up line use for METHOD on the connect
# and accept hooks.
connect_label() { case "$1" in fentry) echo fentry ;; *) echo "$1" ;; esac; }
accept_label() {
	case "$1" in fentry) echo fexit ;; kprobe) echo kretprobe ;; *) echo "$1" ;; esac
}

@test "--attach=METHOD is used by every hook offering it, or refused naming hook and reason" {
	for m in fentry kprobe tracepoint; do
		run --separate-stderr "$SOCKTRACE" --attach="$m" --list-attach
		if [ "$status" -eq 0 ]; then
			grep -qE "^connect +$(connect_label "$m") +[^ ]+ +chosen$" <<<"$output"
			grep -qE "^accept +$(accept_label "$m") +[^ ]+ +chosen$" <<<"$output"
			if [ "$m" = tracepoint ]; then
				grep -qE '^state +tracepoint +[^ ]+ +chosen$' <<<"$output"
				grep -qE '^close +tracepoint +[^ ]+ +chosen$' <<<"$output"
			fi
		else
			[ "$status" -eq 1 ] || { echo "--attach=$m: status $status"; return 1; }
			grep -qE -- "^socktrace: --attach=$m: hook (connect|accept) cannot use [a-z]+: .+" \
				<<<"$stderr"
			grep -qE "^connect +none +[^ ]+ +--attach=$m refused" <<<"$output"
		fi
	done
	# This kernel's facts: without a kprobe PMU, kprobe must be refused.
	if [ ! -e /sys/bus/event_source/devices/kprobe ]; then
		run --separate-stderr "$SOCKTRACE" --attach=kprobe --list-attach
		[ "$status" -eq 1 ]
	fi
}

@test "auto picks the first method that works: fentry, then kprobe, then tracepoint" {
	want=tracepoint
	for m in kprobe fentry; do
		if "$SOCKTRACE" --attach="$m" --list-attach >/dev/null 2>&1; then
			want=$m
		fi
	done
	run --separate-stderr "$SOCKTRACE" --attach=auto --list-attach
	[ "$status" -eq 0 ]
	grep -qE "^connect +$(connect_label "$want") +[^ ]+ +chosen$" <<<"$output"
	grep -qE "^accept +$(accept_label "$want") +[^ ]+ +chosen$" <<<"$output"
}

@test "the suite's traced runs use the method under test" {
	start_tracer
	stop_tracer
	line=$(grep '^socktrace: tracing (' "$TRACE_ERR")
	m=${SOCKTRACE_ATTACH:-}
	if [ -z "$m" ]; then
		# auto: whatever --list-attach chooses
		for hook in state connect accept close seed; do
			label=$("$SOCKTRACE" --list-attach | awk -v h="$hook" '$1 == h && $4 == "chosen" { print $2 }')
			[[ "$line" == *"$hook=$label"* ]] || { echo "$line: $hook is not $label"; return 1; }
		done
	else
		[[ "$line" == *"connect=$(connect_label "$m") accept=$(accept_label "$m")"* ]]
		[ "$m" != tracepoint ] || [[ "$line" == *"state=tracepoint"*"close=tracepoint"* ]]
	fi
}

@test "a forced method the kernel refuses: exit 1 before tracing, naming the hook" {
	refused=
	for m in fentry kprobe; do
		if ! "$SOCKTRACE" --attach="$m" --list-attach >/dev/null 2>&1; then
			refused=$m
			break
		fi
	done
	[ -n "$refused" ] || skip "every method attaches on this kernel"
	run --separate-stderr timeout 10 "$SOCKTRACE" --attach="$refused" -j
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"--attach=$refused: hook connect cannot use"* ]]
	[[ "$stderr" != *"tracing ("* ]]
	[ -z "$output" ]
}

@test "unknown option: exit 2, message names it" {
	run --separate-stderr "$SOCKTRACE" --bogus
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--bogus"* ]]
	[[ "$stderr" == *"--help"* ]]
	[ -z "$output" ]
}

@test "unknown short option and stray argument: exit 2" {
	run --separate-stderr "$SOCKTRACE" -Z
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"Z"* ]]
	run --separate-stderr "$SOCKTRACE" stray
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"stray"* ]]
}

@test "--help prints usage with examples and exits 0" {
	run --separate-stderr "$SOCKTRACE" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"EXAMPLES"* ]]
	[[ "$output" == *"--list-attach"* ]]
}

@test "not root: exit 1 with a message" {
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$SOCKTRACE"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"root"* ]]
	[ -z "$output" ]
}

@test "a user with CAP_BPF and CAP_PERFMON only: --list-attach says tracefs is there but unreadable" {
	mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
	[ "$(stat -c %a /sys/kernel/tracing)" = 700 ] || skip "tracefs is readable by everyone here"
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=+bpf,+perfmon --ambient-caps=+bpf,+perfmon "$SOCKTRACE" --attach=tracepoint --list-attach
	echo "$output"
	grep -qE '^connect +tracepoint +[^ ]+ +rejected: tracefs is mounted at /sys/kernel/tracing but this user cannot read it' <<<"$output"
	[ "$(grep -c 'tracefs is not mounted' <<<"$output")" -eq 0 ]
}

@test "SIGTERM and SIGINT stop the tracer with exit 0" {
	start_tracer
	stop_tracer TERM
	[ "$TRACER_RC" -eq 0 ]
	start_tracer
	stop_tracer INT
	[ "$TRACER_RC" -eq 0 ]
}

@test "stdout closed: exit 1 saying so, not a trace into a kernel descriptor" {
	run --separate-stderr timeout -s INT 10 bash -c '"$0" "${@}" >&-' "$SOCKTRACE" "${ATTACH_ARGS[@]}" -j
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"standard output is closed; give -o FILE"* ]]
}

@test "stderr closed with -v: still traces to -o FILE and exits 0" {
	local port json=$BATS_TEST_TMPDIR/t.json
	port=$(free_port)
	start_http_server "$port" 127.0.0.1
	"$SOCKTRACE" "${ATTACH_ARGS[@]}" -v -j -o "$json" -P "$port" 2>&- 3>&- &
	TRACER_PID=$!
	# No stderr to wait on: wait for its first BPF link, then for the rest.
	wait_for sh -c "ls -l /proc/$TRACER_PID/fd | grep -q bpf_link"
	sleep 1
	run_curl "http://127.0.0.1:$port/"
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]
	jq -s -e 'any(.[]; .event == "close" and .comm == "curl")' "$json"
}

@test "scripts/deps.sh elsewhere than Debian or Ubuntu: exit 1 naming the packages for dnf or pacman" {
	local deps=$BATS_TEST_DIRNAME/../../scripts/deps.sh
	printf 'ID=fedora\nPRETTY_NAME="Fedora Linux 40"\n' >"$BATS_TEST_TMPDIR/fedora"
	SOCKTRACE_OS_RELEASE=$BATS_TEST_TMPDIR/fedora run bash "$deps" --test
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Fedora Linux 40 is not Debian or Ubuntu"* ]]
	grep -q '^  dnf install .*libbpf-devel' <<<"$output"
	grep -q '^  dnf install .*bats' <<<"$output"
	printf 'ID=arch\n' >"$BATS_TEST_TMPDIR/arch"
	SOCKTRACE_OS_RELEASE=$BATS_TEST_TMPDIR/arch run bash "$deps"
	[ "$status" -eq 1 ]
	grep -q '^  pacman -S .*libbpf' <<<"$output"
	! grep -q 'bash-bats' <<<"$output" # build packages only, without --test
	# A Debian derivative goes the apt way: here everything is installed.
	printf 'ID=ubuntu\nID_LIKE=debian\n' >"$BATS_TEST_TMPDIR/ubuntu"
	SOCKTRACE_OS_RELEASE=$BATS_TEST_TMPDIR/ubuntu run bash "$deps"
	[ "$status" -eq 0 ]
}
