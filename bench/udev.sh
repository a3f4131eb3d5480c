#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/udev.sh — the cost of one udev event, `bind --dry-run --device BDF`,
# on fake trees of 20, 1024 and 4116 PCI functions (4116: a DGX-like host
# with 4096 VFs), side by side in one run.
#
#   bash bench/udev.sh [N...]        (default: 20 1024 4116)
#   BENCH_BASE=BINARY                 also measure an older binary (e.g. one
#                                     built from main before the udev path)
#
# Trees: bench/trees.sh (the mix of bench/scale.sh: every 16th function
# listed by RULES, the rest natives; IOMMU groups of two functions).
# Events, each measured with valgrind --tool=callgrind ("Collected"
# instructions, stable from run to run):
#   unlisted   function 1 (nvme, 0000:01:00.1): no rule selects it
#   listed     function 0 (ConnectX VF 15b3:101e on mlx5_core): candidates
#              looked up, mlx5_vfio_pci chosen
#   companion  function 1 again, with vfio_variant.group=1 added: an
#              unlisted device in a listed device's IOMMU group, claimed
#   unl.+grp   function 2 (mlx5_core PF) with group=1: unlisted, its group
#              and slot siblings read, none listed
# Targets (issue 9): every column independent of N (<= 1.3x from the
# smallest to the largest), unlisted <= 1 M instructions.
# Output: a Markdown table, also in .cache/bench/udev.md.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/tree/lib.sh
. "$BENCH_REPO/tests/tree/lib.sh"
# shellcheck source=bench/trees.sh
. "$BENCH_REPO/bench/trees.sh"

SIZES=("$@")
((${#SIZES[@]})) || SIZES=(20 1024 4116)
OUT=$BENCH_CACHE/udev.md

for c in valgrind jq depmod gcc; do
	command -v "$c" >/dev/null || bench_die "$c not found (tools/deps.sh installs it)"
done
for n in "${SIZES[@]}"; do
	if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 4 || n > 8192)); then
		bench_die "N must be 4 to 8192 (got '$n')"
	fi
done
bench_build_binary

# instr CMD...: callgrind's instruction total
instr() {
	local n
	n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
		sed -n 's/^==[0-9]*== Collected : *\([0-9]*\).*/\1/p')
	[[ -n $n ]] || bench_die "no callgrind total for: $*"
	printf '%s\n' "$n"
}

# event BIN N KIND: instructions of one event
event() {
	local bin=$1 r=$TREES/$2 kind=$3 bdf rules=$RULES
	case $kind in
	unlisted) bdf=$(fn_bdf 1) ;;
	listed) bdf=$(fn_bdf 0) ;;
	companion) bdf=$(fn_bdf 1) rules+=" vfio_variant.group=1" ;;
	unlgrp) bdf=$(fn_bdf 2) rules+=" vfio_variant.group=1" ;;
	esac
	instr "$bin" --root "$r" --kver "$KVER" --cmdline "$rules" bind --dry-run --device "$bdf"
}

# check what the events decide (on the smallest tree)
check_events() {
	local r=$TREES/$1 out
	out=$("$BENCH_BIN" --root "$r" --kver "$KVER" --cmdline "$RULES" bind --dry-run --device "$(fn_bdf 0)" 2>&1)
	[[ $out == *"would bind mlx5_vfio_pci"* ]] || bench_die "listed event: $out"
	out=$("$BENCH_BIN" --root "$r" --kver "$KVER" --cmdline "$RULES vfio_variant.group=1" bind --dry-run --device "$(fn_bdf 1)" 2>&1)
	[[ $out == *"would bind vfio_pci"* ]] || bench_die "companion event: $out"
	out=$("$BENCH_BIN" --root "$r" --kver "$KVER" --cmdline "$RULES" bind --dry-run --device "$(fn_bdf 1)" 2>&1)
	[[ -z $out ]] || bench_die "unlisted event said: $out"
}

KINDS=(unlisted listed companion unlgrp)
BINS=("$BENCH_BIN")
[[ -n ${BENCH_BASE:-} ]] && BINS+=("$BENCH_BASE")
make_modules
for n in "${SIZES[@]}"; do
	make_tree "$n"
done
check_events "${SIZES[0]}"

declare -A I
for n in "${SIZES[@]}"; do
	bench_log "N=$n: callgrind of each event"
	for b in "${!BINS[@]}"; do
		for k in "${KINDS[@]}"; do
			I[$b.$n.$k]=$(event "${BINS[$b]}" "$n" "$k")
		done
	done
done

mi() { awk -v v="$1" 'BEGIN { printf "%.3f M", v / 1e6 }'; }
{
	printf "### udev: one \`bind --dry-run --device\` event (%s, %s)\n\n" "$(bench_revision)" "$(uname -m)"
	for b in "${!BINS[@]}"; do
		if ((b == 0)); then printf 'This build:\n\n'; else printf '\nBaseline %s:\n\n' "${BINS[$b]#"$BENCH_REPO"/}"; fi
		printf '| functions | unlisted | listed | companion (group=1) | unlisted, group=1 |\n|---:|---:|---:|---:|---:|\n'
		for n in "${SIZES[@]}"; do
			printf '| %s | %s | %s | %s | %s |\n' "$n" "$(mi "${I[$b.$n.unlisted]}")" "$(mi "${I[$b.$n.listed]}")" \
				"$(mi "${I[$b.$n.companion]}")" "$(mi "${I[$b.$n.unlgrp]}")"
		done
		lo=${SIZES[0]} hi=${SIZES[-1]}
		printf '| %s→%s | %s× | %s× | %s× | %s× |\n' "$lo" "$hi" \
			"$(bench_ratio "${I[$b.$hi.unlisted]}" "${I[$b.$lo.unlisted]}" 2)" \
			"$(bench_ratio "${I[$b.$hi.listed]}" "${I[$b.$lo.listed]}" 2)" \
			"$(bench_ratio "${I[$b.$hi.companion]}" "${I[$b.$lo.companion]}" 2)" \
			"$(bench_ratio "${I[$b.$hi.unlgrp]}" "${I[$b.$lo.unlgrp]}" 2)"
	done
} | tee "$OUT"

# the targets, as exit status
lo=${SIZES[0]} hi=${SIZES[-1]}
rc=0
for k in "${KINDS[@]}"; do
	awk -v a="${I[0.$hi.$k]}" -v b="${I[0.$lo.$k]}" 'BEGIN { exit !(a <= 1.3 * b) }' ||
		{ bench_log "TARGET MISSED: $k grows more than 1.3x from $lo to $hi"; rc=1; }
done
((I[0.$hi.unlisted] <= 1000000)) || { bench_log "TARGET MISSED: unlisted > 1 M instructions"; rc=1; }
exit $rc
