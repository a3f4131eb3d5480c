#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/scale.sh — `vfio-variant plan --json` against the floor on fake
# trees of 64, 1024 and 4096 PCI functions.
#
#   bash bench/scale.sh [N...]        (default: 64 1024 4096)
#
# Trees (tests/tree/lib.sh, cached in .cache/bench/trees, rebuilt when
# lib.sh or the mix below changes): one module tree made once by mk_modules
# with every module it knows (the full upstream vfio_pci: alias set, real
# depmod), shared by every root through a symlink; then mk_pci per function.
# Addresses: 8 functions a slot, 8 slots a bus, 32 buses a domain (4096 =
# domains 0000 and 0001, 64 buses). IOMMU groups: one per pair of functions
# (fn 0+1, 2+3, ...), so each listed device shares its group with one native
# function, like a GPU with its HDMI audio. Every 16th function is listed by
#   vfio_variant.ids=15b3:101e,10de:2342,1af4:1041
# (ConnectX VF on mlx5_core, GH200 unbound, virtio-net on virtio-pci, in
# turn); the other 15 are unlisted natives (e1000e, nvme, mlx5_core PF,
# snd_hda_intel, ahci, an unbound VGA, a PCIe port), bound as at runtime.
#
# Measures, for the binary and the floor (bench/floor.c: list the devices,
# read modalias and class, nothing else; built static musl -Os like the
# binary):
#   wall     hyperfine median (-N, 3 warmups, >= 10 runs); without hyperfine
#            the median of BENCH_RUNS (15) runs timed with date +%s%N
#   Ir       instructions, valgrind --tool=callgrind "Collected" (stable
#            from run to run)
# and prints a Markdown table with the ratios and the instructions per
# function (growth), then the top functions of the binary's callgrind
# profile at the largest N (callgrind_annotate, unstripped binary).
# Output also saved to .cache/bench/scale.md; profiles as
# .cache/bench/callgrind.N.out.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/tree/lib.sh
. "$BENCH_REPO/tests/tree/lib.sh"
# shellcheck source=bench/trees.sh
. "$BENCH_REPO/bench/trees.sh"

