#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# binary: dynamic
# Tree tests of the safety rails (issue 17): the host's own disks and NICs
# (plan, bind, bind --device, companions, claim; no cap), open VFIO groups
# in every unbind path, bridges by what they are (an NVSwitch is not one),
# force from the command line with its separate switches, booleans like
# the kernel's kstrtobool and the fail-safe escape hatch.
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

GPU=0000:00:02.0
DISK=0000:00:03.0
DISK2=0000:00:04.0
rec_ok() { json_ok "$1" "$(cat "$R/run/vfio-variant/devices/$2.json" 2>/dev/null)" "$3"; }
# status_aligned: RESULT starts at the same column in the header and every row
# shellcheck disable=SC2317 # called through holds
status_aligned() {
	local col
	col=$(head -1 "$OUT" | grep -bo RESULT | cut -d: -f1)
	[ -n "$col" ] && awk -v c=$((col + 1)) 'NR > 1 && NF { if (substr($0, c, 1) == " " || substr($0, c - 1, 1) != " ") bad = 1 } END { exit bad }' "$OUT"
}
# said_and COND...: the binary said it refused, and COND holds
# shellcheck disable=SC2317 # called through holds
said_and() { grep -q 'refused' "$ERR" "$OUT" && "$@"; }

# A GPU (+ its audio) in group 1 with an NVMe of the same model as the data
# disk 00:04.0 in group 2; the boot disk 00:03.0 shares... nothing yet.
# mounts: nvme0n1 (00:03.0) partition 1 is /boot, dm-0 on partition 2 is /
fresh() {
	new_root "$1"
	mkdir -p "$R/dev/vfio" "$R/proc/self" && : >"$R/dev/kmsg"
	mk_pci "$R" $GPU 10de 2204 0x030000 group=1
	mk_pci "$R" 0000:00:02.1 10de 1aef 0x040300 group=1
	mk_pci "$R" $DISK 1b36 0010 0x010802 group=2 driver=nvme
	mk_pci "$R" $DISK2 1b36 0010 0x010802 group=3 driver=nvme
	: >"$R/proc/self/mountinfo"
	: >"$R/proc/swaps"
}
# disk NAME BDF: a block device NAME below the PCI device, partitions p1 p2
disk() {
	local rel b
	rel=$(_mkp_devrel "$2")
	b=$R/sys/$rel/nvme/${1%n1}/$1
	mkdir -p "$b/${1}p1/holders" "$b/${1}p2/holders" "$b/holders" "$R/sys/block"
	echo "$3:0" >"$b/dev"
	echo "$3:1" >"$b/${1}p1/dev"
	echo "$3:2" >"$b/${1}p2/dev"
	ln -sfn "../$rel/nvme/${1%n1}/$1" "$R/sys/block/$1"
}
# dm NAME N ON: device-mapper dm-N (named NAME) stacked on partition ON
dm() {
	local v=$R/sys/devices/virtual/block/dm-$2 part
	mkdir -p "$v/dm" "$v/holders"
	echo "253:$2" >"$v/dev"
	echo "$1" >"$v/dm/name"
	ln -sfn "../devices/virtual/block/dm-$2" "$R/sys/block/dm-$2"
	part=$(find "$R/sys/devices" -type d -name "$3" | head -1)
	ln -sfn "../../../../../../../../../devices/virtual/block/dm-$2" "$part/holders/dm-$2"
}
boot_host() {
	disk nvme0n1 $DISK 259
	disk nvme1n1 $DISK2 260
	dm root 0 nvme0n1p2
	printf '%s\n' "21 1 253:0 / / rw,relatime - ext4 /dev/mapper/root rw" \
		"29 21 259:1 / /boot rw,relatime - vfat /dev/nvme0n1p1 rw" \
		"30 21 0:5 / /proc rw - proc proc rw" >"$R/proc/self/mountinfo"
}

