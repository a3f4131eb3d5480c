#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest /init for tests/vm/smoke.sh (boot 2, control): the native drivers
# with no override, to time them and to show they do take the devices.
# radeon is never loaded (it oopses under TCG when it drives the ati-vga).
# shellcheck source-path=SCRIPTDIR
# shellcheck source=init-common.sh
. /lib/vmtest/init-common.sh

HDA=0000:01:00.1
NVME=0000:00:06.0
E1000E=0000:00:07.0

t=$(now_cs)
check "modprobe-natives" modprobe -a snd_hda_intel nvme e1000e
say "time modprobe-natives $(elapsed_ms "$t") ms"
check "native-hda" [ "$(drv $HDA)" = snd_hda_intel ]
check "native-nvme" [ "$(drv $NVME)" = nvme ]
check "native-e1000e" [ "$(drv $E1000E)" = e1000e ]
list_devices
finish
