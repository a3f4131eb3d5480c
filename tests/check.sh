# shellcheck shell=bash
# tests/check.sh — PASS/FAIL helpers shared by the shell test scripts in
# tests/hooks/. Set CHECK_PREFIX (e.g. "install: ") before sourcing; the
# script ends with: exit $((fails > 0)).
fails=0
pass() { echo "PASS ${CHECK_PREFIX:-}$*"; }
fail() {
    echo "FAIL ${CHECK_PREFIX:-}$*"
    fails=$((fails + 1))
}
# check NAME CMD...: PASS/FAIL NAME by CMD's status.
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}
# has LINE FILE: FILE holds exactly LINE.
has() { grep -qxF -- "$1" "$2"; }
