#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: boot Debian's 6.12 kernel in QEMU with an emulated GPU + HDMI
# audio, an NVMe disk, an e1000e and a virtio NIC; the initramfs runs
# vfio-variant before the native drivers load; print what it did, from
# inside the guest.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RULES="vfio_variant.ids=1002:5159,1b36:0010,1af4:1041 vfio_variant.group=1"
W=$VM_CACHE/work/demo
mkdir -p "$W"
echo "demo: fetching Debian's 6.12 kernel and building the upstream virtio_vfio_pci (cached after the first run)..."
vm_kernel 6.12 >/dev/null 2>&1 || { vm_kernel 6.12; exit 1; }
vm_initrd "$W/initrd" "$VM_KVER" "$VM_MODROOT" "$VM_REPO/build/vfio-variant" "$VM_DIR/guest/demo-init.sh" \
    vfio_pci virtio_vfio_pci vfio_iommu_type1 snd_hda_intel snd_hda_codec_generic nvme e1000e virtio_net
echo "demo: booting $VM_KVER under QEMU (TCG, q35 + intel-iommu) with: $RULES"
vm_boot "$VM_KERNEL" "$W/initrd" "$RULES" gpu,nvme,e1000e,nic "$W/boot.log" || true
vm_lines "$W/boot.log" | grep -v '^\(BOOT\|END\)' | sed 's/^vfio-variant: /  /'
echo "demo: guest boot took ${VM_BOOT_SECONDS}s wall; full serial log: $W/boot.log"
vm_assert_clean "$W/boot.log" "demo boot" >/dev/null
