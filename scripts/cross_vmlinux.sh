#!/usr/bin/env bash
# Regenerates vmlinux.h for another architecture from Debian's kernel for
# it, without booting it: the kernel package of this machine's Debian suite
# for ARCH (fetched through a private apt configuration, tests/vm/suite-apt.sh),
# its image's BTF cut out (scripts/image_btf.py) and dumped as C by bpftool.
#   scripts/cross_vmlinux.sh ARCH OUT     (ARCH: a dpkg architecture, e.g. arm64)
# WORK (default /tmp/socktrace-vmlinux-ARCH) keeps the download.
set -euo pipefail

arch=${1:?usage: scripts/cross_vmlinux.sh ARCH OUT}
out=${2:?usage: scripts/cross_vmlinux.sh ARCH OUT}
here=$(cd "$(dirname "$0")" && pwd)
work=${WORK:-/tmp/socktrace-vmlinux-$arch}

die() {
	echo "cross_vmlinux: $*" >&2
	exit 1
}

# shellcheck disable=SC1091
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$suite" ] || die "/etc/os-release names no Debian suite (VERSION_CODENAME)"
APT_CONFIG=$("$here/../tests/vm/suite-apt.sh" "$work/apt" "$suite" "$arch") ||
	die "no apt configuration for $suite on $arch"
export APT_CONFIG
pkg=$(apt-cache depends "linux-image-$arch" |
	awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
[ -n "$pkg" ] || die "apt does not know linux-image-$arch in $suite"
mkdir -p "$work/debs"
(cd "$work/debs" && apt-get download -q "$pkg-unsigned:$arch" >&2) ||
	die "cannot download $pkg-unsigned"
deb=$(ls "$work/debs/$pkg"-unsigned_*.deb | tail -1)
rm -rf "$work/boot"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" ./boot
image=$(ls "$work"/boot/vmlinuz-*)
# Some architectures ship the image compressed.
if gzip -t "$image" 2>/dev/null; then
	gzip -dc "$image" >"$work/Image"
	image=$work/Image
fi
"$here/image_btf.py" "$image" "$work/btf.raw"
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$work/btf.raw" format c >"$out.tmp"
mv "$out.tmp" "$out"
echo "cross_vmlinux: $out from $(basename "$deb")" >&2
