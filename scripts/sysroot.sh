#!/usr/bin/env bash
# Makes a sysroot to cross-build socktrace for another architecture: the
# target's C library, kernel headers, libgcc, libbpf, libelf, zlib and zstd,
# libmicrohttpd and the libraries it needs (gnutls and its own)
# as Debian packs them, extracted from their .debs into DIR (nothing is
# installed into this machine's dpkg). The packages come from this
# machine's own Debian suite and mirror, through a private apt
# configuration (tests/vm/suite-apt.sh).
#   scripts/sysroot.sh ARCH DIR     (ARCH: a dpkg architecture, e.g. arm64)
# Idempotent: DIR/.complete marks a finished sysroot (and lists its packages).
set -euo pipefail

arch=${1:?usage: scripts/sysroot.sh ARCH DIR}
dir=${2:?usage: scripts/sysroot.sh ARCH DIR}
here=$(cd "$(dirname "$0")" && pwd)
pkgs=(libc6 libc6-dev linux-libc-dev libgcc-s1 libgcc-12-dev libbpf1 libbpf-dev
	libelf1 libelf-dev zlib1g zlib1g-dev libzstd1 libzstd-dev
	libmicrohttpd12 libmicrohttpd-dev libgnutls30 libgmp10 libhogweed6 libidn2-0 libnettle8
	libp11-kit0 libtasn1-6 libunistring2 libffi8)

die() {
	echo "sysroot: $*" >&2
	exit 1
}

# A sysroot made with another package list is made again.
[ "$(cat "$dir/.complete" 2>/dev/null)" = "${pkgs[*]}" ] && exit 0
# shellcheck disable=SC1091
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$suite" ] || die "/etc/os-release names no Debian suite (VERSION_CODENAME)"
APT_CONFIG=$("$here/../tests/vm/suite-apt.sh" "$dir.apt" "$suite" "$arch") ||
	die "no apt configuration for $suite on $arch"
export APT_CONFIG
rm -rf "$dir.debs"
mkdir -p "$dir.debs"
echo "sysroot: fetching ${pkgs[*]} ($suite, $arch)" >&2
(cd "$dir.debs" && apt-get download -q "${pkgs[@]/%/:$arch}" >&2) ||
	die "cannot download the $arch packages"
rm -rf "$dir"
mkdir -p "$dir"
for deb in "$dir.debs"/*.deb; do
	dpkg-deb -x "$deb" "$dir"
done
# The .so links of the -dev packages are absolute (/lib/...); in a sysroot
# they must point inside it.
find "$dir" -type l -lname '/*' | while read -r link; do
	ln -sfn "$dir$(readlink "$link")" "$link"
done
echo "${pkgs[*]}" >"$dir/.complete"
