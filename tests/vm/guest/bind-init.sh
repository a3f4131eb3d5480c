#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest /init for the scenario suite: run the binder as an initramfs hook
# would, then load the native drivers the way udev / MODULES would after
# it, and report every device's driver. Knobs on the kernel command line:
#   vmtest.twice=1     run bind a second time (idempotence)
#   vmtest.natives=0   do not load native drivers afterwards
# shellcheck source-path=SCRIPTDIR
# shellcheck source=init-common.sh
. /lib/vmtest/init-common.sh

arg() { # arg NAME: value of vmtest.NAME= on the command line
    read -r _cmdline </proc/cmdline
    for _w in $_cmdline; do
        case $_w in "vmtest.$1="*) echo "${_w#*=}" ;; esac
    done
}

t0=$(now_cs)
vfio-variant bind
say "bind rc=$? ms=$(elapsed_ms "$t0")"
if [ "$(arg twice)" = 1 ]; then
    vfio-variant bind
    say "bind2 rc=$?"
fi
if [ "$(arg natives)" != 0 ]; then
    # what udev coldplug / MODULES would load after us (never radeon: it
    # oopses under TCG when it really drives the card)
    modprobe -a snd_hda_intel nvme e1000e virtio_net 2>/dev/null
    sleep 1
fi
list_devices
say "iommu $(cd /sys/class/iommu 2>/dev/null && echo *)"
vfio-variant plan 2>&1 | while read -r l; do say "plan $l"; done
for g in /dev/vfio/*; do [ -e "$g" ] && say "vfio-node ${g##*/}"; done
dmesg | grep 'vfio-variant: ' | sed 's/^\[[^]]*\] //' | while read -r l; do say "kmsg $l"; done
vfio-variant status | while read -r l; do say "status $l"; done
finish
