#!/usr/bin/env bash
# Runs the test suites and ends with one line "N passed, M failed[, K skipped]".
# Exits non-zero if anything failed or if nothing ran.
#   tests/run.sh BUILD_DIR [unit|e2e|fuzz|san|vm|check|host|all]
#     unit  C unit tests (TAP)
#     e2e   bats end-to-end tests on this kernel, once per method of
#           E2E_METHODS (default "auto tracepoint auto/ringbuf auto/perfbuf",
#           all but auto on some files only; "auto" forces nothing;
#           METHOD/EVENTS forces --events=EVENTS too; METHOD@FILE,... runs
#           only those files, like E2E_ONLY)
#     fuzz  the libFuzzer targets, FUZZ_SECONDS (default 30) each
#     san   unit and e2e (auto) again with the ASan+UBSan build in BUILD_DIR/san
#     vm    the e2e tests in a VM running Debian 12's 6.1 kernel (tests/vm),
#           once per method of VM_METHODS (default "fentry kprobe tracepoint
#           kprobe/perfbuf@smoke.bats";
#           reliability.bats in the fentry pass only: E2E_RELIABILITY_METHODS),
#           then the other kernels of the matrix (run_vm_kernels)
#     tools make install/uninstall, the man page, the completion (tests/tools)
#     arm64 the cross-built binary (make ARCH=arm64) in an arm64 VM (tests/arm64)
#     check unit + tools + e2e with auto only (make check, the quick lane)
#     host  unit + tools + e2e + fuzz + san;  all (default)  host + vm + arm64
# Each e2e pass prints a line "KERNEL METHOD: N passed, M failed" so a log
# shows the matrix. RESULTS=PATH copies the TAP lines to PATH.tap, the
# matrix to PATH.matrix and what the smoke tests traced to PATH.kernels (the
# VM pass uses it to hand its results back). "all" then checks README's
# Supported kernels table against what was traced (kernels_table).
set -uo pipefail

build=${1:?usage: tests/run.sh BUILD_DIR [unit|e2e|vm|host|all]}
what=${2:-all}
here=$(cd "$(dirname "$0")" && pwd)
build_abs=$(cd "$build" && pwd)
log=$(mktemp)
matrix=$(mktemp)
kernels=$(mktemp)
trap 'rm -f "$log" "$matrix" "$kernels" "$log".pass "$log".traced' EXIT

