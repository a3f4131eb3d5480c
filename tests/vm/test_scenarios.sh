#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bind transaction in a real kernel: Debian 6.12 in QEMU (TCG, q35 +
# intel-iommu), the real upstream virtio_vfio_pci built out of tree, the
# static binary in a busybox initramfs. One boot per scenario; every
# assertion reads the guest's serial console. Prints PASS/FAIL lines.
#   tests/vm/test_scenarios.sh [6.12|7.2]   (7.2: scenario 1 only)
set -uo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERIES=${1:-6.12}
BIN=${VV_VM_BIN:-$VM_REPO/build/vfio-variant}   # VV_VM_BIN: break-checks
W=$VM_CACHE/work/scenarios-$SERIES
mkdir -p "$W"
[ -x "$BIN" ] || make -C "$VM_REPO" -s all >/dev/null || { fail "build"; exit 1; }
vm_kernel "$SERIES" || { fail "kernel $SERIES fetch/build"; exit 1; }

ALL_MODS=(vfio_pci virtio_vfio_pci vfio_iommu_type1 snd_hda_intel snd_hda_codec_generic nvme e1000e virtio_net i2c_i801)
NO_VARIANT=(vfio_pci vfio_iommu_type1 snd_hda_intel snd_hda_codec_generic nvme e1000e virtio_net)
vm_initrd "$W/full.img" "$VM_KVER" "$VM_MODROOT" "$BIN" "$VM_DIR/guest/bind-init.sh" "${ALL_MODS[@]}" ||
    { fail "initramfs build"; exit 1; }

NIC=0000:00:08.0 GPU=0000:01:00.0 HDA=0000:01:00.1 NVME=0000:00:06.0 E1K=0000:00:07.0 BLK=0000:00:09.0 SMB=0000:00:1f.3
ok() { pass "$SERIES $*"; }
ko() { fail "$SERIES $*"; }
# has NAME ERE: some VMTEST line of $L matches
has() { if vm_lines "$L" | grep -E -- "$2" >/dev/null; then ok "$1"; else ko "$1"; vm_lines "$L" | tail -n 30 | sed 's/^/    /'; fi; }
hasnt() { if vm_lines "$L" | grep -E -- "$2" >/dev/null; then ko "$1"; vm_lines "$L" | grep -E -- "$2" | sed 's/^/    /'; else ok "$1"; fi; }
on() { has "$1 on $2" "^dev $1 .* drv=$2 "; }
clean() { vm_assert_clean "$L" "$SERIES $1 finished cleanly"; }
# boot NAME INITRD DEVICES APPEND
boot() {
    L=$W/$1.log
    vm_boot "$VM_KERNEL" "$2" "$4" "$3" "$L"
    echo "    ($1: ${VM_BOOT_SECONDS}s wall, $(vm_lines "$L" | sed -n 's/^bind rc=.* ms=//p') ms in bind)"
}

# 1. virtio-net and virtio-blk on built-in virtio-pci -> virtio_vfio_pci
#    (7.2's lists 1af4:1042, virtio-blk, since 2025; 6.12's only 1041:
#    virtio-blk goes to vfio-pci there), /dev/vfio/N; and before bind, the
#    kernel's driver_override contract on the unlisted SMBus function
#    (7.x: driver_override lives in the driver core, same file, same rules)
boot s1-virtio "$W/full.img" nic,blk "vfio_variant.ids=1af4:1041,1af4:1042 vmtest.twice=1 vmtest.ovr=$SMB"
vm_lines "$L" | grep -E '^ovr ' | sed 's/^/    /'
has "s1 driver_override unset reads (null), device driverless" "^ovr unset drv=none read=\(null\)\$"
has "s1 driver_override set: the write succeeds and reads back" '^ovr set rc=0 read=vv-contract-holder$'
has "s1 driver_override set: its native module loads and does not take the device" '^ovr held module=loaded drv=none$'
has "s1 driver_override cleared by an empty write: reads (null)" "^ovr cleared rc=0 read=\(null\)\$"
has "s1 driver_override cleared: drivers_probe gives the device to its native driver" "^ovr reprobed drv=i801_smbus read=\(null\)\$"
on $NIC virtio_vfio_pci
has "s1 virtio-net's driver_override reads the variant's driver name" "^dev $NIC .* override=virtio_vfio_pci\$"
if [ "$SERIES" = 6.12 ]; then
    on $BLK vfio-pci
    has "s1 6.12: virtio-blk 1af4:1042 to vfio-pci (6.12's virtio_vfio_pci lists only 1041)" \
        "kmsg .*$BLK \[1af4:1042\]: bound to vfio-pci .*was virtio-pci"
else
    on $BLK virtio_vfio_pci
    has "s1 $SERIES: virtio-blk 1af4:1042 to the variant virtio_vfio_pci (its alias, since 2025)" \
        "kmsg .*$BLK \[1af4:1042\]: bound to virtio_vfio_pci \(module virtio_vfio_pci, was virtio-pci\)"
