#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# binary: dynamic
# Tree tests of the bind transaction and its faults. The fake sysfs reacts
# like the kernel through tests/fakekernel (LD_PRELOAD into the glibc
# build): driver_override, driver/unbind, drivers_probe, module loading.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lib.sh
. tests/tree/lib.sh
# shellcheck source=assert.sh
. tests/tree/assert.sh
trap 'umount "$RO" 2>/dev/null; cleanup_roots' EXIT
RO=/nonexistent
# shellcheck source=fake.sh
. tests/tree/fake.sh

# every device record (one file each), as one array sorted by address
state_all() { cat "$R"/run/vfio-variant/devices/*.json 2>/dev/null | jq -s 'sort_by(.bdf)'; }
state_ok() { json_ok "$1" "$(state_all)" "$2"; }
virtio_root() {
	new_root "vfio_variant.ids=1af4:1041 $1"
	mkdir -p "$R/dev" && : >"$R/dev/kmsg"
	mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 group=1 driver=virtio-pci
	mk_pci "$R" 0000:00:04.0 8086 10d3 0x020000 group=3 driver=e1000e
}

# --- the transaction -----------------------------------------------------------
virtio_root ""
kb 0 bind
holds "virtio-net unbound from virtio-pci and bound to virtio_vfio_pci" test "$(drv 0000:00:02.0)" = virtio_vfio_pci
holds "driver_override holds the driver name" test "$(ovr 0000:00:02.0)" = virtio_vfio_pci
holds "unlisted e1000e untouched" test "$(drv 0000:00:04.0)" = e1000e
holds "module loaded through libkmod (softdep/deps incl.)" test -e "$R/sys/module/virtio_vfio_pci/drivers/pci:virtio_vfio_pci"
kmsg_has "kmsg info line with level" "<6>vfio-variant: 0000:00:02.0 [1af4:1041]: bound to virtio_vfio_pci (module virtio_vfio_pci, was virtio-pci)"
state_ok "state file written" '.[0].bdf == "0000:00:02.0" and .[0].result == "bound" and .[0].previous == "virtio-pci"'
kb 0 status --json
jq_ok "status after bind" '.[0].driver == "virtio_vfio_pci" and .[0].result == "bound"'
kb 0 bind
err_has "second run changes nothing and says so" "nothing to do: 1 devices already on their VFIO drivers"
holds "second run keeps the binding" test "$(drv 0000:00:02.0)" = virtio_vfio_pci

# --- debug ----------------------------------------------------------------------------
virtio_root "vfio_variant.debug=1"
kb 0 bind
err_has "debug=1 shows the steps" "0000:00:02.0: loaded virtio_vfio_pci"
virtio_root ""
kb 0 bind
err_has "without debug: the outcome line" "0000:00:02.0 [1af4:1041]: bound to virtio_vfio_pci (module virtio_vfio_pci, was virtio-pci)"
err_lacks "without debug the steps stay quiet" "loaded virtio_vfio_pci"

# --- dry run ----------------------------------------------------------------------
virtio_root "vfio_variant.dry_run=1"
kb 0 bind
err_has "dry run says what it would do" "dry run: would bind virtio_vfio_pci"
holds "dry run changes nothing" test "$(drv 0000:00:02.0)" = virtio-pci

# --- module load fails -> fallback policies ---------------------------------------------
virtio_root ""
FAULT=load:virtio_vfio_pci:ENOEXEC kb 0 bind
err_has "load failure named with errno text" "loading module virtio_vfio_pci failed: Exec format error"
holds "fallback=vfio-pci: generic vfio-pci" test "$(drv 0000:00:02.0)" = vfio-pci
kmsg_has "fallback is a warning" "<4>vfio-variant: 0000:00:02.0: loading virtio_vfio_pci failed; fell back to generic vfio-pci"

virtio_root "vfio_variant.fallback=none"
FAULT=load:virtio_vfio_pci:ENOEXEC kb 0 bind
holds "fallback=none: held, no driver" test "$(drv 0000:00:02.0)" = none
holds "fallback=none: override keeps natives away" test "$(ovr 0000:00:02.0)" != "(null)"
state_ok "held recorded" '.[0].result == "held"'

virtio_root "vfio_variant.fallback=native"
FAULT=load:virtio_vfio_pci:ENOEXEC kb 0 bind
holds "fallback=native: override cleared" test "$(ovr 0000:00:02.0)" = "(null)"
err_has "fallback=native is loud" "fallback=native: the device is on its NATIVE driver"

virtio_root "vfio_variant.fallback=native"
FAULT=load:virtio_vfio_pci:ENOEXEC kb 1 bind --strict
err_has "--strict exits 1 when a device went native" "fallback=native: the device is on its NATIVE driver (none), not VFIO"

# --- vfio_variant.timeout bounds the whole run -------------------------------------
virtio_root "vfio_variant.timeout=1 vfio_variant.fallback=none"
mk_pci "$R" 0000:00:03.0 1af4 1041 0x020000 group=2 driver=virtio-pci
FAULT=slowload:virtio_vfio_pci:2 kb 0 bind
err_has "timeout: the first device is named" "0000:00:02.0 [1af4:1041]: vfio_variant.timeout reached before its probe started: held (driver_override vfio-variant-hold)"
err_has "timeout: the next device is named" "0000:00:03.0 [1af4:1041]: vfio_variant.timeout reached before its probe started"
holds "timeout: the devices are held, not left on their native driver" test "$(drv 0000:00:02.0)$(drv 0000:00:03.0)" = nonenone
holds "timeout: held by the holding override" test "$(ovr 0000:00:03.0)" = vfio-variant-hold
state_ok "timeout: recorded as timeout" '[.[] | select(.result == "timeout")] | length == 2'
virtio_root "vfio_variant.timeout=1"
FAULT=slowload:virtio_vfio_pci:2 kb 1 bind --strict
err_has "timeout: the summary counts it, --strict exits 1" ", 1 timeout"

# --- driver name not found after load -------------------------------------------------
virtio_root ""
FAKE_DRIVERS="vfio_pci:vfio-pci" kb 0 bind
err_has "no driver after load named" "module virtio_vfio_pci registered no PCI driver"
holds "then generic vfio-pci" test "$(drv 0000:00:02.0)" = vfio-pci

# --- the driver does not take the device ---------------------------------------------------
virtio_root ""
FAULT=noprobe:virtio_vfio_pci kb 0 bind
err_has "verification failure named" "after drivers_probe the device is on no driver, not virtio_vfio_pci"
holds "then generic vfio-pci" test "$(drv 0000:00:02.0)" = vfio-pci

# --- attribute writes fail ------------------------------------------------------------------
for e in EINVAL ENODEV EBUSY; do
	virtio_root ""
	FAULT=driver_override:$e kb 0 bind
	err_has "driver_override $e: errno text" "writing 'vfio-variant-hold' to driver_override failed: $(perl -MPOSIX -e "print strerror(POSIX::$e)")"
	err_has "driver_override $e: native driver is not silent" "the device is still on virtio-pci, NOT on VFIO"
	kmsg_has "driver_override $e: err level" "<3>vfio-variant: 0000:00:02.0: writing"
	state_ok "driver_override $e: recorded as failed" '.[0].result == "failed"'
	holds "driver_override $e: native driver kept (not unbound without an override)" test "$(drv 0000:00:02.0)" = virtio-pci
done
virtio_root ""
FAULT=unbind:EBUSY kb 0 bind
err_has "unbind EBUSY named" "unbinding from virtio-pci failed: Device or resource busy"
virtio_root "vfio_variant.fallback=none"
FAULT=drivers_probe:ENODEV kb 0 bind
err_has "drivers_probe ENODEV: held, named" "0000:00:02.0: binding virtio_vfio_pci failed; the device is held with no driver"
holds "drivers_probe ENODEV: held, not on the native driver" test "$(drv 0000:00:02.0)" = none

# --- device disappears between plan and bind ----------------------------------------------------
virtio_root ""
FAULT=load:virtio_vfio_pci:ENOEXEC,load:vfio_pci:ENOEXEC kb 0 bind
err_has "no driver can be loaded: held" "the device is held with no driver"
virtio_root ""
kb 0 --device 0000:00:09.0 bind
quiet "bind --device of a missing device exits 0, silently"
holds "bind --device of a missing device leaves the listed one" test "$(drv 0000:00:02.0)" = virtio-pci
FAULT=vanish:0000:00:02.0 kb 0 bind
err_has "device vanishing mid-bind: one clear line" "0000:00:02.0: the device disappeared during the bind"
state_ok "device vanishing mid-bind: recorded" '.[0].result == "gone"'

# --- bind --device (udev) -------------------------------------------------------------------------
new_root "vfio_variant.ids=1af4:1041"
mkdir -p "$R/dev" && : >"$R/dev/kmsg"
mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 group=1 driver=virtio-pci
mk_pci "$R" 0000:00:03.0 1af4 1041 0x020000 group=2 driver=virtio-pci
kb 0 bind --device 0000:00:03.0
kmsg_has "--device names that device" "0000:00:03.0 [1af4:1041]: bound to virtio_vfio_pci"
holds "--device binds that device" test "$(drv 0000:00:03.0)" = virtio_vfio_pci
holds "--device leaves the others" test "$(drv 0000:00:02.0)" = virtio-pci
kb 0 bind --device 0000:00:02.0
state_ok "state keeps both devices" 'length == 2'

# the udev path reads only its device: no bus scan, no module index when unlisted
mk_pci "$R" 0000:00:04.0 8086 10d3 0x020000 group=3 driver=e1000e
mkdir -p "$R/sys/devices/pci0000:00/0000:00:1f.0" && ln -s ../../../devices/pci0000:00/0000:00:1f.0 "$R/sys/bus/pci/devices/0000:00:1f.0"
kb 0 -v bind --device 0000:00:04.0 --kver 9.9-missing
err_has "unlisted event: says it is not listed (debug)" "0000:00:04.0: not listed by any rule: left alone"
err_lacks "unlisted event: bus not scanned (the broken 00:1f.0 is not even read)" "0000:00:1f.0"
err_lacks "unlisted event: module index not opened (a missing tree goes unnoticed)" "module tree"
holds "unlisted event: device untouched" test "$(drv 0000:00:04.0)" = e1000e
kb 0 -v bind --device 0000:00:02.0 --kver 9.9-missing
err_has "listed event: opens the module index" "module tree"
kb 0 -v bind
err_has "full bind scans the bus (and sees the broken 00:1f.0)" "0000:00:1f.0: skipped"

# an unlisted device may be a listed one's companion (group=1)
new_root "vfio_variant.ids=1002:5159 vfio_variant.group=1"
mkdir -p "$R/dev" && : >"$R/dev/kmsg"
mk_pci "$R" 0000:01:00.0 1002 5159 0x030000 group=6
mk_pci "$R" 0000:01:00.1 8086 293e 0x040300 group=6 driver=snd_hda_intel
mk_pci "$R" 0000:02:00.0 8086 293e 0x040300 group=7 driver=snd_hda_intel
kb 0 bind --device 0000:01:00.1
holds "--device of a companion: on vfio-pci" test "$(drv 0000:01:00.1)" = vfio-pci
state_ok "--device of a companion: recorded as group of the listed device" '.[0].bdf == "0000:01:00.1" and .[0].rule == "group of 0000:01:00.0 (1002:5159)"'
kb 0 status --json
jq_ok "status names the companion's rule as plan does" '.[] | select(.bdf == "0000:01:00.1") | .rule == "group of 0000:01:00.0 (1002:5159)"'
kb 0 plan --json
jq_ok "plan names the companion's rule as the record does" '.[] | select(.bdf == "0000:01:00.1") | .rule == "group of 0000:01:00.0 (1002:5159)"'
holds "--device of a companion: the listed device waits for its own event" test "$(drv 0000:01:00.0)" = none
kb 0 -v bind --device 0000:02:00.0
err_has "--device of an unrelated device of the same IDs: not listed" "0000:02:00.0: not listed by any rule"
holds "--device of an unrelated device of the same IDs: untouched" test "$(drv 0000:02:00.0)" = snd_hda_intel
new_root "vfio_variant.ids=1002:5159"
mk_pci "$R" 0000:01:00.0 1002 5159 0x030000 group=6
mk_pci "$R" 0000:01:00.1 8086 293e 0x040300 group=6 driver=snd_hda_intel
kb 0 -v bind --device 0000:01:00.1
err_has "--device of a group member without group=1: not listed" "0000:01:00.1: not listed by any rule"
holds "--device of a group member without group=1: untouched" test "$(drv 0000:01:00.1)" = snd_hda_intel

# a revision rule lists a device for bind --device exactly as for plan (one selector)
new_root "vfio_variant.ids=10de:2330:*:*:*:*:a1"
mkdir -p "$R/dev" && : >"$R/dev/kmsg"
mk_pci "$R" 0000:05:00.0 10de 2330 0x030200 group=9 rev=a1
mk_pci "$R" 0000:06:00.0 10de 2330 0x030200 group=10 rev=a2
kb 0 plan --json
jq_ok "revision rule: plan lists the device at revision a1 only" '[.[].bdf] == ["0000:05:00.0"] and .[0].action == "bind"'
kb 0 bind --device 0000:05:00.0
holds "revision rule: bind --device binds the device at revision a1" test "$(drv 0000:05:00.0)" = vfio-pci
state_ok "revision rule: bind --device records it bound" '.[0].bdf == "0000:05:00.0" and .[0].result == "bound"'
kb 0 -v bind --device 0000:06:00.0
err_has "revision rule: bind --device leaves revision a2 alone" "0000:06:00.0: not listed by any rule"
holds "revision rule: revision a2 untouched" test "$(drv 0000:06:00.0)" = none

# --- group=1 binds the companion ---------------------------------------------------------------
new_root "vfio_variant.ids=1002:5159 vfio_variant.group=1"
mkdir -p "$R/dev" && : >"$R/dev/kmsg"
mk_pci "$R" 0000:00:05.0 1b36 000c 0x060400 group=1 driver=pcieport
mk_pci "$R" 0000:01:00.0 1002 5159 0x030000 group=6
mk_pci "$R" 0000:01:00.1 8086 293e 0x040300 group=6 driver=snd_hda_intel
kb 0 bind
err_has "audio companion named with its group" "0000:01:00.1 [8086:293e]: bound to vfio-pci (module vfio_pci, was snd_hda_intel): in the IOMMU group of 0000:01:00.0"
holds "GPU on vfio-pci" test "$(drv 0000:01:00.0)" = vfio-pci
holds "audio companion on vfio-pci" test "$(drv 0000:01:00.1)" = vfio-pci
holds "bridge untouched" test "$(drv 0000:00:05.0)" = pcieport

# --- SR-IOV: vfs= writes autoprobe off then numvfs ---------------------------------------------
new_root "vfio_variant.vfs=0000:01:00.0:4"
mkdir -p "$R/dev" && : >"$R/dev/kmsg"
mk_pci "$R" 0000:01:00.0 15b3 101d 0x020000 group=20 totalvfs=8 numvfs=0 driver=mlx5_core
printf '1\n' >"$R/sys/bus/pci/devices/0000:01:00.0/sriov_drivers_autoprobe"
VV_FAKE_LOG=$R.writes kb 0 bind
err_has "VFs created: named" "0000:01:00.0: created 4 VFs"
holds "VFs created with autoprobe off, then autoprobe restored" \
	test "$(grep sriov "$R.writes" | tr '\n' ' ')" = "sriov_drivers_autoprobe 0 sriov_numvfs 4 sriov_drivers_autoprobe 1 "
holds "sriov_numvfs=4 written" grep -qx 4 "$R/sys/bus/pci/devices/0000:01:00.0/sriov_numvfs"
holds "sriov_drivers_autoprobe restored after creating" grep -qx 1 "$R/sys/bus/pci/devices/0000:01:00.0/sriov_drivers_autoprobe"
new_root "vfio_variant.vfs=0000:01:00.0:2"
mk_pci "$R" 0000:01:00.0 15b3 101d 0x020000 group=20 totalvfs=8 numvfs=0
FAKE_DRIVERS="$DRIVERS,mlx5_core:mlx5_core" kb 0 bind
err_has "an unbound PF: its VFs created" "0000:01:00.0: created 2 VFs"
holds "an unbound PF gets its native driver loaded by modalias first" test -e "$R/sys/module/mlx5_core/drivers/pci:mlx5_core"
new_root "vfio_variant.vfs=0000:01:00.0:16"
mk_pci "$R" 0000:01:00.0 15b3 101d 0x020000 group=20 totalvfs=8 numvfs=0 driver=mlx5_core
kb 0 bind
err_has "too many VFs named" "the PF supports at most 8 VFs"

# --- read-only /run ------------------------------------------------------------------------------
virtio_root ""
RO=$R/run
mkdir -p "$RO"
if mount -t tmpfs -o ro tmpfs "$RO" 2>/dev/null; then
	kb 0 bind
	err_has "read-only /run: one warning" "cannot write /run/vfio-variant/devices/0000:00:02.0.json: Read-only file system"
	holds "read-only /run: device still bound" test "$(drv 0000:00:02.0)" = virtio_vfio_pci
	umount "$RO"
else
	skip "read-only /run (cannot mount tmpfs here)"
fi

# --- /sys missing -----------------------------------------------------------------------------------
R=$(new_dir)
# shellcheck disable=SC2034 # OUT and ERR are read by assert.sh
OUT=$R.out ERR=$R.err
kb 0 bind
err_has "no sysfs explained" "is not a mounted sysfs"
kb 3 bind --strict
err_has "no sysfs: bind --strict exits 3, explained" "is not a mounted sysfs"

tree_exit
