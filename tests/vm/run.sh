#!/usr/bin/env bash
# Runs a command inside a VM booted with a stock Debian kernel under QEMU's
# TCG, with this machine's / shared read-only and the checkout read-write at
# its own path, so the guest uses the binaries just built and the tools
# installed here. The kernel: the one linux-image-amd64 depends on, or
# VM_KERNEL (e.g. 6.1.0-50-amd64), as linux-image-KVER-unsigned from this
# machine's apt sources, or with VM_SUITE (bullseye, trixie,
# bookworm-backports, ...) from that Debian suite, through a private apt
# configuration (tests/vm/suite-apt.sh) that leaves the host's apt alone.
#   tests/vm/run.sh BUILD_DIR COMMAND [ARG...]
# COMMAND runs from the checkout's top. Its console output is shown here.
# Exit status: the command's; 125 if the VM could not be prepared or booted,
# 124 if it did not finish within VM_TIMEOUT seconds (default 4500), 123
# if the guest kernel locked up (see softlockup_panic below).
# The kernel package, its extracted tree and the initramfs are cached in
# BUILD_DIR/vm.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: tests/vm/run.sh BUILD_DIR COMMAND [ARG...]}" && pwd)
shift
[ $# -gt 0 ] || { echo "vm: no command given" >&2; exit 125; }
vmdir=$build/vm

die() {
	echo "vm: $*" >&2
	exit 125
}

case "$repo$vmdir" in *[[:space:]]*) die "paths with spaces are not supported: $repo" ;; esac
[ "$(uname -m)" = x86_64 ] || die "only x86_64 hosts are supported"

# Built as modules in Debian's -amd64 flavour; loaded in this order by init.
# Those in ko_optional do not exist in every kernel (5.10 has neither the
# split virtio_pci helpers nor netfs).
ko_order=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	netfs fscache 9pnet 9pnet_virtio 9p)
ko_optional=" virtio_pci_modern_dev virtio_pci_legacy_dev netfs fscache "

# With VM_SUITE, apt runs on that suite's private configuration.
if [ -n "${VM_SUITE:-}" ]; then
	APT_CONFIG=$("$here/suite-apt.sh" "$vmdir/apt" "$VM_SUITE") || die "no apt configuration for $VM_SUITE"
	export APT_CONFIG
	vmdir=$vmdir/$VM_SUITE
fi

