# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# bench/lib.sh — shared by bench/scale.sh, bench/vm.sh, bench/size.sh.
# Sourced, not executed. Sets no shell options.
#
#   BENCH_REPO    repository root
#   BENCH_CACHE   git-ignored work dir (.cache/bench): helper binaries,
#                 fixture trees, downloaded .debs, results
#   BENCH_BIN     the binary under test (build/vfio-variant; run.sh sets a
#                 snapshot, with BENCH_BIN_FIXED=1 and BENCH_REV, so that all
#                 parts measure one build while others edit the tree)
#
#   bench_log MSG...            one line on stderr
#   bench_die MSG...            bench_log, exit 1
#   bench_build_binary          `make` (the static musl binary), once a run
#   bench_helper NAME           compile bench/NAME.c like the binary (static
#                               musl, -Os) to $BENCH_CACHE/bin/NAME, print it
#   bench_median N...           the median (lower middle for an even count)
#   bench_ratio A B [DIGITS]    A/B with DIGITS (1) decimals, "n/a" if B is 0
#   bench_per A B               A/B rounded to an integer
#   bench_kib BYTES             "N.N KiB"
#   bench_revision              "commit[-dirty]" of the checkout
#   bench_peers DIR             driverctl 0.111-1 and bash-static (Debian
#                               bookworm .debs, `apt-get download` into
#                               $BENCH_CACHE/debs, pinned by version and
#                               sha256) extracted as DIR/driverctl, DIR/bash

BENCH_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_CACHE=${BENCH_CACHE:-$BENCH_REPO/.cache/bench}
BENCH_BIN=${BENCH_BIN:-$BENCH_REPO/build/vfio-variant}

bench_log() { printf '[bench %4ss] %s\n' "$SECONDS" "$*" >&2; }
bench_die() {
	bench_log "ERROR: $*"
	exit 1
}

bench_build_binary() {
	[[ -n ${_BENCH_BUILT:-} || ${BENCH_BIN_FIXED:-0} == 1 ]] && return 0
	bench_log "make (static musl build/vfio-variant)"
	make -s -C "$BENCH_REPO" all >&2 || bench_die "make failed"
	[[ -x $BENCH_BIN ]] || bench_die "no $BENCH_BIN after make"
	_BENCH_BUILT=1
}

bench_helper() {
	local name=$1 src out cc=${MUSL_CC:-musl-gcc}
	src=$BENCH_REPO/bench/$name.c
	out=$BENCH_CACHE/bin/$name
	mkdir -p "$BENCH_CACHE/bin"
	if [[ ! -x $out || $src -nt $out ]]; then
		command -v "$cc" >/dev/null || bench_die "$cc not found: apt-get install musl-tools"
		if ! "$cc" -std=c11 -Wall -Wextra -Werror -static -Os -o "$out.tmp" "$src" >&2 ||
			! strip "$out.tmp" || ! mv "$out.tmp" "$out"; then
			bench_die "compiling $src failed"
		fi
	fi
	printf '%s\n' "$out"
}

# bench_instr OUTFILE CMD...: callgrind's instruction total
bench_instr() {
	local out=$1 n
	shift
	n=$(valgrind --tool=callgrind --callgrind-out-file="$out" "$@" 2>&1 >/dev/null |
		sed -n 's/^==[0-9]*== Collected : *\([0-9]*\).*/\1/p')
	[[ -n $n ]] || bench_die "no callgrind total for: $*"
	printf '%s\n' "$n"
}

bench_median() {
	printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

bench_ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-1}" 'BEGIN {
		if (b == 0) print "n/a"; else printf "%.*f\n", d, a / b }'
}

bench_per() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.0f\n", a / b }'
}

bench_kib() {
	awk -v b="$1" 'BEGIN { printf "%.1f KiB\n", b / 1024 }'
}

bench_revision() {
	local rev
	if [[ -n ${BENCH_REV:-} ]]; then
		printf '%s\n' "$BENCH_REV"
		return
	fi
	rev=$(git -C "$BENCH_REPO" rev-parse --short HEAD 2>/dev/null) || rev=unknown
	if ! git -C "$BENCH_REPO" diff --quiet HEAD -- binder mk Makefile 2>/dev/null; then
		rev+=-dirty
	fi
	printf '%s\n' "$rev"
}

# package version sha256 (bookworm main, amd64/all)
BENCH_PINS=(
	"driverctl 0.111-1 7ecbbd5d3eb8397fa00194982894d0e43588a160989b0b2c17ca1db2cbb15281"
	"bash-static 5.2.15-2+b13 f62e37fc6c2c14417f270323066b4c621db5dc151a26f7a1f58e3fc24111d1c8"
)

# _bench_fetch_deb PKG VERSION SHA256: $BENCH_CACHE/debs/PKG_VERSION.deb,
# checked; sets _BENCH_DEB
_bench_fetch_deb() {
	local pkg=$1 ver=$2 sum=$3 tmp f debs=$BENCH_CACHE/debs
	_BENCH_DEB=$debs/${pkg}_$ver.deb
	if [[ -f $_BENCH_DEB && $(sha256sum "$_BENCH_DEB" | cut -d' ' -f1) == "$sum" ]]; then
		return 0
	fi
	mkdir -p "$debs"
	tmp=$(mktemp -d "$debs/.dl.XXXXXX")
	bench_log "apt-get download $pkg=$ver"
	if ! (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$pkg=$ver" >&2); then
		rm -rf "$tmp"
		bench_die "apt-get download $pkg=$ver failed (bookworm sources configured? version still on the mirror?)"
	fi
	f=$(find "$tmp" -name '*.deb' | head -n1)
	if [[ -z $f || $(sha256sum "$f" | cut -d' ' -f1) != "$sum" ]]; then
		rm -rf "$tmp"
		bench_die "$pkg=$ver: sha256 differs from the pin"
	fi
	mv "$f" "$_BENCH_DEB"
	rm -rf "$tmp"
}

# _bench_extract DEB MEMBER OUT
_bench_extract() {
	if ! dpkg-deb --fsys-tarfile "$1" | tar -xO "$2" >"$3.tmp" || ! chmod 0755 "$3.tmp" ||
		! mv "$3.tmp" "$3"; then
		bench_die "extracting $2 from $1 failed"
	fi
}

bench_peers() {
	local p pkg ver sum
	mkdir -p "$1"
	for p in "${BENCH_PINS[@]}"; do
		read -r pkg ver sum <<<"$p"
		_bench_fetch_deb "$pkg" "$ver" "$sum"
		case $pkg in
			driverctl) _bench_extract "$_BENCH_DEB" ./usr/sbin/driverctl "$1/driverctl" ;;
			bash-static) _bench_extract "$_BENCH_DEB" ./bin/bash-static "$1/bash" ;;
		esac
	done
}
