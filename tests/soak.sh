#!/usr/bin/env bash
# Soak: runs socktrace while loadgen makes CONNS loopback connections (in ten
# rounds) and checks that its state stays bounded: the tracer's private
# memory (RssAnon: heap, stacks) at the end is within 10% (at least 512 KiB)
# of what it was after the first round, and the kernel's socket map holds no
# more entries than there are live TCP sockets. File and shared mappings are
# not counted: the binary, the libraries and the event rings (a fixed 4 MiB
# mapping here) cannot grow with connections, and the rings' pages are
# faulted in when first read, which would look like growth after the first
# round.
#   tests/soak.sh BUILD_DIR [CONNS] [SOCKTRACE ARGS...]
# CONNS defaults to 1000000 (the suite runs it short). --timeline is the
# default mode: it is the one that keeps per-connection state in user space.
# Prints "soak: ..." lines; exit 0 if bounded, 1 if not, 2 on setup errors.
set -euo pipefail

build=$(cd "${1:?usage: tests/soak.sh BUILD_DIR [CONNS] [ARGS...]}" && pwd)
conns=${2:-1000000}
shift $(($# >= 2 ? 2 : 1))
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--timeline)
rounds=10
per_round=$((conns / rounds))
[ "$per_round" -gt 0 ] || { echo "soak: CONNS must be at least $rounds" >&2; exit 2; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
err=$(mktemp)
tracer=
cleanup() {
	[ -n "$tracer" ] && kill "$tracer" 2>/dev/null && wait "$tracer" 2>/dev/null
	rm -f "$err"
}
trap cleanup EXIT

anon_kib() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# socks_entries PID: entries of the tracer's "socks" map, found among its fds.
socks_entries() {
	local id
	for id in $(awk '/^map_id:/ { print $2 }' /proc/"$1"/fdinfo/* 2>/dev/null | sort -u); do
		if [ "$(bpftool map show id "$id" -j | jq -r .name)" = socks ]; then
			bpftool map dump id "$id" -j | jq length
			return
		fi
	done
	echo "soak: the tracer has no socks map" >&2
	exit 2
}

"$build/socktrace" "${args[@]}" -P "$port" >/dev/null 2>"$err" &
tracer=$!
for _ in $(seq 200); do
	grep -q '^socktrace: tracing (' "$err" && break
	kill -0 "$tracer" 2>/dev/null || { cat "$err" >&2; exit 2; }
	sleep 0.05
done

first=
for r in $(seq "$rounds"); do
	"$build/helpers/loadgen" -t 2 -n "$per_round" -p "$port" >/dev/null ||
		{ echo "soak: loadgen failed in round $r" >&2; exit 2; }
	[ -n "$first" ] || first=$(anon_kib "$tracer")
done
sleep 0.5 # let the last closes arrive
last=$(anon_kib "$tracer")
rss=$(rss_kib "$tracer")
entries=$(socks_entries "$tracer")
live=$(ss -Htan exclude time-wait | wc -l)
kill -INT "$tracer"
rc=0
wait "$tracer" || rc=$?
tracer=
lost=$(grep -oE '[0-9]+ events lost' "$err" | grep -oE '^[0-9]+' || echo 0)

growth=$(awk -v a="$first" -v b="$last" 'BEGIN { printf "%+.1f", (b - a) * 100 / a }')
echo "soak: $((per_round * rounds)) connections, socktrace ${args[*]}"
echo "soak: private memory after $per_round connections: $first KiB; at the end: $last KiB ($growth%); RSS at the end $rss KiB"
echo "soak: socks map: $entries entries, $live TCP sockets open on the host (time-wait aside); lost events: $lost"
ok=1
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b <= a + (a * 0.10 > 512 ? a * 0.10 : 512)) }' ||
	{ echo "soak: FAIL: private memory grew more than 10% (and 512 KiB)"; ok=0; }
[ "$entries" -le "$live" ] || { echo "soak: FAIL: socks map holds closed sockets"; ok=0; }
[ "$rc" -eq 0 ] || { echo "soak: FAIL: socktrace exited $rc"; ok=0; }
[ "$ok" -eq 1 ] && echo "soak: bounded" && exit 0
exit 1
