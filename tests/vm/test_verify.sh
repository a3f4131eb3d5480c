#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `vfio-variant verify` and require=CAP rules in a real kernel: Debian 6.12
# in QEMU (TCG, q35 + intel-iommu), the static binary in a busybox
# initramfs, two variant drivers:
#   vv_nvme_vfio_pci   the fixture (tests/vm/modules/verify/) for QEMU's NVMe
#                    on vfio_pci_core, answering the migration (STOP_COPY,
#                    P2P) and dirty-tracking probes
#   virtio_vfio_pci  the real upstream driver (tests/vm/fetch/fetch-612.sh)
#                    on QEMU's virtio-net: a PF, bound without migration
# The fixture goes into a private copy of the module tree (never into the
# shared cache: other suites rank QEMU's NVMe without it). Every QEMU run
# goes under `flock /tmp/vv-vm.lock` (the caller's). PASS/FAIL lines.
set -uo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN=${VV_VM_BIN:-$VM_REPO/build/vfio-variant}
W=$VM_CACHE/work/verify-6.12
mkdir -p "$W"
[ -x "$BIN" ] || make -C "$VM_REPO" -s all >/dev/null || { fail "build"; exit 1; }
vm_kernel 6.12 || { fail "kernel 6.12 fetch/build"; exit 1; }
MOD=$W/modroot
bash "$VM_DIR/modules/verify/build.sh" "$MOD" "$VM_KVER" "$VM_MODROOT" "$VM_HEADERS" ||
    { fail "fixture vv_nvme_vfio_pci build"; exit 1; }
MODS=(vfio_pci vfio_iommu_type1 virtio_vfio_pci vv_nvme_vfio_pci snd_hda_intel snd_hda_codec_generic 9p 9pnet_virtio)

NVME=0000:00:06.0 E1K=0000:00:07.0 NIC=0000:00:08.0 VGA=0000:01:00.0 HDA=0000:01:00.1
# has NAME ERE: some VMTEST line of $L matches
has() { vm_assert "$L" "$2" "$1"; }
# boot NAME INIT APPEND [DEVICES]: one guest; retried once if the kernel died before userspace
boot() {
    L=$W/$1.log
    vm_initrd "$W/$1.img" "$VM_KVER" "$MOD" "$BIN" "$2" "${MODS[@]}" || { fail "$1: initramfs"; return 1; }
    vm_boot "$VM_KERNEL" "$W/$1.img" "$3" "${4:-gpu,nvme,e1000e,nic}" "$L" 300
    echo "    ($1: ${VM_BOOT_SECONDS}s wall)"
}

# --- 1. verify: usable, regions, reset, capabilities; not viable; busy; a real VMM
# shellcheck disable=SC2054 # qemu's commas
VM_QEMU_EXTRA=(-m 2048 -fsdev local,id=h,path=/,security_model=none,readonly=on
    -device virtio-9p-pci,fsdev=h,mount_tag=host,bus=pcie.0,addr=0xa)
boot verify "$VM_DIR/guest/verify-init.sh" \
    "vfio_variant.ids=8086:10d3=vfio-pci,1b36:0010,1af4:1041 vfio_variant.devices=$VGA=vfio-pci"
unset VM_QEMU_EXTRA
has "the boot bound QEMU's NVMe to the fixture variant" "^dev $NVME 1b36:0010 .* drv=vv_nvme_vfio_pci "
has "the boot bound the virtio-net to virtio_vfio_pci" "^dev $NIC 1af4:1041 .* drv=virtio_vfio_pci "
has "the e1000e is on generic vfio-pci" "^dev $E1K 8086:10d3 .* drv=vfio-pci "
has "the VGA's HDA function is on a host driver" "^dev $HDA 8086:293e .* drv=snd_hda_intel "
has "verify (all): exit 1 (the VGA's group is not usable)" "^verify-all rc=1$"
has "verify text: the e1000e usable" "^verify-text $E1K \[8086:10d3\] vfio-pci, IOMMU group [0-9]+: usable$"
has "verify text: regions with sizes and mmap" "^verify-text regions: BAR0 128 KiB mmap, BAR1 128 KiB mmap, BAR2 32 B, BAR3 16 KiB mmap, CONFIG 4 KiB$"
has "verify text: reset" "^verify-text reset: yes$"
has "verify text: the VGA not viable, the member named with its driver" "^verify-text reason: IOMMU group [0-9]+ is not viable: $HDA on snd_hda_intel "
has "verify --json e1000e (generic vfio-pci): usable, reset, no migration" \
    "^verify-json $E1K rc=0 .*\"usable\": true.*\"reset\": true.*\"name\": \"BAR0\", \"size\": 131072, \"read\": true, \"write\": true, \"mmap\": true.*\"stop_copy\": false.*\"dirty_tracking\": false"
has "verify --json NVMe (fixture): migration stop-copy + p2p, no pre-copy, dirty tracking" \
    "^verify-json $NVME rc=0 .*\"driver\": \"vv_nvme_vfio_pci\".*\"usable\": true.*\"stop_copy\": true, \"p2p\": true, \"pre_copy\": false.*\"dirty_tracking\": true"
