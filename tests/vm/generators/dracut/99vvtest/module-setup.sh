#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Test-only dracut module for tests/vm/test_dracut.sh and test_dracut_ng.sh: reports
# the PCI drivers as "VMTEST:" lines on the console twice (at pre-udev, and
# once udev has settled) and powers the guest off. It also lists the native
# drivers of the test's devices in the image's modules-load.d, as GPU
# servers do (systemd flavour: systemd-modules-load loads them in
# sysinit); the boot's rd.driver.pre= names them too.

check() {
    return 255
}

depends() {
    return 0
}

install() {
    inst_multiple cat readlink sleep dmesg
    # shellcheck disable=SC2154  # moddir is set by dracut
    inst_simple "$moddir/vvtest-lib.sh" /lib/vvtest-lib.sh
    inst_hook cmdline 99 "$moddir/vvtest-cmdline.sh"
    inst_hook pre-udev 99 "$moddir/vvtest-pre-udev.sh"
    inst_hook initqueue/settled 99 "$moddir/vvtest-settled.sh"
    inst_hook initqueue/finished 99 "$moddir/vvtest-finished.sh"
    mkdir -p "${initdir:?}/etc/modules-load.d"
    printf '%s\n' nvme snd_hda_intel e1000e virtio_net >"$initdir/etc/modules-load.d/vvtest-natives.conf"
    # systemd flavour: dracut-initqueue.service (which runs the settled and
    # finished hooks) starts only when this file exists.
    mkdir -p "${initdir:?}/lib/dracut"
    : >"$initdir/lib/dracut/need-initqueue"
}
