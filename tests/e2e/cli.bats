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
		[ "$(grep -cE "^$hook +[a-z_]+ +chosen$" <<<"$output")" -eq 1 ] || {
			echo "$output"
			return 1
		}
	done
}

@test "--list-attach says why a method was rejected" {
	run --separate-stderr "$SOCKTRACE" --list-attach
	[ "$status" -eq 0 ]
	if [ ! -e /sys/bus/event_source/devices/kprobe ]; then
		# This kernel has no kprobes: both kprobe methods are rejected with the reason.
		grep -qE '^connect +kprobe +rejected: no kprobe PMU' <<<"$output"
		grep -qE '^accept +kretprobe +rejected: no kprobe PMU' <<<"$output"
	fi
	# Every rejected line carries a reason.
	! grep -E 'rejected: *$' <<<"$output"
}

@test "without fentry, connect and accept fall back to kprobe or tracepoint" {
	run --separate-stderr "$SOCKTRACE" --list-attach
	if grep -qE '^connect +fentry +chosen' <<<"$output"; then
		skip "fentry works on this kernel; the tracepoint path is exercised elsewhere"
	fi
	grep -qE '^connect +(kprobe|tracepoint) +chosen' <<<"$output"
	grep -qE '^accept +(kretprobe|tracepoint) +chosen' <<<"$output"
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

@test "SIGTERM and SIGINT stop the tracer with exit 0" {
	start_tracer
	stop_tracer TERM
	[ "$TRACER_RC" -eq 0 ]
	start_tracer
	stop_tracer INT
	[ "$TRACER_RC" -eq 0 ]
}
