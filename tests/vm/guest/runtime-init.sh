#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest /init for tests/vm/test_runtime.sh: claim / release at runtime on a
# real kernel. The boot claims nothing (no rules); then, as an operator
# would on a running host:
#   claim a virtio-net whose interface is up   -> refused
#   interface down, claim --persist            -> virtio_vfio_pci, rule file
#   release while /dev/vfio/N is held open      -> refused, names the group
#   close it, release --persist                -> back on virtio-pci, rule gone
# Every step is one "VMTEST: ..." line for the host to assert.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=init-common.sh
. /lib/vmtest/init-common.sh

NIC=0000:00:08.0
PERSIST=/etc/vfio-variant.d/50-persist-$NIC.conf

iface() { # the network interface of the NIC, if any
    for _n in "/sys/bus/pci/devices/$NIC"/virtio*/net/*; do
        [ -e "$_n" ] && echo "${_n##*/}" && return 0
    done
    echo none
}
run() { # run vfio-variant VERB ARGS...: rc and the driver after, then the output
    "$@" >/tmp/out 2>&1
    _rc=$?
    say "$1-$2 rc=$_rc drv=$(drv $NIC) ovr=$(ovr $NIC)"
    while read -r _l; do say "$2-out $_l"; done </tmp/out
}

modprobe virtio_net 2>/dev/null
sleep 1
IF=$(iface)
say "start drv=$(drv $NIC) iface=$IF"
ip link set "$IF" up
run vfio-variant claim "$NIC"
ip link set "$IF" down
run vfio-variant claim "$NIC" --persist
if [ -f "$PERSIST" ]; then say "persist-file yes: $(grep -v '^#' "$PERSIST")"; else say "persist-file no"; fi
vfio-variant status | while read -r l; do say "status $l"; done
G=$(grp $NIC)
say "group $G node=$(test -c /dev/vfio/"$G" && echo yes || echo no)"
exec 3<>"/dev/vfio/$G"
run vfio-variant release "$NIC"
exec 3>&-
run vfio-variant release "$NIC" --persist
sleep 1
say "after drv=$(drv $NIC) iface=$(iface)"
if [ -f "$PERSIST" ]; then say "persist-file-after yes"; else say "persist-file-after no"; fi
say "status-json $(vfio-variant status --json | tr -d '\n')"
dmesg | grep 'vfio-variant: ' | sed 's/^\[[^]]*\] //' | while read -r l; do say "kmsg $l"; done
finish
