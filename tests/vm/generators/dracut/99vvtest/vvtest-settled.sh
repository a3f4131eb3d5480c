#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# initqueue/settled 99: udev has handled the coldplug (native drivers
# autoloaded); report and power off. Under systemd, also when the binder's
# unit and the units it must precede started ("unit NAME
# InactiveExitTimestampMonotonic=.. ActiveEnterTimestampMonotonic=..").
# shellcheck source=/dev/null
. /lib/vvtest-lib.sh
vvtest_say "settled udevd=$(vvtest_udevd) state=$(vvtest_state)"
# where the command line came from: a UKI's .cmdline is booted by EFI
vvtest_e=no
[ -d /sys/firmware/efi ] && vvtest_e=yes
vvtest_say "cmdline efi=$vvtest_e $(cat /proc/cmdline)"
vvtest_devices settled
if [ -n "${DRACUT_SYSTEMD:-}" ] && command -v systemctl >/dev/null 2>&1; then
    for vvtest_u in vfio-variant-initrd.service systemd-modules-load.service systemd-udevd.service dracut-cmdline.service; do
        # shellcheck disable=SC2046  # one word per property
        vvtest_say "unit $vvtest_u" $(systemctl show -p InactiveExitTimestampMonotonic -p ActiveEnterTimestampMonotonic "$vvtest_u")
    done
fi
vvtest_kmsg
vvtest_natives
vvtest_end
