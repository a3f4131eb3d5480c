#!/bin/bash
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
#   tests/vm/test_sriov.sh [shell|systemd|all]   (dracut flavour; default shell)
# Logs in .cache/vm/work/sriov/.
set -uo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FLAVOURS=${1:-shell}
[[ $FLAVOURS == all ]] && FLAVOURS="shell systemd"
BIN=${VV_BIN:-$VM_REPO/build/vfio-variant}
W=$VM_CACHE/work/sriov
T0=$SECONDS
ok() { pass "sriov $*"; }
ko() { fail "sriov $*"; }

# QEMU 7.2's nvme does SR-IOV only inside an nvme-subsys, with a namespace
# given as nvme-ns (not drive=), and with flexible resources for the VFs:
# sriov_vq_flexible >= 2 * sriov_max_vfs, sriov_vi_flexible >= sriov_max_vfs
# (max_ioqpairs 64 and msix_qsize 65 by default leave room for both). The VFs
# sit at PF + offset 1, stride 1: 00:09.1, 00:09.2.
PF=0000:00:09.0 VF1=0000:00:09.1 VF2=0000:00:09.2
# shellcheck disable=SC2034,SC2054 # used by vm_boot; qemu's commas
VM_QEMU_EXTRA=(-blockdev driver=null-co,node-name=sriovns,size=67108864,read-zeroes=on
    -device nvme-subsys,id=sriovsubsys
    -device nvme,id=sriovpf,serial=vmsriov0,subsys=sriovsubsys,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,bus=pcie.0,addr=0x9
    -device nvme-ns,drive=sriovns,bus=sriovpf,nsid=1)

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

# After each boot: $L the serial log, $L.txt without CRs, $L.vm its VMTEST
# lines (files, not pipes: grep -q/-m1 ending a pipe early would make
# pipefail report the writer's SIGPIPE as a failure).
# has NAME ERE: some VMTEST line matches
has() {
    if grep -Eq -- "$2" "$L.vm"; then ok "$1"; else
        ko "$1"
        tail -n 30 "$L.vm" | sed 's/^/    /'
    fi
}
hasnt() {
    if grep -Eq -- "$2" "$L.vm"; then
        ko "$1"
        grep -E -- "$2" "$L.vm" | sed 's/^/    /'
    else ok "$1"; fi
}
# console NAME ERE: some line of the whole serial log matches
console() {
    if grep -Eq -- "$2" "$L.txt"; then ok "$1"; else ko "$1 (no console line matches /$2/)"; fi
}
clean() { # clean NAME END_ERE: reached the end marker, no oops/panic
    local bad
    has "$1 guest reached its report and powered off" "$2"
    if bad=$(grep -E -m1 'Oops|BUG:|Kernel panic|Call Trace:|general protection fault' "$L.txt"); then
        ko "$1 kernel log clean ($bad)"
    else ok "$1 kernel log clean"; fi
}
# boot NAME INITRD APPEND [TIMEOUT]: boot with the SR-IOV nvme only
boot() {
    L=$W/$1.log
    vm_boot "$VM_KERNEL" "$2" "$3" none "$L" "${4:-$VM_TIMEOUT}" >/dev/null 2>&1
    # TCG on a loaded host can miss the early timer check before userspace:
    # that is QEMU's, not ours; boot once more
    if ! grep -q 'VMTEST: ' "$L" && grep -q 'Kernel panic' "$L"; then
        echo "    ($1: guest kernel panicked before userspace under load; retrying once)"
        vm_boot "$VM_KERNEL" "$2" "$3" none "$L" "${4:-$VM_TIMEOUT}" >/dev/null 2>&1
    fi
    echo "    ($1: ${VM_BOOT_SECONDS}s wall)"
    tr -d '\r' <"$L" >"$L.txt"
    vm_lines "$L" >"$L.vm"
}

# --- 1. boot-time VFs: vfio_variant.vfs= ----------------------------------------
# (booted in the background while dracut builds the image for part 2)
vm_initrd "$W/boot.img" "$VM_KVER" "$VM_MODROOT" "$BIN" "$VM_DIR/guest/sriov-init.sh" \
    vfio_pci vfio_iommu_type1 nvme || ko "boot: initramfs build"
