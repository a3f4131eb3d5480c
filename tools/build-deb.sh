#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tools/build-deb.sh — `make deb`: the Debian package, built by
# dpkg-buildpackage -us -uc -b in a TEMPORARY copy of the tree (the files git
# tracks or would track; never build/ or .cache), so the work tree and the
# suites running in it are never touched. libkmod's source is fetched (and
# verified) before, by tools/fetch-kmod.sh, into its cache; the package build
# gets it as KMOD_SRC and never downloads anything.
#
#   tools/build-deb.sh [-a ARCH]     (default: the host's architecture;
#                                    -a arm64: dpkg-buildpackage -a arm64 -d,
#                                    `make ARCH=arm64` with the cached arm64
#                                    musl, fetched before if needed)
#
# Output: build/deb/vfio-variant_VERSION_ARCH.deb (+ .buildinfo, .changes)
# and build/deb/build.log. Exit status: dpkg-buildpackage's.
# Environment: KMOD_SRC (an unpacked kmod >= 34 tree; default: the cache),
# MUSL_ARM64_DIR (an aarch64 musl prefix; default: the cache),
# VV_DEB_OUT (output directory, default build/deb).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
arch_args=()
if [[ ${1:-} == -a ]]; then
	arch_args=(-a "$2" -d)
fi
out=${VV_DEB_OUT:-$repo/build/deb}
kmod=${KMOD_SRC:-$repo/.cache/kmod-34.2}
if [[ ! -f $kmod/libkmod/libkmod.c ]]; then
	if [[ -n ${KMOD_SRC:-} ]]; then
		echo "build-deb: KMOD_SRC=$KMOD_SRC is not a kmod source tree" >&2
		exit 1
	fi
	"$repo/tools/fetch-kmod.sh" "$kmod"
fi
kmod=$(cd "$kmod" && pwd)
env_args=(KMOD_SRC="$kmod")
if ((${#arch_args[@]})) && [[ ${arch_args[1]} == arm64 ]]; then
	musl=${MUSL_ARM64_DIR:-$repo/.cache/musl-arm64-1.2.3-1}
	[[ -f $musl/lib/libc.a ]] || bash "$repo/tools/fetch-musl-arm64.sh" "$musl"
	env_args+=(MUSL_ARM64_DIR="$(cd "$musl" && pwd)")
fi
version=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$repo/debian/changelog")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vfio-variant-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
src=$tmp/vfio-variant-$version
mkdir -p "$src" "$out"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done |
	cpio -0 -pdm --quiet "$src")

rc=0
(cd "$src" && env "${env_args[@]}" dpkg-buildpackage -us -uc -b "${arch_args[@]}") >"$out/build.log" 2>&1 || rc=$?
if ((rc)); then
	tail -n 30 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed ($rc); log $out/build.log" >&2
	exit "$rc"
fi
rm -f "$out"/vfio-variant_"$version"_*.deb "$out"/vfio-variant_"$version"_*.buildinfo "$out"/vfio-variant_"$version"_*.changes
cp "$tmp"/vfio-variant_"$version"_*.deb "$tmp"/vfio-variant_"$version"_*.buildinfo \
	"$tmp"/vfio-variant_"$version"_*.changes "$out/"
ls "$out"/vfio-variant_"$version"_*.deb
