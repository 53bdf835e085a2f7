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
