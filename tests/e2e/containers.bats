#!/usr/bin/env bats
# Which container: the owner's cgroup (cgroup_id, cgroup, container) and the
# socket's netns on every record, the --cgroup, --container and --netns
# filters, with cgroups and namespaces the tests make and with real podman
# containers.

bats_require_minimum_version 1.5.0
load helpers

HEX_A=5eed0a1b2c3d4e5f60718293a4b5c6d7e8f9011223344556677889900aabbcc1
HEX_B=5eed1a1b2c3d4e5f60718293a4b5c6d7e8f9011223344556677889900aabbcc2

setup() {
	CGROOT=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
	[ -n "$CGROOT" ] || skip "cgroup v2 is not mounted here"
	TOP=st-bats-$$-$BATS_TEST_NUMBER
	mkdir "$CGROOT/$TOP"
	HOST_NETNS=$(stat -L -c %i /proc/self/ns/net)
	PORT=$(free_port)
	JSON=$BATS_TEST_TMPDIR/trace.json
	NETNS=()
}

teardown() {
	cleanup_processes
	[ -n "${F_PID:-}" ] && kill -INT "$F_PID" 2>/dev/null && wait "$F_PID"
	cleanup_netns
	cleanup_podman
	remove_cgroups
	true
}

# mkcg PATH: a cgroup below this test's own, its full path in $CG.
mkcg() {
	CG=$CGROOT/$TOP/$1
	mkdir -p "$CG"
}

# in_cg DIR CMD...: runs CMD as a process of cgroup DIR.
in_cg() {
	local dir=$1
	shift
	bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ "$dir" "$@"
}

# remove_cgroups: this test's cgroups, children first, their processes
# killed.
remove_cgroups() {
	[ -n "${TOP:-}" ] && [ -d "$CGROOT/$TOP" ] || return 0
	find "$CGROOT/$TOP" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill 2>/dev/null
	sleep 0.1
	find "$CGROOT/$TOP" -depth -type d -exec rmdir {} + 2>/dev/null || true
}

# curl_in DIR PORT: one fetch of http://127.0.0.1:PORT/ from cgroup DIR;
# curl's pid in CURL_PID.
curl_in() {
	bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ "$1" \
		curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$2/" &
	CURL_PID=$!
	wait "$CURL_PID" || true
}

# jqs [JQ_ARGS...] FILTER: jq over the whole trace as one array; jqf over
# the filtered run's.
jqs() { jq -s -e "$@" "$JSON"; }
jqf() { jq -s -e "$@" "$FJSON"; }

@test "each record names its owner's cgroup and its socket's netns, softirq transitions too" {
	mkcg srv
	SRV=$CG
	mkcg $'cli/q"b\\s'
	CLI=$CG
	start_tracer -j -o "$JSON"
	in_cg "$SRV" python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$BATS_TEST_TMPDIR" \
		>/dev/null 2>&1 3>&- &
	SERVER_PID=$!
	wait_for is_listening "$PORT"
	curl_in "$CLI" "$PORT"
	CLI_PID=$CURL_PID
	run_curl "http://127.0.0.1:$PORT/"
	stop_tracer
	[ "$TRACER_RC" -eq 0 ]

	srv_id=$(stat -c %i "$SRV")
	cli_id=$(stat -c %i "$CLI")
	# The client in the test's cgroup: every record of its sockets.
	jqs --arg p "/$TOP/cli/q\"b\\s" --argjson id "$cli_id" --argjson pid "$CLI_PID" \
		--argjson ns "$HOST_NETNS" '
		[.[] | select(.pid == $pid)] as $c
		| ($c | length) >= 7
		  and ($c | all(.cgroup == $p and .cgroup_id == $id and .container == null and .netns == $ns))'
	# The server's listener and the connections it accepted, the child's
	# SYN_RECV -> ESTABLISHED (softirq) included.
	jqs --arg p "/$TOP/srv" --argjson id "$srv_id" --argjson port "$PORT" '
		[.[] | select(.lport == $port)] as $s
		| ($s | map(select(.old_state == "SYN_RECV" and .new_state == "ESTABLISHED")) | length) == 2
		  and ($s | all(.cgroup == $p and .cgroup_id == $id))'
	# The other curl: this test's own cgroup, not a made one.
	jqs --arg top "/$TOP/" --argjson pid "$CURL_PID" '
		[.[] | select(.pid == $pid) | .cgroup] | length >= 7 and all(startswith($top) | not)'
	# Every cgroup path named exists, by the id it was given with.
	jq -r 'select(.cgroup != null) | [.cgroup_id, .cgroup] | @tsv' "$JSON" | sort -u |
		while IFS=$'\t' read -r id path; do
			path=$(printf '%b' "${path//\\\\/\\}") # @tsv escapes backslashes
			[ "$(stat -c %i "$CGROOT$path")" = "$id" ] || { echo "$path is not $id"; false; }
		done
}

