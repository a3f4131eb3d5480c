#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# claim / release and the safety rails at runtime in a real kernel: Debian
# 6.12 in QEMU (TCG, q35 + intel-iommu), a virtio-net on the built-in
# virtio-pci, the real upstream virtio_vfio_pci, an NVMe backed by a file
# (a filesystem made and mounted in the guest), the static binary in a
# busybox initramfs. The guest's /init (guest/runtime-init.sh) binds,
# claims and releases as an operator would; every assertion reads the
# serial console. PASS/FAIL lines.
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
    vfio_pci virtio_vfio_pci vfio_iommu_type1 virtio_net nvme ext4 || { echo "FAIL initramfs build"; exit 1; }
# The NVMe (00:06.0, as the device set "nvme" places it) on a writable
# 16 MiB file, blank each run: the guest makes an ext2 on it and mounts it.
rm -f "$W/disk.img"
truncate -s 16M "$W/disk.img" || { echo "FAIL disk image"; exit 1; }
# shellcheck disable=SC2034,SC2054 # read by vm_boot; qemu's options are comma-separated
VM_QEMU_EXTRA=(-blockdev "driver=file,filename=$W/disk.img,node-name=fs0"
    -device nvme,serial=vmfs0,drive=fs0,bus=pcie.0,addr=0x6)

NIC=0000:00:08.0
DISK=0000:00:06.0
RC=0
L=$W/runtime.log
ok() { echo "PASS $SERIES runtime: $*"; }
ko() { echo "FAIL $SERIES runtime: $*"; RC=1; }
has() { if vm_lines "$L" | grep -E -- "$2" >/dev/null; then ok "$1"; else ko "$1"; vm_lines "$L" | tail -n 40 | sed 's/^/    /'; fi; }

