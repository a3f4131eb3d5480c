#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/run.sh — every test suite; prints each result line and ends with
# "N passed, N failed". Suites print "PASS name" / "FAIL name" / "SKIP name"
# lines (tests/lib/check.sh); this script counts them. Suites are found,
# not listed, and each kind runs in name order:
#   tests/tree/test_*.sh  tree suites: run under ASan+UBSan, under valgrind,
#                         and by the meta-test against broken binaries
#   tests/pkg/*.sh        what ships, checked without a VM: build, install,
#                         packages, initramfs-generator modules, man pages,
#                         licence lines, binder/'s layering
#   tests/vm/test_*.sh    QEMU suites
# The tree suites, and shellcheck's files, run VV_JOBS at a time (default:
# the number of CPUs), their output shown in name order.
#   tests/run.sh [PART...]   only these parts: layout unit fixtures asan
#                            valgrind meta arm64 shellcheck pkg fuzz vm
#                            (make check-fast: layout unit asan shellcheck)
# The one header line a suite may carry (in its first 20 lines):
#   # binary: dynamic     (tests/tree/) needs a dynamically linked build
#                         (the fake kernel is an LD_PRELOAD shim): valgrind
#                         runs it with build/test/vfio-variant-plain instead
#                         of the static build/vfio-variant
#   VV_SKIP_VM=1     skip the QEMU suites
#   VV_SKIP_FUZZ=1   skip the fuzz smoke run
# shellcheck disable=SC2317  # the suite functions are called through suite "$@"
set -u
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=lib/check.sh
. tests/lib/check.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"

# suite NAME CMD...: run CMD (in a subshell), show and count its result lines
suite() {
	local name=$1 rc=0 start
	shift
	start=$(date +%s)
	echo "=== $name"
	("$@") >"$log" 2>&1 || rc=$?
	grep -E '^(PASS|FAIL|SKIP) ' "$log"
	check_tally "$log"
	if [ "$rc" -ne 0 ] && [ "$TALLY_FAILED" -eq 0 ]; then
		fail "$name: exited $rc without naming a failure; last lines:"
		tail -n 20 "$log" | sed 's/^/    /'
		TALLY_FAILED=1
	fi
	if [ "$TALLY_FAILED" -ne 0 ]; then
		grep -vE '^(PASS|SKIP) ' "$log" | tail -n 40 | sed 's/^/    | /'
	fi
	echo "--- $name: $TALLY_PASSED passed, $TALLY_FAILED failed ($(($(date +%s) - start)) s)"
}

# header FILE KEY: the values of FILE's "# KEY: ..." header lines
header() { sed -n "1,20s/^# $2: *//p" "$1"; }

