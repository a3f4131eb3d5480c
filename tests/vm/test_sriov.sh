#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SR-IOV VFs in a real kernel: Debian 6.12 in QEMU (TCG, q35 + intel-iommu)
# with QEMU's SR-IOV capable nvme (PF 1b36:0010 at 00:09.0, 2 VFs, which are
# 1b36:0010 too). Two ways VFs reach the binder:
#  1. boot: busybox initramfs, vfio_variant.vfs=PF:2 -- `vfio-variant bind`
#     loads nvme for the PF, creates the VFs and binds them to vfio-pci.
#  2. udev: a real dracut 059 image with our module (which installs
#     config/vfio-variant.rules), rd.vfio_variant.devices=FIRST_VF and no vfs=;
#     a settled hook (tests/vm/guest/sriov-init.sh) writes sriov_numvfs after udev's
#     coldplug, udev runs `vfio-variant bind --device` for each new VF: the
#     listed VF ends on vfio-pci, the other one is left alone. Booted with
#     rd.udev.log_level=debug so that udevd's own log shows it running the
#     rule. QEMU's VFs stay offline until NVMe virtualization management gives
#     them queues, so nvme's probe of a new VF (autoprobe on, as an operator
#     leaves it) fails at once (CSTS.CFS) and the rule finds it driverless.
# Every assertion reads the guest's serial console. Prints PASS/FAIL lines.
# The burst (32 VFs at once through the same udev path, every one bound and
# in status --json) is tests/vm/test_vfburst.sh, on the helpers shared here
# (tests/vm/sriov-lib.sh).
#   tests/vm/test_sriov.sh [shell|systemd|all]   (dracut flavour; default shell)
# Logs in .cache/vm/work/sriov/.
set -uo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sriov-lib.sh
. "$VM_DIR/sriov-lib.sh"

FLAVOURS=${1:-shell}
[[ $FLAVOURS == all ]] && FLAVOURS="shell systemd"
BIN=${VV_BIN:-$VM_REPO/build/vfio-variant}
W=$VM_CACHE/work/sriov
T0=$SECONDS
SRIOV_TAG=sriov
# The PF at 00:09.0, its 2 VFs at 00:09.1, 00:09.2 (tests/vm/sriov-lib.sh).
PF=0000:00:09.0 VF1=0000:00:09.1 VF2=0000:00:09.2
sriov_nvme 0x9 2

[[ -x $BIN ]] || make -C "$VM_REPO" -s all >/dev/null || {
    ko "build"
    exit 1
}
vm_kernel 6.12 || {
    ko "kernel 6.12 fetch/build"
    exit 1
}
rm -rf "$W"
mkdir -p "$W"

# --- 1. boot-time VFs: vfio_variant.vfs= ----------------------------------------
# (booted in the background while dracut builds the image for part 2)
vm_initrd "$W/boot.img" "$VM_KVER" "$VM_MODROOT" "$BIN" "$VM_DIR/guest/sriov-init.sh" \
    vfio_pci vfio_iommu_type1 nvme || ko "boot: initramfs build"
sriov_vm_boot boot "$W/boot.img" "vfio_variant.vfs=$PF:2" >"$W/boot.out" &
BOOT_PID=$!

# --- 2. later VFs through the udev rule, in a real dracut image -------------------
if ! command -v dracut >/dev/null; then
    ko "udev: dracut not installed (apt-get install dracut-core)"
    exit 1
fi
D=$W/dracut
sriov_dracut_tree "$D"
BUILT=
for fl in $FLAVOURS; do
    sriov_dracut_build "$D" "$fl" && BUILT+=" $fl"
done

wait "$BOOT_PID"
cat "$W/boot.out"
L=$W/boot.log
V='1b36:0010'
has "boot: PF unbound before bind" '^PASS pf unbound before bind$'
has "boot: PF on nvme (loaded by the binary), 2 VFs, autoprobe restored" \
    "^boot pf $PF $V drv=nvme numvfs=2 totalvfs=2 autoprobe=1\$"
