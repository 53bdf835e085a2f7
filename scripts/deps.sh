#!/usr/bin/env bash
# Installs what socktrace needs to build (and, with --test, to run its tests,
# including the VM suite of tests/vm; with --bench, to compare it with
# libbpf-tools) on Debian 12, skipping
# packages that are already installed. Idempotent.
set -euo pipefail

build_pkgs=(make gcc clang llvm pkg-config libbpf-dev libelf-dev zlib1g-dev bpftool)
test_pkgs=(bats jq curl python3 iproute2 util-linux procps nftables iptables
	libnetfilter-queue-dev iputils-ping libclang-rt-dev
	qemu-system-x86 busybox-static kmod cpio xz-utils zstd debian-archive-keyring)

bench_pkgs=(libbpf-tools coreutils gawk linux-perf iproute2 util-linux procps)

want=("${build_pkgs[@]}")
case "${1:-}" in
--test) want+=("${test_pkgs[@]}") ;;
--bench) want+=("${bench_pkgs[@]}") ;;
esac

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
