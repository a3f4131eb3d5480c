#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# binary: dynamic
# Tree tests of claim / release / --persist through the fake kernel
# (tests/fakekernel: driver_override, unbind, drivers_probe — with native
# ID matching from VV_FAKE_NATIVE — module loads, /dev/vfio/N busy).
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lib.sh
. tests/tree/lib.sh
# shellcheck source=assert.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT
# shellcheck disable=SC2034 # read by fake.sh
DRIVERS="vfio_pci:vfio-pci,virtio_vfio_pci:virtio_vfio_pci,virtio_pci:virtio-pci"
# shellcheck source=fake.sh
. tests/tree/fake.sh
export VV_FAKE_NATIVE="1af4_1041:virtio-pci,1b36_0010:nvme"
D=0000:00:02.0
PERSIST=etc/vfio-variant.d/50-persist-$D.conf

# said_and COND...: the run said why it refused (stderr), and COND holds:
# a refusal must come from the binary, not from any program that exits 1
# shellcheck disable=SC2317 # called through holds
said_and() { grep -qE 'refused|cannot persist' "$ERR" && "$@"; }
rec_ok() { json_ok "$1" "$(cat "$R/run/vfio-variant/devices/$2.json" 2>/dev/null)" "$3"; }
# a virtio-net on virtio-pci and an nvme, no rule lists either
fresh() {
	new_root "$1"
	mkdir -p "$R/dev/vfio" "$R/proc/self" && : >"$R/dev/kmsg"
	mk_pci "$R" $D 1af4 1041 0x020000 group=1 driver=virtio-pci
	mk_pci "$R" 0000:00:03.0 1b36 0010 0x010802 group=2 driver=nvme
	: >"$R/dev/vfio/1"
	: >"$R/proc/self/mountinfo"
}
DEV2=$(_mkp_devrel $D)
DEV3=$(_mkp_devrel 0000:00:03.0)

# --- claim -----------------------------------------------------------------
fresh ""
kb 0 claim $D
out_has "claim says what it did" "$D: bound virtio_vfio_pci"
holds "claim: virtio-net on its variant virtio_vfio_pci" test "$(drv $D)" = virtio_vfio_pci
holds "claim: override set" test "$(ovr $D)" = virtio_vfio_pci
rec_ok "claim: recorded (the bind transaction's own record)" $D '.result == "bound" and .previous == "virtio-pci" and .rule == "0000:00:02.0 (claim)"'
kmsg_has "claim: kmsg line" "vfio-variant: $D [1af4:1041]: bound to virtio_vfio_pci"
holds "claim without --persist writes no rule" test ! -e "$R/$PERSIST"
kb 0 claim $D
out_has "claim again: unchanged" "$D: unchanged virtio_vfio_pci"

fresh ""
kb 0 claim $D=vfio-pci
out_has "claim BDF=vfio-pci: generic vfio-pci (KubeVirt's device plugin wants exactly it)" "$D: bound vfio-pci"
fresh ""
kb 1 claim $D=not_a_driver
err_has "claim of an unknown driver: named" "unknown driver 'not_a_driver'"
holds "claim of an unknown driver: the rule's fallback (generic vfio-pci), as at boot" test "$(drv $D)" = vfio-pci
out_has "claim of an unknown driver: says fallback, exit 1" "$D: fallback"
kb 3 claim 0000:00:09.0
err_has "claim of a missing device: exit 3, named" "0000:00:09.0: no such PCI device"
kb 2 claim 00:02.x
err_has "claim of a bad address: exit 2, named" "expected a PCI address"
kb 2 claim
err_has "claim without an address: usage error" "claim needs a PCI address"

