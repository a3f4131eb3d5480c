#!/bin/bash
# Tree tests of the bind transaction and its faults. The fake sysfs reacts
# like the kernel through tests/fakekernel (LD_PRELOAD into the glibc
# build): driver_override, driver/unbind, drivers_probe, module loading.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/tree/lib.sh
. tests/tree/assert.sh
trap 'umount "$RO" 2>/dev/null; cleanup_roots' EXIT
RO=/nonexistent

# the shim needs a dynamic binary; the static one is covered by test_plan.sh
if ! file -L "$VV_BIN" | grep -q dynamically; then
	VV_BIN=build/test/vfio-variant-plain
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0
SHIM=$PWD/build/test/fakekernel.so
DRIVERS="vfio_pci:vfio-pci,virtio_vfio_pci:virtio_vfio_pci,mlx5_vfio_pci:mlx5_vfio_pci"

# kb ARGS...: bind through the fake kernel
kb() {
	local rc=0
	# shellcheck disable=SC2086
	LD_PRELOAD=$SHIM VV_FAKE_ROOT=$R VV_FAKE_LOG=${VV_FAKE_LOG:-} VV_FAKE_DRIVERS=${FAKE_DRIVERS:-$DRIVERS} VV_FAULT=${FAULT:-} \
		$VV_WRAP "$VV_BIN" --root "$R" --kver "$KVER" "$@" >"$OUT" 2>"$ERR" || rc=$?
	RC=$rc
}
drv() { local l; l=$(readlink "$R/sys/bus/pci/devices/$1/driver") && echo "${l##*/}" || echo none; }
ovr() { cat "$R/sys/bus/pci/devices/$1/driver_override"; }
# state_all: every device record, one array sorted by address
state_all() { cat "$R"/run/vfio-variant/devices/*.json 2>/dev/null | jq -s 'sort_by(.bdf)'; }
state_ok() {
	if state_all | jq -e "$2" >/dev/null 2>&1; then pass "$1"; else fail "$1 (state: $(state_all 2>&1 | head -c 600))"; fi
}
kmsg_has() {
	if grep -qF -- "$2" "$R/dev/kmsg"; then pass "$1"; else fail "$1 (kmsg lacks '$2': $(head -c 600 "$R/dev/kmsg"))"; fi
}
virtio_root() {
	new_root "vfio_variant.ids=1af4:1041 $1"
	mkdir -p "$R/dev" && : >"$R/dev/kmsg"
	mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 group=1 driver=virtio-pci
	mk_pci "$R" 0000:00:04.0 8086 10d3 0x020000 group=3 driver=e1000e
}

# --- the transaction -----------------------------------------------------------
virtio_root ""
kb bind
rc_is "bind exits 0" 0
check "virtio-net unbound from virtio-pci and bound to virtio_vfio_pci" test "$(drv 0000:00:02.0)" = virtio_vfio_pci
check "driver_override holds the driver name" test "$(ovr 0000:00:02.0)" = virtio_vfio_pci
check "unlisted e1000e untouched" test "$(drv 0000:00:04.0)" = e1000e
check "module loaded through libkmod (softdep/deps incl.)" test -e "$R/sys/module/virtio_vfio_pci/drivers/pci:virtio_vfio_pci"
kmsg_has "kmsg info line with level" "<6>vfio-variant: 0000:00:02.0 [1af4:1041]: bound to virtio_vfio_pci (module virtio_vfio_pci, was virtio-pci)"
state_ok "state file written" '.[0].bdf == "0000:00:02.0" and .[0].result == "bound" and .[0].previous == "virtio-pci"'
kb status --json
jq_ok "status after bind" '.[0].driver == "virtio_vfio_pci" and .[0].result == "bound"'
kb bind
err_has "second run changes nothing and says so" "nothing to do: 1 devices already on their VFIO drivers"
check "second run keeps the binding" test "$(drv 0000:00:02.0)" = virtio_vfio_pci

# --- debug ----------------------------------------------------------------------------
virtio_root "vfio_variant.debug=1"
kb bind
err_has "debug=1 shows the steps" "0000:00:02.0: loaded virtio_vfio_pci"
virtio_root ""
kb bind
check "without debug the steps stay quiet" bash -c "! grep -qF 'loaded virtio_vfio_pci' '$ERR'"

# --- dry run ----------------------------------------------------------------------
virtio_root "vfio_variant.dry_run=1"
kb bind
err_has "dry run says what it would do" "dry run: would bind virtio_vfio_pci"
check "dry run changes nothing" test "$(drv 0000:00:02.0)" = virtio-pci

# --- module load fails -> fallback policies ---------------------------------------------
virtio_root ""
FAULT=load:virtio_vfio_pci:ENOEXEC kb bind
err_has "load failure named with errno text" "loading module virtio_vfio_pci failed: Exec format error"
check "fallback=vfio-pci: generic vfio-pci" test "$(drv 0000:00:02.0)" = vfio-pci
kmsg_has "fallback is a warning" "<4>vfio-variant: 0000:00:02.0: loading virtio_vfio_pci failed; fell back to generic vfio-pci"

virtio_root "vfio_variant.fallback=none"
FAULT=load:virtio_vfio_pci:ENOEXEC kb bind
check "fallback=none: held, no driver" test "$(drv 0000:00:02.0)" = none
check "fallback=none: override keeps natives away" test "$(ovr 0000:00:02.0)" != "(null)"
state_ok "held recorded" '.[0].result == "held"'

virtio_root "vfio_variant.fallback=native"
FAULT=load:virtio_vfio_pci:ENOEXEC kb bind
check "fallback=native: override cleared" test "$(ovr 0000:00:02.0)" = "(null)"
err_has "fallback=native is loud" "fallback=native: the device is on its NATIVE driver"

virtio_root "vfio_variant.fallback=native"
FAULT=load:virtio_vfio_pci:ENOEXEC kb bind --strict
rc_is "--strict exits 1 when a device went native" 1

# --- vfio_variant.timeout bounds the whole run -------------------------------------
virtio_root "vfio_variant.timeout=1 vfio_variant.fallback=none"
mk_pci "$R" 0000:00:03.0 1af4 1041 0x020000 group=2 driver=virtio-pci
FAULT=slowload:virtio_vfio_pci:2 kb bind
rc_is "timeout: bind still exits 0" 0
check "timeout: the first device, started in time, is bound" test "$(drv 0000:00:02.0)" = virtio_vfio_pci
err_has "timeout: the next device is named" "0000:00:03.0: vfio_variant.timeout reached before binding it"
check "timeout: the next device is held, not left on its native driver" test "$(drv 0000:00:03.0)" = none
state_ok "timeout: recorded as held" '.[] | select(.bdf == "0000:00:03.0") | .result == "held"'

# --- driver name not found after load -------------------------------------------------
virtio_root ""
FAKE_DRIVERS="vfio_pci:vfio-pci" kb bind
err_has "no driver after load named" "module virtio_vfio_pci registered no PCI driver"
check "then generic vfio-pci" test "$(drv 0000:00:02.0)" = vfio-pci

# --- the driver does not take the device ---------------------------------------------------
virtio_root ""
FAULT=noprobe:virtio_vfio_pci kb bind
err_has "verification failure named" "after drivers_probe the device is on no driver, not virtio_vfio_pci"
check "then generic vfio-pci" test "$(drv 0000:00:02.0)" = vfio-pci

# --- attribute writes fail ------------------------------------------------------------------
for e in EINVAL ENODEV EBUSY; do
	virtio_root ""
	FAULT=driver_override:$e kb bind
	rc_is "driver_override $e: bind still exits 0" 0
	err_has "driver_override $e: errno text" "writing 'virtio_vfio_pci' to driver_override failed: $(perl -MPOSIX -e "print strerror(POSIX::$e)")"
	err_has "driver_override $e: native driver is not silent" "the device is still on virtio-pci, NOT on VFIO"
	kmsg_has "driver_override $e: err level" "<3>vfio-variant: 0000:00:02.0: writing"
	state_ok "driver_override $e: recorded as failed" '.[0].result == "failed"'
	check "driver_override $e: native driver kept (not unbound without an override)" test "$(drv 0000:00:02.0)" = virtio-pci
done
virtio_root ""
FAULT=unbind:EBUSY kb bind
err_has "unbind EBUSY named" "unbinding from virtio-pci failed: Device or resource busy"
virtio_root "vfio_variant.fallback=none"
FAULT=drivers_probe:ENODEV kb bind
check "drivers_probe ENODEV: held, not on the native driver" test "$(drv 0000:00:02.0)" = none

# --- device disappears between plan and bind ----------------------------------------------------
virtio_root ""
FAULT=load:virtio_vfio_pci:ENOEXEC,load:vfio_pci:ENOEXEC kb bind
err_has "no driver can be loaded: held" "the device is held with no driver"
virtio_root ""
kb --device 0000:00:09.0 bind
rc_is "bind --device of a missing device exits 0" 0
FAULT=vanish:0000:00:02.0 kb bind
rc_is "device vanishing mid-bind: exit 0" 0
err_has "device vanishing mid-bind: one clear line" "0000:00:02.0: the device disappeared during the bind"
state_ok "device vanishing mid-bind: recorded" '.[0].result == "gone"'

# --- bind --device (udev) -------------------------------------------------------------------------
new_root "vfio_variant.ids=1af4:1041"
mkdir -p "$R/dev" && : >"$R/dev/kmsg"
mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 group=1 driver=virtio-pci
mk_pci "$R" 0000:00:03.0 1af4 1041 0x020000 group=2 driver=virtio-pci
kb bind --device 0000:00:03.0
check "--device binds that device" test "$(drv 0000:00:03.0)" = virtio_vfio_pci
check "--device leaves the others" test "$(drv 0000:00:02.0)" = virtio-pci
kb bind --device 0000:00:02.0
state_ok "state keeps both devices" 'length == 2'

# the udev path reads only its device: no bus scan, no module index when unlisted
mk_pci "$R" 0000:00:04.0 8086 10d3 0x020000 group=3 driver=e1000e
mkdir -p "$R/sys/devices/pci0000:00/0000:00:1f.0" && ln -s ../../../devices/pci0000:00/0000:00:1f.0 "$R/sys/bus/pci/devices/0000:00:1f.0"
kb -v bind --device 0000:00:04.0 --kver 9.9-missing
check "unlisted event: bus not scanned (the broken 00:1f.0 is not even read)" bash -c "! grep -q '0000:00:1f.0' '$ERR'"
check "unlisted event: module index not opened (a missing tree goes unnoticed)" bash -c "! grep -q 'module tree' '$ERR'"
check "unlisted event: device untouched" test "$(drv 0000:00:04.0)" = e1000e
kb -v bind --device 0000:00:02.0 --kver 9.9-missing
err_has "listed event: opens the module index" "module tree"
kb -v bind
err_has "full bind scans the bus (and sees the broken 00:1f.0)" "0000:00:1f.0: skipped"

# an unlisted device may be a listed one's companion (group=1)
new_root "vfio_variant.ids=1002:5159 vfio_variant.group=1"
mkdir -p "$R/dev" && : >"$R/dev/kmsg"
mk_pci "$R" 0000:01:00.0 1002 5159 0x030000 group=6
mk_pci "$R" 0000:01:00.1 8086 293e 0x040300 group=6 driver=snd_hda_intel
mk_pci "$R" 0000:02:00.0 8086 293e 0x040300 group=7 driver=snd_hda_intel
kb bind --device 0000:01:00.1
check "--device of a companion: on vfio-pci" test "$(drv 0000:01:00.1)" = vfio-pci
state_ok "--device of a companion: recorded as group of the listed device" '.[0].bdf == "0000:01:00.1" and .[0].rule == "group of 0000:01:00.0"'
check "--device of a companion: the listed device waits for its own event" test "$(drv 0000:01:00.0)" = none
kb bind --device 0000:02:00.0
check "--device of an unrelated device of the same IDs: untouched" test "$(drv 0000:02:00.0)" = snd_hda_intel
new_root "vfio_variant.ids=1002:5159"
mk_pci "$R" 0000:01:00.0 1002 5159 0x030000 group=6
mk_pci "$R" 0000:01:00.1 8086 293e 0x040300 group=6 driver=snd_hda_intel
kb bind --device 0000:01:00.1
check "--device of a group member without group=1: untouched" test "$(drv 0000:01:00.1)" = snd_hda_intel

# --- group=1 binds the companion ---------------------------------------------------------------
new_root "vfio_variant.ids=1002:5159 vfio_variant.group=1"
mkdir -p "$R/dev" && : >"$R/dev/kmsg"
mk_pci "$R" 0000:00:05.0 1b36 000c 0x060400 group=1 driver=pcieport
mk_pci "$R" 0000:01:00.0 1002 5159 0x030000 group=6
mk_pci "$R" 0000:01:00.1 8086 293e 0x040300 group=6 driver=snd_hda_intel
kb bind
check "GPU on vfio-pci" test "$(drv 0000:01:00.0)" = vfio-pci
check "audio companion on vfio-pci" test "$(drv 0000:01:00.1)" = vfio-pci
check "bridge untouched" test "$(drv 0000:00:05.0)" = pcieport

# --- SR-IOV: vfs= writes autoprobe off then numvfs ---------------------------------------------
new_root "vfio_variant.vfs=0000:01:00.0:4"
mkdir -p "$R/dev" && : >"$R/dev/kmsg"
mk_pci "$R" 0000:01:00.0 15b3 101d 0x020000 group=20 totalvfs=8 numvfs=0 driver=mlx5_core
printf '1\n' >"$R/sys/bus/pci/devices/0000:01:00.0/sriov_drivers_autoprobe"
VV_FAKE_LOG=$R.writes kb bind
check "VFs created with autoprobe off, then autoprobe restored" \
	test "$(grep sriov "$R.writes" | tr '\n' ' ')" = "sriov_drivers_autoprobe 0 sriov_numvfs 4 sriov_drivers_autoprobe 1 "
check "sriov_numvfs=4 written" grep -qx 4 "$R/sys/bus/pci/devices/0000:01:00.0/sriov_numvfs"
check "sriov_drivers_autoprobe restored after creating" grep -qx 1 "$R/sys/bus/pci/devices/0000:01:00.0/sriov_drivers_autoprobe"
new_root "vfio_variant.vfs=0000:01:00.0:2"
mk_pci "$R" 0000:01:00.0 15b3 101d 0x020000 group=20 totalvfs=8 numvfs=0
FAKE_DRIVERS="$DRIVERS,mlx5_core:mlx5_core" kb bind
check "an unbound PF gets its native driver loaded by modalias first" test -e "$R/sys/module/mlx5_core/drivers/pci:mlx5_core"
new_root "vfio_variant.vfs=0000:01:00.0:16"
mk_pci "$R" 0000:01:00.0 15b3 101d 0x020000 group=20 totalvfs=8 numvfs=0 driver=mlx5_core
kb bind
err_has "too many VFs named" "the PF supports at most 8 VFs"

# --- read-only /run ------------------------------------------------------------------------------
virtio_root ""
RO=$R/run
mkdir -p "$RO"
if mount -t tmpfs -o ro tmpfs "$RO" 2>/dev/null; then
	kb bind
	err_has "read-only /run: one warning" "cannot write /run/vfio-variant/devices/0000:00:02.0.json: Read-only file system"
	check "read-only /run: device still bound" test "$(drv 0000:00:02.0)" = virtio_vfio_pci
	umount "$RO"
else
	echo "SKIP read-only /run (cannot mount tmpfs here)"
fi

# --- /sys missing -----------------------------------------------------------------------------------
R=$(new_dir)
kb bind
rc_is "no sysfs: bind exits 0" 0
err_has "no sysfs explained" "is not a mounted sysfs"
kb bind --strict
rc_is "no sysfs: bind --strict exits 3" 3

exit "$T_FAILED"
