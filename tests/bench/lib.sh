# shellcheck shell=bash
# Shared by the bench scripts; source it.

# wait_ready PID ERRFILE MARK: until the tracer PID has written MARK to its
# stderr (ERRFILE); with an empty MARK (a tool that says nothing once
# attached), one second. Exits 1 with its stderr if it dies or takes over
# 10 s.
wait_ready() {
	local pid=$1 err=$2 mark=$3
	if [ -z "$mark" ]; then
		sleep 1
		return
	fi
	for _ in $(seq 1000); do
		grep -qF "$mark" "$err" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	echo "bench: tracer did not start:" >&2
	cat "$err" >&2
	exit 1
}

# Put before loadgen's command: runs it in a network namespace made for that
# run (loopback up, no TIME_WAIT sockets: net.ipv4.tcp_max_tw_buckets=0 there;
# gone when loadgen exits), so that every run starts from the same state and
# its own cost does not depend on how fast it goes.
#
# In the host's namespace (NETNS=0) the same load runs in two regimes, and
# which one each run of a side-by-side pair got was chance. Below the host's
# tcp_max_tw_buckets (131072 here) the client's closes leave TIME_WAITs and
# connect() searches among them for a port whose TIME_WAIT is a second old:
# loadgen -n 30000 makes about 14k connections/s, and the search is 11% of
# its CPU samples. That search is longer the faster the load went in the
# last second, so a tracer that slows the load also makes its connects
# cheaper, and hides part of its own cost (in a namespace of its own that
# kept TIME_WAIT, -j's traced run had 5% of all samples fewer in
# __inet_hash_connect, __inet_check_established and tcp_twsk_unique than the
# untraced one, and a ratio of 0.98 though the tracer's CPU share was 12%). Once a minute of runs has filled the table (nine runs,
# about 20 s, so most of a make bench run), closes skip TIME_WAIT, there is
# no search, and the load makes 18k-24k connections/s. That is the regime
# this runs every load in (26k connections/s in a namespace of its own): the
# tracer's whole cost is in the ratio, and tcpstates measures 0.38 in it, as
# in the figures.
# shellcheck disable=SC2034 # used by the scripts that source this
if [ "${NETNS:-1}" = 0 ]; then
	LOADGEN_NETNS=()
else
	LOADGEN_NETNS=(unshare --net -- sh -c
		'ip link set lo up && sysctl -qw net.ipv4.tcp_max_tw_buckets=0 && exec "$@"' loadgen)
fi
