#!/usr/bin/env bats
# The installable tool: make install/uninstall into a staging DESTDIR, the
# man page, the bash completion and --version. Run on the host once by
# tests/run.sh (no kernel involved): BUILD is the build folder.

bats_require_minimum_version 1.5.0

setup() {
	: "${BUILD:?set BUILD to the build folder (tests/run.sh does)}"
	REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	STAGE=$(mktemp -d)
}

teardown() {
	rm -rf "$STAGE"
}

@test "make install DESTDIR= lays out the binary, the man page, the completion and the unit; uninstall removes them" {
	run make -s -C "$REPO" OUTPUT="$BUILD" DESTDIR="$STAGE" PREFIX=/usr/local install
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$STAGE/usr/local/sbin/socktrace")" = 755 ]
	[ "$(stat -c %a "$STAGE/usr/local/share/man/man8/socktrace.8")" = 644 ]
	[ "$(stat -c %a "$STAGE/usr/local/share/bash-completion/completions/socktrace")" = 644 ]
	[ "$(stat -c %a "$STAGE/usr/local/lib/systemd/system/socktrace.service")" = 644 ]
	grep -qx 'ExecStart=/usr/local/sbin/socktrace --metrics=127.0.0.1:9464' \
		"$STAGE/usr/local/lib/systemd/system/socktrace.service"
	[ "$(find "$STAGE" -type f | wc -l)" -eq 4 ]
	run make -s -C "$REPO" OUTPUT="$BUILD" DESTDIR="$STAGE" PREFIX=/usr/local uninstall
	[ "$status" -eq 0 ]
	[ "$(find "$STAGE" -type f | wc -l)" -eq 0 ]
}

@test "--version prints the Makefile's version and exits 0" {
	local want
	want=$(sed -n 's/^VERSION *:= *//p' "$REPO/Makefile")
	run "$BUILD/socktrace" --version
	[ "$status" -eq 0 ]
	[ "$output" = "socktrace $want" ]
	grep -q "\"socktrace $want\"" "$REPO/docs/socktrace.8"
}

@test "the man page renders without warnings and documents every option --help lists" {
	run --separate-stderr env MANWIDTH=100 man --warnings=all -P cat -l "$REPO/docs/socktrace.8"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	local page=$output opt missing=
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" FILES EXAMPLES; do
		grep -q "^$s" <<<"$page"
	done
	for opt in $("$BUILD/socktrace" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
		grep -qF -- "$opt" <<<"$page" || missing="$missing $opt"
	done
	[ -z "$missing" ] || { echo "not in the man page:$missing"; false; }
}

@test "systemd-analyze verify accepts the unit make install writes" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
	# PREFIX (not DESTDIR) in the stage, so that ExecStart's binary exists
	run make -s -C "$REPO" OUTPUT="$BUILD" PREFIX="$STAGE/usr" install
	[ "$status" -eq 0 ]
	MANPATH="$STAGE/usr/share/man" run --separate-stderr systemd-analyze verify "$STAGE/usr/lib/systemd/system/socktrace.service"
	echo "$output$stderr"
	[ "$status" -eq 0 ]
	# what it warns about is ours to fix too
	[ -z "$(grep -v 'Unit is bound to inactive unit\|sys-kernel-tracing.mount' <<<"$stderr")" ]
}

# complete WORDS...: what the bash completion offers for the last word.
complete_words() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _socktrace
		printf "%s\n" "${COMPREPLY[@]}"' _ "$REPO/contrib/socktrace.bash-completion" "$@"
}

@test "bash completion: options, and the values of --attach, --events and --priority" {
	[ "$(complete_words socktrace --att)" = "--attach=" ]
	[ "$(complete_words socktrace --no-s)" = "--no-syscall-hooks" ]
	[ "$(complete_words socktrace --events=ring | tr '\n' ' ')" = "rings ringbuf " ]
	[ "$(complete_words socktrace --priority=n)" = "normal" ]
	# every option --help lists is offered
	local all opt
	all=$(complete_words socktrace -)
	for opt in $("$BUILD/socktrace" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
		grep -qE -- "^$opt=?\$" <<<"$all" || { echo "not completed: $opt"; false; }
	done
}
