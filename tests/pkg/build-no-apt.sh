#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make` on a host without apt (Arch, Fedora): in a temporary copy of the
# tree, with a PATH made of symlinks to just the tools the build needs (no
# apt, apt-get, apt-helper, dpkg, dpkg-query), the build works with the kmod
# source given by KMOD_SRC (and the arm64 musl by MUSL_ARM64_DIR); with a
# tool or a source missing, make stops and names it; with every tool there
# and a recording apt-get/dpkg-query on PATH, neither is ever run.
# PASS/FAIL lines for tests/run.sh.
set -u
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
export CHECK_PREFIX="no-apt build: "
# shellcheck source=../lib/check.sh
. tests/lib/check.sh

KMOD=$REPO/.cache/kmod-34.2
MUSL=$REPO/.cache/musl-arm64-1.2.3-1
# the caches a normal `make` / `make ARCH=arm64` fills
[ -f "$KMOD/libkmod/libkmod.c" ] || bash tools/fetch-kmod.sh >/dev/null 2>&1
[ -f "$MUSL/lib/libc.a" ] || bash tools/fetch-musl-arm64.sh >/dev/null 2>&1
if [ ! -f "$KMOD/libkmod/libkmod.c" ]; then
	fail "no kmod source in $KMOD to build with (tools/fetch-kmod.sh failed)"
	exit 1
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/vv-noapt.XXXXXX")
trap 'rm -rf "$W"' EXIT
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$W" --one-top-level=tree
T=$W/tree

# bin DIR TOOL...: DIR/TOOL -> the host's TOOL, for each TOOL
bin() {
	local dir=$1 t p
	shift
	mkdir -p "$dir"
	for t in "$@"; do
		p=$(command -v "$t") || {
			echo "host lacks $t" >&2
			return 1
		}
		ln -sf "$p" "$dir/$t"
	done
}
# what make, gcc, musl-gcc, the Makefile's recipes and tools/deps.sh run
TOOLS="make cc gcc musl-gcc as ld ar strip sed tar xz sha256sum bash sh cat
mkdir rm mv cp stat head uname id dirname env grep basename ln touch"
# Debian's musl-gcc wrapper runs the compiler by its triplet name
command -v x86_64-linux-gnu-gcc >/dev/null && TOOLS="$TOOLS x86_64-linux-gnu-gcc"
ARM64_TOOLS="aarch64-linux-gnu-gcc aarch64-linux-gnu-as aarch64-linux-gnu-ld
aarch64-linux-gnu-ar aarch64-linux-gnu-strip"
# shellcheck disable=SC2086
bin "$W/path" $TOOLS $ARM64_TOOLS || {
	fail "cannot build the PATH of tools"
	exit 1
}
for t in apt apt-get apt-helper dpkg dpkg-query; do
	[ -e "$W/path/$t" ] && fail "$t is in the test PATH"
done

# mk LOG ARGS...: make in the copy with the test PATH, VV_JOBS jobs
# (default: the number of CPUs); status in $RC
JOBS=${VV_JOBS:-$(nproc 2>/dev/null || echo 2)}
mk() {
	local log=$1
	shift
	RC=0
	env -i HOME="$W" PATH="$W/path" LC_ALL=C make -j"$JOBS" -C "$T" "$@" >"$log" 2>&1 || RC=$?
}

# 1. everything there: builds, without apt
mk "$W/1.log" KMOD_SRC="$KMOD"
if [ "$RC" -eq 0 ] && file -L "$T/build/vfio-variant" | grep -q 'statically linked'; then
	pass "make with KMOD_SRC=DIR builds build/vfio-variant (static)"
else
	fail "make exited $RC: $(tail -n 5 "$W/1.log")"
fi

# 2. a recording apt-get / dpkg-query on PATH: make never runs them
mkdir -p "$W/rec"
for t in apt-get dpkg-query apt; do
	printf '#!/bin/sh\necho "%s $*" >>%s/apt.log\nexit 1\n' "$t" "$W" >"$W/rec/$t"
	chmod +x "$W/rec/$t"
	ln -sf "$W/rec/$t" "$W/path/$t"
