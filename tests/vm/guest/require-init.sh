#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest /init for tests/vm/test_verify.sh, require=CAP rules: the binder
# runs as an initramfs hook would, with /etc/vfio-variant.conf requiring
# migration of QEMU's NVMe (fixture variant with migration ops) and of the
# virtio-net (upstream virtio_vfio_pci, no migration on a PF in 6.12);
# then the rule of the virtio-net gains fallback=vfio-pci and bind runs
# again. Every step is one "VMTEST: ..." line for the host to assert.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=init-common.sh
. /lib/vmtest/init-common.sh

NVME=0000:00:06.0
NIC=0000:00:08.0
report() { # report TAG: drivers, overrides, records
    say "$1 nvme drv=$(drv $NVME) ovr=$(ovr $NVME) nic drv=$(drv $NIC) ovr=$(ovr $NIC)"
    say "$1-status $(vfio-variant status --json | tr -d '\n')"
}

t0=$(now_cs)
vfio-variant bind
say "bind rc=$? ms=$(elapsed_ms "$t0")"
report held
dmesg | grep 'vfio-variant: ' | sed 's/^\[[^]]*\] //' | while read -r l; do say "kmsg $l"; done
dmesg -c >/dev/null

sed -i 's/^1af4:1041 require=migration$/1af4:1041 require=migration fallback=vfio-pci/' /etc/vfio-variant.conf
say "conf $(tr '\n' '|' </etc/vfio-variant.conf)"
vfio-variant bind
say "bind2 rc=$?"
report fallback
dmesg | grep 'vfio-variant: ' | sed 's/^\[[^]]*\] //' | while read -r l; do say "kmsg2 $l"; done
vfio-variant verify --json $NVME $NIC >/tmp/out 2>&1
say "verify-json rc=$? $(tr -d '\n' </tmp/out)"
finish