# --- the host's own disk: plan, bind, bind --device -------------------------------
# a rule for the data-disk model also matches the boot disk of the same model
fresh "vfio_variant.ids=1b36:0010"
boot_host
kb 1 plan --json
jq_ok "plan: the boot disk is refused, the reason names the root filesystem" ".[] | select(.bdf == \"$DISK\") | .action == \"refused\" and (.reason | contains(\"the running host uses it: it holds the root filesystem (/dev/dm-0)\"))"
jq_ok "plan: the reason also counts the other use (/boot)" ".[] | select(.bdf == \"$DISK\") | .reason | contains(\"(and 1 more)\")"
jq_ok "plan: the data disk of the same model (nothing mounted) is bound" ".[] | select(.bdf == \"$DISK2\") | .action == \"bind\""
kb 1 plan
out_has "plan (text) says why: the pre-flight before a reboot" "the running host uses it: it holds the root filesystem (/dev/dm-0)"
kb 0 bind
err_has "bind refuses the root disk, naming the mount" "$DISK [1b36:0010]: refused: the running host uses it: it holds the root filesystem (/dev/dm-0)"
holds "bind: the root disk stays on nvme" said_and test "$(drv $DISK)" = nvme
holds "bind: its override untouched" said_and test "$(ovr $DISK)" = "(null)"
holds "bind: the data disk went to vfio-pci" test "$(drv $DISK2)" = vfio-pci
rec_ok "bind: the refusal recorded as refused" $DISK '.result == "refused" and (.why | contains("root filesystem"))'

# no driver, no bridge: nothing can be mounted on it or be its interface
# (those are its driver's), so the rails read nothing of the host (the
# early boot's case); a device on a driver still has them read
fresh "vfio_variant.devices=$GPU"
boot_host
WATCH=proc/self/mountinfo VV_FAKE_LOG=$R.watch kb 0 plan --json
jq_ok "plan of an unbound GPU: bind" ".[0] | .bdf == \"$GPU\" and .action == \"bind\""
holds "plan of an unbound GPU: mountinfo never opened" test ! -s "$R.watch"
fresh "vfio_variant.devices=$DISK2"
boot_host
WATCH=proc/self/mountinfo VV_FAKE_LOG=$R.watch kb 0 plan --json
jq_ok "plan of a disk on nvme, nothing mounted: bind" ".[0] | .bdf == \"$DISK2\" and .action == \"bind\""
holds "plan of a disk on nvme: mountinfo opened (the watch sees it)" grep -q "^opened .*proc/self/mountinfo" "$R.watch"

fresh "vfio_variant.ids=1b36:0010"
boot_host
kb 0 bind --device $DISK
err_has "bind --device (udev) refuses the root disk too" "$DISK [1b36:0010]: refused: the running host uses it"
holds "bind --device: still on nvme" said_and test "$(drv $DISK)" = nvme

# /boot alone, by major:minor
fresh "vfio_variant.devices=$DISK"
disk nvme0n1 $DISK 259
echo "29 1 259:1 / /boot rw - vfat /dev/nvme0n1p1 rw" >"$R/proc/self/mountinfo"
kb 1 plan --json
jq_ok "a /boot partition: refused, named" ".[0] | .action == \"refused\" and (.reason | contains(\"/dev/nvme0n1p1 on /boot\"))"
# btrfs: the subvolume's anonymous 0:N device; the source names the partition
echo "21 1 0:35 /@ / rw - btrfs /dev/nvme0n1p2 rw,subvol=/@" >"$R/proc/self/mountinfo"
kb 1 plan --json
jq_ok "btrfs root (anonymous 0:N device): matched by its source" ".[0] | .action == \"refused\" and (.reason | contains(\"root filesystem (/dev/nvme0n1p2)\"))"
: >"$R/proc/self/mountinfo"
printf 'Filename\tType\tSize\tUsed\tPriority\n/dev/nvme0n1p2 partition 1 0 -2\n' >"$R/proc/swaps"
kb 1 plan --json
jq_ok "active swap on it: refused, named" ".[0] | .action == \"refused\" and (.reason | contains(\"it holds active swap: /dev/nvme0n1p2\"))"

# group=1: an NVMe sharing the GPU's IOMMU group is a companion: checked too
fresh "vfio_variant.ids=10de:2204 vfio_variant.group=1"
mk_pci "$R" $DISK 1b36 0010 0x010802 group=1 driver=nvme
boot_host
kb 1 plan --json
jq_ok "companion NVMe holding / is refused, named" ".[] | select(.bdf == \"$DISK\") | .action == \"refused\" and (.rule | startswith(\"group of $GPU\")) and (.reason | contains(\"root filesystem\"))"
jq_ok "the GPU and its audio companion still bind" "[.[] | select(.action == \"bind\") | .bdf] == [\"$GPU\", \"0000:00:02.1\"]"

