#!/usr/bin/env bats
# Loading without libbpf reading the whole kernel BTF: CO-RE against
# btf_cut's cut of it, tracing programs attached by kernel_btf's ids.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	cleanup_processes
}

@test "CO-RE against the cut of the kernel BTF gives every instruction libbpf gives against all of it" {
	: "${BTF_CUT_DIFF:?set BTF_CUT_DIFF to build/helpers/btf_cut_diff}"
	run --separate-stderr "$BTF_CUT_DIFF" "${ATTACH_ARGS[@]}"
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	grep -qE '^btf_cut_diff: [1-9][0-9]* programs, [1-9][0-9]* instructions identical, 0 differ$' \
		<<<"$output"
}

@test "-v: the programs load against the cut, and libbpf never loads the kernel BTF" {
	start_tracer -v
	stop_tracer
	grep -qE "^socktrace: CO-RE against [1-9][0-9]* of the kernel's [1-9][0-9]* types$" "$TRACE_ERR" || {
		cat "$TRACE_ERR"
		return 1
	}
	! grep -q "loading kernel BTF" "$TRACE_ERR"
}
