#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest /init for the scenario suite: run the binder as an initramfs hook
# would, then load the native drivers the way udev / MODULES would after
# it, and report every device's driver. Knobs on the kernel command line:
#   vmtest.twice=1     run bind a second time (idempotence)
#   vmtest.natives=0   do not load native drivers afterwards
#   vmtest.ovr=BDF     before bind, the driver_override contract on BDF (an
#                      unlisted device with no driver yet; its native driver
#                      is i2c_i801, in the image, not loaded): unset reads
#                      "(null)"; a set value reads back; while it is set the
#                      native module loads and does NOT take the device; an
#                      empty write ("echo >") clears it to "(null)"; then
#                      drivers_probe gives the device to its native driver
# shellcheck source-path=SCRIPTDIR
# shellcheck source=init-common.sh
. /lib/vmtest/init-common.sh

arg() { # arg NAME: value of vmtest.NAME= on the command line
    read -r _cmdline </proc/cmdline
    for _w in $_cmdline; do
        case $_w in "vmtest.$1="*) echo "${_w#*=}" ;; esac
    done
}

ovr=$(arg ovr)
if [ -n "$ovr" ]; then
    ovr=$(bdf "$ovr")
    f=/sys/bus/pci/devices/$ovr/driver_override
    say "ovr unset drv=$(drv "$ovr") read=$(cat "$f")"
    rc=0
    echo vv-contract-holder >"$f" || rc=1
    say "ovr set rc=$rc read=$(cat "$f")"
    modprobe i2c_i801
    echo "$ovr" >/sys/bus/pci/drivers_probe 2>/dev/null
    say "ovr held module=$(test -d /sys/module/i2c_i801 && echo loaded) drv=$(drv "$ovr")"
    rc=0
    echo >"$f" || rc=1
    say "ovr cleared rc=$rc read=$(cat "$f")"
    echo "$ovr" >/sys/bus/pci/drivers_probe 2>/dev/null
    say "ovr reprobed drv=$(drv "$ovr") read=$(cat "$f")"
fi
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
