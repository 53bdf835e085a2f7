#!/usr/bin/env bash
# Boots Debian's arm64 kernel under QEMU TCG with an arm64 userland made
# here (busybox-static and the libraries of the cross-built socktrace, from
# Debian's arm64 packages through a private apt configuration), runs
# tests/arm64/guest.sh in it once, and checks what it traced with
# tests/arm64/smoke.bats on this machine.
#   tests/arm64/run.sh ARM64_BUILD_DIR       (make ARCH=arm64's, with its sysroot)
# ARM64_METHODS (default auto,kprobe,tracepoint,auto/ringbuf,kprobe/perfbuf:
# METHOD[/EVENTS]) are the runs in the VM. E2E_TRACED, when set, gets what
# each passing run traced with (for README's Supported kernels table).
# Prints bats' TAP and ends with "arm64-KERNEL: N passed, M failed, K skipped"
# (the guest's console is kept in ARM64_BUILD_DIR/vm/console.log). Exit status: 0 when all passed;
# 1 if a test failed; 125 if the VM could not be prepared or booted.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: tests/arm64/run.sh ARM64_BUILD_DIR}" && pwd)
sysroot=$build/sysroot
vmdir=$build/vm
methods=${ARM64_METHODS:-auto,kprobe,tracepoint,auto/ringbuf,kprobe/perfbuf}

die() {
	echo "arm64: $*" >&2
	exit 125
}

[ -x "$build/socktrace" ] || die "$build/socktrace missing (make ARCH=arm64)"
[ -f "$sysroot/.complete" ] || die "no sysroot in $sysroot (make ARCH=arm64)"
command -v qemu-system-aarch64 >/dev/null || die "qemu-system-aarch64 missing (scripts/deps.sh --test)"

# shellcheck disable=SC1091
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
APT_CONFIG=$("$here/../vm/suite-apt.sh" "$vmdir/apt" "$suite" arm64) || die "no apt configuration"
export APT_CONFIG

# fetch PKG: the newest PKG:arm64 .deb in $vmdir/debs (downloaded once).
fetch() {
	local deb
	mkdir -p "$vmdir/debs"
	deb=$(ls "$vmdir/debs/$1"_*_arm64.deb 2>/dev/null | tail -1 || true)
	if [ -z "$deb" ]; then
		echo "arm64: downloading $1" >&2
		(cd "$vmdir/debs" && apt-get download -q "$1:arm64" >&2) || die "cannot download $1:arm64"
		deb=$(ls "$vmdir/debs/$1"_*_arm64.deb | tail -1)
	fi
	echo "$deb"
}

pkg=$(apt-cache depends linux-image-arm64 |
	awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
[ -n "$pkg" ] || die "apt does not know linux-image-arm64 in $suite"
kver=${pkg#linux-image-}
kroot=$vmdir/kernel-$kver
if [ ! -f "$kroot/.complete" ]; then
	rm -rf "$kroot"
	mkdir -p "$kroot"
	dpkg-deb --fsys-tarfile "$(fetch "$pkg-unsigned")" | tar -x -C "$kroot" ./boot
	touch "$kroot/.complete"
fi

# needed FILE: the shared libraries FILE needs, by name (readelf, any arch).
needed() {
	LC_ALL=C readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}

# The initramfs: busybox with its applets, socktrace, the libraries it
# needs (found in the sysroot, followed to their files), guest.sh as /init.
root=$vmdir/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,lib/aarch64-linux-gnu}
dpkg-deb --fsys-tarfile "$(fetch busybox-static)" | tar -x -O ./bin/busybox >"$root/bin/busybox"
chmod +x "$root/bin/busybox"
for a in sh mount ip cat grep sleep kill tr wget httpd poweroff echo uname; do
	ln -s busybox "$root/bin/$a"
done
cp "$build/socktrace" "$root/bin/socktrace"
todo=$(needed "$build/socktrace")
done_libs=" "
while [ -n "$todo" ]; do
	set -- $todo
	todo=
	for lib; do
		case "$done_libs" in *" $lib "*) continue ;; esac
		done_libs="$done_libs$lib "
		f=$(find "$sysroot/lib/aarch64-linux-gnu" "$sysroot/usr/lib/aarch64-linux-gnu" \
			-maxdepth 1 -name "$lib" 2>/dev/null | head -1)
		[ -n "$f" ] || die "$lib (needed by socktrace) is not in the sysroot"
		cp -L "$f" "$root/lib/aarch64-linux-gnu/$lib"
		todo="$todo $(needed "$f")"
	done
done
cp -L "$sysroot/lib/ld-linux-aarch64.so.1" "$root/lib/ld-linux-aarch64.so.1"
cp "$here/guest.sh" "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$vmdir/initramfs.cgz"

echo "arm64: booting $kver under QEMU TCG (2 vCPUs): $methods" >&2
log=$vmdir/console.log
rc=0
timeout "${VM_TIMEOUT:-900}" qemu-system-aarch64 \
	-M virt -cpu max,pauth-impdef=on -smp 2 -m 1024 \
	-nographic -no-reboot -nic none -serial mon:stdio -monitor none \
	-kernel "$kroot/boot/vmlinuz-$kver" -initrd "$vmdir/initramfs.cgz" \
	-append "console=ttyAMA0 quiet loglevel=3 panic=-1 rdinit=/init sockarm.methods=$methods" \
	</dev/null | tr -d '\r' >"$log" || rc=$?
if [ "$rc" -eq 124 ] || ! grep -q '^@@done' "$log"; then
	tail -n 40 "$log" >&2
	die "the guest did not finish (qemu exit $rc); its console: $log"
fi

# Each "@@begin NAME" ... "@@end NAME" section into $vmdir/out/NAME.
out=$vmdir/out
rm -rf "$out"
mkdir -p "$out"
awk -v out="$out" '
	/^@@begin / { name = $2; file = out "/" name; printf "" > file; next }
	/^@@end / { close(file); name = ""; next }
	name != "" { print >> file }' "$log"

label="arm64-${kver%-arm64}"
ARM64_OUT=$out ARM64_METHODS=$methods E2E_TRACED=${E2E_TRACED:-} bats --tap "$here/smoke.bats" | tee "$vmdir/tap" || true
read -r passed failed skipped < <(awk '
	/^ok / { if ($0 ~ / # skip/) s++; else p++ } /^not ok / { f++ }
	END { print p + 0, f + 0, s + 0 }' "$vmdir/tap")
echo "$label: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
