#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/vm.sh — binding in a real kernel: vfio-variant vs driverctl vs an
# Arch-wiki style script, in ONE QEMU boot (Debian 6.12, TCG, q35 +
# intel-iommu; tests/vm/lib.sh), device sets gpu,nvme:
#   01:00.0 1002:5159 GPU, 01:00.1 8086:293e HDA (one IOMMU group),
#   00:06.0 1b36:0010 NVMe — all three to vfio-pci.
#
#   bash bench/vm.sh            (BENCH_VM_REPS=11 runs per method and phase)
#
# The guest side is bench/vm-init.sh (methods, phases and the reset are
# defined there) with bench/vm-archwiki.sh and bench/cputime.c. driverctl
# 0.111-1 and bash-static (driverctl is a bash script; the busybox image has
# no bash) are Debian bookworm packages fetched with `apt-get download` into
# .cache/bench/debs (system sources untouched), pinned by version and
# sha256. driverctl --nosave set-override needs neither udev nor udevadm
# (only list-devices --debug calls udevadm), so none is provided.
# Prints a Markdown table of medians and ratios, saved to .cache/bench/vm.md;
# the serial log is .cache/bench/vm/boot.log. Exit 1 if a run failed.
# BENCH_VM_LOG=FILE: no boot, tabulate that serial log again.
# BENCH_VM_BASE=BINARY: also run that build as method "base", alternating
# with the binder in the same boot (before/after a change).
# The guest also prints, untimed, one `vfio-variant -v bind` per phase with
# its kernel log ("trace" lines in the serial log: where the time goes).
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/vm/lib.sh
. "$BENCH_REPO/tests/vm/lib.sh"

REPS=${BENCH_VM_REPS:-11}
W=$BENCH_CACHE/vm
OUT=$BENCH_CACHE/vm.md
PEERS=$BENCH_CACHE/peers
APPEND="quiet vfio_variant.devices=01:00.0,01:00.1,00:06.0 bench.reps=$REPS"

if ! [[ $REPS =~ ^[0-9]+$ ]] || ((REPS < 1)); then
	bench_die "BENCH_VM_REPS must be a number >= 1"
fi

if [[ -n ${BENCH_VM_LOG:-} ]]; then
	# re-tabulate an earlier run's serial log, no boot
	LOG=$BENCH_VM_LOG
	VM_KVER=$(vm_lines "$LOG" | sed -n 's/^BOOT kernel=\([^ ]*\).*/\1/p')
	REPS=$(vm_lines "$LOG" | sed -n 's/^BOOT .*bench\.reps=\([0-9]*\).*/\1/p')
	VM_BOOT_SECONDS='?' LOAD0='?' LOAD1='?'
else
	bench_build_binary
	CPUTIME=$(bench_helper cputime)
	FLOOR=$(bench_helper vm-floor)
	bench_log "kernel 6.12 (tests/vm/fetch/fetch-612.sh, cached)"
	vm_kernel 6.12 || bench_die "vm_kernel 6.12 failed"

	mkdir -p "$W"
	bench_peers "$PEERS"

	bench_log "busybox initramfs (binary, driverctl, bash-static, vfio_pci + deps, nvme, snd_hda_intel)"
	VM_INITRD_FILES="$CPUTIME:/usr/bin/cputime $FLOOR:/usr/bin/vm-floor $PEERS/driverctl:/usr/sbin/driverctl $PEERS/bash:/bin/bash"
	VM_INITRD_FILES+=" $BENCH_REPO/bench/vm-archwiki.sh:/usr/local/bin/vfio-pci-override.sh"
	if [[ -n ${BENCH_VM_BASE:-} ]]; then
		[[ -x $BENCH_VM_BASE ]] || bench_die "BENCH_VM_BASE=$BENCH_VM_BASE is not executable"
		VM_INITRD_FILES+=" $BENCH_VM_BASE:/usr/bin/vfio-variant-base"
		APPEND+=" bench.base=1"
	fi
	export VM_INITRD_FILES
	vm_initrd "$W/initrd" "$VM_KVER" "$VM_MODROOT" "$BENCH_BIN" "$BENCH_REPO/bench/vm-init.sh" \
		vfio_pci vfio_iommu_type1 nvme snd_hda_intel || bench_die "vm_initrd failed"

	bench_log "booting (TCG; $REPS runs per method and phase)"
	LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
	LOG=$W/boot.log
	vm_boot "$VM_KERNEL" "$W/initrd" "$APPEND" gpu,nvme "$LOG" 1200 || bench_die "boot failed (see $LOG)"
	bench_log "boot took ${VM_BOOT_SECONDS}s"
	LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
	vm_assert_clean "$LOG" "bench guest finished with every run on vfio-pci, kernel log clean" >&2 ||
		bench_die "a run or a reset failed (see $LOG)"
fi