# an HBA with 80 disks, every one mounted: the 80th is found (no cap)
fresh "vfio_variant.devices=$DISK"
: >"$R/proc/self/mountinfo"
for i in $(seq 0 79); do
	b=$R/sys/$(_mkp_devrel $DISK)/host0/target0:0:$i/0:0:$i:0/block/sd$i
	mkdir -p "$b/sd${i}1/holders" "$R/sys/block"
	echo "8:$((i * 16))" >"$b/dev"
	echo "8:$((i * 16 + 1))" >"$b/sd${i}1/dev"
	ln -sfn "../$(_mkp_devrel $DISK)/host0/target0:0:$i/0:0:$i:0/block/sd$i" "$R/sys/block/sd$i"
done
echo "40 1 8:1265 / /srv/d79 rw - xfs /dev/sd791 rw" >"$R/proc/self/mountinfo"
kb 1 claim $DISK
err_has "claim: the 80th disk's mount is found (no 64-device cap)" "$DISK: refused: the host is using it: it holds a mounted filesystem: /dev/sd791 on /srv/d79"
holds "claim refused: still on nvme" said_and test "$(drv $DISK)" = nvme
kb 1 plan --json
jq_ok "plan: the 80th disk's mount refuses it too" ".[0] | .action == \"refused\" and (.reason | contains(\"/dev/sd791 on /srv/d79\"))"

# a network interface that is up
fresh "vfio_variant.ids=1af4:1041"
mk_pci "$R" 0000:00:05.0 1af4 1041 0x020000 group=5 driver=virtio-pci
NIC=$(_mkp_devrel 0000:00:05.0)
mkdir -p "$R/sys/$NIC/virtio0/net/eth0" "$R/sys/class/net"
ln -s "../../$NIC/virtio0/net/eth0" "$R/sys/class/net/eth0"
echo 0x1003 >"$R/sys/$NIC/virtio0/net/eth0/flags"
echo up >"$R/sys/$NIC/virtio0/net/eth0/operstate"
kb 0 bind
err_has "bind refuses a NIC whose interface is up, naming it" "refused: the running host uses it: its network interface eth0 is up"
holds "the NIC stays on virtio-pci" said_and test "$(drv 0000:00:05.0)" = virtio-pci

# --- plan --preflight: what the image generators ask ----------------------------
fresh "vfio_variant.ids=1b36:0010"
boot_host
kb 1 plan --preflight
err_has "pre-flight: the root disk listed: named, exit 1" "pre-flight: $DISK [1b36:0010] is listed (rule 1b36:0010, cmdline"
err_has "pre-flight: says the boot could not mount /" "that boot cannot mount its root filesystem"
out_has "pre-flight: the summary says FAILED" "pre-flight: FAILED: the image would claim 1 device holding / or /boot"
printf '%s force\n' $DISK >"$R/etc/vfio-variant.conf"
kb 1 plan --preflight --cmdline ""
out_has "pre-flight: force on the rule does not pass the pre-flight (at boot it would claim /)" "pre-flight: FAILED"
: >"$R/etc/vfio-variant.conf"
kb 0 plan --preflight --cmdline "vfio_variant.devices=$DISK2"
out_has "pre-flight: only the unmounted data disk listed: ok" "pre-flight: ok: 1 listed device, none holds / or /boot"
echo "40 21 260:1 / /srv rw - xfs /dev/nvme1n1p1 rw" >>"$R/proc/self/mountinfo"
kb 0 plan --preflight --cmdline "vfio_variant.devices=$DISK2"
err_has "pre-flight: a data filesystem on a listed disk: a warning, not a failure" "pre-flight: $DISK2 [1b36:0010] is listed (rule $DISK2): at boot it is claimed, but now it holds a mounted filesystem: /dev/nvme1n1p1 on /srv"

