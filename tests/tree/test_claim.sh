#!/bin/bash
# Tree tests of claim / release / --persist through the fake kernel
# (tests/fakekernel: driver_override, unbind, drivers_probe — with native
# ID matching from VV_FAKE_NATIVE — module loads, /dev/vfio/N busy).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/tree/lib.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT

if ! file -L "$VV_BIN" | grep -q dynamically; then
	VV_BIN=build/test/vfio-variant-plain
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0
SHIM=$PWD/build/test/fakekernel.so
DRIVERS="vfio_pci:vfio-pci,virtio_vfio_pci:virtio_vfio_pci,virtio_pci:virtio-pci"
NATIVE="1af4_1041:virtio-pci,1b36_0010:nvme"
D=0000:00:02.0
PERSIST=etc/vfio-variant.d/50-persist-$D.conf

kb() {
	local rc=0
	# shellcheck disable=SC2086
	LD_PRELOAD=$SHIM VV_FAKE_ROOT=$R VV_FAKE_DRIVERS=$DRIVERS VV_FAKE_NATIVE=$NATIVE VV_FAULT=${FAULT:-} \
		$VV_WRAP "$VV_BIN" --root "$R" --kver "$KVER" "$@" >"$OUT" 2>"$ERR" || rc=$?
	RC=$rc
}
drv() { local l; l=$(readlink "$R/sys/bus/pci/devices/$1/driver") && echo "${l##*/}" || echo none; }
ovr() { cat "$R/sys/bus/pci/devices/$1/driver_override"; }
rec_ok() {
	if jq -e "$3" "$R/run/vfio-variant/devices/$2.json" >/dev/null 2>&1; then pass "$1"; else
		fail "$1 (record: $(head -c 600 "$R/run/vfio-variant/devices/$2.json" 2>&1))"; fi
}
# a virtio-net on virtio-pci and an nvme, no rule lists either
fresh() {
	new_root "${1:-}"
	mkdir -p "$R/dev/vfio" "$R/proc/self" && : >"$R/dev/kmsg"
	mk_pci "$R" $D 1af4 1041 0x020000 group=1 driver=virtio-pci
	mk_pci "$R" 0000:00:03.0 1b36 0010 0x010802 group=2 driver=nvme
	: >"$R/dev/vfio/1"
	: >"$R/proc/self/mountinfo"
}
DEV2=$(_mkp_devrel $D)
DEV3=$(_mkp_devrel 0000:00:03.0)

# --- claim -----------------------------------------------------------------
fresh
kb claim $D
rc_is "claim exits 0" 0
check "claim: virtio-net on its variant virtio_vfio_pci" test "$(drv $D)" = virtio_vfio_pci
check "claim: override set first" test "$(ovr $D)" = virtio_vfio_pci
out_has "claim says what it did" "$D: bound virtio_vfio_pci"
rec_ok "claim: recorded (the bind transaction's own record)" $D '.result == "bound" and .previous == "virtio-pci" and .rule == "0000:00:02.0 (claim)"'
check "claim: kmsg line" grep -qF "vfio-variant: $D [1af4:1041]: bound to virtio_vfio_pci" "$R/dev/kmsg"
check "claim without --persist writes no rule" test ! -e "$R/$PERSIST"
kb claim $D
rc_is "claim again: exit 0" 0
rec_ok "claim again: unchanged" $D '.result == "unchanged"'

fresh
kb claim $D=vfio-pci
check "claim BDF=vfio-pci: generic vfio-pci (KubeVirt's device plugin wants exactly it)" test "$(drv $D)" = vfio-pci
fresh
kb claim $D=not_a_driver
err_has "claim of an unknown driver: named" "unknown driver 'not_a_driver'"
check "claim of an unknown driver: the rule's fallback (generic vfio-pci), as at boot" test "$(drv $D)" = vfio-pci
kb claim 0000:00:09.0
rc_is "claim of a missing device: exit 3" 3
err_has "claim of a missing device: named" "0000:00:09.0: no such PCI device"
kb claim 00:02.x
rc_is "claim of a bad address: exit 2" 2
kb claim
rc_is "claim without an address: usage error" 2

