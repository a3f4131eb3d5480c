#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch musl for arm64 (Debian bookworm's musl:arm64 + musl-dev:arm64 1.2.3-1)
# with a PRIVATE apt configuration, verify each .deb against a pinned sha256
# and unpack it into .cache/musl-arm64-1.2.3-1/ (or the directory given as $1)
# as a plain musl prefix:
#   DIR/include   the musl headers (usr/include/aarch64-linux-musl)
#   DIR/lib       crt1.o crti.o crtn.o Scrt1.o libc.a ... (usr/lib/aarch64-linux-musl)
# which is what `make ARCH=arm64` needs (it writes its own gcc specs file
# pointing there; MUSL_ARM64_DIR=DIR uses any musl prefix laid out that way,
# e.g. one installed by musl's `./configure --target=aarch64 --prefix=DIR`).
#
# The host's apt sources and dpkg architectures are never changed: the
# private configuration has its own sources.list ([arch=arm64]), lists and
# archives below the cache, and no dpkg status. The mirror is $DEBIAN_MIRROR
# or the Debian archive the host's apt already uses (read only).
# Idempotent: a stamp file records the verified unpack.
set -euo pipefail

readonly MUSL_VERSION=1.2.3-1
readonly SUITE=bookworm
# sha256 of the .debs for $MUSL_VERSION, arm64 (apt checks them against the
# signed index as well)
readonly PINS=(
	"musl 6ccf2bf0f479b00411cb8e1eeb048e648718170db5d63bbb4bf4a89350b81468"
	"musl-dev 55c2ca4bc3041c8ed8ac7dc3ef6080d9551a21650568b2fd7610b59eaf98a4f4"
)

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_dir=$repo_root/.cache
dest=${1:-$cache_dir/musl-arm64-$MUSL_VERSION}
stamp=$dest/.fetch-musl-arm64.stamp
key="$MUSL_VERSION ${PINS[*]}"

log() { printf 'fetch-musl-arm64: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

if [[ -f $stamp && -f $dest/lib/libc.a && -f $dest/include/stdio.h ]] &&
	[[ $(<"$stamp") == "$key" ]]; then
	exit 0
fi

for cmd in apt-get dpkg-deb sha256sum; do
	command -v "$cmd" >/dev/null ||
		die "'$cmd' not found; without apt give an aarch64 musl prefix (include/, lib/libc.a): make ARCH=arm64 MUSL_ARM64_DIR=DIR"
done

# shellcheck source=tools/private-apt.sh
. "$repo_root/tools/private-apt.sh"
mirror=${DEBIAN_MIRROR:-$(private_apt_mirror)}
[[ -n $mirror ]] || die "no Debian mirror configured in apt; set DEBIAN_MIRROR (the mirror's .../debian URL)"

debs=$cache_dir/debs-arm64
apt_dir=$cache_dir/apt-musl-arm64
mkdir -p "$debs"
private_apt_init "$apt_dir" "$SUITE" "$mirror" arm64 || die "cannot write $apt_dir"
apt_cmd=("${PRIVATE_APT[@]}")

sha_of() { sha256sum "$1" | cut -d' ' -f1; }
updated=
files=()
for pin in "${PINS[@]}"; do
	read -r pkg sum <<<"$pin"
	out=$debs/${pkg}_${MUSL_VERSION}_arm64.deb
	if [[ ! -f $out || $(sha_of "$out") != "$sum" ]]; then
		rm -f "$out"
		if [[ -z $updated ]]; then
			log "apt-get update (private, arm64: $mirror $SUITE)"
			"${apt_cmd[@]}" update >&2 || die "apt-get update failed (mirror $mirror)"
			updated=1
		fi
		tmp=$(mktemp -d "$debs/.dl.XXXXXX")
		log "download $pkg:arm64=$MUSL_VERSION"
		(cd "$tmp" && "${apt_cmd[@]}" download "$pkg:arm64=$MUSL_VERSION" >&2) || {
			rm -rf "$tmp"
			die "apt-get download $pkg:arm64=$MUSL_VERSION failed"
		}
		for f in "$tmp"/*.deb; do :; done
		if [[ ! -f $f || $(sha_of "$f") != "$sum" ]]; then
			rm -rf "$tmp"
			die "sha256 mismatch for $pkg:arm64=$MUSL_VERSION (pinned $sum)"
		fi
		mv "$f" "$out"
		rm -rf "$tmp"
	fi
	files+=("$out")
done

log "unpacking into $dest"
rm -rf "$dest"
mkdir -p "$dest/root"
for f in "${files[@]}"; do
	dpkg-deb -x "$f" "$dest/root"
done
mv "$dest/root/usr/include/aarch64-linux-musl" "$dest/include"
mv "$dest/root/usr/lib/aarch64-linux-musl" "$dest/lib"
rm -rf "$dest/root"
[[ -f $dest/lib/libc.a && -f $dest/lib/crt1.o && -f $dest/include/stdio.h ]] ||
	die "unpacked musl lacks lib/libc.a, lib/crt1.o or include/stdio.h"
# Debian's musl-gcc.specs names /usr paths: make ARCH=arm64 writes its own.
rm -f "$dest/lib/musl-gcc.specs"
printf '%s\n' "$key" >"$stamp"
log "musl $MUSL_VERSION (arm64) ready in $dest"