# --- force, from the config and from the kernel command line -------------------------
fresh ""
boot_host
printf '%s force=hostuse\n' $DISK >"$R/etc/vfio-variant.conf"
kb 0 plan --json
jq_ok "config force=hostuse: planned as bind, warned" ".[] | select(.bdf == \"$DISK\") | .action == \"bind\" and (.warnings | any(contains(\"the running host uses it\")))"
printf '%s force=bridge\n' $DISK >"$R/etc/vfio-variant.conf"
kb 1 plan --json
jq_ok "force=bridge does not lift the host-use rail" ".[] | select(.bdf == \"$DISK\") | .action == \"refused\""
printf '%s force=hostuse+nonsense\n' $DISK >"$R/etc/vfio-variant.conf"
kb 1 plan --json
err_has "force=WORD unknown: named, rule dropped" "unknown rail 'nonsense'"
: >"$R/etc/vfio-variant.conf"
kb 0 plan --json --cmdline "vfio_variant.devices=$DISK vfio_variant.force=$DISK@hostuse"
jq_ok "vfio_variant.force=BDF@hostuse lifts it from the kernel command line" ".[0].action == \"bind\""
kb 1 plan --json --cmdline "vfio_variant.devices=$DISK vfio_variant.force=$DISK@nogroup"
jq_ok "vfio_variant.force=BDF@nogroup does not lift host use" ".[0].action == \"refused\""
kb 0 plan --json --cmdline "vfio_variant.devices=$DISK vfio_variant.force=1b36:0010"
jq_ok "vfio_variant.force=SPEC (no @): every rail lifted" ".[0].action == \"bind\""
kb 1 plan --json --cmdline "vfio_variant.devices=$DISK vfio_variant.force=$DISK=vfio-pci"
err_has "vfio_variant.force= with =DRIVER: named as bad input" "without =DRIVER"

# --- bridges by what they are --------------------------------------------------------
fresh "vfio_variant.ids=10de:22a3,1b36:000c"
mk_pci "$R" 0000:00:06.0 10de 22a3 0x068000 group=6
mk_pci "$R" 0000:00:07.0 1b36 000c 0x060400 group=7
kb 1 plan --json
jq_ok "NVSwitch (10de:22a3, class 0x068000 'other bridge') plans as bind" '.[] | select(.bdf == "0000:00:06.0") | .action == "bind"'
jq_ok "a PCI-to-PCI bridge (0x060400) is refused, naming force=bridge" '.[] | select(.bdf == "0000:00:07.0") | .action == "refused" and (.reason | contains("force=bridge"))'
kb 0 plan --json --cmdline "vfio_variant.ids=1b36:000c vfio_variant.force=0000:00:07.0@bridge"
jq_ok "vfio_variant.force=BDF@bridge claims the bridge" '.[0].action == "bind"'
kb 1 plan --json --cmdline "vfio_variant.ids=1b36:000c vfio_variant.force=0000:00:07.0@hostuse"
jq_ok "vfio_variant.force=BDF@hostuse does not lift the bridge rail" '.[0].action == "refused"'
# header type 1 (a bridge) whatever its class says
mk_pci "$R" 0000:00:08.0 1b36 00aa 0x088000 group=8
printf '\x01' | dd of="$R/sys/$(_mkp_devrel 0000:00:08.0)/config" bs=1 seek=14 conv=notrunc status=none
kb 1 plan --json --cmdline "vfio_variant.ids=1b36:00aa"
jq_ok "header type 1 with another class: a bridge, refused" '.[0] | .action == "refused" and (.reason | contains("header type 1"))'
# the IOMMU rail: separate switch
mk_pci "$R" 0000:00:09.0 1b36 00ab 0x088000
kb 1 plan --json --cmdline "vfio_variant.ids=1b36:00ab vfio_variant.force=1b36:00ab@bridge"
jq_ok "no IOMMU group: force@bridge does not lift it" '.[0].action == "refused"'
kb 0 plan --json --cmdline "vfio_variant.ids=1b36:00ab vfio_variant.force=1b36:00ab@nogroup"
jq_ok "no IOMMU group: force@nogroup lifts it" '.[0].action == "bind"'