has "verify --json virtio-net (virtio_vfio_pci): usable, no migration, no dirty tracking" \
    "^verify-json $NIC rc=0 .*\"driver\": \"virtio_vfio_pci\".*\"usable\": true.*\"stop_copy\": false.*\"dirty_tracking\": false"
has "verify --json VGA: not viable, exit 1" "^verify-json $VGA rc=1 .*\"usable\": false, \"status\": \"not-viable\", \"reason\": \"IOMMU group [0-9]+ is not viable: $HDA on snd_hda_intel"
has "verify of a group a process holds: busy, exit 1, still on vfio-pci" "^verify-busy rc=1 drv=vfio-pci self=1$"
has "the busy reason names the holder and says nothing was touched" "^busy-text reason: in use: its VFIO group [0-9]+ is open \(/dev/vfio/[0-9]+, by pid 1 [^)]*\); not touched$"
has "status --json carries the last verification" "^status-json .*\"bdf\": \"$NVME\".*\"verify\": \{.*\"stop_copy\": true"
has "a real VMM (QEMU) opened the three verified devices: exit 0" "^vmm rc=0$"
has "QEMU lists the NVMe read through VFIO" "^vmm-out .*1b36:0010|^vmm-out .*NVM|^vmm-out .*Class 0108"
has "QEMU lists the e1000e read through VFIO" "^vmm-out .*8086:10d3|^vmm-out .*Ethernet controller: PCI device 8086:10d3"
has "QEMU lists the virtio-net read through VFIO" "^vmm-out .*1af4:1041"
vm_assert_clean "$L" "verify boot finished cleanly"

# --- 2. require=migration at boot: the fixture binds, virtio_vfio_pci is held;
#        with fallback=vfio-pci it ends on vfio-pci (outcome fallback)
ETC=$W/etc
rm -rf "$ETC" && mkdir -p "$ETC"
printf '%s\n' '1b36:0010 require=migration,dirty-tracking' '1af4:1041 require=migration' >"$ETC/vfio-variant.conf"
chmod 0644 "$ETC/vfio-variant.conf"
VM_INITRD_ETC=$ETC
MODS=(vfio_pci vfio_iommu_type1 virtio_vfio_pci vv_nvme_vfio_pci)
boot require "$VM_DIR/guest/require-init.sh" "" nvme,nic
unset VM_INITRD_ETC
has "require=migration: bind exits 0" "^bind rc=0 "
has "require=migration: the NVMe stays on the fixture variant, the virtio-net is held (no driver, holding override)" \
    "^held nvme drv=vv_nvme_vfio_pci ovr=vv_nvme_vfio_pci nic drv=none ovr=vfio-variant-hold$"
has "the kmsg line: what is missing and where to look" \
    "^kmsg vfio-variant: $NIC \[1af4:1041\]: virtio_vfio_pci does not deliver migration \(require=migration\): held with no driver \(driver_override vfio-variant-hold\)\. Look at: .*migration switch"
has "the kmsg line: the NVMe verified with migration and dirty tracking" \
    "^kmsg vfio-variant: $NVME \[1b36:0010\]: verified on vv_nvme_vfio_pci: usable; reset yes, migration yes, dirty tracking yes"
has "the kmsg line: the NVMe's requirement met" "^kmsg vfio-variant: $NVME: require=migration,dirty-tracking met by vv_nvme_vfio_pci"
has "the summary counts unmet" "^kmsg vfio-variant: done in [0-9]+ ms: 1 bound, .* 1 unmet"
has "status --json: unmet with the reason, the verification attached" \
    "^held-status .*\"bdf\": \"$NIC\".*\"result\": \"unmet\".*\"why\": \"[^\"]*virtio_vfio_pci does not deliver migration.*\"verify\": \{.*\"stop_copy\": false"
has "fallback=vfio-pci: bind again exits 0" "^bind2 rc=0$"
has "fallback=vfio-pci: the virtio-net ends on vfio-pci" "^fallback nvme drv=vv_nvme_vfio_pci ovr=vv_nvme_vfio_pci nic drv=vfio-pci ovr=vfio-pci$"
has "fallback=vfio-pci: the record says fallback, with the reason" \
    "^fallback-status .*\"bdf\": \"$NIC\".*\"result\": \"fallback\".*\"why\": \"[^\"]*does not deliver migration \(require=migration\); fallback to generic vfio-pci"
has "fallback=vfio-pci: the kmsg line" "^kmsg2 vfio-variant: $NIC \[1af4:1041\]: virtio_vfio_pci does not deliver migration \(require=migration\); fallback=vfio-pci: now on vfio-pci"
has "both usable afterwards (verify --json)" "^verify-json rc=0 .*\"driver\": \"vv_nvme_vfio_pci\".*\"usable\": true.*\"driver\": \"vfio-pci\".*\"usable\": true"
vm_assert_clean "$L" "require boot finished cleanly"

vm_summary
