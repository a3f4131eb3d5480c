# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# tests/tree/assert.sh — how a tree suite runs the binary and checks what
# it did. Counting and the PASS/FAIL lines: tests/lib/check.sh.
#   VV_BIN   binary under test (default build/vfio-variant)
#   VV_WRAP  command prefix (valgrind ..., qemu-aarch64-static) or empty
#
# Every run states the exit code it expects:      vv 0 plan --json
# and every check after it is a check of that run: it FAILS, whatever it
# looks at, when the run exited with another code, with 99 or more
# (valgrind --error-exitcode=99 and the sanitizers, set to 99 below; 126
# and 127: could not run) or died by a signal. A run needs at least one
# check of what it printed or wrote (jq_ok, out_has, err_has, json_ok,
# file_has, quiet): an exit code alone is what /bin/false gives too, so a run
# that none of them looks at is a FAIL of its own. holds, out_lacks and
# err_lacks check a run too, but do not count as looking at it; out_lacks
# and err_lacks pass only after one of the others passed for the run.
#   vv WANT ARGS...            run the binary on $R: $OUT, $ERR, $RC
#   run_binary WANT DESC CMD...  the same for a command line built by a suite
#   jq_ok NAME FILTER          stdout is JSON, not empty, and FILTER holds
#   json_ok NAME TEXT FILTER   TEXT (a file the binary wrote) likewise
#   out_has / err_has NAME TEXT   stdout / stderr contains TEXT
#   file_has NAME FILE TEXT    FILE contains TEXT
#   quiet NAME                 the run printed nothing (not with exit 1)
#   out_lacks / err_lacks NAME TEXT   stdout / stderr does not contain TEXT
#   holds NAME CMD...          CMD succeeds (the tree after the run)
#   tree_exit                  the suite's last line: summary and status

# shellcheck source=../lib/check.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"

VV_BIN=${VV_BIN:-build/vfio-variant}
VV_WRAP=${VV_WRAP:-}
KVER=${KVER:-6.12.0-test}
# a sanitizer error must not look like exit 1 (bad input): ASan, LSan and
# UBSan exit 1 by default
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}exitcode=99
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-}${UBSAN_OPTIONS:+:}exitcode=99:print_stacktrace=1
# every root of this script lives below T_BASE, removed by cleanup_roots
T_BASE=$(mktemp -d "${TMPDIR:-/tmp}/vvtree.XXXXXX")
RUN_DESC=
RUN_LOOKED=1

# run_binary WANT DESC CMD...: run CMD (DESC names it in messages),
# stdout to $OUT, stderr to $ERR, exit code to $RC; the checks that follow
# compare RC with WANT.
run_binary() {
	local want=$1 rc=0 i=1
	_run_done
	# the suite's line: the first caller outside assert.sh and fake.sh
	while [[ ${BASH_SOURCE[i]:-} == */assert.sh || ${BASH_SOURCE[i]:-} == */fake.sh ]]; do
		i=$((i + 1))
	done
	RUN_DESC="'$2' at ${BASH_SOURCE[i]##*/}:${BASH_LINENO[i - 1]}"
	shift 2
	case $want in
	[0-9] | [1-8][0-9] | 9[0-8]) ;;
	*)
		fail "harness: run $RUN_DESC expects exit '$want' (want 0..98)"
		want=-1
		;;
	esac
	"$@" >"$OUT" 2>"$ERR" || rc=$?
	RC=$rc RUN_WANT=$want RUN_LOOKED=0 RUN_SHOWN=0
}

# vv WANT ARGS...: the binary on $R with $KVER
vv() {
	local code=$1
	shift
	# shellcheck disable=SC2086
	run_binary "$code" "vv $*" $VV_WRAP "$VV_BIN" --root "$R" --kver "$KVER" "$@"
}

# _run_done: the previous run, if any, was looked at
_run_done() {
	if [ -n "$RUN_DESC" ] && [ "$RUN_LOOKED" = 0 ]; then
		fail "harness: no check looked at what run $RUN_DESC printed"
	fi
	RUN_LOOKED=1
}

# _run_bad: status 0, and RUN_WHY set, when the last run disqualifies
# every check of it
_run_bad() {
	if [ -z "$RUN_DESC" ]; then
		RUN_WHY="no run of the binary before this check"
		return 0
	fi
	if ((RC > 128)); then
		RUN_WHY="killed by signal $((RC - 128))"
	elif ((RC >= 99)); then
		RUN_WHY="exit $RC: a valgrind or sanitizer error, or the binary did not run"
	elif ((RC != RUN_WANT)); then
		RUN_WHY="exit $RC, want $RUN_WANT"
	else
		return 1
	fi
	RUN_WHY="$RUN_WHY; run $RUN_DESC; stderr: $(head -c 400 "$ERR")"
}

