#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest /init for tests/vm/test_runtime.sh: the runtime paths and their
# safety rails on a real kernel. The boot claims nothing (no rules); then,
# as an operator would on a running host:
#   a filesystem made on the NVMe and mounted; a rule lists the NVMe model:
#     plan says why, bind and bind --device (udev) refuse it   -> still nvme,
#     the mount intact, the record says refused
#   claim a virtio-net whose interface is up   -> refused
#   interface down, claim --persist            -> virtio_vfio_pci, rule file
#   a process (sleep) holds /dev/vfio/N open; a rule change now lists the
#     NIC for vfio-pci: bind and bind --device refuse, naming the pid and
#     process -> still virtio_vfio_pci, the group still open
#   release while the group is open            -> refused, names the group
#   the holder gone, release --persist         -> back on virtio-pci, rule gone
# Every step is one "VMTEST: ..." line for the host to assert.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=init-common.sh
. /lib/vmtest/init-common.sh

NIC=0000:00:08.0
DISK=0000:00:06.0
MNT=/mnt/data
PERSIST=/etc/vfio-variant.d/50-persist-$NIC.conf
CHANGE=/etc/vfio-variant.d/10-rule-change.conf

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
runon() { # runon TAG BDF CMD...: rc and BDF's driver after, then the output
    _t=$1
    _b=$2
    shift 2
    "$@" >/tmp/out 2>&1
    _rc=$?
    say "$_t rc=$_rc drv=$(drv "$_b") ovr=$(ovr "$_b")"
    while read -r _l; do say "$_t-out $_l"; done </tmp/out
}
mounted() { # is the NVMe's filesystem mounted, and does it still work?
    if grep -q " $MNT " /proc/mounts && echo ok >"$MNT/probe" && [ "$(cat "$MNT/probe")" = ok ]; then
        echo "yes $(grep " $MNT " /proc/mounts | cut -d' ' -f1-3)"
    else
        echo no
    fi
}
record() { # record TAG BDF: BDF's object in status --json, on one line
    vfio-variant status --json | tr -d '\n' | sed 's/}, *{/}\n{/g' | grep "\"bdf\": \"$2\"" |
        while read -r _l; do say "$1 $_l"; done
}

modprobe virtio_net 2>/dev/null
modprobe nvme 2>/dev/null
modprobe ext4 2>/dev/null
i=0
while [ ! -b /dev/nvme0n1 ] && [ $i -lt 50 ]; do
    sleep 0.2
    i=$((i + 1))
done
sleep 1

# --- the host-use rail: a mounted filesystem on a listed disk -----------------
mkdir -p "$MNT"
if mke2fs -q /dev/nvme0n1 && mount -t ext2 /dev/nvme0n1 "$MNT"; then
    say "disk-start drv=$(drv $DISK) mounted=$(mounted)"
else
    say "disk-start drv=$(drv $DISK) mounted=no (mke2fs/mount failed)"
fi
echo "1b36:0010" >/etc/vfio-variant.conf # a rule for the data disk's model
vfio-variant plan 2>&1 | while read -r l; do say "disk-plan $l"; done
say "disk-plan-json $(vfio-variant plan --json 2>/dev/null | tr -d '\n')"
runon disk-bind $DISK vfio-variant bind
say "disk-after-bind drv=$(drv $DISK) mounted=$(mounted)"
record disk-record-bind $DISK
runon disk-device $DISK vfio-variant bind --device $DISK
say "disk-after-device drv=$(drv $DISK) mounted=$(mounted)"
record disk-record-device $DISK
umount "$MNT"
rm -f /etc/vfio-variant.conf

# --- claim / release, and the open-group rail ----------------------------------
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
# A VM's stand-in: another process holding the group open.
sh -c "exec 3<>/dev/vfio/$G && exec sleep 600" &
HOLDER=$!
i=0
while [ "$(readlink /proc/$HOLDER/fd/3 2>/dev/null)" != "/dev/vfio/$G" ] && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
say "holder pid=$HOLDER comm=$(cat /proc/$HOLDER/comm) fd3=$(readlink /proc/$HOLDER/fd/3)"
# The rule changes: the NIC is now listed for generic vfio-pci (a file
# read before the persisted one: its rule wins).
echo "$NIC driver=vfio-pci" >"$CHANGE"
vfio-variant plan 2>&1 | while read -r l; do say "vm-plan $l"; done
runon vm-bind $NIC vfio-variant bind
runon vm-device $NIC vfio-variant bind --device $NIC
say "vm-after drv=$(drv $NIC) holder=$(cat /proc/$HOLDER/comm 2>/dev/null || echo gone) fd3=$(readlink /proc/$HOLDER/fd/3)"
record vm-record $NIC
rm -f "$CHANGE"
run vfio-variant release "$NIC"
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null
run vfio-variant release "$NIC" --persist
sleep 1
say "after drv=$(drv $NIC) iface=$(iface)"
if [ -f "$PERSIST" ]; then say "persist-file-after yes"; else say "persist-file-after no"; fi
say "status-json $(vfio-variant status --json | tr -d '\n')"
dmesg | grep 'vfio-variant: ' | sed 's/^\[[^]]*\] //' | while read -r l; do say "kmsg $l"; done
finish