kernel_package() {
	local pkg
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	if [ -z "$pkg" ] && [ -z "${VM_SUITE:-}" ]; then
		apt-get update -qq >&2
		pkg=$(apt-cache depends linux-image-amd64 |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	fi
	[ -n "$pkg" ] || die "apt does not know linux-image-amd64${VM_SUITE:+ in $VM_SUITE}"
	echo "$pkg"
}

# fetch_kernel KVER: extracts linux-image-KVER-unsigned into $vmdir/kernel-KVER.
fetch_kernel() {
	local kver=$1 kroot=$vmdir/kernel-$1 deb
	[ -f "$kroot/.complete" ] && return 0
	mkdir -p "$vmdir/cache"
	deb=$(ls "$vmdir/cache"/linux-image-"$kver"-unsigned_*.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		echo "vm: downloading linux-image-$kver-unsigned" >&2
		(cd "$vmdir/cache" && apt-get download -q "linux-image-$kver-unsigned" >&2 2>/dev/null) ||
			(apt-get update -qq && cd "$vmdir/cache" &&
				apt-get download -q "linux-image-$kver-unsigned" >&2) ||
			die "cannot download linux-image-$kver-unsigned"
		deb=$(ls "$vmdir/cache"/linux-image-"$kver"-unsigned_*.deb | head -1)
	fi
	rm -rf "$kroot"
	dpkg-deb -x "$deb" "$kroot"
	# A merged-/usr package (trixie on) has its modules in usr/lib.
	[ -d "$kroot/lib/modules" ] || ln -s usr/lib "$kroot/lib"
	depmod -b "$kroot" "$kver"
	touch "$kroot/.complete"
}

# build_initramfs KVER: busybox, the 9p modules and tests/vm/init.
build_initramfs() {
	local kver=$1 kroot=$vmdir/kernel-$1 dir=$vmdir/initramfs m ko
	rm -rf "$dir"
	mkdir -p "$dir"/{bin,mods,proc,dev,sys,newroot}
	cp /bin/busybox "$dir/bin/busybox"
	for a in sh mount umount insmod mkdir cat poweroff switch_root; do
		ln -s busybox "$dir/bin/$a"
	done
	: >"$dir/mods/order"
	for m in "${ko_order[@]}"; do
		ko=$(find "$kroot/lib/modules/$kver/" -name "$m.ko" -o -name "$m.ko.xz" -o \
			-name "$m.ko.zst" | head -1)
		if [ -z "$ko" ]; then
			grep -q "/$m.ko\$" "$kroot/lib/modules/$kver/modules.builtin" ||
				[[ "$ko_optional" == *" $m "* ]] ||
				die "module $m is neither in the package nor built in"
			continue
		fi
		# busybox insmod takes plain modules only.
		case "$ko" in
		*.xz) xz -dc "$ko" >"$dir/mods/$m.ko" ;;
		*.zst) zstd -qdc "$ko" >"$dir/mods/$m.ko" ;;
		*) cp "$ko" "$dir/mods/$m.ko" ;;
		esac
		echo "$m" >>"$dir/mods/order"
	done
	cp "$here/init" "$dir/init"
	(cd "$dir" && find . | cpio -o -H newc --quiet) | gzip -1 >"$vmdir/initramfs-$kver.cgz"
}

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (scripts/deps.sh --test)"
[ -x /bin/busybox ] || die "/bin/busybox missing (busybox-static)"
mkdir -p "$vmdir"
if [ -n "${VM_KERNEL:-}" ]; then
	kver=$VM_KERNEL
else
	pkg=$(kernel_package)
	kver=${pkg#linux-image-}
fi
fetch_kernel "$kver"
build_initramfs "$kver"

printf '#!/bin/sh\nexec /usr/sbin/modprobe -d %s "$@"\n' "$vmdir/kernel-$kver" >"$vmdir/modprobe"
chmod +x "$vmdir/modprobe"
{
	printf 'cd %q || exit 125\n' "$repo"
	printf '%q ' "$@"
	echo
} >"$vmdir/cmd.sh"
rm -f "$vmdir/status"

echo "vm: booting $kver under QEMU TCG (2 vCPUs)" >&2
limit=${VM_TIMEOUT:-4500}
# softlockup_panic: a guest whose CPUs lock up (seen twice in Debian 11's
# 5.10 under TCG, both vCPUs spinning at a syscall's exit while a syscalls:*
# tracepoint was being enabled) panics at once instead of waiting out the
# timeout; its console says so and the exit status is 123.
set +e
timeout "$limit" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max -smp 2 -m 2048 \
	-nographic -no-reboot -nic none -serial mon:stdio -monitor none \
	-kernel "$vmdir/kernel-$kver/boot/vmlinuz-$kver" -initrd "$vmdir/initramfs-$kver.cgz" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 softlockup_panic=1 sockvm.repo=$repo sockvm.dir=$vmdir" \
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
	-virtfs "local,path=$repo,mount_tag=checkout,security_model=none,multidevs=remap" \
	</dev/null | tee "$vmdir/console.log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 124 ] && { echo "vm: timed out after ${limit}s" >&2; exit 124; }
if grep -qa 'soft lockup' "$vmdir/console.log"; then
	echo "vm: the guest kernel locked up (soft lockup) and panicked" >&2
	exit 123
fi
[ -s "$vmdir/status" ] || die "the guest did not report an exit status (qemu exit $rc)"
exit "$(cat "$vmdir/status")"
