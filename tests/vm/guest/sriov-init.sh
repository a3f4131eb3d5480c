#!/bin/sh
# shellcheck shell=sh
# Guest side of tests/vm/test_sriov.sh (SR-IOV VFs of QEMU's nvme, PF at
# 0000:00:09.0). One file, two roles:
#  - busybox /init (vm_initrd; boot with vfio_variant.vfs=PF:2): run
#    `vfio-variant bind` (it loads nvme for the PF, creates the VFs and binds
#    them), then report the PF, its VFs, /dev/vfio and the binder's kmsg lines.
#  - dracut initqueue/settled hook (udev has run its coldplug; no vfs= on the
#    command line): create 2 VFs the way an operator does, by writing
#    sriov_numvfs, let udev handle them (our 90-vfio-variant.rules runs
#    `vfio-variant bind --device`), report each VF. Sourced by dracut's init:
#    no exit, names prefixed; tests/vm/generators' 99vvtest settled hook
#    prints the kmsg lines and powers off afterwards.
# Report lines ("VMTEST: ..."), STAGE = boot | udev:
#   STAGE pf BDF VVVV:DDDD drv=D numvfs=N totalvfs=N autoprobe=N
#   STAGE vf N BDF VVVV:DDDD drv=D override=O physfn=BDF group=G
#   STAGE vfio-node G
#   udev numvfs-write rc=N ms=N / udev settle rc=N ms=N
#   udevd-log LINE   (systemd flavour: udevd's journal lines running the rule)
#   udev-kmsg LINE / udev-status LINE   the binary's kmsg lines since the
#                    sriov_numvfs write, `vfio-variant status` afterwards

sriov_pf=0000:00:09.0
sriov_p=/sys/bus/pci/devices/$sriov_pf

sriov_say() {
    printf 'VMTEST: %s\n' "$*" >/dev/console
}

sriov_link() { # sriov_link PATH: last component of a symlink's target, or none
    sriov_l=$(readlink "$1" 2>/dev/null)
    if [ -n "$sriov_l" ]; then echo "${sriov_l##*/}"; else echo none; fi
}

sriov_ids() { # sriov_ids DEVDIR: vendor:device
    sriov_v=$(cat "$1/vendor")
    sriov_d=$(cat "$1/device")
    echo "${sriov_v#0x}:${sriov_d#0x}"
}

sriov_cs() { # centiseconds since boot
    sriov_u=$(cut -d' ' -f1 /proc/uptime)
    echo "${sriov_u%.*}${sriov_u#*.}" | sed 's/^0*//;s/^$/0/'
}

# sriov_report STAGE: the PF, then every VF of it (virtfnN links), then the
# /dev/vfio nodes of the VFs' groups.
sriov_report() {
    sriov_say "$1 pf $sriov_pf $(sriov_ids "$sriov_p") drv=$(sriov_link "$sriov_p/driver")" \
        "numvfs=$(cat "$sriov_p/sriov_numvfs" 2>/dev/null)" \
        "totalvfs=$(cat "$sriov_p/sriov_totalvfs" 2>/dev/null)" \
        "autoprobe=$(cat "$sriov_p/sriov_drivers_autoprobe" 2>/dev/null)"
    for sriov_f in "$sriov_p"/virtfn*; do
        [ -e "$sriov_f" ] || continue
        sriov_vf=$(sriov_link "$sriov_f")
        sriov_q=/sys/bus/pci/devices/$sriov_vf
        sriov_o=$(cat "$sriov_q/driver_override" 2>/dev/null)
        case $sriov_o in '' | '(null)') sriov_o=none ;; esac
        sriov_g=$(sriov_link "$sriov_q/iommu_group")
        sriov_say "$1 vf ${sriov_f##*/virtfn} $sriov_vf $(sriov_ids "$sriov_q")" \
            "drv=$(sriov_link "$sriov_q/driver") override=$sriov_o" \
            "physfn=$(sriov_link "$sriov_q/physfn") group=$sriov_g"
        [ -c "/dev/vfio/$sriov_g" ] && sriov_say "$1 vfio-node $sriov_g"
    done
}

# Role 1: busybox /init, boot-time VFs from vfio_variant.vfs=.
sriov_boot() {
    # shellcheck source=tests/vm/guest/init-common.sh
    . /lib/vmtest/init-common.sh
    check "pf unbound before bind" test "$(drv $sriov_pf)" = none
    t0=$(now_cs)
    vfio-variant bind
    say "bind rc=$? ms=$(elapsed_ms "$t0")"
    sriov_report boot
    dmesg | sed -n 's/^.*vfio-variant: /kmsg /p' | while read -r l; do say "$l"; done
    vfio-variant status | while read -r l; do say "status $l"; done
    finish
}

# Role 2: dracut settled hook, VFs created after udev's coldplug.
sriov_udev() {
    sriov_report udev-before
    # a marker in the kernel log: every binder line after it came from the
    # udev rule (this hook never runs the binary)
    echo "vvsriov: writing 2 to $sriov_pf/sriov_numvfs" >/dev/kmsg
    sriov_t=$(sriov_cs)
    sriov_r=0
    echo 2 >"$sriov_p/sriov_numvfs" || sriov_r=1
    sriov_say "udev numvfs-write rc=$sriov_r ms=$((($(sriov_cs) - sriov_t) * 10))"
    udevadm settle --timeout=120
    sriov_say "udev settle rc=$? ms=$((($(sriov_cs) - sriov_t) * 10))"
    sriov_report udev
    # with rd.udev.log_level=debug udevd logs every RUN it executes: to the
    # console in the shell flavour, to the journal in the systemd one
    if command -v journalctl >/dev/null; then
        # (systemd-udevd and its "(udev-worker)" processes)
        journalctl -b -q --no-pager 2>/dev/null | while read -r sriov_l; do
            case $sriov_l in
                *udev*\]:\ "${sriov_pf%.0}".[1-9]:*vfio-variant\ bind\ --device*)
                    sriov_say "udevd-log ${sriov_l#*]: }"
                    ;;
            esac
        done
    fi
    dmesg | sed -n '/vvsriov: writing/,$p' | while read -r sriov_l; do
        case $sriov_l in
            *vfio-variant:*) sriov_say "udev-kmsg ${sriov_l#*vfio-variant: }" ;;
        esac
    done
    # what the state file (written by each run) tells an operator
    vfio-variant status | while read -r sriov_l; do sriov_say "udev-status $sriov_l"; done
}

if [ -e /lib/dracut-lib.sh ]; then
    sriov_udev
else
    sriov_boot
fi
