#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# claim / release at runtime in a real kernel: Debian 6.12 in QEMU (TCG,
# q35 + intel-iommu), a virtio-net on the built-in virtio-pci, the real
# upstream virtio_vfio_pci, the static binary in a busybox initramfs. The
# guest's /init (guest/runtime-init.sh) claims and releases the NIC as an
# operator would; every assertion reads the serial console. PASS/FAIL lines.
set -uo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERIES=${1:-6.12}
BIN=${VV_VM_BIN:-$VM_REPO/build/vfio-variant}
W=$VM_CACHE/work/runtime-$SERIES
mkdir -p "$W"
[ -x "$BIN" ] || make -C "$VM_REPO" -s all >/dev/null || { echo "FAIL build"; exit 1; }
vm_kernel "$SERIES" || { echo "FAIL kernel $SERIES fetch/build"; exit 1; }
vm_initrd "$W/rt.img" "$VM_KVER" "$VM_MODROOT" "$BIN" "$VM_DIR/guest/runtime-init.sh" \
    vfio_pci virtio_vfio_pci vfio_iommu_type1 virtio_net || { echo "FAIL initramfs build"; exit 1; }

NIC=0000:00:08.0
RC=0
L=$W/runtime.log
ok() { echo "PASS $SERIES runtime: $*"; }
ko() { echo "FAIL $SERIES runtime: $*"; RC=1; }
has() { if vm_lines "$L" | grep -E -- "$2" >/dev/null; then ok "$1"; else ko "$1"; vm_lines "$L" | tail -n 40 | sed 's/^/    /'; fi; }

vm_boot "$VM_KERNEL" "$W/rt.img" "" nic "$L"
echo "    (${VM_BOOT_SECONDS}s wall)"
has "the boot claimed nothing: NIC on virtio-pci with its interface" "^start drv=virtio-pci iface=[a-z]"
has "claim of a NIC whose interface is up: refused, rc=1, still on virtio-pci" "^vfio-variant-claim rc=1 drv=virtio-pci "
has "the refusal names the interface" "^claim-out .*$NIC: refused: the host is using it: its network interface [a-z0-9]+ is up"
has "interface down: claim --persist binds virtio_vfio_pci" "^vfio-variant-claim rc=0 drv=virtio_vfio_pci ovr=virtio_vfio_pci"
has "claim says so" "^claim-out $NIC: bound virtio_vfio_pci"
has "the persisted rule file holds the device" "^persist-file yes: $NIC\$"
has "status shows the persisted rule" "^status +$NIC +/etc/vfio-variant.d/50-persist-$NIC.conf"
has "the VFIO group node exists" '^group [0-9]+ node=yes'
has "release while the group is open: refused, still on virtio_vfio_pci" "^vfio-variant-release rc=1 drv=virtio_vfio_pci "
has "the refusal names the group" "^release-out .*$NIC: refused: its VFIO group [0-9]+ is open"
has "release --persist: back on virtio-pci, override cleared" "^vfio-variant-release rc=0 drv=virtio-pci ovr=none"
has "release says where it went" "^release-out $NIC: released virtio-pci"
has "the native driver made its interface again" "^after drv=virtio-pci iface=[a-z]"
has "release --persist removed the rule" "^persist-file-after no"
has "status --json records the release" "^status-json .*\"bdf\": \"$NIC\".*\"result\": \"released\""
has "kmsg has the claim and the release" "^kmsg .*$NIC \[1af4:1041\]: released from virtio_vfio_pci; now on virtio-pci"
if vm_assert_clean "$L" runtime >/dev/null 2>&1; then ok "finished cleanly"; else ko "finished cleanly"; tail -n 20 "$L" | sed 's/^/    /'; fi
exit "$RC"