# field NAME LINE: the value of NAME=... in LINE
field() { sed -n "s/.*[[:space:]]$1=\\([0-9]*\\).*/\\1/p" <<<"$2"; }

declare -A WALL USER SYS UPCT NOK NRUN
while read -r _ method phase _ rest; do
	k="$phase $method"
	w=$(field wall_us " $rest")
	u=$(field user_us " $rest")
	WALL[$k]+="$w "
	USER[$k]+="$u "
	UPCT[$k]+="$(awk -v u="$u" -v w="$w" 'BEGIN { printf "%.1f", w ? 100 * u / w : 0 }') "
	SYS[$k]+="$(field sys_us " $rest") "
	NRUN[$k]=$((${NRUN[$k]:-0} + 1))
	[[ $rest == *ok=1* ]] && NOK[$k]=$((${NOK[$k]:-0} + 1))
done < <(vm_lines "$LOG" | grep '^run ')

sum() { local s=0 v; for v in "$@"; do s=$((s + v)); done; echo "$s"; }
ms() { awk -v u="$1" 'BEGIN { printf "%.1f\n", u / 1000 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.1f%%\n", 100 * a / b }'; }

# the binary's own "done in N ms" (its clock starts in main)
declare -A SELF
while read -r _ _ phase _ ms; do
	SELF[$phase]+="${ms#ms=} "
done < <(vm_lines "$LOG" | grep '^done binder ')
declare -A SELFB
while read -r _ _ phase _ ms; do
	SELFB[$phase]+="${ms#ms=} "
done < <(vm_lines "$LOG" | grep '^done base ')

declare -A MED
{
	printf '### In a real kernel: binding GPU + HDA + NVMe to vfio-pci (%s, kernel %s, QEMU TCG, %s runs each)\n\n' \
		"$(bench_revision)" "$VM_KVER" "$REPS"
	printf '| phase | method | ok | wall ms (median) | user ms (median) | sys ms (median) | user / wall (median of runs) | user / wall (sum of runs) | sys / wall (sum of runs) | wall ÷ binder |\n'
	printf '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
	for phase in unbound native loaded; do
		for method in binder base driverctl archwiki floor plan exec; do
			k="$phase $method"
			[[ -n ${NRUN[$k]:-} ]] || continue
			read -ra w <<<"${WALL[$k]}"
			read -ra u <<<"${USER[$k]}"
			read -ra s <<<"${SYS[$k]}"
			read -ra up <<<"${UPCT[$k]}"
			MED[$k]=$(bench_median "${w[@]}")
			printf '| %s | %s | %s/%s | %s | %s | %s | %s%% | %s | %s | %s× |\n' "$phase" "$method" \
				"${NOK[$k]:-0}" "${NRUN[$k]}" "$(ms "${MED[$k]}")" \
				"$(ms "$(bench_median "${u[@]}")")" "$(ms "$(bench_median "${s[@]}")")" \
				"$(printf '%s\n' "${up[@]}" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')" \
				"$(pct "$(sum "${u[@]}")" "$(sum "${w[@]}")")" "$(pct "$(sum "${s[@]}")" "$(sum "${w[@]}")")" \
				"$(bench_ratio "${MED[$k]}" "${MED[$phase binder]}" 1)"
		done
	done
	printf '\n| phase | binder ÷ archwiki | driverctl ÷ binder | binder ÷ floor | archwiki ÷ floor | binder "done in" ms (median) | base ÷ binder | base "done in" ms (median) |\n'
	printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
	# rat A B DIGITS: A/B, or n/a when a method did not run in the phase
	rat() { if [[ -n $1 && -n $2 ]]; then bench_ratio "$1" "$2" "$3"; else echo n/a; fi; }
	for phase in unbound native loaded; do
		[[ -n ${MED[$phase binder]:-} ]] || continue
		read -ra d <<<"${SELF[$phase]:-}"
		read -ra db <<<"${SELFB[$phase]:-}"
		printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$phase" \
			"$(rat "${MED[$phase binder]}" "${MED[$phase archwiki]:-}" 2)" \
			"$(rat "${MED[$phase driverctl]:-}" "${MED[$phase binder]}" 1)" \
			"$(rat "${MED[$phase binder]}" "${MED[$phase floor]:-}" 2)" \
			"$(rat "${MED[$phase archwiki]:-}" "${MED[$phase floor]:-}" 2)" \
			"$( ((${#d[@]})) && bench_median "${d[@]}" || echo n/a)" \
			"$(rat "${MED[$phase base]:-}" "${MED[$phase binder]}" 2)" \
			"$( ((${#db[@]})) && bench_median "${db[@]}" || echo n/a)"
	done
	printf '\nBoot: %s s wall for the whole bench (kernel boot + %s resets and runs); host load average %s before, %s after (%s cpus).\n' \
		"$VM_BOOT_SECONDS" "$(sum "${NRUN[@]}")" "$LOAD0" "$LOAD1" "$(nproc)"
} | tee "$OUT"
