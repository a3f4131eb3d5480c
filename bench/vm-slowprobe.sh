#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/vm-slowprobe.sh — slow probes in a real kernel: vfio-variant vs the
# sum of the probes vs driverctl, in ONE QEMU boot (Debian 6.12, TCG, q35 +
# intel-iommu; tests/vm/lib.sh). N QEMU NVMe (00:09.0, 00:0a.0, ...), each
# to vve_slow, the engine test's working VFIO variant whose probe sleeps
# 3 s (tests/vm/modules/engine, built by its build.sh).
#
#   bash bench/vm-slowprobe.sh      (BENCH_SLOW_N=4 devices, BENCH_SLOW_REPS=3)
#
# The guest side is bench/vm-slowprobe-init.sh (methods and the reset are
# defined there): binder, driverctl (Debian's 0.111 under bash-static, as in
# bench/vm.sh: it runs in the busybox initramfs), loop (what driverctl does,
# as a plain shell loop) and one (a single device's probe; the sum of the
# probes is N x its median).
# Prints a Markdown table of medians and ratios, saved to
# .cache/bench/vm-slowprobe.md; the serial log is
# .cache/bench/vm-slowprobe/boot.log. Exit 1 if a run failed.
# BENCH_VM_LOG=FILE: no boot, tabulate that serial log again.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/vm/lib.sh
. "$BENCH_REPO/tests/vm/lib.sh"

N=${BENCH_SLOW_N:-4}
REPS=${BENCH_SLOW_REPS:-3}
W=$BENCH_CACHE/vm-slowprobe
OUT=$BENCH_CACHE/vm-slowprobe.md
PEERS=$BENCH_CACHE/peers
for v in N REPS; do
	if ! [[ ${!v} =~ ^[0-9]+$ ]] || ((${!v} < 1)); then
		bench_die "BENCH_SLOW_$v must be a number >= 1"
	fi
done
((N <= 16)) || bench_die "BENCH_SLOW_N: at most 16 devices (00:09.0 .. 00:18.0)"

devs='' rules=''
for ((i = 0; i < N; i++)); do
	b=$(printf '0000:00:%02x.0' $((9 + i)))
	devs+="${devs:+,}$b"
	rules+="${rules:+,}$b=vve_slow"
done

if [[ -n ${BENCH_VM_LOG:-} ]]; then
	LOG=$BENCH_VM_LOG
	VM_KVER=$(vm_lines "$LOG" | sed -n 's/^BOOT kernel=\([^ ]*\).*/\1/p')
	VM_BOOT_SECONDS='?' LOAD0='?' LOAD1='?'
else
	bench_build_binary
	CPUTIME=$(bench_helper cputime)
	bench_log "kernel 6.12 (tests/vm/fetch/fetch-612.sh, cached)"
	vm_kernel 6.12 || bench_die "vm_kernel 6.12 failed"
	bench_log "vve fixture modules (tests/vm/modules/engine/build.sh, cached)"
	MODROOT=$(VM_KVER=$VM_KVER VM_MODROOT=$VM_MODROOT VM_HEADERS=$VM_HEADERS \
		bash "$BENCH_REPO/tests/vm/modules/engine/build.sh" "$VM_CACHE/6.12-engine" 20000) ||
		bench_die "building the vve modules failed"
	mkdir -p "$W"
	bench_peers "$PEERS"

	bench_log "busybox initramfs (binary, driverctl, bash-static, vve_slow + deps, nvme)"
	VM_INITRD_FILES="$CPUTIME:/usr/bin/cputime $PEERS/driverctl:/usr/sbin/driverctl $PEERS/bash:/bin/bash"
	export VM_INITRD_FILES
	vm_initrd "$W/initrd" "$VM_KVER" "$MODROOT" "$BENCH_BIN" "$BENCH_REPO/bench/vm-slowprobe-init.sh" \
		vfio_pci_core vfio_iommu_type1 vve_slow nvme || bench_die "vm_initrd failed"

	VM_QEMU_EXTRA=()
	for ((i = 0; i < N; i++)); do
		VM_QEMU_EXTRA+=(-blockdev "driver=null-co,node-name=nv$i,size=67108864,read-zeroes=on"
			-device "nvme,serial=slow$i,drive=nv$i,bus=pcie.0,addr=$(printf '0x%x' $((9 + i)))")
	done
	bench_log "booting (TCG; $N devices, $REPS runs per method)"
	LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
	LOG=$W/boot.log
	vm_boot "$VM_KERNEL" "$W/initrd" "quiet vfio_variant.devices=$rules bench.devs=$devs bench.reps=$REPS" \
		none "$LOG" 1200 || bench_die "boot failed (see $LOG)"
	bench_log "boot took ${VM_BOOT_SECONDS}s"
	LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
	vm_assert_clean "$LOG" "bench guest finished with every run on vve_slow, kernel log clean" >&2 ||
		bench_die "a run or a reset failed (see $LOG)"
fi

field() { sed -n "s/.*[[:space:]]$1=\\([0-9]*\\).*/\\1/p" <<<"$2"; }
ms() { awk -v u="$1" 'BEGIN { printf "%.0f\n", u / 1000 }'; }

declare -A WALL NOK NRUN
while read -r _ method _ rest; do
	WALL[$method]+="$(field wall_us " $rest") "
	NRUN[$method]=$((${NRUN[$method]:-0} + 1))
	[[ $rest == *ok=1* ]] && NOK[$method]=$((${NOK[$method]:-0} + 1))
done < <(vm_lines "$LOG" | grep '^run ')
read -ra d <<<"$(vm_lines "$LOG" | sed -n 's/^done binder [0-9]* ms=//p' | tr '\n' ' ')"

declare -A MED
for m in binder driverctl loop one; do
	[[ -n ${WALL[$m]:-} ]] || bench_die "no run of $m in $LOG"
	read -ra w <<<"${WALL[$m]}"
	MED[$m]=$(bench_median "${w[@]}")
done
SUM=$((MED[one] * N))
{
	printf '### Slow probes: %s NVMe to vve_slow (3 s probe) (%s, kernel %s, QEMU TCG, %s runs each)\n\n' \
		"$N" "$(bench_revision)" "$VM_KVER" "$REPS"
	printf '| method | ok | wall ms (median) | ÷ one probe | ÷ binder |\n'
	printf '|---|---:|---:|---:|---:|\n'
	for m in binder driverctl loop one; do
		printf '| %s | %s/%s | %s | %s× | %s× |\n' "$m" "${NOK[$m]:-0}" "${NRUN[$m]}" "$(ms "${MED[$m]}")" \
			"$(bench_ratio "${MED[$m]}" "${MED[one]}" 2)" "$(bench_ratio "${MED[$m]}" "${MED[binder]}" 2)"
	done
	printf '| sum of the probes (%s × one) | | %s | %s× | %s× |\n' "$N" "$(ms "$SUM")" "$N" \
		"$(bench_ratio "$SUM" "${MED[binder]}" 2)"
	printf '\nbinder ÷ sum of the probes: %s; binder "done in" ms (median): %s.\n' \
		"$(bench_ratio "${MED[binder]}" "$SUM" 2)" "$( ((${#d[@]})) && bench_median "${d[@]}" || echo n/a)"
	printf 'Boot: %s s wall (kernel boot + %s resets and runs); host load average %s before, %s after (%s cpus).\n' \
		"$VM_BOOT_SECONDS" "$((NRUN[binder] + NRUN[driverctl] + NRUN[loop] + NRUN[one]))" "$LOAD0" "$LOAD1" "$(nproc)"
} | tee "$OUT"