@test "a listener older than the tracer: its new connections have its cgroup before accept()" {
	mkcg old
	in_cg "$CG" python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$BATS_TEST_TMPDIR" \
		>/dev/null 2>&1 3>&- &
	SERVER_PID=$!
	wait_for is_listening "$PORT"
	start_tracer -j -o "$JSON"
	curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/"
	stop_tracer
	jqs --arg p "/$TOP/old" --argjson port "$PORT" '
		[.[] | select(.lport == $port and .event == "state" and .old_state == "LISTEN")] as $s
		| ($s | length) == 1 and ($s | all(.cgroup == $p and .comm == "python3"))'
}

# trace_both ARGS...: an unfiltered trace into $JSON and one with ARGS and
# -v into $FJSON, at once, around the workload function given in $WORK.
trace_both() {
	FJSON=$BATS_TEST_TMPDIR/filtered.json
	"$SOCKTRACE" "${ATTACH_ARGS[@]}" -j -v -o "$FJSON" "$@" 2>"$BATS_TEST_TMPDIR/f.err" 3>&- &
	F_PID=$!
	wait_for grep -q '^socktrace: tracing (' "$BATS_TEST_TMPDIR/f.err"
	start_tracer -j -o "$JSON"
	"$WORK"
	stop_tracer
	kill -INT "$F_PID"
	wait "$F_PID"
	F_PID=
	[ "$TRACER_RC" -eq 0 ]
}

# keys FILE JQ_SELECT: the 4-tuples and events of the records JQ_SELECT keeps.
keys_of() {
	jq -r "select(.event != \"lost\") | select($2) | [.event, .laddr, .lport, .raddr, .rport,
		.old_state // \"\", .new_state // \"\"] | @tsv" "$1" | sort
}

# filtered_is JQ_SELECT: the filtered run holds exactly the unfiltered run's
# records that JQ_SELECT keeps (some), and its kernel side dropped others.
filtered_is() {
	local want
	want=$(keys_of "$JSON" "$1")
	[ -n "$want" ]
	[ "$(keys_of "$FJSON" true)" = "$want" ] || { diff <(echo "$want") <(keys_of "$FJSON" true); false; }
	[ "$(filtered_out_count)" -gt 0 ]
}

# filtered_out_count: what the filtered run's kernel side dropped (-v).
filtered_out_count() {
	sed -nE 's/.*filtered out ([0-9]+).*/\1/p' "$BATS_TEST_TMPDIR/f.err"
}

three_cgroups_work() {
	curl_in "$CGROOT/$TOP/a/b" "$PORT"
	curl_in "$CGROOT/$TOP/c" "$PORT"
	curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/" || true
}

