#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Guest side of tests/vm/test_sriov.sh and tests/vm/test_vfburst.sh (SR-IOV
# VFs of QEMU's nvme; the kernel command line's vvsriov.pf=BDF and
# vvsriov.numvfs=N say where and how many, default 0000:00:09.0 and 2).
# One file, two roles:
#  - busybox /init (vm_initrd; boot with vfio_variant.vfs=PF:2): run
#    `vfio-variant bind` (it loads nvme for the PF, creates the VFs and binds
#    them), then report the PF, its VFs, /dev/vfio and the binder's kmsg lines.
#  - dracut initqueue/settled hook (udev has run its coldplug; no vfs= on the
#    command line): create 2 VFs (vvsriov.numvfs=N: N) the way an operator
#    does, by writing sriov_numvfs, let udev handle them (our
#    90-vfio-variant.rules runs `vfio-variant bind --device`), report each
#    VF. Sourced by dracut's init: no exit, names prefixed;
#    tests/vm/generators' 99vvtest settled hook prints the kmsg lines and
#    powers off afterwards.
# Report lines ("VMTEST: ..."), STAGE = boot | udev:
#   STAGE pf BDF VVVV:DDDD drv=D numvfs=N totalvfs=N autoprobe=N
#   STAGE vf N BDF VVVV:DDDD drv=D override=O physfn=BDF group=G
#   STAGE vfio-node G
#   STAGE vf-count vfs=N vfio-pci=N vfio-nodes=N
#   udev-before vfio_pci=absent|coming|live   (the module, before the write)
#   udev numvfs-write rc=N ms=N / udev settle rc=N ms=N
#   udev burst max-concurrent=N   the most `vfio-variant` processes seen at
#                    once between the write and the settle
#   udev-json LINE / udev-json-err LINE   `vfio-variant status --json`'s
#                    stdout and stderr lines
#   udev-json-notbound BDF   a VF with no "bound" record on vfio-pci there
#   udev json rc=N records=N vfs-bound=N errlines=N
#   udev state-files records=N temp=N   files under /run/vfio-variant/devices
#                    (records *.json, leftover temp files .*)
#   udevd-log LINE   (systemd flavour: udevd's journal lines running the rule)
#   udev-kmsg LINE / udev-status LINE   the binary's kmsg lines since the
#                    sriov_numvfs write, `vfio-variant status` afterwards

sriov_pf=0000:00:09.0
sriov_n=2
read -r sriov_c </proc/cmdline
for sriov_w in $sriov_c; do
    case $sriov_w in
        vvsriov.pf=*) sriov_pf=${sriov_w#*=} ;;
        vvsriov.numvfs=*) sriov_n=${sriov_w#*=} ;;
    esac
done
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

# sriov_report STAGE: the PF, then every VF of it (virtfnN links) and the
# /dev/vfio node of its group, then the counts.
sriov_report() {
    sriov_nvf=0 sriov_nvfio=0 sriov_nnode=0
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
        sriov_nvf=$((sriov_nvf + 1))
        [ -L "$sriov_q/driver" ] && [ "$(sriov_link "$sriov_q/driver")" = vfio-pci ] &&
            sriov_nvfio=$((sriov_nvfio + 1))
        if [ -c "/dev/vfio/$sriov_g" ]; then
            sriov_say "$1 vfio-node $sriov_g"
            sriov_nnode=$((sriov_nnode + 1))
        fi
    done
    sriov_say "$1 vf-count vfs=$sriov_nvf vfio-pci=$sriov_nvfio vfio-nodes=$sriov_nnode"
}

# sriov_watch STOPFILE OUTFILE: until STOPFILE exists, count the running
# `vfio-variant` processes; the most seen at once goes to OUTFILE.
sriov_watch() {
    sriov_m=0
    echo 0 >"$2"
    while [ ! -e "$1" ]; do
        sriov_k=0
        for sriov_c in /proc/[0-9]*/comm; do
            read -r sriov_x 2>/dev/null <"$sriov_c" || continue
            [ "$sriov_x" = vfio-variant ] && sriov_k=$((sriov_k + 1))
        done
        if [ "$sriov_k" -gt "$sriov_m" ]; then
            sriov_m=$sriov_k
            echo "$sriov_m" >"$2"
        fi
    done
}

# sriov_json: `vfio-variant status --json` (the stable interface) after the
# VFs: its lines, then whether every VF has a "bound" record on vfio-pci
# (one object a line: the grep per VF is enough; busybox has no jq).
sriov_json() {
    sriov_jr=0
    vfio-variant status --json >/tmp/vvsriov.json 2>/tmp/vvsriov.err || sriov_jr=$?
    while read -r sriov_l; do sriov_say "udev-json $sriov_l"; done </tmp/vvsriov.json
    while read -r sriov_l; do sriov_say "udev-json-err $sriov_l"; done </tmp/vvsriov.err
    sriov_b=0
    for sriov_f in "$sriov_p"/virtfn*; do
        [ -e "$sriov_f" ] || continue
        sriov_vf=$(sriov_link "$sriov_f")
        if grep -F "\"bdf\": \"$sriov_vf\"" /tmp/vvsriov.json | grep -F '"result": "bound"' |
            grep -qF '"driver": "vfio-pci"'; then
            sriov_b=$((sriov_b + 1))
        else
            sriov_say "udev-json-notbound $sriov_vf"
        fi
    done
    sriov_say "udev json rc=$sriov_jr records=$(grep -c '"bdf": ' /tmp/vvsriov.json)" \
        "vfs-bound=$sriov_b errlines=$(grep -c '' /tmp/vvsriov.err)"
    sriov_nr=0 sriov_nt=0
    for sriov_f in /run/vfio-variant/devices/*.json /run/vfio-variant/devices/.?*; do
        case $sriov_f in */..) continue ;; esac
        [ -e "$sriov_f" ] || continue
        case ${sriov_f##*/} in .*) sriov_nt=$((sriov_nt + 1)) ;; *) sriov_nr=$((sriov_nr + 1)) ;; esac
    done
    sriov_say "udev state-files records=$sriov_nr temp=$sriov_nt"
}

# Role 1: busybox /init, boot-time VFs from vfio_variant.vfs=.
sriov_boot() {
    # shellcheck source=tests/vm/guest/init-common.sh
    . /lib/vmtest/init-common.sh
    check "pf unbound before bind" test "$(drv "$sriov_pf")" = none
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
    sriov_say "udev-before vfio_pci=$(cat /sys/module/vfio_pci/initstate 2>/dev/null || echo absent)"
    # a marker in the kernel log: every binder line after it came from the
    # udev rule (this hook never runs the binary)
    echo "vvsriov: writing $sriov_n to $sriov_pf/sriov_numvfs" >/dev/kmsg
    rm -f /tmp/vvsriov.stop
    sriov_watch /tmp/vvsriov.stop /tmp/vvsriov.max &
    sriov_wp=$!
    sriov_t=$(sriov_cs)
    sriov_r=0
    echo "$sriov_n" >"$sriov_p/sriov_numvfs" || sriov_r=1
    sriov_say "udev numvfs-write rc=$sriov_r ms=$((($(sriov_cs) - sriov_t) * 10))"
    udevadm settle --timeout=180
    sriov_say "udev settle rc=$? ms=$((($(sriov_cs) - sriov_t) * 10))"
    : >/tmp/vvsriov.stop
    wait "$sriov_wp"
    sriov_say "udev burst max-concurrent=$(cat /tmp/vvsriov.max)"
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
    sriov_json
}

if [ -e /lib/dracut-lib.sh ]; then
    sriov_udev
else
    sriov_boot
fi
