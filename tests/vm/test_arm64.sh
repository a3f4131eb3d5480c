#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The aarch64 suite: Debian's arm64 6.12 kernel in qemu-system-aarch64 (TCG,
# -M virt,iommu=smmuv3), the static aarch64 binary (make ARCH=arm64) in a
# busybox-static:arm64 initramfs, the guest /init of the x86 scenarios
# (bind-init.sh: bind, then the natives load, then every device is listed).
# On arm64 a PCI device gets its IOMMU group only when a driver probes it:
# the binder must bind the listed unbound devices anyway, and read the groups
# afterwards. Every assertion reads the guest's serial console.
# Prints PASS/FAIL lines.
set -uo pipefail

VM_ARCH=arm64
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN=${VV_VM_BIN:-$VM_REPO/build/arm64/vfio-variant}
W=$VM_CACHE/work/arm64
mkdir -p "$W"
ok() { pass "arm64 $*"; }
ko() { fail "arm64 $*"; }
for c in qemu-system-aarch64 qemu-aarch64-static; do
    command -v "$c" >/dev/null || {
        ko "$c not found (tools/deps.sh installs qemu-system-arm, qemu-user-static)"
        exit 1
    }
done
[ -x "$BIN" ] || make -C "$VM_REPO" -s ARCH=arm64 all >/dev/null || {
    ko "build (make ARCH=arm64)"
    exit 1
}
if file "$BIN" | grep -q 'ARM aarch64.*statically linked'; then
    ok "binary $BIN is static aarch64"
else
    ko "binary $BIN is not static aarch64: $(file "$BIN")"
    exit 1
fi
vm_kernel 6.12-arm64 || {
    ko "kernel 6.12-arm64 fetch/build"
    exit 1
}
MODS=(vfio_pci vfio_iommu_type1 snd_hda_intel snd_hda_codec_generic nvme e1000e virtio_net)
vm_initrd "$W/initrd.img" "$VM_KVER" "$VM_MODROOT" "$BIN" "$VM_DIR/guest/bind-init.sh" "${MODS[@]}" || {
    ko "initramfs build"
    exit 1
}

NVME=0000:00:05.0 HDA=0000:00:05.1 NIC=0000:00:03.0 E1K=0000:00:04.0
# has NAME ERE: some VMTEST line of $L matches
has() {
    if vm_lines "$L" | grep -E -- "$2" >/dev/null; then
        ok "$1"
    else
        ko "$1"
        vm_lines "$L" | tail -n 40 | sed 's/^/    /'
    fi
}
hasnt() {
    if vm_lines "$L" | grep -E -- "$2" >/dev/null; then
        ko "$1"
        vm_lines "$L" | grep -E -- "$2" | sed 's/^/    /'
    else
        ok "$1"
    fi
}
on() { has "$1 on $2" "^dev $1 .* drv=$2 "; }
# group_of BDF: the group number the guest listed for BDF
group_of() { vm_lines "$L" | sed -n "s/^dev $1 .* group=\([0-9][0-9]*\) .*/\1/p" | head -n 1; }
clean() { vm_assert_clean "$L" "arm64 $1 finished cleanly"; }
# boot NAME DEVICES APPEND
boot() {
    L=$W/$1.log
    vm_boot "$VM_KERNEL" "$W/initrd.img" "$3" "$2" "$L" 180
    echo "    ($1: ${VM_BOOT_SECONDS}s wall, $(vm_lines "$L" | sed -n 's/^bind rc=.* ms=//p') ms in bind)"
    # the guest lines the report quotes: each device's final driver, the binder's kmsg
    vm_lines "$L" | grep -E '^(dev |kmsg )' | sed 's/^/    | /'
}

# 1. SMMUv3, nothing probed yet: NVMe + its HDA slot-mate (group=1), and
#    the virtio-net that built-in virtio-pci already probed
boot a1-smmu nvme,nic,e1000e "vfio_variant.ids=1b36:0010,1af4:1041 vfio_variant.group=1"
has "a1 guest kernel is arm64" '^BOOT kernel=6\.12\.95\+deb12-arm64 '
has "a1 SMMU registered (/sys/class/iommu/smmu3.*)" '^iommu .*smmu3\.'
on $NVME vfio-pci
on $HDA vfio-pci
on $NIC vfio-pci
on $E1K e1000e
has "a1 kmsg: NVMe bound, was unbound (no native probed it first)" \
    "^kmsg .*$NVME \[1b36:0010\]: bound to vfio-pci \(module vfio_pci, was unbound\)"
has "a1 kmsg: HDA slot-mate bound, was unbound" \
    "^kmsg .*$HDA \[8086:293e\]: bound to vfio-pci \(module vfio_pci, was unbound\)"
has "a1 kmsg: virtio-net bound, was virtio-pci (built in: the unbind path)" \
    "^kmsg .*$NIC \[1af4:1041\]: bound to vfio-pci \(module vfio_pci, was virtio-pci\)"
hasnt "a1 nothing refused" '^kmsg .*\]: refused'
has "a1 summary: 3 bound, none refused, failed or native" \
    '^kmsg .*done in [0-9]+ ms: 3 bound, 0 unchanged, 0 held, 0 refused, 0 failed, 0 native'
g=$(group_of $NVME)
if [ -n "$g" ] && [ "$g" = "$(group_of $HDA)" ]; then
    ok "a1 NVMe and HDA share the group the probe created ($g)"
else
    ko "a1 NVMe and HDA share one group (got '$g' and '$(group_of $HDA)')"
fi
if [ -n "$g" ]; then
    has "a1 /dev/vfio node of the NVMe's group" "^vfio-node $g\$"
else
    ko "a1 /dev/vfio node of the NVMe's group (NVMe has no group)"
fi
gn=$(group_of $NIC)
if [ -n "$gn" ]; then has "a1 /dev/vfio node of the virtio-net's group" "^vfio-node $gn\$"; else ko "a1 virtio-net has a group"; fi
has "a1 bind exit 0" '^bind rc=0 '
has "a1 status: NVMe bound" "^status $NVME +1b36:0010 +vfio-pci +vfio-pci +bound"
clean a1

# 2. group=1 off: the HDA function is left to its native driver, and
#    plan and status say the NVMe's group is not viable
boot a2-nogroup nvme "vfio_variant.ids=1b36:0010"
on $NVME vfio-pci
on $HDA snd_hda_intel
has "a2 plan: the group is not viable" "^plan .*IOMMU group [0-9]+ is not viable: $HDA is bound to snd_hda_intel"
has "a2 status: the group is not viable" "^status .*not viable"
clean a2

# 3. no SMMU: refused with the arm64 hint (firmware SMMU, not x86 options),
#    the boot goes on and the natives take the devices
boot a3-nosmmu nvme,nic,noiommu "vfio_variant.ids=1b36:0010"
has "a3 refused, hint names the SMMU in the firmware" \
    "^kmsg .*$NVME \[1b36:0010\]: refused: .*no IOMMU \(SMMU\) is registered.*enable the SMMU in the firmware"
hasnt "a3 no x86 advice on arm64" '^kmsg .*(intel_iommu|amd_iommu)'
has "a3 bind still exits 0" '^bind rc=0 '
on $NVME nvme
on $NIC virtio-pci
has "a3 no IOMMU registered" '^iommu (\*)?$'
clean a3

check_exit "arm64"