# --- release ---------------------------------------------------------------------
fresh
kb claim $D
kb release $D
rc_is "release exits 0" 0
check "release: back on virtio-pci" test "$(drv $D)" = virtio-pci
check "release: override cleared" test "$(ovr $D)" = "(null)"
out_has "release says where it went" "$D: released virtio-pci"
rec_ok "release: recorded" $D '.result == "released" and .driver == "virtio-pci" and .previous == "virtio_vfio_pci"'
kb status --json
jq_ok "status after release: released, on virtio-pci" '.[] | select(.bdf == "0000:00:02.0") | .result == "released" and .driver == "virtio-pci"'

fresh
kb claim $D
FAKE_DRIVERS=x FAULT=vfiobusy:1 kb release $D
rc_is "release while the VFIO group is open: exit 1" 1
err_has "release refused, naming the group" "$D: refused: its VFIO group 1 is open (/dev/vfio/1"
check "release refused: still on VFIO" test "$(drv $D)" = virtio_vfio_pci
check "release refused: override kept" test "$(ovr $D)" = virtio_vfio_pci

# the native module is loaded by modalias when no driver is registered yet
fresh
rm -rf "$R/sys/bus/pci/drivers/virtio-pci"
mk_pci "$R" $D 1af4 1041 0x020000 group=1
kb claim $D
kb release $D
check "release loads the native module by modalias (virtio_pci)" test -e "$R/sys/module/virtio_pci/drivers/pci:virtio-pci"
check "release: then the native driver takes it" test "$(drv $D)" = virtio-pci

# --- --persist ----------------------------------------------------------------------
fresh
kb claim $D --persist
rc_is "claim --persist: exit 0" 0
check "claim --persist: one rule file" test -f "$R/$PERSIST"
check "claim --persist: the rule line" grep -qx "$D" "$R/$PERSIST"
check "claim --persist: a comment says what wrote it" grep -q "^# Written by 'vfio-variant claim $D --persist'" "$R/$PERSIST"
check "claim --persist: mode 0644" test "$(stat -c %a "$R/$PERSIST")" = 644
kb plan --json
jq_ok "the next boot agrees (plan reads the persisted rule)" ".[0].bdf == \"$D\" and (.[0].rule | contains(\"50-persist-\"))"
kb status
out_has "status shows the persisted rule" "/$PERSIST"
kb status --json
jq_ok "status --json: persisted field" ".[] | select(.bdf == \"$D\") | .persisted == \"/$PERSIST\""
kb release $D
err_has "release without --persist warns that the next boot claims it again" "still claims it at the next boot"
check "release without --persist keeps the rule" test -f "$R/$PERSIST"
kb claim $D=vfio-pci --persist
check "claim BDF=DRIVER --persist: driver= in the rule" grep -qx "$D driver=vfio-pci" "$R/$PERSIST"
kb release $D --persist
rc_is "release --persist: exit 0" 0
check "release --persist removes the rule" test ! -e "$R/$PERSIST"
out_has "release --persist says so" "persisted rule removed"

fresh "vfio_variant.ids=1af4:1041"
kb claim $D
kb release $D --persist
err_has "release: another rule still lists it, said" "rule '1af4:1041' (cmdline: ids) still lists it: the next boot claims it again"

# never through a symlink
fresh
mkdir -p "$R/etc/vfio-variant.d"
echo keep >"$R/victim"
ln -s ../../victim "$R/$PERSIST"
kb claim $D --persist
check "persist replaces a symlink, never writes through it" test "$(cat "$R/victim")" = keep
check "persist: a regular file now" test -f "$R/$PERSIST" -a ! -L "$R/$PERSIST"
fresh
mkdir -p "$R/elsewhere"
ln -s ../elsewhere "$R/etc/vfio-variant.d"
kb claim $D --persist
rc_is "persist into a symlinked directory: refused (exit 1)" 1
check "persist into a symlinked directory: nothing written there" test -z "$(ls -A "$R/elsewhere")"
fresh
mkdir -p "$R/elsewhere" "$R/run"
ln -s ../elsewhere "$R/run/vfio-variant"
kb claim $D
err_has "state dir that is a symlink: not followed, one warning" "cannot write /run/vfio-variant/devices/$D.json: Not a directory"
check "state dir that is a symlink: nothing written there" test -z "$(ls -A "$R/elsewhere")"

