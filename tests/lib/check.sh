# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# tests/lib/check.sh — the one PASS/FAIL/SKIP helper of every test suite.
# A suite sources it, reports each check through pass/fail/skip (or check),
# and ends with check_exit (or check_summary). tests/run.sh counts the
# "PASS "/"FAIL "/"SKIP " lines of every suite.
#   CHECK_PREFIX   put before every name (e.g. "install: "); may change
#                  between checks
#   CHECK_STOP_ON_PASS=1  exit 3 right after the first PASS line (the
#                  meta-test: one PASS against a broken binary is already
#                  its failure)
# The counts live in the sourcing shell: report from it, not from inside
# $(...) or a pipeline (a count made there is lost; its line still prints).

if [ -z "${CHECK_LOADED:-}" ]; then
	CHECK_LOADED=1
	CHECK_PASSED=0
	CHECK_FAILED=0
	CHECK_SKIPPED=0
fi

# pass NAME... / fail NAME... / skip NAME...: one result line, counted.
pass() {
	CHECK_PASSED=$((CHECK_PASSED + 1))
	printf 'PASS %s%s\n' "${CHECK_PREFIX:-}" "$*"
	[ "${CHECK_STOP_ON_PASS:-}" != 1 ] || exit 3
}
fail() {
	CHECK_FAILED=$((CHECK_FAILED + 1))
	printf 'FAIL %s%s\n' "${CHECK_PREFIX:-}" "$*"
}
skip() {
	CHECK_SKIPPED=$((CHECK_SKIPPED + 1))
	printf 'SKIP %s%s\n' "${CHECK_PREFIX:-}" "$*"
}

# check NAME CMD...: PASS or FAIL NAME by CMD's exit status.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# has LINE FILE: FILE holds exactly LINE (a condition for check).
has() { grep -qxF -- "$1" "$2"; }

# check_summary [LABEL]: "LABEL: N passed, N failed" (after "LABEL: N
# skipped" when some were); status 1 when a check failed or when no check
# ran at all (a suite that reports nothing has shown nothing).
check_summary() {
	((CHECK_PASSED + CHECK_FAILED + CHECK_SKIPPED)) || fail "no check ran"
	((CHECK_SKIPPED == 0)) || printf '%s%d skipped\n' "${1:+$1: }" "$CHECK_SKIPPED"
	printf '%s%d passed, %d failed\n' "${1:+$1: }" "$CHECK_PASSED" "$CHECK_FAILED"
	((CHECK_FAILED == 0))
}

# check_tally FILE: add the result lines of FILE (the output of another
# suite, for a runner) to the counts; FILE's own: TALLY_PASSED,
# TALLY_FAILED, TALLY_SKIPPED.
check_tally() {
	TALLY_PASSED=$(grep -c '^PASS ' "$1")
	TALLY_FAILED=$(grep -c '^FAIL ' "$1")
	TALLY_SKIPPED=$(grep -c '^SKIP ' "$1")
	CHECK_PASSED=$((CHECK_PASSED + TALLY_PASSED))
	CHECK_FAILED=$((CHECK_FAILED + TALLY_FAILED))
	CHECK_SKIPPED=$((CHECK_SKIPPED + TALLY_SKIPPED))
}

# check_exit [LABEL]: check_summary, then exit with its status.
check_exit() {
	check_summary "$@"
	exit $?
}
