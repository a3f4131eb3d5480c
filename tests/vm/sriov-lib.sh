# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Host-side helpers shared by the SR-IOV suites (tests/vm/test_sriov.sh,
# tests/vm/test_vfburst.sh); source after tests/vm/lib.sh. The caller sets
#   SRIOV_TAG   put before every PASS/FAIL name ("sriov", "vfburst")
#   W           its work directory (logs, images)
#   BIN         the binary under test
#
#   sriov_nvme ADDR MAXVFS       VM_QEMU_EXTRA = QEMU 7.2's SR-IOV nvme PF on
#                                pcie.0 at slot ADDR (hex, function 0)
#   sriov_vfs PF N               the BDFs of its N VFs, one a line
#   sriov_dracut_tree D          private dracut 059 tree in D/base: our
#                                module, 99vvtest and 98vvsriov (the guest
#                                hook tests/vm/guest/sriov-init.sh at initqueue/settled 50)
#   sriov_dracut_build D FLAVOUR dracut into D/FLAVOUR.img (shell | systemd);
#                                PASS/FAIL lines; 0 when usable
#   sriov_vm_boot NAME INITRD APPEND [TIMEOUT]   boot with only the SR-IOV nvme;
#                                L=$W/NAME.log, $L.txt (no CRs), $L.vm (VMTEST lines)
#   has NAME ERE / hasnt NAME ERE            some / no line of $L.vm matches
#   console NAME ERE                         some line of $L.txt matches
#   clean NAME END_ERE                       reached END_ERE, kernel log clean
# ($L.vm and $L.txt are files, not pipes: grep -q/-m1 ending a pipe early
# would make pipefail report the writer's SIGPIPE as a failure.)

ok() { pass "$SRIOV_TAG $*"; }
ko() { fail "$SRIOV_TAG $*"; }

# QEMU 7.2's nvme does SR-IOV only inside an nvme-subsys, with a namespace
# given as nvme-ns (not drive=), and with flexible resources for the VFs:
# sriov_vq_flexible >= 2 * sriov_max_vfs, sriov_vi_flexible >= sriov_max_vfs,
# and the PF keeps 2 queues of its own (max_ioqpairs + 1 - vq_flexible >= 2;
# msix_qsize 65 by default leaves room for 32 VFs' interrupts). The VFs sit
# at PF + offset 1, stride 1 (no ARI): function 0 of ADDR's slot is the PF,
# then ADDR.1 .. ADDR.7, ADDR+1.0 ...: those addresses must be free.
# shellcheck disable=SC2034,SC2054 # VM_QEMU_EXTRA is for vm_boot; qemu's commas
sriov_nvme() {
    local addr=$1 n=$2 qp=$(($2 * 2 + 2))
    ((qp < 64)) && qp=64 # QEMU's default
    VM_QEMU_EXTRA=(-blockdev driver=null-co,node-name=sriovns,size=67108864,read-zeroes=on
        -device nvme-subsys,id=sriovsubsys
        -device "nvme,id=sriovpf,serial=vmsriov0,subsys=sriovsubsys,sriov_max_vfs=$n,sriov_vq_flexible=$((n * 2)),sriov_vi_flexible=$n,max_ioqpairs=$qp,bus=pcie.0,addr=$addr"
        -device nvme-ns,drive=sriovns,bus=sriovpf,nsid=1)
}

