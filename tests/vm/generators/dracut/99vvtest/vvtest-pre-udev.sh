#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# pre-udev 99: runs right after vfio-variant's pre-udev 00 hook.
# shellcheck source=/dev/null
. /lib/vvtest-lib.sh
vvtest_say "pre-udev udevd=$(vvtest_udevd) state=$(vvtest_state) systemd=${DRACUT_SYSTEMD:-0}"
vvtest_devices pre-udev