# tally FILE: "N passed, M failed[, K skipped]" of the TAP lines in FILE.
tally() {
	local skipped passed failed
	skipped=$(grep -cE '^ok [0-9]+.*# skip' "$1")
	passed=$(($(grep -cE '^ok [0-9]+' "$1") - skipped))
	failed=$(grep -cE '^not ok [0-9]+|^not ok -' "$1")
	if [ "$skipped" -gt 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
}

run_unit() {
	local dir=${1:-$build} label=${2:-unit}
	: >"$log.pass"
	for t in "$dir"/unit/test_*; do
		[ -x "$t" ] || continue
		echo "# unit: $(basename "$t")"
		"$t" 2>&1 | tee -a "$log.pass"
	done
	cat "$log.pass" >>"$log"
	echo "$label: $(tally "$log.pass")" >>"$matrix"
}

run_e2e() {
	local dir=${1:-$build_abs} label=${2:-} kernel m
	if [ "$(id -u)" -ne 0 ]; then
		echo "not ok - e2e tests need root (BPF); run make test as root" | tee -a "$log"
		return
	fi
	kernel=$(uname -r | cut -d. -f1,2)
	[ -z "${E2E_KERNEL_LABEL:-}" ] || kernel="$E2E_KERNEL_LABEL ($(uname -r))"
	local key=${E2E_KERNEL_LABEL:-$kernel}
	# The tracepoint pass differs from auto here only in the state and close
	# hooks: the filters and the argument parser are auto's.
	local host_lean="@cli.bats,close.bats,btf_cut.bats,lifecycle.bats,reliability.bats,smoke.bats"
	# The other transports hand the output the same decoded records: the
	# metrics and rotation tests, which test what comes after, run in auto.
	local transport="$host_lean,filter_json.bats,containers.bats"
	for m in ${E2E_METHODS:-auto tracepoint$host_lean auto/ringbuf$transport auto/perfbuf$transport}; do
		local files=() f extra= ev= only=${E2E_ONLY:-}
		# METHOD[/EVENTS][@FILE,...]: that attach method with that event
		# transport, on those test files only.
		if [[ "$m" == *@* ]]; then
			only=${m#*@}
			only=${only//,/ }
			m=${m%@*}
		fi
		if [[ "$m" == */* ]]; then
			ev=${m#*/}
			m=${m%/*}
		fi
		local scope=${only:-full e2e}
		for f in "$here"/e2e/*.bats; do
			if [ -n "$only" ] && [[ " $only " != *" $(basename "$f") "* ]]; then
				extra=" (only $only)"
				continue
			fi
			if [[ "$f" == */reliability.bats ]] && [ -n "${E2E_RELIABILITY_METHODS+set}" ] &&
				[[ " $E2E_RELIABILITY_METHODS " != *" $m "* ]]; then
				extra=" (without reliability.bats)"
				continue
			fi
			files+=("$f")
		done
		echo "# e2e: kernel $(uname -r), --attach=$m${ev:+ --events=$ev}$extra"
		[ "$m" = auto ] && m_env= || m_env=$m
		: >"$log.traced"
		SOCKTRACE="$dir/socktrace" DELAYQ="$dir/helpers/delayq" BTF_CUT_DIFF="$dir/helpers/btf_cut_diff" \
			LOADGEN="$dir/helpers/loadgen" SOCKTRACE_EVENTS=$ev E2E_TRACED="$log.traced" \
			SOCKTRACE_ATTACH=$m_env bats --tap --timing "${files[@]}" 2>&1 | tee "$log.pass"
		sed "s/^/$key|$scope|/" "$log.traced" >>"$kernels"
		grep -qE '^(not )?ok [0-9]+' "$log.pass" ||
			echo "not ok - e2e with --attach=$m${ev:+ --events=$ev} ran no test" | tee -a "$log.pass"
		cat "$log.pass" >>"$log"
		echo "$kernel $m${ev:+/$ev}$label$extra: $(tally "$log.pass")" >>"$matrix"
	done
}

run_fuzz() {
	"$here"/fuzz/run.sh "$build" | tee "$log.pass"
	cat "$log.pass" >>"$log"
	echo "fuzz: $(tally "$log.pass")" >>"$matrix"
}

# ASan/UBSan: any report fails the program (halt_on_error, exit status).
run_san() {
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	run_unit "$build_abs/san" "unit (asan+ubsan)"
	E2E_METHODS=auto run_e2e "$build_abs/san" " (asan+ubsan)"
	unset ASAN_OPTIONS UBSAN_OPTIONS
}

run_vm() {
	local out=$build_abs/vm/results rc=0
	# The filters' tests (filter_json.bats) run in the fentry pass: the
	# kernel side filters the same way whichever method feeds it.
	local vm_lean="@cli.bats,close.bats,btf_cut.bats,lifecycle.bats,smoke.bats"
	rm -f "$out.tap" "$out.matrix"
	# Under TCG the load tests (reliability.bats) take most of a pass: they
	# run in the fentry pass only; every method runs the rest of the suite.
	"$here"/vm/run.sh "$build" env SOAK_CONNS=10000 FULL_RATE_CONNS=5000 \
		E2E_RELIABILITY_METHODS=fentry \
		E2E_METHODS="${VM_METHODS:-fentry kprobe$vm_lean tracepoint$vm_lean kprobe/perfbuf@smoke.bats}" \
		RESULTS="$out" tests/run.sh "$build" e2e || rc=$?
	take_vm_results "$out" "$rc"
	run_vm_kernels
}

# take_vm_results OUT RC: the results a VM handed back in OUT.tap and
# OUT.matrix, or a failure saying it handed back none.
take_vm_results() {
	if [ -s "$1.tap" ] && [ -s "$1.matrix" ]; then
		cat "$1.tap" >>"$log"
		cat "$1.matrix" >>"$matrix"
		cat "$1.kernels" >>"$kernels" 2>/dev/null
	else
		echo "not ok - vm: no results from the VM (exit $2)" | tee -a "$log"
		echo "vm: no results (exit $2)" >>"$matrix"
	fi
}

# run_vm_cell LABEL SUITE KVER FILES METHODS [KNOWN_NO_LOAD]: the bats FILES
# in a VM booted with Debian's kernel KVER (empty: the newest) of SUITE
# (empty: this machine's apt sources), once per attach method of METHODS;
# the log names each pass "LABEL METHOD". KNOWN_NO_LOAD: why socktrace does
# not load on that kernel yet (smoke.bats then skips, saying so).
# A guest kernel that locked up (tests/vm/run.sh exits 123) is booted once
# more; the log and the matrix say so.
run_vm_cell() {
	local out=$build_abs/vm/results-$1 rc try
	for try in 1 2; do
		rc=0
		rm -f "$out.tap" "$out.matrix"
		VM_SUITE=$2 VM_KERNEL=$3 "$here"/vm/run.sh "$build" env E2E_KERNEL_LABEL="$1" \
			E2E_ONLY="$4" E2E_METHODS="$5" SMOKE_KNOWN_NO_LOAD="${6:-}" \
			RESULTS="$out" tests/run.sh "$build" e2e || rc=$?
		[ "$rc" -eq 123 ] && [ "$try" -eq 1 ] || break
		echo "# vm $1: the guest kernel locked up (soft lockup); booting it once more" | tee -a "$log"
		echo "vm $1: the guest kernel locked up once; booted again" >>"$matrix"
	done
	take_vm_results "$out" "$rc"
}

# The kernels besides bookworm's newest (run_vm): the point release a
# bookworm install without its security suite runs, with the lifecycle and
# close tests; Debian 13 and bookworm-backports (6.12) and Debian 11 (5.10)
# with the smoke suite, each attach method forced once, and the ring buffer
# (METHOD/ringbuf; on 5.10 every pass is on it) and the perf buffers
# (METHOD/perfbuf) forced. Each kernel boots once; its cached package and
# initramfs are kept in BUILD_DIR/vm.
run_vm_kernels() {
	run_vm_cell 6.1.0-50 "" 6.1.0-50-amd64 "lifecycle.bats close.bats smoke.bats" \
		"${VM_SMOKE_METHODS:-fentry tracepoint@lifecycle.bats,smoke.bats tracepoint/perfbuf@smoke.bats}"
	run_vm_cell trixie-6.12 trixie "" smoke.bats \
		"fentry kprobe tracepoint auto/ringbuf tracepoint/perfbuf"
	run_vm_cell bookworm-backports-6.12 bookworm-backports "" smoke.bats \
		"fentry tracepoint auto/ringbuf auto/perfbuf"
	# 5.10: the rings object does not load (atomic fetch instructions);
	# auto must fall back to the ring buffer, and rings forced must fail.
	# auto is fentry there.
	run_vm_cell bullseye-5.10 bullseye "" "smoke.bats containers.bats" \
		"auto kprobe@smoke.bats tracepoint@smoke.bats tracepoint/ringbuf@smoke.bats auto/perfbuf@smoke.bats kprobe/perfbuf@smoke.bats"
}

# run_tools: the installable tool (make install, man page, completion),
# once on the host (tests/tools).
run_tools() {
	BUILD=$build_abs bats --tap "$here"/tools/*.bats 2>&1 | tee "$log.pass"
	grep -qE '^(not )?ok [0-9]+' "$log.pass" || echo "not ok - tools: ran no test" | tee -a "$log.pass"
	cat "$log.pass" >>"$log"
	echo "tools: $(tally "$log.pass")" >>"$matrix"
}

# run_arm64: the cross-built binary in ARM64_BUILD (default BUILD_DIR-arm64,
# make ARCH=arm64's) traced in Debian 12's arm64 kernel under QEMU
# (tests/arm64), its smoke suite checked here.
run_arm64() {
	local dir=${ARM64_BUILD:-$build_abs-arm64} rc=0 label
	: >"$log.traced"
	E2E_TRACED="$log.traced" "$here"/arm64/run.sh "$dir" | tee "$log.pass" || rc=$?
	label=$(sed -n 's/^\(arm64-[^:]*\): [0-9]* passed.*/\1/p' "$log.pass" | tail -1)
	if [ -z "$label" ]; then
		echo "not ok - arm64: the VM gave no results (exit $rc)" | tee -a "$log"
		echo "arm64: no results (exit $rc)" >>"$matrix"
		return
	fi
	grep -E '^(not )?ok ' "$log.pass" >>"$log"
	grep "^$label: " "$log.pass" >>"$matrix"
	sed "s/^/$label|arm64-smoke|/" "$log.traced" >>"$kernels"
}

# kernel_name KEY: the Supported kernels table's name for a cell's kernel.
kernel_name() {
	case "$1" in
	6.1) echo "Debian 12, newest (bookworm-security)" ;;
	6.1.0-50) echo "Debian 12 point release 6.1.0-50" ;;
	trixie-6.12) echo "Debian 13 (6.12)" ;;
	bookworm-backports-6.12) echo "Debian 12 bookworm-backports (6.12)" ;;
	bullseye-5.10) echo "Debian 11 (5.10)" ;;
	arm64-*) echo "Debian 12 arm64 (${1#arm64-})" ;;
	*) echo "$1, the host" ;;
	esac
}