tree_suites() { printf '%s\n' tests/tree/test_*.sh; }
pkg_suites() { printf '%s\n' tests/pkg/*.sh; }
vm_suites() { printf '%s\n' tests/vm/test_*.sh; }

# layout: no suite carries a header line run.sh no longer reads ("# suite:",
# "# after:": a VM suite is named test_*.sh, and suites run in name order),
# so none is silently skipped or misordered
layout() {
	local f bad=0
	for f in tests/tree/*.sh tests/pkg/*.sh tests/vm/*.sh; do
		if sed -n '1,20p' "$f" | grep -qE '^# (suite|after):'; then
			fail "layout: $f has a '# suite:' or '# after:' header, which run.sh no longer reads (name a VM suite test_*.sh; suites run in name order)"
			bad=1
		fi
	done
	((bad)) || pass "layout: no suite relies on the old '# suite:' / '# after:' headers"
}

unit() {
	local out rc=0
	out=$(build/test/unit) || rc=$?
	echo "$out" | grep '^FAIL'
	if [ "$rc" -eq 0 ]; then
		pass "unit checks: $(echo "$out" | tail -n 1)"
	else
		fail "unit checks (exit $rc): $(echo "$out" | tail -n 1)"
	fi
}

# par FUNC ITEM...: FUNC ITEM for every ITEM, VV_JOBS at a time (default:
# the number of CPUs; the suites are independent: each makes its own roots
# below its own temporary directory); the outputs in ITEM order, as if run
# one after another; status 1 if any FUNC failed
par() {
	local fn=$1 d i n max=${VV_JOBS:-$(nproc 2>/dev/null || echo 2)} rc=0
	shift
	d=$(mktemp -d)
	for ((i = 1; i <= $#; i++)); do
		while (($(jobs -pr | wc -l) >= max)); do wait -n; done
		(
			"$fn" "${!i}" >"$d/$i.out" 2>&1
			echo $? >"$d/$i.rc"
		) &
	done
	wait
	for ((n = 1; n < i; n++)); do
		cat "$d/$n.out"
		[ "$(cat "$d/$n.rc" 2>/dev/null)" = 0 ] || rc=1
	done
	rm -rf "$d"
	return "$rc"
}

asan_one() { VV_BIN=build/test/vfio-variant bash "$1"; }
tree_asan() {
	local -a l
	mapfile -t l < <(tree_suites)
	par asan_one "${l[@]}"
}

valgrind_one() {
	local bin=build/vfio-variant
	[ "$(header "$1" binary)" = dynamic ] && bin=build/test/vfio-variant-plain
	VV_BIN=$bin VV_WRAP=$VALGRIND bash "$1"
}
tree_valgrind() {
	local -a l
	mapfile -t l < <(tree_suites)
	par valgrind_one "${l[@]}"
}

# meta: every tree suite against binaries that are wrong must pass nothing:
# /bin/false (exit 1, no output), the real binary followed by exit 99 (what
# a valgrind or sanitizer error looks like) and by SIGSEGV. The 3 x N runs
# go side by side (par), and each stops at its first PASS
# (CHECK_STOP_ON_PASS, tests/lib/check.sh): one PASS already fails the meta
# test, so the rest of that run would not change the verdict.
meta_one() { # meta_one "SUITE BINARY"
	local t=${1%% *} b=${1#* } what out p f
	case $b in
	*/exit99) what="the real binary, then exit 99" ;;
	*/segv) what="the real binary, then SIGSEGV" ;;
	*) what=$b ;;
	esac
	# VV_ROUNDS=1: test_concurrency repeats the same checks in 3 rounds; one
	# round runs each of them against the broken binary
	out=$(VV_BIN=$b VV_ROUNDS=1 CHECK_STOP_ON_PASS=1 bash "$t" 2>&1)
	p=$(grep -c '^PASS ' <<<"$out")
	f=$(grep -c '^FAIL ' <<<"$out")
	if ((p == 0 && f > 0)); then
		pass "meta: ${t##*/} against $what: 0 of $f checks pass"
	else
		fail "meta: ${t##*/} against $what: $p checks pass (every one must fail; a run stops at its first PASS):"
		grep '^PASS ' <<<"$out" | head -n 20 | sed 's/^/    /'
		return 1
	fi
}
meta() {
	local dir t b p real=$PWD/build/test/vfio-variant-plain rc=0
	local -a pairs=()
	dir=$(mktemp -d)
	printf '#!/bin/sh\n"%s" "$@"\nexit 99\n' "$real" >"$dir/exit99"
	printf '#!/bin/sh\n"%s" "$@"\nkill -s SEGV $$\n' "$real" >"$dir/segv"
	chmod +x "$dir/exit99" "$dir/segv"
	for b in exit99 segv; do
		"$dir/$b" --help >"$dir/out" 2>&1
		p=$?
		if grep -q '^Usage: vfio-variant' "$dir/out" && [ "$p" -ge 99 ]; then
			pass "meta: the $b wrapper runs the real binary (--help printed its usage) and exits $p"
		else
			fail "meta: the $b wrapper does not run $real: exit $p, $(head -c 200 "$dir/out")"
		fi
	done
	for t in $(tree_suites); do
		for b in /bin/false "$dir/exit99" "$dir/segv"; do
			pairs+=("$t $b")
		done
	done
	par meta_one "${pairs[@]}" || rc=1
	rm -rf "$dir"
	return "$rc"
}

