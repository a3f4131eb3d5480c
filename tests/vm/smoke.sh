#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Demo and self-test of the VM infrastructure, without the vfio-variant
# binary: fetch a kernel (6.12 by default; "7.2" for sid's), build the
# virtio_vfio_pci variant, build a busybox initramfs whose init binds by hand,
# boot with gpu,nvme,e1000e,nic and assert from the serial console.
#   tests/vm/smoke.sh [6.12|7.2]
# Logs stay in .cache/vm/work/smoke-SERIES/ (boot1.log, boot2.log).
# Ends with "N passed, N failed"; exit status 1 if anything failed.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERIES=${1:-6.12}
W=$VM_CACHE/work/smoke-$SERIES
mkdir -p "$W"

ms() { echo $((($(date +%s%N) - $1) / 1000000)); }

t=$(date +%s%N)
vm_kernel "$SERIES"
echo "kernel $VM_KVER ready (fetch + module build, cached after the first run): $(ms "$t") ms"

MODS=(virtio_vfio_pci vfio_pci vfio_iommu_type1 snd_hda_intel snd_hda_codec_generic nvme e1000e)
t=$(date +%s%N)
vm_initrd "$W/initrd1" "$VM_KVER" "$VM_MODROOT" "" "$VM_DIR/guest/smoke-init.sh" "${MODS[@]}"
vm_initrd "$W/initrd2" "$VM_KVER" "$VM_MODROOT" "" "$VM_DIR/guest/smoke-native-init.sh" "${MODS[@]}"
echo "2 initramfs built: $(ms "$t") ms ($(stat -c %s "$W/initrd1") bytes each)"

rc=0
# Boot 1: hand binding ------------------------------------------------------------
L=$W/boot1.log
vm_boot "$VM_KERNEL" "$W/initrd1" "" gpu,nvme,e1000e,nic "$L" || true
echo "boot 1: ${VM_BOOT_SECONDS}s wall"
vm_assert "$L" '^dev 0000:00:08\.0 1af4:1041 .*drv=virtio-pci' "virtio-net at 00:08.0 on built-in virtio-pci" || rc=1
vm_assert "$L" '^dev 0000:01:00\.0 1002:5159 ' "ati-vga at 01:00.0" || rc=1
vm_assert "$L" '^dev 0000:01:00\.1 8086:293e ' "ich9-intel-hda at 01:00.1" || rc=1
vm_assert "$L" '^dev 0000:00:06\.0 1b36:0010 ' "nvme at 00:06.0" || rc=1
vm_assert "$L" '^dev 0000:00:07\.0 8086:10d3 ' "e1000e at 00:07.0" || rc=1
vm_assert "$L" '^PASS gpu-hda-same-group$' "GPU and its HDA share an IOMMU group" || rc=1
vm_assert "$L" '^PASS modprobe-virtio_vfio_pci$' "busybox modprobe loads the out-of-tree .ko.xz" || rc=1
vm_assert "$L" '^PASS bind-nic-variant$' "virtio-net bound to virtio_vfio_pci by hand" || rc=1
vm_assert "$L" '^nic drv=virtio_vfio_pci override=virtio_vfio_pci ' "driver and override read back" || rc=1
vm_assert "$L" '^PASS dev-vfio-group-nic$' "/dev/vfio/GROUP exists for the NIC" || rc=1
for d in 01:00.1 00:06.0 00:07.0; do
    vm_assert "$L" "^PASS held-0000:$d\$" "override vfio-pci keeps the native driver off $d" || rc=1
    vm_assert "$L" "^PASS vfio-pci-0000:$d\$" "vfio-pci takes $d on reprobe" || rc=1
done
vm_assert_clean "$L" "boot 1 finished cleanly" || rc=1
vm_lines "$L" | grep -E '^(time|module-compression|taint|modules|dev-vfio|softdep) ' || true

# Boot 2: native control ----------------------------------------------------------
L=$W/boot2.log
vm_boot "$VM_KERNEL" "$W/initrd2" "" gpu,nvme,e1000e,nic "$L" || true
echo "boot 2: ${VM_BOOT_SECONDS}s wall"
vm_assert "$L" '^PASS native-hda$' "snd_hda_intel takes the HDA without override" || rc=1
vm_assert "$L" '^PASS native-nvme$' "nvme takes the NVMe without override" || rc=1
vm_assert "$L" '^PASS native-e1000e$' "e1000e takes the NIC without override" || rc=1
vm_assert_clean "$L" "boot 2 finished cleanly" || rc=1
vm_lines "$L" | grep -E '^time ' || true

vm_summary || rc=1
exit "$rc"
