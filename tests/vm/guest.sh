#!/bin/bash
# PID 1 of the test VM once the host's root is mounted (see tests/vm/init):
# mounts what a booted Debian would, runs the command tests/vm/run.sh left
# in BUILD/vm/cmd.sh, stores its exit status beside it and powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp/root LANG=C.UTF-8

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
for d in /tmp /run /var/tmp; do mount -t tmpfs tmpfs "$d"; done
mkdir -p "$HOME" /run/lock
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ip link set lo up

repo= vmdir=
for a in $(</proc/cmdline); do
	case "$a" in
	sockvm.repo=*) repo=${a#sockvm.repo=} ;;
	sockvm.dir=*) vmdir=${a#sockvm.dir=} ;;
	esac
done
# The checkout, read-write at its own path (under a tmpfs above if need be).
mkdir -p "$repo"
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 checkout "$repo"; then
	echo "vm-guest: cannot mount the checkout over 9p"
	echo o >/proc/sysrq-trigger
fi
# Modules come from the extracted kernel package, through a wrapper the
# kernel and iptables both call (/lib/modules of the host is not this kernel's).
echo "$vmdir/modprobe" >/proc/sys/kernel/modprobe

bash "$vmdir/cmd.sh"
echo "$?" >"$vmdir/status"
sync
echo o >/proc/sysrq-trigger
sleep 10