# --- release ---------------------------------------------------------------------
fresh ""
kb 0 claim $D
out_has "release setup: claimed" "$D: bound virtio_vfio_pci"
kb 0 release $D
out_has "release says where it went" "$D: released virtio-pci"
holds "release: back on virtio-pci" test "$(drv $D)" = virtio-pci
holds "release: override cleared" test "$(ovr $D)" = "(null)"
rec_ok "release: recorded" $D '.result == "released" and .driver == "virtio-pci" and .previous == "virtio_vfio_pci"'
kb 0 status --json
jq_ok "status after release: released, on virtio-pci" '.[] | select(.bdf == "0000:00:02.0") | .result == "released" and .driver == "virtio-pci"'

fresh ""
kb 0 claim $D
out_has "busy setup: claimed" "$D: bound virtio_vfio_pci"
# a VMM (pid 4242) holds the group: seen among /proc/*/fd, the group itself never opened
mkdir -p "$R/proc/4242/fd" && ln -s /dev/vfio/1 "$R/proc/4242/fd/17" && echo qemu-system-x86 >"$R/proc/4242/comm"
FAULT=vfiobusy:1 kb 1 release $D
err_has "release while the VFIO group is open: exit 1, naming the group and the process" "$D: refused: its VFIO group 1 is open (/dev/vfio/1, by pid 4242 qemu-system-x86)"
holds "release refused: still on VFIO" test "$(drv $D)" = virtio_vfio_pci
holds "release refused: override kept" test "$(ovr $D)" = virtio_vfio_pci

# the native module is loaded by modalias when no driver is registered yet
fresh ""
rm -rf "$R/sys/bus/pci/drivers/virtio-pci"
mk_pci "$R" $D 1af4 1041 0x020000 group=1
kb 0 claim $D
out_has "modalias setup: claimed" "$D: bound virtio_vfio_pci"
kb 0 release $D
out_has "release loads the native module by modalias, which takes it" "$D: released virtio-pci"
holds "release: virtio_pci was loaded" test -e "$R/sys/module/virtio_pci/drivers/pci:virtio-pci"

# --- --persist ----------------------------------------------------------------------
fresh ""
kb 0 claim $D --persist
out_has "claim --persist says where" "$D: persisted in /$PERSIST"
file_has "claim --persist: the rule line" "$R/$PERSIST" "$D"
file_has "claim --persist: a comment says what wrote it" "$R/$PERSIST" "# Written by 'vfio-variant claim $D --persist'"
holds "claim --persist: mode 0644" test "$(stat -c %a "$R/$PERSIST")" = 644
kb 0 plan --json
jq_ok "the next boot agrees (plan reads the persisted rule)" ".[0].bdf == \"$D\" and (.[0].rule | contains(\"50-persist-\"))"
kb 0 status
out_has "status shows the persisted rule" "/$PERSIST"
kb 0 status --json
jq_ok "status --json: persisted field" ".[] | select(.bdf == \"$D\") | .persisted == \"/$PERSIST\""
kb 0 release $D
err_has "release without --persist warns that the next boot claims it again" "still claims it at the next boot"
holds "release without --persist keeps the rule" test -f "$R/$PERSIST"
kb 0 claim $D=vfio-pci --persist
file_has "claim BDF=DRIVER --persist: driver= in the rule" "$R/$PERSIST" "$D driver=vfio-pci"
kb 0 release $D --persist
out_has "release --persist says so" "persisted rule removed"
holds "release --persist removes the rule" test ! -e "$R/$PERSIST"

fresh "vfio_variant.ids=1af4:1041"
kb 0 claim $D
out_has "listed setup: claimed" "$D: bound virtio_vfio_pci"
kb 0 release $D --persist
err_has "release: another rule still lists it, said" "rule '1af4:1041' (cmdline: ids) still lists it: the next boot claims it again"

