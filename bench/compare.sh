#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/compare.sh — before/after in one run: the binaries of base commits
# and this checkout's, beside the floor, on the DGX-like tree (4,096
# ConnectX VFs, all listed: 4,116 functions; bench/trees.sh make_dgx).
#
#   bash bench/compare.sh [BASE...]   (BASE: a commit, default e13b3cb)
#
# Builds: this checkout (`make`), each BASE from `git archive` into
# .cache/bench/base-COMMIT (its own `make`, the same kmod source; cached by
# commit id), and bench/floor.c (static musl -Os). Then, for each base,
# new and the floor:
#   wall       median of BENCH_RUNS (21) runs after 3 warm-ups, the
#              programs interleaved run by run (a load change hits all
#              alike), `plan --json` for the binaries
#   Ir         valgrind --tool=callgrind "Collected" instructions
#   syscalls   strace -c -f: all calls, and per device (/ 4,116), with the
#              calls by name
# and for the binaries, the udev event (`bind --dry-run --device`) of an
# unlisted function (an NVMe) and a listed one (a VF) in instructions, and
# the syscalls of `status --json`. Before timing, the outputs of `plan`,
# `plan --json`, `status`, `status --json` and `explain` (a VF, an NVMe) of
# every base and the new binary are compared byte for byte (exit 1 if they
# differ). Prints a Markdown report, also in .cache/bench/compare.md;
# profiles in .cache/bench/compare.{base-COMMIT,new}.callgrind.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/tree/lib.sh
. "$BENCH_REPO/tests/tree/lib.sh"
# shellcheck source=bench/trees.sh
. "$BENCH_REPO/bench/trees.sh"