# kernels_table: README's Supported kernels rows from what the smoke
# tests traced ("KEY|SCOPE|tracing (state=... events=...)" lines): per
# kernel, the attach methods and event transports its traced runs used.
kernels_table() {
	local key
	echo "| kernel | attach methods traced | events | tested by |"
	echo "|---|---|---|---|"
	cut -d'|' -f1 "$kernels" | awk '!seen[$0]++' | while read -r key; do
		awk -F'|' -v k="$key" -v name="$(kernel_name "$key")" '
			$1 == k {
				if ($2 == "full e2e") full = 1
				nf = split($2, fs, " ")
				for (i = 1; i <= nf; i++)
					if ($2 != "full e2e" && !(fs[i] in file)) {
						file[fs[i]] = 1
						files = files (files == "" ? "" : ", ") fs[i]
					}
				n = split($3, w, /[ ()]+/)
				for (i = 1; i <= n; i++) {
					split(w[i], kv, "=")
					if (kv[1] == "events") ev[kv[2]] = 1
					else if (kv[2] != "" && kv[2] != "none") m[kv[2]] = 1
				}
			}
			function pick(set, order,   n, o, i, out) {
				n = split(order, o, " ")
				for (i = 1; i <= n; i++)
					if (o[i] in set) out = out (out == "" ? "" : ", ") o[i]
				return out
			}
			END {
				# A full e2e pass runs every file.
				s = full ? "full e2e" : files
				gsub(/\.bats/, "", s)
				printf "| %s | %s | %s | %s |\n", name,
					pick(m, "tp_btf fentry fexit kprobe kretprobe tracepoint iter"),
					pick(ev, "rings ringbuf perfbuf"), s
			}' "$kernels"
	done
}

