#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tools/build-rpm.sh — `make rpm`: the RPM (rpm/vfio-variant.spec), built by
# rpmbuild -ba --nodeps in a TEMPORARY _topdir, so the work tree and the
# suites running in it are never touched. Like tools/build-deb.sh:
#   - Source0 is a tarball of the files git tracks or would track (never
#     build/ or .cache), top directory vfio-variant-VERSION;
#   - Source1 is kmod's source, the tarball tools/fetch-kmod.sh caches and
#     verifies (sha256-pinned), fetched first if it is not cached: the
#     package build itself never downloads anything;
#   - the version comes from debian/changelog (the one place it lives): the
#     spec copy gets `Version: VERSION` and a %changelog made from
#     debian/changelog's entries, so the SRPM is complete on its own.
# --nodeps: Debian's rpm knows none of the BuildRequires (Fedora package
# names); the spec's macro fallbacks stand in for systemd-rpm-macros.
#
# Output: build/rpm/vfio-variant-VERSION-1.ARCH.rpm, the .src.rpm, the spec
# as built, and build/rpm/build.log. Exit status: rpmbuild's.
# Environment: KMOD_TARBALL (default: the cache), VV_RPM_OUT (output
# directory, default build/rpm).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${VV_RPM_OUT:-$repo/build/rpm}
kmod_version=$(sed -n 's/^%global kmod_version //p' "$repo/rpm/vfio-variant.spec")
kmod_tar=${KMOD_TARBALL:-$repo/.cache/kmod_${kmod_version}.orig.tar.xz}
if [[ ! -f $kmod_tar ]]; then
	if [[ -n ${KMOD_TARBALL:-} ]]; then
		echo "build-rpm: KMOD_TARBALL=$KMOD_TARBALL does not exist" >&2
		exit 1
	fi
	"$repo/tools/fetch-kmod.sh"
fi
if ! top=$(tar -tJf "$kmod_tar" | sed -n 1p) || [[ ${top%%/*} != kmod-$kmod_version ]]; then
	echo "build-rpm: $kmod_tar is not kmod-$kmod_version's source (top directory '${top%%/*}')" >&2
	exit 1
fi
version=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$repo/debian/changelog")
[[ -n $version ]] || {
	echo "build-rpm: no version in debian/changelog's first line" >&2
	exit 1
}

# rpm_changelog: debian/changelog's entries in rpm's format
#   * Tue Dec 01 2026 NAME <MAIL> - VERSION-1
#   - first line of a bullet
#     its continuation
rpm_changelog() {
	awk '
	/^[^ ].* \(.*\) / { v = $2; gsub(/[()]/, "", v); n = 0; next }
	/^  \* / { sub(/^  \* /, ""); body[n++] = "- " $0; next }
	/^    [^ ]/ { sub(/^    /, ""); body[n++] = "  " $0; next }
	/^ -- / {
		line = $0
		sub(/^ -- /, "", line)
		who = line; sub(/  .*/, "", who)
		date = line; sub(/.*  /, "", date)
		split(date, d, /[ ,]+/) # Tue, 01 Dec 2026 21:00:00 +0000
		if (nout++) print ""
		printf "* %s %s %s %s %s - %s-1\n", d[1], d[3], d[2], d[4], who, v
		for (i = 0; i < n; i++) print body[i]
	}' "$repo/debian/changelog"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vfio-variant-rpm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{SOURCES,SPECS,BUILD,RPMS,SRPMS,src} "$out"
src=$tmp/src/vfio-variant-$version
mkdir -p "$src"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done |
	cpio -0 -pdm --quiet "$src")
tar -C "$tmp/src" --owner=0 --group=0 --sort=name -czf "$tmp/SOURCES/vfio-variant-$version.tar.gz" "vfio-variant-$version"
cp "$kmod_tar" "$tmp/SOURCES/kmod-$kmod_version.tar.xz"
cp "$repo/rpm/vfio-variant-posttrans.sh" "$tmp/SOURCES/"

spec=$tmp/SPECS/vfio-variant.spec
{
	sed -e '/^%{!?vv_version:/d' -e "s/^Version:\([[:space:]]*\).*/Version:\1$version/" "$repo/rpm/vfio-variant.spec"
	rpm_changelog
} >"$spec"
grep -q "^Version:[[:space:]]*$version\$" "$spec" || {
	echo "build-rpm: could not write Version: $version into the spec" >&2
	exit 1
}

# Debian's rpm 4.18 runs brp-compress (#!/bin/sh, bash's `read -d` inside)
# with dash: it fails and the man pages stay uncompressed. Fedora's /bin/sh
# is bash: run it with bash here too, through a macro file of our own.
load=()
brp=$(rpm --eval '%{_rpmconfigdir}')/brp-compress
if [[ -f $brp ]] && grep -q 'read -r -d' "$brp" && [[ $(readlink -f /bin/sh) != */bash ]]; then
	rpm --eval '%{__os_install_post}' | awk -v brp="$brp" '
		NF { sub(/^[ \t]+/, ""); if (index($0, brp) == 1) $0 = "bash " $0; l[n++] = $0 }
		END { printf "%%__os_install_post"; for (i = 0; i < n; i++) printf " \\\n    %s", l[i]; print "" }' >"$tmp/macros.brp"
	load=(--load "$tmp/macros.brp")
fi

rc=0
rpmbuild -ba --nodeps --define "_topdir $tmp" "${load[@]}" "$spec" >"$out/build.log" 2>&1 || rc=$?
if ((rc)); then
	tail -n 30 "$out/build.log" >&2
	echo "build-rpm: rpmbuild failed ($rc); log $out/build.log" >&2
	exit "$rc"
fi
rm -f "$out"/vfio-variant-*.rpm "$out"/vfio-variant.spec
cp "$tmp"/RPMS/*/vfio-variant-"$version"-*.rpm "$tmp"/SRPMS/vfio-variant-"$version"-*.src.rpm "$spec" "$out/"
ls "$out"/vfio-variant-"$version"-*.rpm