# The tree suites against the aarch64 build (make ARCH=arm64), run by
# qemu-aarch64-static: the static binary, and for the suites that bind
# through the fake kernel ("# binary: dynamic") the aarch64 glibc build
# with an aarch64 shim (make arm64-test-build). Each is checked to be
# what it claims (file), and a failing wrapper must fail the checks.
tree_arm64() {
	local bin=build/arm64/vfio-variant dyn=build/arm64/test/vfio-variant-plain
	local shim=build/arm64/test/fakekernel.so f rc=0 out size
	local -a l
	if ! command -v qemu-aarch64-static >/dev/null; then
		fail "arm64 tree: qemu-aarch64-static not found (apt-get install qemu-user-static)"
		return 1
	fi
	if file "$bin" | grep -q 'ARM aarch64.*statically linked'; then
		pass "arm64 tree: $bin is a static aarch64 binary"
	else
		fail "arm64 tree: $bin is not a static aarch64 binary (make ARCH=arm64): $(file "$bin")"
		return 1
	fi
	size=$(stat -c %s "$bin")
	if [ "$size" -le 327680 ]; then
		pass "arm64 tree: $bin is $size bytes stripped (<= 320 KiB, the standard of both architectures)"
	else
		fail "arm64 tree: $bin is $size bytes stripped (> 320 KiB)"
		rc=1
	fi
	for f in "$dyn" "$shim"; do
		if file -L "$f" | grep -q 'ARM aarch64.*dynamically linked'; then
			pass "arm64 tree: $f is a dynamic aarch64 ELF"
		else
			fail "arm64 tree: $f is not a dynamic aarch64 ELF (make arm64-test-build): $(file -L "$f")"
			return 1
		fi
	done
	if out=$(qemu-aarch64-static "$bin" --version) && [ -n "$out" ]; then
		pass "arm64 tree: qemu-aarch64-static runs it ($out)"
	else
		fail "arm64 tree: qemu-aarch64-static $bin --version failed"
		rc=1
	fi
	# the wrapper is really used: with one that fails, nothing passes
	out=$(VV_BIN=$bin VV_WRAP=false bash tests/tree/test_plan.sh 2>&1)
	if [ "$(echo "$out" | grep -c '^PASS ')" -eq 0 ] && [ "$(echo "$out" | grep -c '^FAIL ')" -gt 0 ]; then
		pass "arm64 tree: with VV_WRAP=false no check of test_plan.sh passes ($(echo "$out" | grep -c '^FAIL ') fail)"
	else
		fail "arm64 tree: with VV_WRAP=false $(echo "$out" | grep -c '^PASS ') checks of test_plan.sh passed"
		rc=1
	fi
	mapfile -t l < <(tree_suites)
	par arm64_one "${l[@]}" || rc=1
	return "$rc"
}
arm64_one() {
	if [ "$(header "$1" binary)" = dynamic ]; then
		VV_BIN=build/arm64/test/vfio-variant-plain VV_SHIM=$PWD/build/arm64/test/fakekernel.so \
			VV_WRAP="qemu-aarch64-static -L /usr/aarch64-linux-gnu" bash "$1"
	else
		VV_BIN=build/arm64/vfio-variant VV_WRAP=qemu-aarch64-static bash "$1"
	fi
}

shell_files() {
	git ls-files | while read -r f; do
		case "$f" in
		*.sh | .ci/run | */hooks/* | */install/* | */scripts/*) [ -f "$f" ] && echo "$f" ;;
		esac
	done
}

lint_one() {
	if shellcheck -x -P SCRIPTDIR -S style "$1" >/dev/null 2>&1; then
		pass "shellcheck $1"
	else
		fail "shellcheck $1"
		shellcheck -x -P SCRIPTDIR -S style "$1" | head -n 20
		return 1
	fi
}
lint_shell() {
	local -a l
	mapfile -t l < <(shell_files)
	par lint_one "${l[@]}"
}

pkg() {
	local t rc=0
	for t in $(pkg_suites); do
		bash "$t" || rc=1
	done
	return "$rc"
}

# tests/run.sh [PART...]: only the parts named (make check-fast: layout
# unit asan shellcheck); none: every part
PARTS=("$@")
for p in "${PARTS[@]}"; do
	case $p in
	layout | unit | fixtures | asan | valgrind | meta | arm64 | shellcheck | pkg | fuzz | vm) ;;
	*)
		echo "usage: tests/run.sh [PART...]; PART: layout unit fixtures asan valgrind meta arm64 shellcheck pkg fuzz vm" >&2
		exit 2
		;;
	esac
done
# part NAME: NAME was asked for
part() {
	((${#PARTS[@]} == 0)) && return 0
	printf '%s\n' "${PARTS[@]}" | grep -qx -- "$1"
}

part layout && suite "layout" layout
part unit && suite "unit (glibc, ASan+UBSan)" unit
part fixtures && suite "fixtures" bash tests/tree/fixtures/selftest.sh
part asan && suite "tree (glibc, ASan+UBSan)" tree_asan
part valgrind && suite "tree (valgrind: static musl; glibc where the fake kernel needs it)" tree_valgrind
part meta && suite "meta: tree suites against wrong binaries" meta
part arm64 && suite "tree (static aarch64 musl, qemu-aarch64-static; aarch64 glibc for the fake kernel)" tree_arm64
part shellcheck && suite "shellcheck" lint_shell
part pkg && suite "pkg: build, install, packages, initramfs modules, man, licence, layering" pkg
if part fuzz && [ -z "${VV_SKIP_FUZZ:-}" ] && [ -f mk/fuzz.mk ]; then
	suite "fuzz smoke" make -s -j"${VV_JOBS:-$(nproc 2>/dev/null || echo 2)}" fuzz-smoke
fi
if part vm; then
	if [ -z "${VV_SKIP_VM:-}" ]; then
		for t in $(vm_suites); do
			suite "vm: $(basename "$t" .sh)" bash "$t"
		done
	else
		echo "=== vm suites not run (VV_SKIP_VM): $(vm_suites | sed 's|.*/||' | tr '\n' ' ')"
	fi
fi

# the total, unlabelled: .ci/run looks for "N passed, N failed"
# shellcheck disable=SC2119
check_exit