boot boot "$W/boot.img" "vfio_variant.vfs=$PF:2" >"$W/boot.out" &
BOOT_PID=$!

# --- 2. later VFs through the udev rule, in a real dracut image -------------------
if ! command -v dracut >/dev/null; then
    ko "udev: dracut not installed (apt-get install dracut-core)"
    exit 1
fi
D=$W/dracut
mkdir -p "$D/confdir" "$D/tmp"
cp -a /usr/lib/dracut "$D/base"
cp -a "$VM_REPO/dracut-module/90vfio-variant" "$D/base/modules.d/"
cp -a "$VM_DIR/generators/dracut/99vvtest" "$D/base/modules.d/"
cp "$VM_DIR/generators/vvtest-lib.sh" "$D/base/modules.d/99vvtest/"
# test-only module: our hook at initqueue/settled 50, before 99vvtest's
# report-and-poweroff at settled 99
mkdir -p "$D/base/modules.d/98vvsriov"
cp "$VM_DIR/guest/sriov-init.sh" "$D/base/modules.d/98vvsriov/"
cat >"$D/base/modules.d/98vvsriov/module-setup.sh" <<'EOF'
#!/bin/bash
check() { return 255; }
depends() { return 0; }
install() {
    inst_multiple udevadm readlink cat cut dmesg sed
    inst_multiple -o journalctl
    inst_hook initqueue/settled 50 "${moddir:?}/sriov-init.sh"
}
EOF

# build FLAVOUR: dracut into $D/FLAVOUR.img (0 when usable)
build() {
    local fl=$1 mods drc t bad
    case $fl in
        shell) mods="base vfio-variant vvtest vvsriov" ;;
        systemd) mods="base systemd systemd-initrd dracut-systemd vfio-variant vvtest vvsriov" ;;
        *)
            ko "unknown flavour $fl (shell systemd all)"
            return 1
            ;;
    esac
    printf 'logfile=%s\nfileloglvl=6\n' "$D/$fl.dracut.log" >"$D/$fl.conf"
    t=$SECONDS
    VFIO_VARIANT_BIN=$BIN VFIO_VARIANT_RULES=$VM_REPO/config/vfio-variant.rules dracutbasedir=$D/base \
        dracut --conf "$D/$fl.conf" --confdir "$D/confdir" --tmpdir "$D/tmp" \
        --force --no-hostonly --no-hostonly-cmdline --no-early-microcode --no-compress \
        -m "$mods" --add-drivers nvme \
        --kmoddir "$VM_MODDIR" --kver "$VM_KVER" "$D/$fl.img" >"$D/$fl.dracut.out" 2>&1
    drc=$?
    echo "    (udev $fl: dracut $((SECONDS - t)) s, exit $drc)"
    if ((drc != 0)) || bad=$(grep -E -m1 '^[FE]: |dracut\[[FE]\]' "$D/$fl.dracut.log" "$D/$fl.dracut.out"); then
        ko "udev $fl: dracut build (${bad:-exit $drc})"
        return 1
    fi
    ok "udev $fl: dracut build"
    lsinitrd "$D/$fl.img" >"$D/$fl.list" 2>/dev/null
    if grep -qE 'lib/udev/rules\.d/90-vfio-variant\.rules$' "$D/$fl.list"; then
        ok "udev $fl: image has the udev rule 90-vfio-variant.rules"
    else
        ko "udev $fl: image has the udev rule 90-vfio-variant.rules"
    fi
}
BUILT=
for fl in $FLAVOURS; do
    build "$fl" && BUILT+=" $fl"
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
    boot "udev-$fl" "$D/$fl.img" "quiet root=/dev/vvtest-none rd.shell=0 rd.udev.log_level=debug rd.vfio_variant.devices=$VF1" "$tmo"
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
    has "udev $fl: status (state file) shows the listed VF bound" "^udev-status $VF1 +$V +vfio-pci +vfio_pci +bound"
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
