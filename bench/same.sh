#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/same.sh — a VV_WRAP for the tree suites that checks a change of the
# binary's internals kept its output: every read-only command (plan,
# status, explain) runs twice, with the binary under test and with
# VV_SAME_BASE (an older build), and any difference in stdout, stderr or
# exit status is appended to VV_SAME_LOG. The suite sees the binary under
# test's output and exit status unchanged. Other commands run once.
#
#   VV_SAME_BASE=.cache/bench/base-COMMIT/build/test/vfio-variant \
#   VV_SAME_LOG=/tmp/same.log VV_WRAP="bash bench/same.sh" \
#   VV_BIN=build/test/vfio-variant bash tests/tree/test_plan.sh
#   # then: VV_SAME_LOG empty (or absent) = byte-identical; its
#   # "compared" lines count the commands compared
set -u
: "${VV_SAME_BASE:?VV_SAME_BASE: the older binary}" "${VV_SAME_LOG:?VV_SAME_LOG: where differences go}"

cmd=
skip=0
for a in "${@:2}"; do
	if ((skip)); then
		skip=0
		continue
	fi
	case $a in
	--root | --kver | --cmdline | --config | --moddir | --device) skip=1 ;;
	-*) ;;
	*)
		cmd=$a
		break
		;;
	esac
done
case $cmd in
plan | status | explain) ;;
*) exec "$@" ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vv-same.XXXXXX") || exit 97
"$@" >"$tmp/new.out" 2>"$tmp/new.err" </dev/null
rc=$?
"$VV_SAME_BASE" "${@:2}" >"$tmp/base.out" 2>"$tmp/base.err" </dev/null
brc=$?
{
	printf 'compared: %s\n' "${*:2}"
	if ! cmp -s "$tmp/new.out" "$tmp/base.out" || ! cmp -s "$tmp/new.err" "$tmp/base.err" || ((rc != brc)); then
		printf 'DIFFERS (exit %s, base %s): %s\n' "$rc" "$brc" "${*:2}"
		diff "$tmp/base.out" "$tmp/new.out" | head -n 20
		diff "$tmp/base.err" "$tmp/new.err" | head -n 20
	fi
} >>"$VV_SAME_LOG"
cat "$tmp/new.out"
cat "$tmp/new.err" >&2
rm -rf "$tmp"
exit "$rc"
