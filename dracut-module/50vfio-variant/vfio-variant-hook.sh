#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# dracut cmdline hook 00 (shell flavour: sourced by dracut's init.sh right
# after it mounted /proc, /sys, /dev and /run). Binds the listed devices
# before the cmdline hook 01 (parse-kernel.sh: 90kernel-modules on dracut
# 059, 80base on dracut-ng) modprobes rd.driver.pre= / force_drivers, and
# before udev coldplugs the native drivers. The systemd
# flavour runs vfio-variant-initrd.service instead. Never fails the boot:
# the binary exits 0 unless given --strict.
/usr/sbin/vfio-variant bind