# check_kernels_table: README's table between its kernels-table markers is
# the one this run's traces give; a difference fails, showing both.
check_kernels_table() {
	local want=$build_abs/supported-kernels.md have
	kernels_table >"$want"
	have=$(sed -n '/<!-- kernels-table:begin/,/<!-- kernels-table:end/p' "$here/../README.md" |
		grep '^|')
	if [ "$have" = "$(cat "$want")" ]; then
		echo "ok 1 - README's Supported kernels table is what this run traced" | tee -a "$log"
	else
		echo "not ok - README's Supported kernels table differs from what this run traced" \
			"(the run's: $want)" | tee -a "$log"
		diff <(echo "$have") "$want" | sed 's/^/# /' | tee -a "$log"
	fi
}

case "$what" in
unit) run_unit ;;
e2e) run_e2e ;;
vm) run_vm ;;
fuzz) run_fuzz ;;
san) run_san ;;
tools) run_tools ;;
check) run_unit; run_tools; E2E_METHODS=auto run_e2e ;;
host) run_unit; run_tools; run_e2e; run_fuzz; run_san ;;
arm64) run_arm64 ;;
all) run_unit; run_tools; run_e2e; run_fuzz; run_san; run_vm; run_arm64; check_kernels_table ;;
*) echo "unknown suite $what" >&2; exit 2 ;;
esac

if [ -n "${RESULTS:-}" ]; then
	cp "$log" "$RESULTS.tap"
	cp "$matrix" "$RESULTS.matrix"
	cp "$kernels" "$RESULTS.kernels"
fi
echo
cat "$matrix"
tally "$log"
[ "$(grep -cE '^not ok' "$log")" -eq 0 ] && [ "$(grep -cE '^ok [0-9]+' "$log")" -gt 0 ]
