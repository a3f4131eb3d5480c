#!/bin/bash
# tests/run.sh — every test suite; prints each result line and ends with
# "N passed, N failed". Suites print "PASS name" / "FAIL name" lines.
#   VV_SKIP_VM=1     skip the QEMU suites
#   VV_SKIP_FUZZ=1   skip the fuzz smoke run
set -u
cd "$(dirname "$0")/.." || exit 1

passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# suite NAME CMD...: run, echo its PASS/FAIL lines, count them.
suite() {
	local name=$1 rc=0 p f start
	shift
	start=$(date +%s)
	echo "=== $name"
	"$@" >"$log" 2>&1 || rc=$?
	grep -E '^(PASS|FAIL|SKIP) ' "$log"
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name: exited $rc without naming a failure; last lines:"
		tail -n 20 "$log" | sed 's/^/    /'
		f=1
	fi
	if [ "$f" -ne 0 ]; then
		grep -vE '^(PASS|SKIP) ' "$log" | tail -n 40 | sed 's/^/    | /'
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	echo "--- $name: $p passed, $f failed ($(($(date +%s) - start)) s)"
}

unit() {
	local out rc=0
	out=$(build/test/unit) || rc=$?
	echo "$out" | grep '^FAIL'
	echo "PASS unit checks: $(echo "$out" | tail -n 1)"
	return "$rc"
}

tree_asan() {
	local t rc=0
	for t in tests/tree/test_*.sh; do
		VV_BIN=build/test/vfio-variant bash "$t" || rc=1
	done
	return $rc
}

tree_valgrind() {
	local t rc=0
	for t in tests/tree/test_*.sh; do
		VV_BIN=build/vfio-variant \
		VV_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
			bash "$t" || rc=1
	done
	return $rc
}

# The tree suites against the static aarch64 binary (make ARCH=arm64),
# run by qemu-aarch64-static: really that binary (checked with file), and
# a failing wrapper must turn checks into failures.
tree_arm64() {
	local bin=build/arm64/vfio-variant t rc=0 out size
	if ! command -v qemu-aarch64-static >/dev/null; then
		echo "FAIL arm64 tree: qemu-aarch64-static not found (apt-get install qemu-user-static)"
		return 1
	fi
	if file "$bin" | grep -q 'ARM aarch64.*statically linked'; then
		echo "PASS arm64 tree: $bin is a static aarch64 binary"
	else
		echo "FAIL arm64 tree: $bin is not a static aarch64 binary (make ARCH=arm64): $(file "$bin")"
		return 1
	fi
	size=$(stat -c %s "$bin")
	if [ "$size" -le 262144 ]; then
		echo "PASS arm64 tree: $bin is $size bytes stripped (<= 256 KiB)"
	else
		echo "FAIL arm64 tree: $bin is $size bytes stripped (> 256 KiB)"
		rc=1
	fi
	if out=$(qemu-aarch64-static "$bin" --version) && [ -n "$out" ]; then
		echo "PASS arm64 tree: qemu-aarch64-static runs it ($out)"
	else
		echo "FAIL arm64 tree: qemu-aarch64-static $bin --version failed"
		rc=1
	fi
	# the wrapper is really used: with one that fails, the plan checks fail
	if out=$(VV_BIN=$bin VV_WRAP=false bash tests/tree/test_plan.sh 2>&1); then
		echo "FAIL arm64 tree: test_plan.sh passed with VV_WRAP=false"
		rc=1
	elif [ "$(echo "$out" | grep -c '^FAIL ')" -ge 20 ]; then
		echo "PASS arm64 tree: a failing wrapper fails test_plan.sh ($(echo "$out" | grep -c '^FAIL ') checks)"
	else
		echo "FAIL arm64 tree: with VV_WRAP=false only $(echo "$out" | grep -c '^FAIL ') checks of test_plan.sh failed"
		rc=1
	fi
	# the fake kernel is an LD_PRELOAD shim: the suites that bind through it
	# run the aarch64 glibc build with an aarch64 shim (make arm64-test-build)
	local dyn=build/arm64/test/vfio-variant-plain shim=build/arm64/test/fakekernel.so f
	for f in "$dyn" "$shim"; do
		if file -L "$f" | grep -q 'ARM aarch64.*dynamically linked'; then
			echo "PASS arm64 tree: $f is a dynamic aarch64 ELF"
		else
			echo "FAIL arm64 tree: $f is not a dynamic aarch64 ELF (make arm64-test-build): $(file -L "$f")"
			return 1
		fi
	done
	for t in tests/tree/test_*.sh; do
		if grep -q fakekernel "$t"; then
			VV_BIN=$dyn VV_SHIM=$PWD/$shim VV_WRAP="qemu-aarch64-static -L /usr/aarch64-linux-gnu" \
				bash "$t" || rc=1
		else
			VV_BIN=$bin VV_WRAP=qemu-aarch64-static bash "$t" || rc=1
		fi
	done
	return $rc
}

fixtures() {
	if bash tests/tree/fixtures/selftest.sh >/dev/null 2>&1; then
		echo "PASS fixture self-test (real depmod/modprobe agree with the fake trees)"
	else
		echo "FAIL fixture self-test"
	fi
}

shell_files() {
	git ls-files | while read -r f; do
		case "$f" in
		*.sh | .ci/run | */hooks/* | */install/* | */scripts/*) [ -f "$f" ] && echo "$f" ;;
		esac
	done
}

lint_shell() {
	local f
	for f in $(shell_files); do
		if shellcheck -x -P SCRIPTDIR -S style "$f" >/dev/null 2>&1; then
			echo "PASS shellcheck $f"
		else
			echo "FAIL shellcheck $f"
			shellcheck -x -P SCRIPTDIR -S style "$f" | head -n 20
		fi
	done
}

hooks() {
	local t rc=0
	for t in tests/hooks/*.sh; do
		[ -f "$t" ] || continue
		bash "$t" || rc=1
	done
	return $rc
}

suite "unit (glibc, ASan+UBSan)" unit
suite "fixtures" fixtures
suite "tree (glibc, ASan+UBSan)" tree_asan
suite "tree (static musl, valgrind)" tree_valgrind
suite "tree (static aarch64 musl, qemu-aarch64-static)" tree_arm64
suite "shellcheck" lint_shell
suite "hooks" hooks
if [ -z "${VV_SKIP_FUZZ:-}" ] && [ -f mk/fuzz.mk ]; then
	suite "fuzz smoke" make -s fuzz-smoke
fi
if [ -z "${VV_SKIP_VM:-}" ]; then
	for t in tests/vm/test_*.sh tests/vm/dracut.sh tests/vm/dracut-ng.sh tests/vm/initramfs-tools.sh; do
		[ -f "$t" ] || continue
		suite "vm: $(basename "$t" .sh)" bash "$t"
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
