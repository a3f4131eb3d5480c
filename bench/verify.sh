#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/verify.sh — what `vfio-variant verify` costs per device, in a real
# kernel: one QEMU boot (Debian 6.12, TCG, q35 + intel-iommu) of
# bench/verify-init.sh with QEMU's NVMe on the fixture variant
# vv_nvme_vfio_pci (tests/vm/modules/verify/), an e1000e on vfio-pci and a
# virtio-net on virtio_vfio_pci. Prints a Markdown table: per device the
# median wall time of `verify --json BDF`, the part verify timed itself
# (open of group, container, device fd and the probes: the kernel's
# work, an FLR where the device has one), the floor (verify of a device
# not on VFIO: the same process without the VFIO open) and the ratios.
#   bash bench/verify.sh [REPS]        (default 11; run it alone: timings)
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../tests/vm/lib.sh
. "$BENCH_REPO/tests/vm/lib.sh"

REPS=${1:-11}
W=$BENCH_CACHE/verify
mkdir -p "$W"
bench_build_binary
CPUTIME=$(bench_helper cputime)
vm_kernel 6.12 || bench_die "vm_kernel 6.12 failed"
bash "$BENCH_REPO/tests/vm/modules/verify/build.sh" "$W/modroot" "$VM_KVER" "$VM_MODROOT" "$VM_HEADERS" ||
	bench_die "fixture build failed"
export VM_INITRD_FILES="$CPUTIME:/usr/bin/cputime"
vm_initrd "$W/initrd" "$VM_KVER" "$W/modroot" "$BENCH_BIN" "$BENCH_REPO/bench/verify-init.sh" \
	vfio_pci vfio_iommu_type1 virtio_vfio_pci vv_nvme_vfio_pci || bench_die "vm_initrd failed"
LOG=$W/boot.log
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
bench_log "booting (TCG; $REPS runs per device)"
vm_boot "$VM_KERNEL" "$W/initrd" "vfio_variant.ids=1b36:0010,8086:10d3=vfio-pci,1af4:1041 bench.reps=$REPS" \
	nvme,e1000e,nic "$LOG" 1200 || bench_die "boot failed (see $LOG)"
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
vm_assert_clean "$LOG" "bench guest finished, kernel log clean" >&2 || bench_die "see $LOG"

field() { sed -n "s/.*[[:space:]]$1=\\([0-9]*\\).*/\\1/p" <<<"$2"; }
col() { # col BDF NAME: every run's NAME
	vm_lines "$LOG" | grep "^run $1 " | while read -r l; do field "$2" "$l"; done
}
bad=$(vm_lines "$LOG" | grep '^run ' | grep -vc ' rc=0 ')
# the floor (ISA bridge: not on VFIO) exits 1 by design
# shellcheck disable=SC2046 # one number a word
floor=$(bench_median $(col 0000:00:1f.0 wall_us))
printf '\n### verify per device (%s, %s runs each, boot %ss, host load %s -> %s)\n\n' \
	"$(bench_revision)" "$REPS" "$VM_BOOT_SECONDS" "$LOAD0" "$LOAD1"
printf '| device | driver | verify wall (median) | open + probes (verify'"'"'s own ms) | floor: verify of a non-VFIO device | wall ÷ floor |\n|---|---|---|---|---|---|\n'
for d in 0000:00:06.0:vv_nvme_vfio_pci 0000:00:07.0:vfio-pci 0000:00:08.0:virtio_vfio_pci; do
	bdf=${d%:*}
	drv=${d##*:}
	# shellcheck disable=SC2046 # one number a word
	w=$(bench_median $(col "$bdf" wall_us))
	# shellcheck disable=SC2046
	m=$(bench_median $(col "$bdf" ms))
	printf '| %s | %s | %s ms | %s ms | %s ms | %s |\n' "$bdf" "$drv" "$(bench_ratio "$w" 1000)" "$m" \
		"$(bench_ratio "$floor" 1000)" "$(bench_ratio "$w" "$floor")"
done
echo
echo "runs with rc != 0: $((bad - REPS)) (the $REPS floor runs exit 1 by design: not on VFIO)"