# --- open VFIO groups are never unbound --------------------------------------------
# a virtio-net on vfio-pci; a VMM (pid 4242) holds its group /dev/vfio/5;
# the rule now asks for its variant virtio_vfio_pci
VM=0000:00:05.0
open_group() {
	mkdir -p "$R/proc/4242/fd" && ln -sfn /dev/vfio/5 "$R/proc/4242/fd/17" &&
		echo qemu-system-x86 >"$R/proc/4242/comm" && : >"$R/dev/vfio/5"
}
fresh "vfio_variant.ids=1af4:1041"
mk_pci "$R" $VM 1af4 1041 0x020000 group=5 driver=vfio-pci override=vfio-pci
mk_loaded "$R" vfio_pci vfio-pci
open_group
kb 0 bind --device $VM
err_has "bind --device after a rule change: refused, the group and the process named" "$VM [1af4:1041]: refused: its VFIO group 5 is open (/dev/vfio/5, by pid 4242 qemu-system-x86)"
holds "bind --device: the device stays on vfio-pci" said_and test "$(drv $VM)" = vfio-pci
kb 0 bind
err_has "bind (all devices) after a rule change: refused the same way" "its VFIO group 5 is open"
holds "bind: still on vfio-pci" said_and test "$(drv $VM)" = vfio-pci
kb 1 claim $VM=virtio_vfio_pci
err_has "claim to another VFIO driver: refused, group named" "its VFIO group 5 is open (/dev/vfio/5, by pid 4242"
holds "claim: still on vfio-pci" said_and test "$(drv $VM)" = vfio-pci
kb 1 plan --cmdline "vfio_variant.ids=1af4:1041 vfio_variant.force=$VM"
out_has "force does not lift an open group" "never forced"
kb 0 claim $VM=vfio-pci
out_has "claim to the driver it is on: unchanged (nothing is unbound)" "$VM: unchanged vfio-pci"
kb 1 release $VM
err_has "release: refused, group and process named" "$VM: refused: its VFIO group 5 is open (/dev/vfio/5, by pid 4242 qemu-system-x86)"
# an iommufd cdev held open counts the same
rm -rf "$R/proc/4242"
mkdir -p "$R/sys/$(_mkp_devrel $VM)/vfio-dev/vfio3" "$R/proc/777/fd"
ln -s /dev/vfio/devices/vfio3 "$R/proc/777/fd/9"
kb 0 bind --device $VM
err_has "an open iommufd cdev (/dev/vfio/devices/vfio3): refused too" "(/dev/vfio/devices/vfio3, by pid 777)"
# closed: the change goes ahead
rm -rf "$R/proc/777"
kb 0 bind --device $VM
holds "group closed: the rule change re-binds it" test "$(drv $VM)" = virtio_vfio_pci
err_has "group closed: said" "bound to virtio_vfio_pci"

# --- booleans like kstrtobool; the escape hatch fails safe ---------------------------
fresh ""
for v in 1 YES On True y t enable 2 "" maybe; do
	kb 0 bind --cmdline "vfio_variant.ids=1b36:0010 vfio_variant.disable=$v"
	err_has "disable='$v': disabled, nothing done" "doing nothing"
	holds "disable='$v': the disk stays on nvme" test "$(drv $DISK2)" = nvme
done
kb 0 bind --cmdline "vfio_variant.ids=1b36:0010 vfio_variant.disable=maybe"
err_has "disable=maybe: one line says it is taken as disable" "not a boolean; taken as disable=1"
for v in 0 no NO Off false F n; do
	fresh ""
	kb 0 bind --cmdline "vfio_variant.ids=1b36:0010 vfio_variant.disable=$v"
	holds "disable='$v' is clearly false: the bind goes ahead" test "$(drv $DISK2)" = vfio-pci
	err_has "disable='$v': the bind said what it did" "bound to vfio-pci"
done
fresh ""
kb 0 plan --json --cmdline "vfio_variant.ids=10de:2204 vfio_variant.group=Y"
jq_ok "group=Y (kstrtobool) claims the companion" 'length == 2'
kb 0 plan --json --cmdline "vfio_variant.ids=10de:2204 vfio_variant.group=ON"
jq_ok "group=ON claims the companion" 'length == 2'
kb 1 plan --json --cmdline "vfio_variant.ids=10de:2204 vfio_variant.debug=sure"
err_has "a non-boolean for debug: one line" "expected a boolean"

# --- a config setting line with extra text is dropped whole ---------------------------
fresh "vfio_variant.ids=10de:2204"
printf 'group=1 0000:41:00.0\n' >"$R/etc/vfio-variant.conf"
kb 1 plan --json
err_has "setting line with extra text: named" "unexpected text after a setting"
jq_ok "setting line with extra text: not applied (no companion)" 'length == 1'

# vfio-variant.service: every disable value its ConditionKernelCommandLine=
# lets run (systemd: exact strings) is one the binary reads as false, and
# the values the binary reads as true are not let through
unit_runs() { # VALUE: does the unit's condition let vfio_variant.disable=VALUE run?
	grep -qxF "ConditionKernelCommandLine=|vfio_variant.disable=$1" config/vfio-variant.service
}
fresh ""
for v in 0 n no No NO f false False off OFF Off F 1 YES On True y enable 2 maybe; do
	kb 0 bind --dry-run --cmdline "vfio_variant.ids=1b36:0010 vfio_variant.disable=$v"
	if unit_runs "$v"; then
		err_has "unit runs for disable=$v and the binary agrees it is false" "dry run: would bind"
	else
		err_has "unit skips disable=$v and the binary disables too" "doing nothing"
	fi