fi
has "s1 /dev/vfio group node" '^vfio-node [0-9]+$'
has "s1 kmsg names the variant and the unbind" "kmsg .*$NIC \[1af4:1041\]: bound to virtio_vfio_pci \(module virtio_vfio_pci, was virtio-pci\)"
has "s1 second run changes nothing and says so" 'kmsg .*nothing to do: 2 devices already on their VFIO drivers'
has "s1 bind exit 0" '^bind rc=0 '
clean s1
[ "$SERIES" = 6.12 ] || check_exit "scenarios $SERIES"

# 2. GPU + HDMI audio + nvme listed -> vfio-pci; natives after us take none
boot s2-gpu "$W/full.img" gpu,nvme,e1000e,nic "vfio_variant.ids=1002:5159,8086:293e,1b36:0010"
on $GPU vfio-pci
on $HDA vfio-pci
on $NVME vfio-pci
on $E1K e1000e
on $NIC virtio-pci
has "s2 status table in the guest" "^status $GPU +1002:5159 +vfio-pci +vfio-pci +bound"
clean s2

# 3. group=1 listing only the GPU also claims its audio function
boot s3-group "$W/full.img" gpu,nvme,e1000e "vfio_variant.ids=1002:5159 vfio_variant.group=1"
on $GPU vfio-pci
on $HDA vfio-pci
on $NVME nvme
has "s3 audio claimed as the GPU's group companion" "kmsg .*$HDA \[8086:293e\]: bound to vfio-pci"
boot s3-nogroup "$W/full.img" gpu "vfio_variant.ids=1002:5159"
on $HDA snd_hda_intel
has "s3 without group=1, plan reports the group not viable" "plan .*IOMMU group [0-9]+ is not viable: $HDA is bound to snd_hda_intel"
clean s3-group

# 4. variant absent from the initramfs -> vfio-pci with a warning; none; native
vm_initrd "$W/novariant.img" "$VM_KVER" "$VM_MODROOT" "$BIN" "$VM_DIR/guest/bind-init.sh" "${NO_VARIANT[@]}" ||
    ko "s4 initramfs build"
boot s4-fallback "$W/novariant.img" nic "vfio_variant.ids=1af4:1041=virtio_vfio_pci"
on $NIC vfio-pci
has "s4 warning names the missing driver" "kmsg .*unknown driver 'virtio_vfio_pci'"
has "s4 falls back loudly" 'kmsg .*falling back to generic vfio-pci'
has "s4 the outcome is fallback, not bound" "kmsg .*$NIC \[1af4:1041\]: bound to vfio-pci, NOT its best driver \(fallback"
has "s4 status says fallback" "^status $NIC .* fallback "
boot s4-none "$W/novariant.img" nic "vfio_variant.ids=1af4:1041=virtio_vfio_pci vfio_variant.fallback=none"
has "s4 fallback=none: held with no driver, by the holding override" "^dev $NIC .* drv=none .*override=vfio-variant-hold"
boot s4-native "$W/novariant.img" nic "vfio_variant.ids=1af4:1041=virtio_vfio_pci vfio_variant.fallback=native"
on $NIC virtio-pci
has "s4 fallback=native is loud" 'kmsg .*NATIVE driver'
clean s4-native

# 5. no IOMMU: clear error naming the fix, the boot continues, policy respected
boot s5-noiommu "$W/full.img" nic,noiommu "!intel_iommu vfio_variant.ids=1af4:1041"
has "s5 error names the fix" 'kmsg .*refused: no IOMMU group: .*intel_iommu=on.*amd_iommu=on'
has "s5 bind still exits 0" '^bind rc=0 '
on $NIC virtio-pci
clean s5-noiommu

# 6. malformed tokens are each named; the valid ones are bound
boot s6-badinput "$W/full.img" nic,nvme "vfio_variant.ids=1af4:1041,zz:1,,10de:1234:1:2:3:4:5:6 vfio_variant.devices=00:06.0,99:99.9 vfio_variant.bogus=1"
on $NIC virtio_vfio_pci
on $NVME vfio-pci
has "s6 bad hex named" "kmsg .*'zz:1': bad vendor 'zz'"
has "s6 empty item named" "kmsg .*'': empty item"
has "s6 too many fields named" "kmsg .*'10de:1234:1:2:3:4:5:6': too many fields"
has "s6 bad address named" "kmsg .*'99:99.9': bad PCI address"
has "s6 unknown key named" "kmsg .*'vfio_variant.bogus=1': unknown setting"
clean s6-badinput

# 7. control boot without rules: every device on its native driver
boot s7-control "$W/full.img" gpu,nvme,e1000e,nic ""
on $HDA snd_hda_intel
on $NVME nvme
on $E1K e1000e
on $NIC virtio-pci
hasnt "s7 nothing claimed" 'drv=(vfio-pci|virtio_vfio_pci)'
clean s7-control

check_exit "scenarios $SERIES"
