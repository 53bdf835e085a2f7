#!/usr/bin/env bash
# Prepares a private apt configuration for one Debian suite, so that the VM
# tests can fetch that suite's kernels without touching the host's apt
# state (its sources, lists, cache and dpkg status stay as they are).
#   tests/vm/suite-apt.sh DIR SUITE [ARCH]
# ARCH (a dpkg architecture, e.g. arm64; default this machine's) is what
# apt-get download fetches: another one gets its own DIR/SUITE-ARCH.
# Prints the configuration file to use as APT_CONFIG. The mirror is the one
# this machine's apt sources use for Debian (read here, at run time); the
# archive keys are the host's debian-archive-keyring. Package lists are
# fetched once a day into DIR/SUITE/lists.
set -euo pipefail

usage="usage: tests/vm/suite-apt.sh DIR SUITE [ARCH]"
suite=${2:?$usage}
host_arch=$(dpkg --print-architecture)
arch=${3:-$host_arch}
dir=${1:?$usage}/$suite
[ "$arch" = "$host_arch" ] || dir=$dir-$arch
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

die() {
	echo "suite-apt: $*" >&2
	exit 1
}

# The Debian mirror of the host's apt sources: the first URI of a deb822
# stanza or a one-line entry whose path ends in /debian.
mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f"
	done
	{ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\/.*\/debian\/?$/) { print $i; exit } }'
}

[ -f "$keyring" ] || die "$keyring missing (debian-archive-keyring)"
uri=$(mirror | head -1 || true)
[ -n "$uri" ] || die "no Debian mirror in /etc/apt/sources.list*"
mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/parts"
echo "deb [arch=$arch signed-by=$keyring] $uri $suite main" >"$dir/sources.list"
cat >"$dir/apt.conf" <<CONF
Dir::Etc::SourceList "$dir/sources.list";
Dir::Etc::SourceParts "$dir/parts";
Dir::State::Lists "$dir/lists";
Dir::Cache "$dir/cache";
Dir::State::status "/dev/null";
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
APT::Sandbox::User "root";
CONF
if [ -z "$(find "$dir/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 -print -quit)" ]; then
	APT_CONFIG=$dir/apt.conf apt-get update -qq >&2 || die "apt-get update of $suite from $uri failed"
fi
echo "$dir/apt.conf"