vm_boot "$VM_KERNEL" "$W/rt.img" "" nic "$L"
echo "    (${VM_BOOT_SECONDS}s wall)"
# The host-use rail: a mounted filesystem on a listed disk.
has "the guest mounted an ext2 made on the NVMe, on nvme" "^disk-start drv=nvme mounted=yes /dev/nvme0n1 /mnt/data ext2"
has "plan: the listed NVMe is refused" "^disk-plan $DISK 1b36:0010 +refused "
has "plan says why: the mount" "^disk-plan why: +the running host uses it: it holds a mounted filesystem: /dev/nvme0n1 on /mnt/data; add 'force=hostuse'"
has "plan --json: action refused, reason names the mount" "^disk-plan-json .*\"bdf\": \"$DISK\".*\"action\": \"refused\", \"reason\": \"the running host uses it: it holds a mounted filesystem: /dev/nvme0n1 on /mnt/data"
has "bind: the NVMe stays on nvme" "^disk-bind rc=0 drv=nvme ovr=none"
has "bind says refused and names the mount" "^disk-bind-out .*$DISK \[1b36:0010\]: refused: the running host uses it: it holds a mounted filesystem: /dev/nvme0n1 on /mnt/data"
has "after bind: the filesystem still mounted and working" "^disk-after-bind drv=nvme mounted=yes /dev/nvme0n1 /mnt/data"
has "bind's record: refused, why names the mount" "^disk-record-bind .*\"bdf\": \"$DISK\".*\"result\": \"refused\".*\"why\": \"[^\"]*mounted filesystem: /dev/nvme0n1 on /mnt/data"
has "bind --device (udev path): still on nvme" "^disk-device rc=0 drv=nvme ovr=none"
has "bind --device says refused and names the mount" "^disk-device-out .*$DISK \[1b36:0010\]: refused: the running host uses it: it holds a mounted filesystem: /dev/nvme0n1 on /mnt/data"
has "after bind --device: the filesystem still mounted and working" "^disk-after-device drv=nvme mounted=yes /dev/nvme0n1 /mnt/data"
has "bind --device's record: refused, why names the mount" "^disk-record-device .*\"bdf\": \"$DISK\".*\"result\": \"refused\".*\"why\": \"[^\"]*mounted filesystem: /dev/nvme0n1 on /mnt/data"
has "the boot claimed nothing: NIC on virtio-pci with its interface" "^start drv=virtio-pci iface=[a-z]"
has "claim of a NIC whose interface is up: refused, rc=1, still on virtio-pci" "^vfio-variant-claim rc=1 drv=virtio-pci "
has "the refusal names the interface" "^claim-out .*$NIC: refused: the host is using it: its network interface [a-z0-9]+ is up"
has "interface down: claim --persist binds virtio_vfio_pci" "^vfio-variant-claim rc=0 drv=virtio_vfio_pci ovr=virtio_vfio_pci"
has "claim says so" "^claim-out $NIC: bound virtio_vfio_pci"
has "the persisted rule file holds the device" "^persist-file yes: $NIC\$"
has "status shows the persisted rule" "^status +$NIC +/etc/vfio-variant.d/50-persist-$NIC.conf"
has "the VFIO group node exists" '^group [0-9]+ node=yes'
# The open-group rail: another process holds the group while a rule change
# would move the NIC to vfio-pci.
G=$(vm_lines "$L" | sed -n 's/^group \([0-9]*\) .*/\1/p')
HOLDER=$(vm_lines "$L" | sed -n 's/^holder pid=\([0-9]*\) .*/\1/p')
has "a guest process (sleep) holds /dev/vfio/N open" "^holder pid=[0-9]+ comm=sleep fd3=/dev/vfio/$G\$"
has "plan: the NIC is refused" "^vm-plan $NIC 1af4:1041 +refused "
has "plan says why: the group, pid and process" "^vm-plan why: +its VFIO group $G is open \(/dev/vfio/$G, by pid $HOLDER sleep\)"
has "bind after the rule change: still on virtio_vfio_pci" "^vm-bind rc=0 drv=virtio_vfio_pci ovr=virtio_vfio_pci"
has "bind says refused, naming the group, pid and process" "^vm-bind-out .*$NIC \[1af4:1041\]: refused: its VFIO group $G is open \(/dev/vfio/$G, by pid $HOLDER sleep\)"
has "bind --device (udev path): still on virtio_vfio_pci" "^vm-device rc=0 drv=virtio_vfio_pci ovr=virtio_vfio_pci"
has "bind --device says refused, naming the group, pid and process" "^vm-device-out .*$NIC \[1af4:1041\]: refused: its VFIO group $G is open \(/dev/vfio/$G, by pid $HOLDER sleep\)"
has "after both: still on virtio_vfio_pci, the group still open by the holder" "^vm-after drv=virtio_vfio_pci holder=sleep fd3=/dev/vfio/$G\$"
has "the record says refused, why names the pid" "^vm-record .*\"bdf\": \"$NIC\".*\"result\": \"refused\".*\"why\": \"[^\"]*VFIO group $G is open \(/dev/vfio/$G, by pid $HOLDER sleep\)"
has "release while the group is open: refused, still on virtio_vfio_pci" "^vfio-variant-release rc=1 drv=virtio_vfio_pci "
has "the refusal names the group and the holder" "^release-out .*$NIC: refused: its VFIO group $G is open \(/dev/vfio/$G, by pid $HOLDER sleep\)"
has "release --persist: back on virtio-pci, override cleared" "^vfio-variant-release rc=0 drv=virtio-pci ovr=none"
has "release says where it went" "^release-out $NIC: released virtio-pci"
has "the native driver made its interface again" "^after drv=virtio-pci iface=[a-z]"
has "release --persist removed the rule" "^persist-file-after no"
has "status --json records the release" "^status-json .*\"bdf\": \"$NIC\".*\"result\": \"released\""
has "kmsg has the claim and the release" "^kmsg .*$NIC \[1af4:1041\]: released from virtio_vfio_pci; now on virtio-pci"
if vm_assert_clean "$L" runtime >/dev/null 2>&1; then ok "finished cleanly"; else ko "finished cleanly"; tail -n 20 "$L" | sed 's/^/    /'; fi
exit "$RC"