SIZES=("$@")
((${#SIZES[@]})) || SIZES=(64 1024 4096)
OUT=$BENCH_CACHE/scale.md

for c in valgrind callgrind_annotate jq depmod gcc; do
	command -v "$c" >/dev/null || bench_die "$c not found (tools/deps.sh installs it)"
done
for n in "${SIZES[@]}"; do
	if ! [[ $n =~ ^[0-9]+$ ]] || ((n % 16 != 0 || n == 0 || n > 8192)); then
		bench_die "N must be a multiple of 16 up to 8192 (got '$n')"
	fi
done

bench_build_binary
FLOOR=$(bench_helper floor)

# check_tree N: the binary's plan is what the mix says (N/16 listed, all
# bound to their variants) and the floor sees N devices.
check_tree() {
	local n=$1 r=$TREES/$1 json rc=0 want got
	json=$("$BENCH_BIN" --root "$r" --kver "$KVER" plan --json 2>/dev/null) || rc=$?
	((rc == 0)) || bench_die "plan on the $n-function tree exited $rc"
	want="$((n / 16)) $((n / 16))"
	got=$(jq -r '"\(length) \([.[] | select(.action == "bind")] | length)"' <<<"$json")
	[[ $got == "$want" ]] || bench_die "plan on $n functions: want '$want' (listed, bind), got '$got'"
	got=$(jq -r '[.[].module] | unique | join(",")' <<<"$json")
	[[ $got == mlx5_vfio_pci,nvgrace_gpu_vfio_pci,virtio_vfio_pci ]] ||
		bench_die "plan on $n functions chose modules '$got'"
	got=$("$FLOOR" --root "$r")
	[[ $got == "$n devices, "* ]] || bench_die "floor on $n functions: $got"
}

# wall_ms CMD...: median wall time in ms (3 decimals)
wall_ms() {
	local tmp
	if command -v hyperfine >/dev/null; then
		tmp=$(mktemp "${TMPDIR:-/tmp}/bench-hf.XXXXXX")
		hyperfine -N --style none --warmup 3 --min-runs 10 --export-json "$tmp" \
			-- "$(printf '%q ' "$@")" >/dev/null 2>"$tmp.err" || {
			cat "$tmp.err" >&2
			bench_die "hyperfine $* failed"
		}
		rm -f "$tmp.err"
		jq -r '.results[0].median * 1000 | . * 1000 | round / 1000' "$tmp"
		rm -f "$tmp"
		return
	fi
	local k t0 t1 v=()
	for ((k = 0; k < 3; k++)); do "$@" >/dev/null 2>&1 || true; done
	for ((k = 0; k < ${BENCH_RUNS:-15}; k++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || true
		t1=$(date +%s%N)
		v+=($((t1 - t0)))
	done
	awk -v ns="$(bench_median "${v[@]}")" 'BEGIN { printf "%.3f\n", ns / 1e6 }'
}

make_modules
for n in "${SIZES[@]}"; do
	make_tree "$n"
	check_tree "$n"
done

declare -A W_PLAN W_FLOOR I_PLAN I_FLOOR I_FLOOR1
for n in "${SIZES[@]}"; do
	r=$TREES/$n
	bench_log "N=$n: wall (hyperfine) and instructions (callgrind)"
	W_PLAN[$n]=$(wall_ms "$BENCH_BIN" --root "$r" --kver "$KVER" plan --json)
	W_FLOOR[$n]=$(wall_ms "$FLOOR" --root "$r")
	I_PLAN[$n]=$(bench_instr /dev/null "$BENCH_BIN" --root "$r" --kver "$KVER" plan --json)
	I_FLOOR[$n]=$(bench_instr /dev/null "$FLOOR" --root "$r")
	I_FLOOR1[$n]=$(bench_instr /dev/null "$FLOOR" --root "$r" --modalias-only)
done

# Profile at the largest N, with symbols.
MAXN=${SIZES[-1]}
PROF=$BENCH_CACHE/callgrind.$MAXN.out
bench_instr "$PROF" "$BENCH_BIN.unstripped" --root "$TREES/$MAXN" --kver "$KVER" plan --json >/dev/null

{
	printf '### Scale: %s vs the floor (%s, %s, %s)\n\n' "\`plan --json\`" \
		"$(bench_revision)" "$(uname -m)" "$(nproc) cpus"
	printf '| functions | listed | plan wall ms | floor wall ms | wall ratio | plan Ir | floor Ir | Ir ratio | Ir ratio vs modalias-only floor | plan Ir/function | floor Ir/function |\n'
	printf '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
	for n in "${SIZES[@]}"; do
		printf '| %s | %s | %s | %s | %s× | %s | %s | %s× | %s× | %s | %s |\n' "$n" $((n / 16)) \
			"${W_PLAN[$n]}" "${W_FLOOR[$n]}" "$(bench_ratio "${W_PLAN[$n]}" "${W_FLOOR[$n]}" 2)" \
			"${I_PLAN[$n]}" "${I_FLOOR[$n]}" "$(bench_ratio "${I_PLAN[$n]}" "${I_FLOOR[$n]}" 2)" \
			"$(bench_ratio "${I_PLAN[$n]}" "${I_FLOOR1[$n]}" 2)" \
			"$(bench_per "${I_PLAN[$n]}" "$n")" "$(bench_per "${I_FLOOR[$n]}" "$n")"
	done
	printf '\nGrowth (marginal instructions per added function, plan / floor):'
	prev=
	for n in "${SIZES[@]}"; do
		if [[ -n $prev ]]; then
			printf ' %s→%s: %s / %s;' "$prev" "$n" \
				"$(bench_per $((I_PLAN[$n] - I_PLAN[$prev])) $((n - prev)))" \
				"$(bench_per $((I_FLOOR[$n] - I_FLOOR[$prev])) $((n - prev)))"
		fi
		prev=$n
	done
	printf '\n\nWhere the instructions of plan go at %s functions (callgrind, inclusive Ir):\n\n' "$MAXN"
	callgrind_annotate --inclusive=yes "$PROF" 2>/dev/null | sed 's/???://; s/ \[[^]]*\]$//' |
		awk -v tot="${I_PLAN[$MAXN]}" '
			$NF ~ /^(main|pci_scan|pci_read|qsort|mod_open|plan_build|mod_candidates|kmod_module_get_info|offer_info|print_plan_json|load_rules)$/ && !seen[$NF]++ {
				gsub(/,/, "", $1); printf "- %s: %s Ir (%.1f%%)\n", $NF, $1, 100 * $1 / tot }'
	printf '\nTop functions by exclusive Ir:\n\n%s\n' '~~~'
	callgrind_annotate "$PROF" 2>/dev/null | sed 's/???://; s/ \[[^]]*\]$//' |
		awk '/^-+$/ {sep++; next} sep >= 3 && NF && $1 != "Ir" && n < 15 {print; n++}' |
		while IFS= read -r line; do
			# musl's assembly memcpy/memset carry no symbol size: name them
			if [[ $line =~ (0x[0-9a-f]+)$ ]] && command -v addr2line >/dev/null; then
				line=${line%"${BASH_REMATCH[1]}"}$(addr2line -f -e "$BENCH_BIN.unstripped" "${BASH_REMATCH[1]}" | head -n1)
			fi
			printf '%s\n' "$line"
		done
	printf '%s\n' '~~~'
} | tee "$OUT"
