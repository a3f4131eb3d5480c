# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Guest-side report helpers for the initramfs generator tests
# (tests/vm/test_dracut.sh, tests/vm/test_initramfs_tools.sh), installed into the image
# as /lib/vvtest-lib.sh. dracut sources its hooks into init's own shell, so:
# no exit, no set -e, every name prefixed.

vvtest_say() {
    printf 'VMTEST: %s\n' "$*" >/dev/console
}

# vvtest_devices STAGE: "STAGE dev BDF VVVV:DDDD drv=DRIVER" per PCI device.
vvtest_devices() {
    for vvtest_p in /sys/bus/pci/devices/*; do
        vvtest_d=$(readlink "$vvtest_p/driver" 2>/dev/null)
        vvtest_d=${vvtest_d##*/}
        vvtest_v=$(cat "$vvtest_p/vendor")
        vvtest_i=$(cat "$vvtest_p/device")
        vvtest_say "$1 dev ${vvtest_p##*/} ${vvtest_v#0x}:${vvtest_i#0x} drv=${vvtest_d:-none}"
    done
}

# vvtest_udevd: "yes" when a systemd-udevd process exists.
vvtest_udevd() {
    for vvtest_c in /proc/[0-9]*/comm; do
        if [ "$(cat "$vvtest_c" 2>/dev/null)" = systemd-udevd ]; then
            echo yes
            return 0
        fi
    done
    echo no
}

# vvtest_state: "yes" when the binary wrote a device record.
vvtest_state() {
    for vvtest_f in /run/vfio-variant/devices/*.json; do
        if [ -s "$vvtest_f" ]; then echo yes; return 0; fi
    done
    echo no
}

# vvtest_kmsg: the binary's kernel log lines, as "kmsg ..." lines.
vvtest_kmsg() {
    dmesg | while read -r vvtest_l; do
        case $vvtest_l in
            *vfio-variant:*) vvtest_say "kmsg ${vvtest_l#*vfio-variant: }" ;;
        esac
    done
}

# vvtest_natives: the kernel log lines of the native drivers of the test's
# devices (nvme, snd_hda_intel, radeon, virtio_net, e1000e) and any line
# naming a listed device's address, as "dmesg ..." lines (timestamp cut).
vvtest_natives() {
    dmesg | while read -r vvtest_l; do
        vvtest_l=${vvtest_l#\[*\] }
        case $vvtest_l in
            nvme\ * | snd_hda_intel\ * | radeon\ * | virtio_net\ * | e1000e\ * | \
                *0000:00:06.0* | *0000:01:00.[01]* | *0000:00:08.0*)
                vvtest_say "dmesg $vvtest_l"
                ;;
        esac
    done
}

# vvtest_end: end marker, then power off (sysrq: no poweroff binary needed).
vvtest_end() {
    vvtest_say "END"
    sleep 1
    echo o >/proc/sysrq-trigger
    sleep 10
}