done
holds "the unit runs without any vfio_variant.disable" grep -qxF 'ConditionKernelCommandLine=|!vfio_variant.disable' config/vfio-variant.service

# --- the smaller items ---------------------------------------------------------------
# the boot-VGA warning, worded per running kernel
fresh "vfio_variant.ids=10de:2204"
mk_pci "$R" $GPU 10de 2204 0x030000 group=1 bootvga=1
kb 0 plan --json
jq_ok "boot VGA on 6.12: vfio-pci removes the framebuffer itself, the console goes away" ".[] | select(.bdf == \"$GPU\") | .warnings | any(contains(\"on this kernel (6.12.0-test) vfio-pci removes the firmware framebuffer\")) and (any(contains(\"sysfb_init\")) | not)"
echo 5.15.0-91-generic >"$R/proc/sys/kernel/osrelease"
kb 0 plan --json
jq_ok "boot VGA on 5.15: initcall_blacklist=sysfb_init advised" ".[] | select(.bdf == \"$GPU\") | .warnings | any(contains(\"(kernel 5.15.0-91-generic is older than 6.0); add initcall_blacklist=sysfb_init\"))"

# claim --dry-run: exit 0 when the claim would succeed
fresh ""
kb 0 claim $DISK2 --dry-run
out_has "claim --dry-run that would succeed: exit 0, says what it would do" "$DISK2: dry run: would bind vfio_pci"
holds "claim --dry-run: nothing changed" test "$(drv $DISK2)" = nvme
# release of a device never claimed
fresh ""
kb 1 release $DISK2
err_has "release of a never-claimed device: refused, says so" "$DISK2: not claimed: it is on nvme and has no driver_override; nothing to release"
holds_shown "release of a never-claimed device: still on nvme" test "$(drv $DISK2)" = nvme
# vfs= twice for one PF
fresh "vfio_variant.vfs=0000:00:03.0:2,0000:00:03.0:4"
kb 1 plan --json
err_has "vfs= twice for one PF: reported" "vfs= for PF 0000:00:03.0 given twice: 4 VFs here replace the 2 of cmdline: vfs"
# an unchanged re-run keeps the boot's record
fresh "vfio_variant.ids=1b36:0010"
kb 0 bind
rec_ok "first bind: recorded bound, previous nvme" $DISK2 '.result == "bound" and .previous == "nvme"'
kb 0 bind
err_has "re-run: unchanged" "already on vfio-pci"
rec_ok "an unchanged re-run keeps the first record (bound, previous nvme)" $DISK2 '.result == "bound" and .previous == "nvme"'
# the same conflict line once, not once per matched device
fresh "vfio_variant.ids=1b36:0010=vfio-pci"
echo "1b36:0010 fallback=none" >"$R/etc/vfio-variant.conf"
kb 0 plan --json
err_has "a conflict between two rules: reported" "wins over conflicting rule '1b36:0010' (/etc/vfio-variant.conf:1) (here and on every other device both select)"
holds "the conflict line once for the two devices both rules select" test "$(grep -c 'wins over conflicting' "$ERR")" = 1
# a device whose modalias cannot be read does not vanish silently
fresh "vfio_variant.ids=1b36:0010"
rm "$R/sys/$(_mkp_devrel $DISK)/modalias"
kb 0 plan --json
err_has "a device without a readable modalias: one line names it" "$DISK: skipped: its modalias cannot be read"
# status: driver names in both columns, a 20-character name keeps them aligned
fresh "vfio_variant.ids=10de:2342"
mk_pci "$R" 0000:00:06.0 10de 2342 0x030200 group=6 driver=nvgrace_gpu_vfio_pci override=nvgrace_gpu_vfio_pci
mk_pci "$R" 0000:00:07.0 1b36 0010 0x010802 group=7 driver=vfio-pci override=vfio-pci
mk_loaded "$R" vfio_pci vfio-pci
kb 0 status --cmdline "vfio_variant.ids=10de:2342,1b36:0010"
out_has "status: a 20-character driver name fits its column" "0000:00:06.0  10de:2342  nvgrace_gpu_vfio_pci     "
holds "status: BEST shows the driver name (vfio-pci), not the module (vfio_pci)" grep -q "^0000:00:07.0  1b36:0010  vfio-pci                 vfio-pci " "$OUT"
holds "status: every row's RESULT column starts at the header's" status_aligned

tree_exit
