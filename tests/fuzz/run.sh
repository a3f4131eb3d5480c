#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run libFuzzer targets built by mk/fuzz.mk.
#
#   tests/fuzz/run.sh smoke NAME...   FUZZ_SECONDS each (make fuzz-smoke: 20)
#                                     on a scratch corpus, VV_JOBS targets
#                                     at a time (default: the number of
#                                     CPUs); prints one line
#                                     per target, "PASS fuzz_NAME: ..." or
#                                     "FAIL fuzz_NAME: ..."; exit 1 if any
#                                     failed
#   tests/fuzz/run.sh long NAME...    FUZZ_SECONDS each (make fuzz: 600),
#                                     corpus kept in build/fuzz/corpus-NAME
#
# The committed seeds in tests/fuzz/corpus/NAME are never written to: smoke
# passes them as a second (read-only) corpus directory, long copies them.
# Crash inputs land in build/fuzz/artifacts/NAME/. Logs: build/fuzz/*.log.
set -u
mode=${1:?usage: run.sh smoke|long NAME...}
shift
secs=${FUZZ_SECONDS:-600}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
# shellcheck source=../lib/check.sh
. tests/lib/check.sh
opts=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1)

# "N execs in S s, cov C ft F, corpus K" from a libFuzzer log
summary() {
	local log=$1 execs last cov ft corp t
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	t=$(sed -E -n 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/p' "$log" | tail -n1)
	last=$(grep -E '^#[0-9]+' "$log" | grep 'cov: ' | tail -n1)
	[ -n "$execs" ] || execs=$(sed -E -n 's/^#([0-9]+).*/\1/p' <<<"$last")
	cov=$(sed -E -n 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
	ft=$(sed -E -n 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
	corp=$(sed -E -n 's/.* corp: ([0-9]+).*/\1/p' <<<"$last")
	printf '%s execs%s, cov %s ft %s, corpus %s' \
		"${execs:-?}" "${t:+ in $t s}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
}

# smoke, several targets: side by side, VV_JOBS at a time (default: the
# number of CPUs; each target still fuzzes for FUZZ_SECONDS on a core of its
# own), each as its own run of this script; their result lines in the
# order named, counted here
if [ "$mode" = smoke ] && (($# > 1)); then
	max=${VV_JOBS:-$(nproc 2>/dev/null || echo 2)}
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
	for ((i = 1; i <= $#; i++)); do
		while (($(jobs -pr | wc -l) >= max)); do wait -n; done
		bash "$top/tests/fuzz/run.sh" smoke "${!i}" >"$out/$i" 2>&1 &
	done
	wait
	for ((i = 1; i <= $#; i++)); do
		grep -E '^(PASS|FAIL|SKIP) ' "$out/$i" || fail "fuzz_${!i}: no result line ($(tail -n 3 "$out/$i" | tr '\n' ' '))"
		check_tally "$out/$i"
	done
	check_exit "fuzz $mode"
fi

for name in "$@"; do
	bin=build/fuzz/fuzz_$name
	seeds=tests/fuzz/corpus/$name
	art=build/fuzz/artifacts/$name/
	mkdir -p "$art"
	if [ ! -x "$bin" ]; then
		fail "fuzz_$name: not built ($bin)"
		continue
	fi
	if [ "$mode" = smoke ]; then
		work=build/fuzz/smoke/$name
		log=build/fuzz/smoke/$name.log
		rm -rf "$work"
		mkdir -p "$work"
		"$bin" "${opts[@]}" -max_total_time="$secs" -dict="tests/fuzz/$name.dict" \
			-artifact_prefix="$art" "$work" "$seeds" >"$log" 2>&1
		rc=$?
	else
		work=build/fuzz/corpus-$name
		log=build/fuzz/$name.log
		mkdir -p "$work"
		cp -n "$seeds"/* "$work"/ 2>/dev/null
		"$bin" "${opts[@]}" -max_total_time="$secs" -dict="tests/fuzz/$name.dict" \
			-artifact_prefix="$art" "$work" 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
	fi
	if [ "$rc" -eq 0 ]; then
		pass "fuzz_$name: $(summary "$log")"
	else
		what=$(grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|invariant failed|ALARM)' "$log")
		input=$(find "$art" -type f -printf '%T@ %p\n' | sort -n | tail -n1 | cut -d' ' -f2-)
		fail "fuzz_$name: exit $rc: ${what:-see $log}; $(summary "$log"); input: ${input:-none}; log: $log"
	fi
done
check_exit "fuzz $mode"
