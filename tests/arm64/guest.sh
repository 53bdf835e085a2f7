#!/bin/sh
# PID 1 of the arm64 VM (busybox, from an initramfs that holds the arm64
# socktrace and the libraries it links). Traces a busybox httpd and wget
# pair once per attach method given on the kernel command line, with
# --metrics scraped once before the stop,
# (sockarm.methods=auto,kprobe,tracepoint/ringbuf,...: METHOD[/EVENTS]) and prints each run's JSON and stderr to
# the console between "@@begin NAME" and "@@end NAME" lines, which
# tests/arm64/run.sh cuts out for tests/arm64/smoke.bats to check on the host.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
ip link set lo up

methods=auto
for a in $(cat /proc/cmdline); do
	case "$a" in sockarm.methods=*) methods=${a#sockarm.methods=} ;; esac
done

section() { # NAME FILE
	echo "@@begin $1"
	cat "$2"
	echo "@@end $1"
}

mkdir -p /www
echo "hello from arm64" >/www/index.html
uname -m >/tmp/uname
section uname /tmp/uname
socktrace --list-attach >/tmp/plan 2>&1
echo "rc=$?" >>/tmp/plan
section list-attach /tmp/plan

for run in $(echo "$methods" | tr , ' '); do
	# METHOD or METHOD/EVENTS; its files are named METHOD or METHOD_EVENTS.
	m=$(echo "$run" | tr / _)
	attach=${run%%/*}
	events=auto
	case "$run" in */*) events=${run#*/} ;; esac
	socktrace -j --attach="$attach" --events="$events" -o "/tmp/$m.json" --metrics=9464 \
		2>"/tmp/$m.err" &
	tracer=$!
	i=0
	while ! grep -q "tracing" "/tmp/$m.err" && [ $i -lt 600 ] && kill -0 $tracer 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	# The server starts after the tracer, so that its accept() calls begin
	# once the hooks are attached (fexit and kretprobe see only those).
	httpd -f -p 127.0.0.1:8080 -h /www &
	server=$!
	sleep 0.5
	wget -q -O /tmp/page http://127.0.0.1:8080/index.html
	echo "wget=$?" >>"/tmp/$m.err"
	wget -q -O /dev/null http://127.0.0.1:8081/ 2>/dev/null
	echo "refused=$?" >>"/tmp/$m.err"
	sleep 0.5
	wget -q -O "/tmp/$m.metrics" http://127.0.0.1:9464/metrics
	echo "scrape=$?" >>"/tmp/$m.err"
	kill -INT $tracer
	wait $tracer
	echo "rc=$?" >>"/tmp/$m.err"
	kill $server
	wait $server 2>/dev/null
	echo "httpd=$server wget-page=$(cat /tmp/page)" >>"/tmp/$m.err"
	section "$m.json" "/tmp/$m.json"
	section "$m.err" "/tmp/$m.err"
	section "$m.metrics" "/tmp/$m.metrics"
done
echo "@@done"
poweroff -f
