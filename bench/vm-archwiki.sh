#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of bench/vm.sh: the Arch-wiki style early-boot binding
# (wiki "PCI passthrough via OVMF", "Using driver_override"): write
# driver_override for each listed device, then load vfio-pci, whose probe at
# module init binds every driverless device whose override names it. It
# never unbinds, so it only works on devices no driver holds yet (the
# wiki runs it from the initramfs, before the native drivers). The wiki
# script finds the devices by boot_vga and function number; here the list
# is fixed, so all methods bind exactly the same three devices.
# Installed in the bench initramfs as /usr/local/bin/vfio-pci-override.sh.
DEVS="0000:01:00.0 0000:01:00.1 0000:00:06.0"

for d in $DEVS; do
    echo vfio-pci >"/sys/bus/pci/devices/$d/driver_override"
done
modprobe vfio-pci
