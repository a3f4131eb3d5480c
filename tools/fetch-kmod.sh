#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch the kmod 34.2 source (Debian trixie's orig tarball), verify it against
# a pinned sha256 and unpack it into .cache/kmod-34.2/ (or the directory given
# as $1).  Idempotent: a stamp file records the verified unpack.
#
# The Debian mirror is taken from $DEBIAN_MIRROR or, failing that, from the
# Debian archive this machine's apt is already configured with (read only:
# the system's apt sources are never changed).
#
# Two ways to get the tarball, tried in order:
#   1. the pool file, by apt-helper (curl/wget if apt-helper is missing);
#   2. `apt-get source --download-only kmod/trixie` with a private apt
#      configuration (own sources.list, lists and cache in a temp directory).
#      Debian's .dsc may answer 404 there; that is accepted as long as the orig
#      tarball arrives and matches the pinned sha256.
#
# Not needed when the Makefile is pointed at an existing tree with KMOD_SRC=.
set -euo pipefail

readonly KMOD_VERSION=34.2
readonly SUITE=trixie
readonly TARBALL=kmod_${KMOD_VERSION}.orig.tar.xz
# sha256 of kmod_34.2.orig.tar.xz, as listed in trixie's (signed) Sources index.
readonly SHA256=012d16e2099115486d8aa9f2c2a23d058d3d0cad83113a60512647d25d3869e8

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_dir=$repo_root/.cache
dest=${1:-$cache_dir/kmod-$KMOD_VERSION}
stamp=$dest/.fetch-kmod.stamp
tarball=$cache_dir/$TARBALL

log() { printf 'fetch-kmod: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

sha_ok() {
	[[ -f $1 ]] || return 1
	local sum
	sum=$(sha256sum "$1") || return 1
	[[ ${sum%% *} == "$SHA256" ]]
}

# Already unpacked from the verified tarball?
if [[ -f $stamp && -f $dest/libkmod/libkmod.c ]] &&
	[[ $(<"$stamp") == "$SHA256" ]]; then
	exit 0
fi

debian_mirror() {
	if [[ -n ${DEBIAN_MIRROR:-} ]]; then
		printf '%s\n' "${DEBIAN_MIRROR%/}"
		return 0
	fi
	local uri
	uri=$( {
		apt-get indextargets --format "\$(REPO_URI)" 'Label: Debian' 2>/dev/null
		apt-get indextargets --format "\$(REPO_URI)" 2>/dev/null | grep -E '/debian/?$'
	} | head -n 1) || true
	[[ -n $uri ]] || return 1
	printf '%s\n' "${uri%/}"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt drops privileges to _apt when run as root: let it write here.
chmod 0777 "$tmp"

download_pool() {
	local url=$1/pool/main/k/kmod/$TARBALL out=$tmp/pool/$TARBALL
	mkdir -p "$tmp/pool"
	chmod 0777 "$tmp/pool"
	log "downloading $url"
	if [[ -x /usr/lib/apt/apt-helper ]]; then
		/usr/lib/apt/apt-helper download-file "$url" "$out" "SHA256:$SHA256" >&2 || return 1
	elif command -v curl >/dev/null; then
		curl -fsSL --retry 3 -o "$out" "$url" || return 1
	elif command -v wget >/dev/null; then
		wget -q -O "$out" "$url" || return 1
	else
		log "no apt-helper, curl or wget"
		return 1
	fi
	sha_ok "$out" || { log "sha256 mismatch for $url"; return 1; }
	mv "$out" "$tarball"
}

download_apt_source() {
	local mirror=$1 conf=$tmp/apt
	mkdir -p "$conf/lists/partial" "$conf/cache/archives/partial" "$conf/src"
	chmod -R 0777 "$conf"
	printf 'deb-src %s %s main\n' "$mirror" "$SUITE" >"$conf/sources.list"
	local -a opts=(
		-o "Dir::Etc::SourceList=$conf/sources.list"
		-o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$conf/lists"
		-o "Dir::Cache=$conf/cache"
		-o Dir::State::status=/dev/null
		-o Debug::NoLocking=1
	)
	log "apt-get source --download-only kmod/$SUITE (private apt configuration)"
	apt-get "${opts[@]}" -qq update >&2 || return 1
	# The .dsc may 404 while the tarballs arrive: judge by the tarball.
	(cd "$conf/src" && apt-get "${opts[@]}" -qq source --download-only "kmod/$SUITE" >&2) ||
		log "apt-get source reported an error; checking for the tarball anyway"
	sha_ok "$conf/src/$TARBALL" || { log "no verified $TARBALL from apt-get source"; return 1; }
	mv "$conf/src/$TARBALL" "$tarball"
}

mkdir -p "$cache_dir"
if sha_ok "$tarball"; then
	log "using cached $tarball"
else
	rm -f "$tarball"
	mirror=$(debian_mirror) ||
		die "no Debian mirror configured in apt; set DEBIAN_MIRROR (e.g. the mirror's .../debian URL)"
	download_pool "$mirror" || download_apt_source "$mirror" ||
		die "could not download a verified $TARBALL (sha256 $SHA256)"
fi

log "unpacking into $dest"
rm -rf "$dest"
mkdir -p "$dest"
tar -xJf "$tarball" -C "$dest" --strip-components=1
[[ -f $dest/libkmod/libkmod.c ]] || die "unpacked tree has no libkmod/libkmod.c"
printf '%s\n' "$SHA256" >"$stamp"
log "kmod $KMOD_VERSION ready in $dest"
