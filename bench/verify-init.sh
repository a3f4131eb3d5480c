#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest /init for bench/verify.sh: the cost of `vfio-variant verify` per
# device. The binder claims QEMU's NVMe (fixture variant vv_nvme_vfio_pci),
# the e1000e (vfio-pci) and the virtio-net (virtio_vfio_pci); then, REPS
# times in turn, cputime runs `verify --json BDF` for each device, and
# `verify 0000:00:1f.0` (the ISA bridge: not on VFIO, so everything but
# the VFIO open: process start, /sys scan, module index, output) as the
# floor. One "VMTEST: run DEV wall_us=N user_us=N sys_us=N rc=N ms=N" line
# a run (ms: the open and probes as verify timed them itself).
# shellcheck source=../tests/vm/guest/init-common.sh
. /lib/vmtest/init-common.sh

REPS=$(sed -n 's/.*bench\.reps=\([0-9]*\).*/\1/p' /proc/cmdline)
REPS=${REPS:-11}
vfio-variant bind
say "bind rc=$?"
list_devices
i=0
while [ "$i" -lt "$REPS" ]; do
    for d in 0000:00:06.0 0000:00:07.0 0000:00:08.0 0000:00:1f.0; do
        rm -f /tmp/t
        cputime -o /tmp/t vfio-variant verify --json "$d" >/tmp/j 2>/dev/null
        ms=$(sed -n 's/.*"ms": \([0-9]*\).*/\1/p' /tmp/j | tail -n 1)
        say "run $d $(cat /tmp/t) ms=${ms:-0}"
    done
    i=$((i + 1))
done
finish
