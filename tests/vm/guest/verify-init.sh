#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest /init for tests/vm/test_verify.sh: `vfio-variant verify` in a real
# kernel. The boot's rules (kernel command line) put the e1000e and the
# ati-vga on vfio-pci, QEMU's NVMe on the fixture variant vv_nvme_vfio_pci
# and the virtio-net on virtio_vfio_pci; then, as an operator would:
#   verify (all, text and --json), verify of each device alone
#   the ati-vga's group with its HDA function on snd_hda_intel -> not viable
#   the e1000e's group held open by this shell               -> busy, untouched
#   a real VMM (the host's QEMU over 9p) opens the verified devices
# Every step is one "VMTEST: ..." line for the host to assert.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=init-common.sh
. /lib/vmtest/init-common.sh

NVME=0000:00:06.0
E1K=0000:00:07.0
NIC=0000:00:08.0
VGA=0000:01:00.0

vfio-variant bind
say "bind rc=$?"
modprobe snd_hda_intel 2>/dev/null   # the VGA's HDA function: on a host driver
sleep 1
list_devices

vfio-variant verify >/tmp/out 2>&1
say "verify-all rc=$?"
while read -r l; do say "verify-text $l"; done </tmp/out
for d in $NVME $E1K $NIC $VGA; do
    vfio-variant verify --json "$d" >/tmp/out 2>&1
    say "verify-json $d rc=$? $(tr -d '\n' </tmp/out)"
done

# a VM holds the e1000e's group: verify must not touch it
G=$(grp $E1K)
exec 3<>"/dev/vfio/$G"
vfio-variant verify $E1K >/tmp/out 2>&1
say "verify-busy rc=$? drv=$(drv $E1K) self=$$"
while read -r l; do say "busy-text $l"; done </tmp/out
exec 3>&-
say "status-json $(vfio-variant status --json | tr -d '\n')"

# a real VMM: the host's QEMU, from the host's root over 9p
if mkdir -p /host && mount -t 9p -o trans=virtio,version=9p2000.L,ro host /host; then
    for m in proc sys dev; do mount --bind "/$m" "/host/$m"; done
    mount -t tmpfs tmpfs /host/tmp
    mount -t tmpfs tmpfs /host/run
    printf 'info pci\nquit\n' | chroot /host qemu-system-x86_64 -M q35 -accel tcg -nodefaults \
        -display none -S -m 64 -monitor stdio -device vfio-pci,host=$NVME \
        -device vfio-pci,host=$E1K -device vfio-pci,host=$NIC >/tmp/out 2>&1
    say "vmm rc=$?"
    tr -d '\r' </tmp/out | while read -r l; do say "vmm-out $l"; done
else
    say "vmm rc=none (no 9p mount of the host)"
fi
finish