# --- the host is using it ---------------------------------------------------------------
# nvme0n1 below 00:03.0, partition nvme0n1p1 (259:1), dm-0 (253:0) on top of it
host_disk() {
	local b=$R/sys/$DEV3/nvme/nvme0/nvme0n1
	mkdir -p "$b/nvme0n1p1/holders" "$R/sys/block" "$R/sys/devices/virtual/block/dm-0"
	echo 259:0 >"$b/dev"
	echo 259:1 >"$b/nvme0n1p1/dev"
	echo 253:0 >"$R/sys/devices/virtual/block/dm-0/dev"
	ln -s "../$DEV3/nvme/nvme0/nvme0n1" "$R/sys/block/nvme0n1"
	ln -s ../devices/virtual/block/dm-0 "$R/sys/block/dm-0"
	ln -s ../../../../../../../../devices/virtual/block/dm-0 "$b/nvme0n1p1/holders/dm-0"
}
fresh
host_disk
echo "29 1 259:1 / /boot rw,relatime - ext4 /dev/nvme0n1p1 rw" >"$R/proc/self/mountinfo"
kb claim 0000:00:03.0
rc_is "claim of a disk with a mounted filesystem: exit 1" 1
err_has "mounted filesystem named" "0000:00:03.0: refused: the host is using it: it holds a mounted filesystem: /dev/nvme0n1p1 on /boot"
check "refused claim: still on nvme" test "$(drv 0000:00:03.0)" = nvme
check "refused claim: override untouched" test "$(ovr 0000:00:03.0)" = "(null)"
echo "21 1 253:0 / / rw - ext4 /dev/mapper/root rw" >"$R/proc/self/mountinfo"
kb claim 0000:00:03.0
err_has "root filesystem on device-mapper on top of it: named" "it holds the root filesystem (/dev/dm-0)"
: >"$R/proc/self/mountinfo"
printf 'Filename Type Size Used Priority\n/dev/nvme0n1p1 partition 1 0 -2\n' >"$R/proc/swaps"
kb claim 0000:00:03.0
err_has "active swap named" "it holds active swap: /dev/nvme0n1p1"
kb claim 0000:00:03.0 --force
rc_is "--force claims it anyway" 0
err_has "--force is loud" "--force: claiming it although it holds active swap"
check "--force: on vfio-pci" test "$(drv 0000:00:03.0)" = vfio-pci
fresh
host_disk
echo "29 1 8:1 / /data rw - ext4 /dev/sda1 rw" >"$R/proc/self/mountinfo"
kb claim 0000:00:03.0
rc_is "a disk whose filesystems are not mounted: claimed" 0

# a network interface that is up
fresh
mkdir -p "$R/sys/$DEV2/virtio0/net/eth0" "$R/sys/class/net"
ln -s "../../$DEV2/virtio0/net/eth0" "$R/sys/class/net/eth0"
echo 0x1003 >"$R/sys/$DEV2/virtio0/net/eth0/flags"
echo up >"$R/sys/$DEV2/virtio0/net/eth0/operstate"
kb claim $D
rc_is "claim of a NIC whose interface is up: exit 1" 1
err_has "the interface is named" "its network interface eth0 is up (ip link set eth0 down first)"
check "refused NIC: still on virtio-pci" test "$(drv $D)" = virtio-pci
echo 0x1002 >"$R/sys/$DEV2/virtio0/net/eth0/flags"
echo down >"$R/sys/$DEV2/virtio0/net/eth0/operstate"
kb claim $D
rc_is "the same NIC, interface down: claimed" 0

# --- root only ------------------------------------------------------------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	for c in "claim $D" "release $D" "claim $D --persist"; do
		rc=0
		# shellcheck disable=SC2086
		setpriv --reuid=65534 --regid=65534 --clear-groups "$VV_BIN" $c >"$OUT" 2>"$ERR" || rc=$?
		RC=$rc
		rc_is "$c as nobody: exit 1" 1
		err_has "$c as nobody: says it needs root" "run it as root"
	done
else
	echo "SKIP root-only checks (not root, or no setpriv)"
fi

exit "$T_FAILED"