# sriov_vfs PF N: PF is DDDD:BB:SS.F; VF i (0-based) at devfn(PF) + 1 + i
sriov_vfs() {
    local n=$2 i devfn dom_bus=${1%:*} sf=${1##*:}
    devfn=$(((16#${sf%.*} << 3) + ${sf#*.}))
    for ((i = 1; i <= n; i++)); do
        printf '%s:%02x.%d\n' "$dom_bus" $(((devfn + i) >> 3)) $(((devfn + i) & 7))
    done
}

sriov_dracut_tree() {
    local d=$1
    rm -rf "$d"
    mkdir -p "$d/confdir" "$d/tmp"
    cp -a /usr/lib/dracut "$d/base"
    cp -a "$VM_REPO/dracut-module/50vfio-variant" "$d/base/modules.d/"
    cp -a "$VM_DIR/generators/dracut/99vvtest" "$d/base/modules.d/"
    cp "$VM_DIR/generators/vvtest-lib.sh" "$d/base/modules.d/99vvtest/"
    # test-only module: our hook at initqueue/settled 50, before 99vvtest's
    # report-and-poweroff at settled 99
    mkdir -p "$d/base/modules.d/98vvsriov"
    cp "$VM_DIR/guest/sriov-init.sh" "$d/base/modules.d/98vvsriov/"
    cat >"$d/base/modules.d/98vvsriov/module-setup.sh" <<'EOF'
#!/bin/bash
check() { return 255; }
depends() { return 0; }
install() {
    inst_multiple udevadm readlink cat cut dmesg sed grep
    inst_multiple -o journalctl
    inst_hook initqueue/settled 50 "${moddir:?}/sriov-init.sh"
}
EOF
}

sriov_dracut_build() {
    local d=$1 fl=$2 mods drc t bad
    case $fl in
        shell) mods="base vfio-variant vvtest vvsriov" ;;
        systemd) mods="base systemd systemd-initrd dracut-systemd vfio-variant vvtest vvsriov" ;;
        *)
            ko "unknown flavour $fl (shell systemd all)"
            return 1
            ;;
    esac
    printf 'logfile=%s\nfileloglvl=6\n' "$d/$fl.dracut.log" >"$d/$fl.conf"
    t=$SECONDS
    VFIO_VARIANT_BIN=$BIN VFIO_VARIANT_RULES=$VM_REPO/config/vfio-variant.rules dracutbasedir=$d/base \
        dracut --conf "$d/$fl.conf" --confdir "$d/confdir" --tmpdir "$d/tmp" \
        --force --no-hostonly --no-hostonly-cmdline --no-early-microcode --no-compress \
        -m "$mods" --add-drivers nvme \
        --kmoddir "$VM_MODDIR" --kver "$VM_KVER" "$d/$fl.img" >"$d/$fl.dracut.out" 2>&1
    drc=$?
    echo "    (udev $fl: dracut $((SECONDS - t)) s, exit $drc)"
    if ((drc != 0)) || bad=$(grep -E -m1 '^[FE]: |dracut\[[FE]\]' "$d/$fl.dracut.log" "$d/$fl.dracut.out"); then
        ko "udev $fl: dracut build (${bad:-exit $drc})"
        return 1
    fi
    ok "udev $fl: dracut build"
    lsinitrd "$d/$fl.img" >"$d/$fl.list" 2>/dev/null
    if grep -qE 'lib/udev/rules\.d/90-vfio-variant\.rules$' "$d/$fl.list"; then
        ok "udev $fl: image has the udev rule 90-vfio-variant.rules"
    else
        ko "udev $fl: image has the udev rule 90-vfio-variant.rules"
    fi
}

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
console() {
    if grep -Eq -- "$2" "$L.txt"; then ok "$1"; else ko "$1 (no console line matches /$2/)"; fi
}
clean() {
    local bad
    has "$1 guest reached its report and powered off" "$2"
    if bad=$(grep -E -m1 'Oops|BUG:|Kernel panic|Call Trace:|general protection fault' "$L.txt"); then
        ko "$1 kernel log clean ($bad)"
    else ok "$1 kernel log clean"; fi
}

sriov_vm_boot() {
    L=$W/$1.log
    vm_boot "$VM_KERNEL" "$2" "$3" none "$L" "${4:-$VM_TIMEOUT}"
    echo "    ($1: ${VM_BOOT_SECONDS}s wall)"
    tr -d '\r' <"$L" >"$L.txt"
    vm_lines "$L" >"$L.vm"
}