(($#)) || set -- e13b3cb
OUT=$BENCH_CACHE/compare.md
RUNS=${BENCH_RUNS:-21}

for c in valgrind callgrind_annotate strace jq depmod gcc git make musl-gcc; do
	command -v "$c" >/dev/null || bench_die "$c not found (tools/deps.sh installs it)"
done

bench_build_binary
FLOOR=$(bench_helper floor)

# build_base COMMIT: the stripped and unstripped binary of COMMIT, cached.
build_base() {
	local rev dir kmod
	rev=$(git -C "$BENCH_REPO" rev-parse --verify "$1^{commit}") || bench_die "no commit '$1'"
	dir=$BENCH_CACHE/base-$rev
	if [[ ! -x $dir/build/vfio-variant ]]; then
		bench_log "building the base binary ($rev)"
		rm -rf "$dir"
		mkdir -p "$dir"
		git -C "$BENCH_REPO" archive "$rev" | tar -x -C "$dir" || bench_die "git archive $rev failed"
		kmod=()
		[[ -d $BENCH_REPO/.cache/kmod-34.2 ]] && kmod=(KMOD_SRC="$BENCH_REPO/.cache/kmod-34.2")
		nice make -s -C "$dir" "${kmod[@]}" all >&2 || bench_die "make of $rev failed"
	fi
	printf '%s\n' "$dir/build/vfio-variant"
}
# PROGS: floor, base-REV..., new; BIN and LABEL by program
declare -A BIN LABEL
PROGS=(floor)
LABEL[floor]="floor (list, read modalias + class)"
for b in "$@"; do
	rev=$(git -C "$BENCH_REPO" rev-parse --short "$b^{commit}") || bench_die "no commit '$b'"
	BIN[base-$rev]=$(build_base "$b")
	LABEL[base-$rev]="\`plan --json\`, base $rev"
	PROGS+=("base-$rev")
done
BASES=("${PROGS[@]:1}")
PROGS+=(new)
BIN[new]=$BENCH_BIN
LABEL[new]="\`plan --json\`, new"
NEW_BIN=$BENCH_BIN

make_modules
make_dgx
R=$TREES/dgx
VF=$(dgx_vf_bdf 0)
NVME=0000:c0:00.0
ARGS=(--root "$R" --kver "$KVER")

# The binaries must print the same, byte for byte.
check_same() {
	local cmd bad=0 a b p
	for cmd in "plan" "plan --json" "status" "status --json" "explain $VF" "explain $NVME"; do
		# shellcheck disable=SC2086 # cmd is words by design
		b=$("$NEW_BIN" "${ARGS[@]}" $cmd 2>&1; echo "rc=$?")
		for p in "${BASES[@]}"; do
			# shellcheck disable=SC2086
			a=$("${BIN[$p]}" "${ARGS[@]}" $cmd 2>&1; echo "rc=$?")
			if [[ $a != "$b" ]]; then
				bench_log "output differs: $p and new: $cmd"
				diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -n 20 >&2 || true
				bad=1
			fi
		done
	done
	((bad == 0)) || bench_die "a base and new differ on the DGX-like tree"
	b=$("$NEW_BIN" "${ARGS[@]}" plan --json | jq -r '"\(length) \([.[] | select(.action == "bind" and .module == "mlx5_vfio_pci")] | length)"')
	[[ $b == "$DGX_LISTED $DGX_LISTED" ]] || bench_die "plan: want $DGX_LISTED listed, all to mlx5_vfio_pci; got '$b'"
	b=$("$FLOOR" --root "$R")
	[[ $b == "$DGX_N devices, "* ]] || bench_die "floor: $b"
}

# walls: the programs' runs interleaved (floor, base..., new, floor,
# ...), so that a change in the machine's load hits all alike; bash's
# EPOCHREALTIME around each run (no fork for the clock). Sets W[p] to the
# median in ms.
run_one() {
	if [[ $1 == floor ]]; then
		"$FLOOR" --root "$R"
	else
		"${BIN[$1]}" "${ARGS[@]}" plan --json
	fi >/dev/null 2>&1 || true
}
walls() {
	local k p t0 t1 us
	declare -A runs=()
	for ((k = 0; k < 3; k++)); do
		for p in "${PROGS[@]}"; do run_one "$p"; done
	done
	for ((k = 0; k < RUNS; k++)); do
		for p in "${PROGS[@]}"; do
			t0=$EPOCHREALTIME
			run_one "$p"
			t1=$EPOCHREALTIME
			us=$((10#${t1//[.,]/} - 10#${t0//[.,]/}))
			runs[$p]+=" $us"
		done
	done
	for p in "${PROGS[@]}"; do
		# shellcheck disable=SC2086 # the list of runs, by design
		W[$p]=$(awk -v us="$(bench_median ${runs[$p]})" 'BEGIN { printf "%.3f\n", us / 1e3 }')
	done
}

# sys NAME CMD...: total syscalls (strace -c -f); the table in STRACE_NAME
sys() {
	local name=$1 f=$BENCH_CACHE/compare.$1.strace
	shift
	strace -c -f -o "$f" "$@" >/dev/null 2>&1 || true
	awk '$NF == "total" { print $4 }' "$f"
}

# calls NAME: "openat 8232 (4116 failed), read ..." from the strace table
calls() {
	awk '$1 ~ /^[0-9.]+$/ && $NF != "total" && NF >= 5 {
		err = (NF == 6) ? $5 : 0
		printf "%s%s %s%s", sep, $NF, $4, err ? " (" err " failed)" : ""; sep = ", " }' \
		"$BENCH_CACHE/compare.$1.strace"
}

check_same

declare -A W I S
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
bench_log "wall ($RUNS runs each), instructions and syscalls at $DGX_N functions"
walls
I[floor]=$(bench_instr /dev/null "$FLOOR" --root "$R")
S[floor]=$(sys floor "$FLOOR" --root "$R")
for p in "${PROGS[@]:1}"; do
	I[$p]=$(bench_instr "$BENCH_CACHE/compare.$p.callgrind" "${BIN[$p]}.unstripped" "${ARGS[@]}" plan --json)
	S[$p]=$(sys "$p" "${BIN[$p]}" "${ARGS[@]}" plan --json)
	S[$p.status]=$(sys "$p.status" "${BIN[$p]}" "${ARGS[@]}" status --json)
done

bench_log "udev events"
for p in "${PROGS[@]:1}"; do
	I[$p.unlisted]=$(bench_instr /dev/null "${BIN[$p]}" "${ARGS[@]}" --cmdline "$DGX_RULES" bind --dry-run --device "$NVME")
	I[$p.listed]=$(bench_instr /dev/null "${BIN[$p]}" "${ARGS[@]}" --cmdline "$DGX_RULES" bind --dry-run --device "$VF")
done

mi() { awk -v v="$1" 'BEGIN { printf "%.2f M", v / 1e6 }'; }
top() { # top functions by exclusive Ir of a profile
	callgrind_annotate "$1" 2>/dev/null | sed 's/???://; s/ \[[^]]*\]$//' |
		awk '/^-+$/ {sep++; next} sep >= 3 && NF && $1 != "Ir" && n < 12 {print; n++}'
}
{
	printf '### Before/after at %s functions (%s listed): %s, new %s (%s, %s cpus, load %s before, %s after)\n\n' \
		"$DGX_N" "$DGX_LISTED" "${BASES[*]}" "$(bench_revision)" "$(uname -m)" "$(nproc)" \
		"$LOAD0" "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf '| program | wall ms (median of %s) | ÷ floor | Ir | ÷ floor | syscalls | per device |\n' "$RUNS"
	printf '|---|---:|---:|---:|---:|---:|---:|\n'
	for p in "${PROGS[@]}"; do
		printf '| %s | %s | %s× | %s | %s× | %s | %s |\n' "${LABEL[$p]}" "${W[$p]}" \
			"$(bench_ratio "${W[$p]}" "${W[floor]}" 2)" "$(mi "${I[$p]}")" \
			"$(bench_ratio "${I[$p]}" "${I[floor]}" 2)" "${S[$p]}" \
			"$(bench_ratio "${S[$p]}" "$DGX_N" 2)"
	done
	printf '\nudev event (%s), instructions:\n\n' "\`bind --dry-run --device\`"
	printf '| binary | unlisted (%s, NVMe) | listed (%s, VF) |\n|---|---:|---:|\n' "$NVME" "$VF"
	for p in "${PROGS[@]:1}"; do
		printf '| %s | %s | %s |\n' "$p" "$(mi "${I[$p.unlisted]}")" "$(mi "${I[$p.listed]}")"
	done
	printf '\n%s, syscalls:\n\n| binary | syscalls | per device |\n|---|---:|---:|\n' "\`status --json\`"
	for p in "${PROGS[@]:1}"; do
		printf '| %s | %s | %s |\n' "$p" "${S[$p.status]}" "$(bench_ratio "${S[$p.status]}" "$DGX_N" 2)"
	done
	for p in "${PROGS[@]}"; do
		printf '\nSyscalls, %s: %s\n' "$p" "$(calls "$p")"
	done
	for p in "${PROGS[@]:1}"; do
		printf '\nTop functions of %s by exclusive Ir:\n\n~~~\n%s\n~~~\n' "$p" "$(top "$BENCH_CACHE/compare.$p.callgrind")"
	done
} | tee "$OUT"