@test "--cgroup=PATH: that cgroup and those below it, nothing else, dropped in the kernel" {
	mkcg a/b
	mkcg c
	start_http_server "$PORT" 127.0.0.1
	WORK=three_cgroups_work
	trace_both --cgroup="/$TOP/a"
	want=$(keys_of "$JSON" "(.cgroup // \"\") | startswith(\"/$TOP/a/\")")
	got=$(keys_of "$FJSON" true)
	[ -n "$want" ]
	[ "$got" = "$want" ] || { diff <(echo "$want") <(echo "$got"); false; }
	jqf --arg p "/$TOP/a/b" 'all(.cgroup == $p)'
	[ "$(filtered_out_count)" -gt 0 ]
	# The full path names the same cgroup.
	trace_both --cgroup="$CGROOT/$TOP/a/b"
	[ "$(keys_of "$FJSON" true | wc -l)" -eq "$(keys_of "$JSON" "(.cgroup // \"\") == \"/$TOP/a/b\"" | wc -l)" ]
}

netns_work() {
	ip netns exec "$NS" curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/" || true
	curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/" || true
}

@test "--netns=PATH|INODE: the sockets of that namespace only; records carry its inode" {
	make_netns cnt
	ip netns exec "$NS" python3 -m http.server "$PORT" --bind 127.0.0.1 \
		--directory "$BATS_TEST_TMPDIR" >/dev/null 2>&1 3>&- &
	wait_for ns_is_listening "$NS" "$PORT"
	start_http_server "$PORT" 127.0.0.1 # the same port on the host
	ns_ino=$(stat -L -c %i "/run/netns/$NS")
	WORK=netns_work
	trace_both --netns="/run/netns/$NS"
	want=$(keys_of "$JSON" ".netns == $ns_ino")
	[ "$(echo "$want" | wc -l)" -ge 8 ] # both ends of the connection, in the namespace
	[ "$(keys_of "$FJSON" true)" = "$want" ]
	jqs --argjson ns "$HOST_NETNS" '[.[] | select(.netns == $ns and .event == "close")] | length >= 2'
	[ "$(filtered_out_count)" -gt 0 ]
	trace_both --netns="$ns_ino" --netns=/proc/self/ns/net
	[ "$(keys_of "$FJSON" true)" = "$(keys_of "$JSON" true)" ] # OR within the option
}

ids_work() {
	curl_in "$CGROOT/$TOP/machine.slice/libpod-$HEX_A.scope/container" "$PORT"
	curl_in "$CGROOT/$TOP/machine.slice/docker-$HEX_B.scope" "$PORT"
	curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/" || true
}

@test "container ids from runtimes' cgroup names; --container takes a unique prefix" {
	mkcg "machine.slice/libpod-$HEX_A.scope/container"
	mkcg "machine.slice/docker-$HEX_B.scope"
	start_http_server "$PORT" 127.0.0.1
	run -2 "$SOCKTRACE" --container=5eed
	[[ "$output" == *"more than one container has this prefix"* ]]
	WORK=ids_work
	trace_both --container="${HEX_A:0:5}"
	jqs --arg a "$HEX_A" --arg b "$HEX_B" '
		([.[] | select(.container == $a)] | length) >= 4
		and ([.[] | select(.container == $b)] | length) >= 4
		and ([.[] | select(.comm == "curl" and .container == null)] | length) >= 4'
	filtered_is ".container == \"$HEX_A\""
}

@test "--containers: text columns; --timeline names the container" {
	mkcg "libpod-$HEX_A.scope"
	start_http_server "$PORT" 127.0.0.1
	start_tracer --containers
	curl_in "$CG" "$PORT"
	stop_tracer
	head -n 1 "$TRACE" | grep -q '^SOCK   PID     COMM             CONTAINER    NETNS      IP LOCAL'
	awk -v c="${HEX_A:0:12}" -v ns="$HOST_NETNS" '$3 == "curl" && $4 == c && $5 == ns' "$TRACE" |
		grep -q CONNECT
	awk '$3 == "python3" && $4 == "-"' "$TRACE" | grep -q ACCEPT

	start_tracer --timeline
	curl_in "$CG" "$PORT"
	stop_tracer
	grep -E "^sock [0-9]+  curl \(pid [0-9]+, container ${HEX_A:0:12}\)  127.0.0.1:[0-9]+ -> 127.0.0.1:$PORT  client" "$TRACE"
}

@test "bad --cgroup, --container and --netns values: exit 2 naming the value" {
	run -2 "$SOCKTRACE" --cgroup="/$TOP/none"
	[[ "$output" == *"--cgroup=/$TOP/none"*"No such file"* ]]
	run -2 "$SOCKTRACE" --cgroup="$CGROOT/$TOP/cgroup.procs"
	[[ "$output" == *"not a cgroup v2 directory"* ]]
	run -2 "$SOCKTRACE" --cgroup=
	[[ "$output" == *"empty value for --cgroup"* ]]
	run -2 "$SOCKTRACE" --container='zz!'
	[[ "$output" == *"--container=zz!: not a container id"* ]]
	run -2 "$SOCKTRACE" --container=fedcba9876
	[[ "$output" == *"--container=fedcba9876: no container with this id"* ]]
	run -2 "$SOCKTRACE" --netns=/etc/hostname
	[[ "$output" == *"not a network namespace file"* ]]
	run -2 "$SOCKTRACE" --netns=/proc/self/ns/uts
	[[ "$output" == *"not a network namespace file"* ]]
	run -2 "$SOCKTRACE" --netns=/run/netns/no-such-ns-$$
	[[ "$output" == *"No such file"* ]]
	run -2 "$SOCKTRACE" --netns=0
	[[ "$output" == *"an inode number is 1.."* ]]
	run -2 "$SOCKTRACE" --netns=4294967296
	[[ "$output" == *"an inode number is 1.."* ]]
}

# Real containers: podman with runc (crun refuses this hybrid host's
# cgroup layout), from a busybox tree the test makes; no image registry.
PODMAN_U=(--ulimit nofile=1024:1024 --ulimit nproc=4096:4096) # raising needs CAP_SYS_RESOURCE

podman_ready() {
	command -v podman >/dev/null || skip "podman is not installed (scripts/deps.sh --test installs it)"
	command -v runc >/dev/null || skip "runc is not installed (scripts/deps.sh --test installs it)"
	local bb
	bb=$(command -v busybox) || skip "busybox is not installed"
	ROOTFS=$BATS_TEST_TMPDIR/rootfs
	mkdir -p "$ROOTFS/bin" "$ROOTFS/www" "$ROOTFS/tmp"
	cp "$bb" "$ROOTFS/bin/busybox"
	echo hello >"$ROOTFS/www/index.html"
	PODS=()
	if ! out=$(pod_run stc-probe-$$ --network none --rootfs "$ROOTFS" /bin/busybox true 2>&1); then
		skip "podman cannot run a container here: $out"
	fi
	podman rm -f stc-probe-$$ >/dev/null 2>&1 || true
}

# pod_run NAME ARGS...: a detached container NAME from $ROOTFS.
pod_run() {
	local name=$1
	shift
	PODS+=("$name")
	podman --runtime runc run -d --name "$name" "${PODMAN_U[@]}" "$@" 2>&1 >/dev/null
}

cleanup_podman() {
	local p
	for p in "${PODS[@]}"; do podman rm -f -t 0 "$p" >/dev/null 2>&1; done
	PODS=()
}

pod_id() { podman inspect -f '{{.Id}}' "$1"; }
pod_pid() { podman inspect -f '{{.State.Pid}}' "$1"; }

pods_work() {
	curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/" || true
	# B lives on a second after its fetch: the cgroup of a container that is
	# gone before socktrace reads the tree has no name (README).
	pod_run "stc-b-$$" --network host --rootfs "$ROOTFS" /bin/busybox sh -c \
		"/bin/busybox wget -q -O /dev/null http://127.0.0.1:$PORT/; /bin/busybox sleep 1"
	podman wait "stc-b-$$" >/dev/null
	pod_run "stc-c-$$" --network none --rootfs "$ROOTFS" /bin/busybox sh -c \
		"/bin/busybox httpd -p 127.0.0.1:8080 -h /www && /bin/busybox wget -q -O /dev/null \
		http://127.0.0.1:8080/ && exec /bin/busybox sleep 60"
	wait_for ip netns identify "$(pod_pid "stc-c-$$")" # running
	sleep 0.5
	C_NETNS=$(stat -L -c %i "/proc/$(pod_pid "stc-c-$$")/ns/net")
}

@test "podman: container ids equal podman inspect's, netns the container's, --container filters" {
	podman_ready
	pod_run "stc-a-$$" --network host --rootfs "$ROOTFS" /bin/busybox httpd -f \
		-p "127.0.0.1:$PORT" -h /www
	wait_for is_listening "$PORT"
	A=$(pod_id "stc-a-$$")
	WORK=pods_work
	trace_both --container="${A:0:12}"
	B=$(pod_id "stc-b-$$")
	C=$(pod_id "stc-c-$$")
	# Server A's side of all three connections to it; B's client; the host's curl.
	jqs --arg a "$A" --argjson port "$PORT" '
		[.[] | select(.lport == $port)] | length >= 6 and all(.container == $a)'
	jqs --arg b "$B" --argjson port "$PORT" '
		[.[] | select(.rport == $port and .comm == "busybox")] | length >= 4 and all(.container == $b)'
	jqs --argjson port "$PORT" '
		[.[] | select(.rport == $port and .comm == "curl")] | length >= 4 and all(.container == null)'
	# C's own server and client, in its own network namespace, softirq
	# transitions included.
	jqs --arg c "$C" --argjson ns "$C_NETNS" '
		[.[] | select(.netns == $ns)] as $s
		| ($s | length) >= 10 and ($s | all(.container == $c))
		  and ($s | map(select(.new_state == "ESTABLISHED")) | length) >= 2'
	# The running containers' cgroups exist where the records say, with
	# their ids (B's went with it).
	jq -r --arg a "$A" --arg c "$C" 'select(.container == $a or .container == $c)
		| [.cgroup_id, .cgroup] | @tsv' "$JSON" | sort -u |
		while IFS=$'\t' read -r id path; do
			[ "$(stat -c %i "$CGROOT$path")" = "$id" ]
		done
	filtered_is ".container == \"$A\""
}

@test "--metrics: connections opened by container, with the container label bounded" {
	mkcg "machine.slice/libpod-$HEX_A.scope"
	A_CG=$CG
	mkcg "machine.slice/docker-$HEX_B.scope"
	B_CG=$CG
	start_http_server "$PORT" 127.0.0.1
	MPORT=$(free_port)
	start_tracer --metrics="$MPORT" --metrics-top=1 -P "$PORT" # not the scrape's own connection
	curl_in "$A_CG" "$PORT"
	curl_in "$A_CG" "$PORT"
	curl_in "$B_CG" "$PORT"
	run_curl "http://127.0.0.1:$PORT/"
	sleep 0.3
	scrape=$(curl -s "http://127.0.0.1:$MPORT/metrics")
	stop_tracer
	name=socktrace_container_connections_opened_total
	grep -qx "$name{direction=\"connect\",container=\"$HEX_A\"} 2" <<<"$scrape"
	grep -qx "$name{direction=\"connect\",container=\"other\"} 1" <<<"$scrape" # B: past the bound
	# The host's curl, and the server's accepts, are in no container.
	grep -qx "$name{direction=\"connect\",container=\"none\"} 1" <<<"$scrape"
	grep -qx "$name{direction=\"accept\",container=\"none\"} 4" <<<"$scrape"
	! grep -q "$HEX_B" <<<"$scrape"
	if command -v promtool >/dev/null; then
		promtool check metrics <<<"$scrape"
	fi
}