# _verdict NAME STATUS DETAIL...: PASS when the run is good and STATUS is
# 0; status 0 when it passed
_verdict() {
	local name=$1 st=$2
	shift 2
	if _run_bad; then
		fail "$name ($RUN_WHY)"
		return 1
	elif [ "$st" = 0 ]; then
		pass "$name"
	else
		fail "$name ($*)"
		return 1
	fi
}

# _shown NAME...: _verdict for a check that something was printed or
# written; once one passed, RUN_SHOWN=1
_shown() { _verdict "$@" && RUN_SHOWN=1; }

# json_ok NAME TEXT FILTER
json_ok() {
	local why="" st=0
	RUN_LOOKED=1
	if [ -z "$2" ]; then
		why="no output"
	elif ! jq empty <<<"$2" >/dev/null 2>&1; then
		why="not JSON: $(head -c 600 <<<"$2")"
	elif ! jq -e "$3" <<<"$2" >/dev/null 2>&1; then
		why="jq '$3' on: $(head -c 600 <<<"$2")"
	fi
	[ -z "$why" ] || st=1
	_shown "$1" "$st" "$why"
}
jq_ok() { json_ok "$1" "$(cat "$OUT")" "$2"; }

# file_has NAME FILE TEXT: FILE contains TEXT (a fixed string)
file_has() {
	local st=0
	RUN_LOOKED=1
	if [ -z "$3" ]; then
		fail "harness: $1: empty TEXT matches anything"
		return
	fi
	grep -qF -- "$3" "$2" 2>/dev/null || st=1
	_shown "$1" "$st" "${2##*/} lacks '$3': $(head -c 600 "$2" 2>&1)"
}
out_has() { file_has "$1" "$OUT" "$2"; }
err_has() { file_has "$1" "$ERR" "$2"; }

# quiet NAME: the run printed nothing at all (for a run expecting exit 1
# that is what /bin/false does: refused there)
quiet() {
	local st=0
	RUN_LOOKED=1
	if [ "${RUN_WANT:-}" = 1 ]; then
		fail "harness: $1: an empty output with exit 1 is /bin/false's"
		return
	fi
	{ [ -s "$OUT" ] || [ -s "$ERR" ]; } && st=1
	_shown "$1" "$st" "printed: $(head -c 300 "$OUT" "$ERR")"
}

# file_lacks NAME FILE TEXT: FILE does not contain TEXT (a fixed string);
# only after a check of this run showed what it printed (a binary that
# prints nothing lacks everything)
file_lacks() {
	local st=0 why
	grep -qF -- "$3" "$2" && st=1
	why="${2##*/} has '$3'"
	if [ "${RUN_SHOWN:-0}" = 0 ]; then
		st=1 why="no earlier check of this run showed what it printed"
	fi
	_verdict "$1" "$st" "$why"
}
out_lacks() { file_lacks "$1" "$OUT" "$2"; }
err_lacks() { file_lacks "$1" "$ERR" "$2"; }

# holds NAME CMD...: CMD succeeds
holds() {
	local name=$1 st=0
	shift
	"$@" || st=1
	_verdict "$name" "$st" "false: $*"
}

# holds_shown NAME CMD...: CMD succeeds, after an earlier check of this run
# showed what it printed (a state left unchanged proves nothing about a
# binary that did nothing: /bin/false changes nothing either)
holds_shown() {
	local name=$1 st=0 why
	shift
	"$@" || st=1
	why="false: $*"
	if [ "${RUN_SHOWN:-0}" = 0 ]; then
		st=1 why="no earlier check of this run showed what it printed"
	fi
	_verdict "$name" "$st" "$why"
}

# tree_exit: the last run was looked at; the summary; exit 1 on a failure
tree_exit() {
	_run_done
	check_exit "${0##*/}"
}

# new_root: fresh $R with the full module tree (built once per script, copied)
new_root() {
	R=$(new_dir)
	OUT=$R.out
	ERR=$R.err
	if [ -z "${T_MODCACHE:-}" ]; then
		T_MODCACHE=$(new_dir)
		mk_modules "$T_MODCACHE" "$KVER" >/dev/null
	fi
	mk_kernel "$R" "$KVER" "${1:-}"
	mkdir -p "$R/lib"
	cp -a "$T_MODCACHE/lib/modules" "$R/lib/"
}

# new_dir: a fresh directory below T_BASE
new_dir() { mktemp -d "$T_BASE/r.XXXXXX"; }

cleanup_roots() {
	rm -rf "$T_BASE"
}
