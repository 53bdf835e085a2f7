#!/usr/bin/env bash
# Installs what socktrace needs to build (and, with --test, to run its tests,
# including the VM suites of tests/vm and tests/arm64; with --bench, to
# compare it with libbpf-tools; with --cross, to cross-build: make
# ARCH=arm64) on Debian 12, skipping packages that are already installed.
# Idempotent. On other distributions it names the packages to install and
# exits 1.
set -euo pipefail

build_pkgs=(make gcc clang llvm pkg-config libbpf-dev libelf-dev zlib1g-dev bpftool libmicrohttpd-dev)
test_pkgs=(bats jq curl python3 iproute2 util-linux procps nftables iptables
	libnetfilter-queue-dev iputils-ping libclang-rt-dev
	qemu-system-x86 qemu-system-arm busybox-static kmod cpio xz-utils zstd debian-archive-keyring lld man-db prometheus
	podman runc)

bench_pkgs=(libbpf-tools coreutils gawk linux-perf iproute2 util-linux procps)
# The target's libraries come from scripts/sysroot.sh, not from here.
cross_pkgs=(lld debian-archive-keyring)

# The same, by name, for distributions this script does not install on
# (untested: Debian and Ubuntu are the tested path).
fedora_build="make gcc clang llvm pkgconf-pkg-config libbpf-devel elfutils-libelf-devel zlib-devel bpftool libmicrohttpd-devel"
fedora_test="bats jq curl python3 iproute util-linux procps-ng nftables iptables-nft
	libnetfilter_queue-devel iputils compiler-rt qemu-system-x86 qemu-system-aarch64 lld busybox
	kmod cpio xz zstd man-db prometheus podman runc"
arch_build="make gcc clang llvm pkgconf libbpf libelf zlib bpf libmicrohttpd"
arch_test="bash-bats jq curl python iproute2 util-linux procps-ng nftables iptables
	libnetfilter_queue iputils compiler-rt qemu-system-x86 qemu-system-aarch64 lld busybox
	kmod cpio xz zstd man-db prometheus podman runc"

# debian_like: /etc/os-release (SOCKTRACE_OS_RELEASE: another file, for
# the tests) names Debian or Ubuntu, or a distribution derived from them.
debian_like() {
	local ID="" ID_LIKE=""
	# shellcheck disable=SC1090
	. "${SOCKTRACE_OS_RELEASE:-/etc/os-release}" 2>/dev/null || return 1
	[[ " $ID $ID_LIKE " == *" debian "* || " $ID $ID_LIKE " == *" ubuntu "* ]]
}

# not_debian: what to install on this distribution, by hand; exit 1.
not_debian() {
	local ID="" ID_LIKE="" PRETTY_NAME=""
	# shellcheck disable=SC1090
	. "${SOCKTRACE_OS_RELEASE:-/etc/os-release}" 2>/dev/null || true
	{
		echo "deps: ${PRETTY_NAME:-this system} is not Debian or Ubuntu; this script installs"
		echo "deps: with apt only. Install these yourself, then run make again:"
		case " $ID $ID_LIKE " in
		*" fedora "* | *" rhel "* | *" centos "*)
			echo "  dnf install $fedora_build"
			[ "${1:-}" != --test ] || echo "  dnf install" $fedora_test
			;;
		*" arch "*)
			echo "  pacman -S $arch_build"
			[ "${1:-}" != --test ] || echo "  pacman -S" $arch_test
			;;
		*)
			echo "  build: clang and llvm, gcc, make, pkg-config, libbpf (1.1 or later), libelf,"
			echo "         zlib and bpftool, with their development headers"
			[ "${1:-}" != --test ] ||
				echo "  tests: bats, jq, curl, python3, iproute2, nftables, libnetfilter_queue, qemu"
			;;
		esac
		[ "${1:-}" != --bench ] || echo "  bench: libbpf-tools' tcpstates and tcplife, perf, gawk"
	} >&2
	exit 1
}

want=("${build_pkgs[@]}")
case "${1:-}" in
--test) want+=("${test_pkgs[@]}") ;;
--bench) want+=("${bench_pkgs[@]}") ;;
--cross) want+=("${cross_pkgs[@]}") ;;
esac

debian_like || not_debian "${1:-}"

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run 'make deps' as root to install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
