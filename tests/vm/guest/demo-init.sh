#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest /init of `make demo`: what an initramfs hook does, then what udev
# does after it, then show the result.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=init-common.sh
. /lib/vmtest/init-common.sh
say ""
say "### vfio-variant bind   (kernel command line: $(grep -o 'vfio_variant[^ ]*' /proc/cmdline | tr '\n' ' '))"
vfio-variant bind 2>/dev/null
modprobe -a snd_hda_intel nvme e1000e virtio_net 2>/dev/null   # natives load after us
sleep 1
say ""
say "### vfio-variant status   (inside the guest, after the native drivers loaded)"
vfio-variant status | while read -r l; do say "$l"; done
say ""
say "### kernel log lines"
dmesg | grep 'vfio-variant: ' | while read -r l; do say "$l"; done
say ""
say "### every PCI device"
for p in /sys/bus/pci/devices/*; do
    b=${p##*/}
    say "$(printf '%-13s %-10s %s' "$b" "$(ids "$b")" "$(drv "$b")")"
done
say ""
finish