done
rm -f "$T/build/vfio-variant"
mk "$W/2.log" KMOD_SRC="$KMOD"
if [ "$RC" -eq 0 ] && [ ! -e "$W/apt.log" ] && [ -x "$T/build/vfio-variant" ]; then
	pass "tools present: make runs neither apt-get nor dpkg-query"
else
	fail "make exited $RC, apt log: $(cat "$W/apt.log" 2>/dev/null)"
fi
rm -f "$W/path/apt-get" "$W/path/dpkg-query" "$W/path/apt"

# 3. musl-gcc missing: make fails and names it and its package
mv "$W/path/musl-gcc" "$W/musl-gcc.away"
rm -rf "$T/build"
mk "$W/3.log" KMOD_SRC="$KMOD"
if [ "$RC" -ne 0 ] && grep -q 'missing: musl-gcc (Debian package musl-tools)' "$W/3.log"; then
	pass "musl-gcc missing: named ($(grep -m1 'missing: musl-gcc' "$W/3.log" | sed 's/^ *//'))"
else
	fail "musl-gcc missing: exit $RC, output: $(head -n 5 "$W/3.log")"
fi
if grep -q 'apt-get' "$W/3.log" && ! grep -q 'no apt-get' "$W/3.log"; then
	fail "musl-gcc missing: output mentions running apt-get: $(grep apt-get "$W/3.log")"
fi
mv "$W/musl-gcc.away" "$W/path/musl-gcc"

# 4. no kmod source (no KMOD_SRC, nothing cached): make names KMOD_SRC=DIR
mk "$W/4.log"
if [ "$RC" -ne 0 ] && grep -q 'make KMOD_SRC=DIR' "$W/4.log"; then
	pass "no kmod source: KMOD_SRC=DIR named"
else
	fail "no kmod source: exit $RC, output: $(head -n 5 "$W/4.log")"
fi

# 5. arm64 with MUSL_ARM64_DIR: builds the aarch64 binary
if [ -f "$MUSL/lib/libc.a" ]; then
	mk "$W/5.log" ARCH=arm64 KMOD_SRC="$KMOD" MUSL_ARM64_DIR="$MUSL"
	if [ "$RC" -eq 0 ] && file "$T/build/arm64/vfio-variant" | grep -q 'ARM aarch64.*statically linked'; then
		pass "make ARCH=arm64 MUSL_ARM64_DIR=DIR builds build/arm64/vfio-variant (aarch64, static)"
	else
		fail "make ARCH=arm64 exited $RC: $(tail -n 5 "$W/5.log")"
	fi
else
	fail "no arm64 musl in $MUSL (tools/fetch-musl-arm64.sh failed)"
fi

# 6. arm64 without the musl: make names MUSL_ARM64_DIR=DIR
rm -rf "$T/build/arm64"
mk "$W/6.log" ARCH=arm64 KMOD_SRC="$KMOD"
if [ "$RC" -ne 0 ] && grep -q 'MUSL_ARM64_DIR=DIR' "$W/6.log"; then
	pass "no arm64 musl: MUSL_ARM64_DIR=DIR named"
else
	fail "no arm64 musl: exit $RC, output: $(head -n 5 "$W/6.log")"
fi

# 7. the cross compiler missing: named with its package
rm "$W/path/aarch64-linux-gnu-gcc"
mk "$W/7.log" ARCH=arm64 KMOD_SRC="$KMOD" MUSL_ARM64_DIR="$MUSL"
if [ "$RC" -ne 0 ] && grep -q 'missing: aarch64-linux-gnu-gcc (Debian package gcc-aarch64-linux-gnu)' "$W/7.log"; then
	pass "aarch64-linux-gnu-gcc missing: named"
else
	fail "aarch64-linux-gnu-gcc missing: exit $RC, output: $(head -n 5 "$W/7.log")"
fi
check_exit "no-apt build"
