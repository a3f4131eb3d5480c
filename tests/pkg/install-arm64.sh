#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pkg/install-arm64.sh — the arm64 binary through `make install`
# and the generators: `make ARCH=arm64 install DESTDIR=...` lays out exactly
# the files of the host's install at the same paths and modes, the binary
# being build/arm64/vfio-variant (aarch64); the dracut module harness
# (tests/pkg/dracut-module.sh, whose host-only path runs the binary's
# plan) passes with the arm64 binary run by qemu-aarch64-static.
# Uses the already built binaries (make -o: not rebuilt here).
# Prints PASS/FAIL lines; exits 1 on any failure.
set -u

REPO=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/vv-install-arm64.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$REPO" || exit 1

export CHECK_PREFIX="install arm64: "
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"

A64=build/arm64/vfio-variant
if ! file "$A64" 2>/dev/null | grep -q 'ARM aarch64.*statically linked'; then
    fail "no static aarch64 $A64 (make ARCH=arm64)"
    exit 1
fi
listing() {
    (cd "$1" && find . \( -type f -o -type l \) -printf '%m %P\n' | LC_ALL=C sort)
}

MK=(make --no-print-directory)
[[ -x build/vfio-variant ]] && MK+=(-o build/vfio-variant)
if "${MK[@]}" install DESTDIR="$T/host" >"$T/host.out" 2>&1; then
    pass "make install (host) succeeds"
else
    fail "make install (host) failed: $(tail -n 5 "$T/host.out")"
fi
if make --no-print-directory -o "$A64" ARCH=arm64 install DESTDIR="$T/a64" >"$T/a64.out" 2>&1; then
    pass "make ARCH=arm64 install succeeds"
else
    fail "make ARCH=arm64 install failed: $(tail -n 5 "$T/a64.out")"
fi
listing "$T/host" >"$T/host.list"
listing "$T/a64" >"$T/a64.list"
if [[ -s $T/a64.list ]] && cmp -s "$T/host.list" "$T/a64.list"; then
    pass "same files, paths and modes as the host's install ($(wc -l <"$T/a64.list") files)"
else
    fail "file lists differ: $(diff "$T/host.list" "$T/a64.list" | head -n 10 | tr '\n' ' ')"
fi
check "usr/sbin/vfio-variant is build/arm64/vfio-variant" cmp -s "$A64" "$T/a64/usr/sbin/vfio-variant"
if file "$T/a64/usr/sbin/vfio-variant" | grep -q 'ARM aarch64'; then
    pass "the installed binary is aarch64"
else
    fail "the installed binary is not aarch64: $(file "$T/a64/usr/sbin/vfio-variant")"
fi
# everything but the binary is byte-identical
same=1
while read -r _ f; do
    [[ $f == usr/sbin/vfio-variant ]] && continue
    cmp -s "$T/host/$f" "$T/a64/$f" || {
        same=0
        fail "$f differs between the host and the arm64 install"
    }
done <"$T/a64.list"
((same)) && pass "every other installed file is the host's"

# the generator with the arm64 binary (as on an arm64 host; here under qemu)
if command -v qemu-aarch64-static >/dev/null; then
    printf '#!/bin/sh\nexec qemu-aarch64-static "%s" "$@"\n' "$REPO/$A64" >"$T/vv-arm64"
    chmod 755 "$T/vv-arm64"
    if VV_BIN=$T/vv-arm64 bash tests/pkg/dracut-module.sh >"$T/dracut.out" 2>&1; then
        pass "dracut module harness with the arm64 binary: $(grep -c '^PASS' "$T/dracut.out") checks pass"
    else
        fail "dracut module harness with the arm64 binary: $(grep '^FAIL' "$T/dracut.out" | head -n 5 | tr '\n' ' ')"
    fi
else
    fail "qemu-aarch64-static not found (apt-get install qemu-user-static)"
fi
check_exit "install arm64"