for vf in "0 $VF1" "1 $VF2"; do
    b=${vf#* }
    has "boot: VF ${vf% *} is $b $V on vfio-pci" \
        "^boot vf $vf $V drv=vfio-pci override=vfio-pci physfn=$PF group=[0-9]+\$"
    g=$(sed -n "s/^boot vf $vf .* group=\([0-9]*\)\$/\1/p" "$L.vm")
    has "boot: VF $b has /dev/vfio/${g:-?}" "^boot vfio-node ${g:-none}\$"
done
has "boot: kmsg: VFs created" "^kmsg $PF: created 2 VFs\$"
has "boot: kmsg: VF 1 bound while driverless" "^kmsg $VF1 \[$V\]: bound to vfio-pci \(module vfio_pci, was unbound\)"
has "boot: kmsg: VF 2 bound while driverless" "^kmsg $VF2 \[$V\]: bound to vfio-pci \(module vfio_pci, was unbound\)"
hasnt "boot: the PF itself is not claimed" "^kmsg $PF \[$V\]: bound"
has "boot: bind exit 0" '^bind rc=0 '
has "boot: status lists the VFs" "^status $VF1 +$V +vfio-pci"
clean boot '^END fails=0$'

for fl in $BUILT; do
    tmo=180
    # systemd under TCG: ~55 s alone, ~115 s with other guests on 2 cores
    [[ $fl == systemd ]] && tmo=360
    sriov_vm_boot "udev-$fl" "$D/$fl.img" "quiet root=/dev/vvtest-none rd.shell=0 rd.udev.log_level=debug rd.vfio_variant.devices=$VF1" "$tmo"
    has "udev $fl: at pre-udev the binder found no listed device (no VFs yet)" '^kmsg no listed device is present$'
    hasnt "udev $fl: no VF existed at pre-udev" '^pre-udev dev 0000:00:09\.[12] '
    has "udev $fl: udev's coldplug put the PF on nvme, no VFs yet" \
        "^udev-before pf $PF $V drv=nvme numvfs=0 totalvfs=2 autoprobe=1\$"
    has "udev $fl: sriov_numvfs written" '^udev numvfs-write rc=0 '
    has "udev $fl: listed VF $VF1 on vfio-pci" \
        "^udev vf 0 $VF1 $V drv=vfio-pci override=vfio-pci physfn=$PF group=[0-9]+\$"
    g=$(sed -n "s/^udev vf 0 .* group=\([0-9]*\)\$/\1/p" "$L.vm")
    has "udev $fl: listed VF has /dev/vfio/${g:-?}" "^udev vfio-node ${g:-none}\$"
    has "udev $fl: unlisted VF $VF2 left alone (nvme or no driver, no override)" \
        "^udev vf 1 $VF2 $V drv=(nvme|none) override=none physfn=$PF "
    has "udev $fl: kmsg after sriov_numvfs: the listed VF bound to vfio-pci" \
        "^udev-kmsg $VF1 \[$V\]: bound to vfio-pci \(module vfio_pci, was (nvme|unbound)\)"
    hasnt "udev $fl: the unlisted VF was not bound" "^udev-kmsg $VF2 .*bound to"
    has "udev $fl: status (state file) shows the listed VF bound" "^udev-status $VF1 +$V +vfio-pci +vfio-pci +bound"
    # udevd's own debug log (console in the shell flavour, journal -> udevd-log
    # lines in the systemd one): the rule ran the binary for both VFs
    for b in $VF1 $VF2; do
        console "udev $fl: udevd ran the rule's 'vfio-variant bind --device $b'" \
            "$b: (Running command \"|Process ')/usr/sbin/vfio-variant bind --device $b"
    done
    clean "udev $fl" '^END$'
done

echo "sriov: $((SECONDS - T0)) s wall; logs in $W"
check_exit sriov