# never through a symlink
fresh ""
mkdir -p "$R/etc/vfio-variant.d"
echo keep >"$R/victim"
ln -s ../../victim "$R/$PERSIST"
kb 0 claim $D --persist
out_has "persist over a symlink: persisted" "$D: persisted in"
holds "persist replaces a symlink, never writes through it" test "$(cat "$R/victim")" = keep
holds "persist: a regular file now" test -f "$R/$PERSIST" -a ! -L "$R/$PERSIST"
fresh ""
mkdir -p "$R/elsewhere"
ln -s ../elsewhere "$R/etc/vfio-variant.d"
kb 1 claim $D --persist
err_has "persist into a symlinked directory: refused (exit 1)" "cannot persist the rule in /etc/vfio-variant.d: Not a directory"
holds "persist into a symlinked directory: nothing written there" said_and test -z "$(ls -A "$R/elsewhere")"
fresh ""
mkdir -p "$R/elsewhere" "$R/run"
ln -s ../elsewhere "$R/run/vfio-variant"
kb 0 claim $D
err_has "state dir that is a symlink: not followed, one warning" "cannot write /run/vfio-variant/devices/$D.json: Not a directory"
holds "state dir that is a symlink: nothing written there" test -z "$(ls -A "$R/elsewhere")"

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
fresh ""
host_disk
echo "29 1 259:1 / /boot rw,relatime - ext4 /dev/nvme0n1p1 rw" >"$R/proc/self/mountinfo"
kb 1 claim 0000:00:03.0
err_has "mounted filesystem: refused, named" "0000:00:03.0: refused: the host is using it: it holds a mounted filesystem: /dev/nvme0n1p1 on /boot"
holds "refused claim: still on nvme" said_and test "$(drv 0000:00:03.0)" = nvme
holds "refused claim: override untouched" said_and test "$(ovr 0000:00:03.0)" = "(null)"
echo "21 1 253:0 / / rw - ext4 /dev/mapper/root rw" >"$R/proc/self/mountinfo"
kb 1 claim 0000:00:03.0
err_has "root filesystem on device-mapper on top of it: named" "it holds the root filesystem (/dev/dm-0)"
: >"$R/proc/self/mountinfo"
printf 'Filename Type Size Used Priority\n/dev/nvme0n1p1 partition 1 0 -2\n' >"$R/proc/swaps"
kb 1 claim 0000:00:03.0
err_has "active swap named" "it holds active swap: /dev/nvme0n1p1"
kb 0 claim 0000:00:03.0 --force
err_has "--force claims it anyway, loudly" "--force: claiming it although it holds active swap"
holds "--force: on vfio-pci" test "$(drv 0000:00:03.0)" = vfio-pci
fresh ""
host_disk
echo "29 1 8:1 / /data rw - ext4 /dev/sda1 rw" >"$R/proc/self/mountinfo"
kb 0 claim 0000:00:03.0
out_has "a disk whose filesystems are not mounted: claimed" "0000:00:03.0: bound vfio-pci"

# a network interface that is up
fresh ""
mkdir -p "$R/sys/$DEV2/virtio0/net/eth0" "$R/sys/class/net"
ln -s "../../$DEV2/virtio0/net/eth0" "$R/sys/class/net/eth0"
echo 0x1003 >"$R/sys/$DEV2/virtio0/net/eth0/flags"
echo up >"$R/sys/$DEV2/virtio0/net/eth0/operstate"
kb 1 claim $D
err_has "a NIC whose interface is up: refused, named" "its network interface eth0 is up (ip link set eth0 down first)"
holds "refused NIC: still on virtio-pci" said_and test "$(drv $D)" = virtio-pci
echo 0x1002 >"$R/sys/$DEV2/virtio0/net/eth0/flags"
echo down >"$R/sys/$DEV2/virtio0/net/eth0/operstate"
kb 0 claim $D
out_has "the same NIC, interface down: claimed" "$D: bound virtio_vfio_pci"

# --- root only ------------------------------------------------------------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	for c in "claim $D" "release $D" "claim $D --persist"; do
		# shellcheck disable=SC2086
		run_binary 1 "$c as nobody" setpriv --reuid=65534 --regid=65534 --clear-groups $VV_WRAP "$VV_BIN" $c
		err_has "$c as nobody: refused, says it needs root" "run it as root"
	done
else
	skip "root-only checks (not root, or no setpriv)"
fi

tree_exit
