#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# binary: dynamic
# Tree tests of `verify` through the fake kernel, which answers the VFIO
# ioctls (tests/fakekernel: container, group viability from the fake
# iommu_groups, device info, regions, VFIO_DEVICE_FEATURE probes by driver
# from VV_FAKE_VFIO_CAPS). The real ioctls are tested in a real kernel by
# tests/vm/test_verify.sh; this covers the decisions: usable or why not,
# busy groups never touched, what is printed and kept for status; and
# require=CAP at bind: met, unmet (held), fallback=vfio-pci, fallback=native.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lib.sh
. tests/tree/lib.sh
# shellcheck source=assert.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT
# shellcheck disable=SC2034 # read by fake.sh
DRIVERS="vfio_pci:vfio-pci,virtio_vfio_pci:virtio_vfio_pci,virtio_pci:virtio-pci,mlx5_vfio_pci:mlx5_vfio_pci"
# shellcheck source=fake.sh
. tests/tree/fake.sh
export VV_FAKE_VFIO_CAPS="virtio_vfio_pci:mig+p2p+dirty"
NIC=0000:00:02.0 NVME=0000:00:03.0 E1K=0000:00:04.0 E1K1=0000:00:04.1

# a variant with migration, a generic vfio-pci device, and a group whose
# second function is on a host driver
fresh() {
	new_root ""
	mkdir -p "$R/dev/vfio" "$R/proc" && : >"$R/dev/kmsg"
	mk_pci "$R" $NIC 1af4 1041 0x020000 group=1 driver=virtio_vfio_pci
	mk_pci "$R" $NVME 1b36 0010 0x010802 group=2 driver=vfio-pci
	mk_pci "$R" $E1K 8086 10d3 0x020000 group=3 driver=vfio-pci
	mk_pci "$R" $E1K1 8086 10d3 0x020000 group=3 driver=e1000e
	: >"$R/dev/vfio/vfio" && : >"$R/dev/vfio/1" && : >"$R/dev/vfio/2" && : >"$R/dev/vfio/3"
	export VV_FAKE_LOG=$R.fake
	: >"$VV_FAKE_LOG"
}
dev() { printf '.[] | select(.bdf == "%s") | %s' "$1" "$2"; }

fresh
kb 1 verify --json
jq_ok "verify with no address: every device on a VFIO driver, nothing else" '[.[].bdf] == ["0000:00:02.0","0000:00:03.0","0000:00:04.0"]'
jq_ok "the variant: usable, migration stop-copy + p2p, no pre-copy, dirty tracking" \
	"$(dev $NIC '.usable and .migration.stop_copy and .migration.p2p and (.migration.pre_copy | not) and .dirty_tracking and .low_power and .reset')"
jq_ok "the generic device: usable, regions with sizes and mmap, no migration" \
	"$(dev $NVME '.usable and (.migration.stop_copy | not) and (.dirty_tracking | not) and .regions[0].name == "BAR0" and .regions[0].size == 16384 and .regions[0].mmap and .regions[1].name == "CONFIG"')"
jq_ok "the group with a member on e1000e: not viable, the member named" \
	"$(dev $E1K '(.usable | not) and .status == "not-viable" and (.reason | contains("0000:00:04.1 on e1000e"))')"
holds "the non-viable group's device fd was never asked for (the others' were)" sh -c "grep -qx 'vfio-open $NIC' '$VV_FAKE_LOG' && ! grep -qx 'vfio-open $E1K' '$VV_FAKE_LOG'"
holds "the usable ones were opened" sh -c "grep -qx 'vfio-open $NIC' '$VV_FAKE_LOG' && grep -qx 'vfio-open $NVME' '$VV_FAKE_LOG'"

kb 0 verify $NIC
out_has "text: usable" "$NIC [1af4:1041] virtio_vfio_pci, IOMMU group 1: usable"
out_has "text: migration with its flags" "migration: yes (stop-copy yes, p2p yes, pre-copy no)"
out_has "text: regions" "regions: BAR0 16 KiB mmap, CONFIG 4 KiB"
kb 0 status --json
jq_ok "status --json carries the last verification" "$(dev $NIC '.verify.usable and .verify.migration.stop_copy')"

# a process holds the group open (/proc/PID/fd): reported, never opened
fresh
kb 0 status --json
jq_ok "status --json: null for a device never verified" "$(dev $NIC '.verify == null')"
mkdir -p "$R/proc/4242/fd" && ln -s /dev/vfio/1 "$R/proc/4242/fd/7"
kb 1 verify $NIC
out_has "a group another process holds: busy, the process named" "reason: in use: its VFIO group 1 is open (/dev/vfio/1, by pid 4242); not touched"
holds "busy: said so, and the device was not opened" sh -c "grep -q 'not touched' '$OUT' && ! grep -q 'vfio-open' '$VV_FAKE_LOG'"
# the kernel's EBUSY on open says the same
FAULT=vfiobusy:2 kb 1 verify --json $NVME
jq_ok "EBUSY on /dev/vfio/N: busy, untouched" "$(dev $NVME '.status == "busy" and (.reason | contains("EBUSY"))')"
holds "EBUSY: said so, and the device was not opened" sh -c "grep -q 'EBUSY' '$OUT' && ! grep -q 'vfio-open' '$VV_FAKE_LOG'"

kb 1 verify $E1K1
out_has "a device on its host driver: not on VFIO" "NOT usable (not-vfio)"
kb 2 verify 00:04.x
err_has "a bad address: usage error naming it" "verify takes PCI addresses, e.g. 0000:01:00.0 (got '00:04.x')"
kb 3 verify 0000:00:09.0
err_has "a missing device: exit 3" "0000:00:09.0: no such PCI device"

# --- require=CAP: bind verifies after the probe ------------------------------
export VV_FAKE_VFIO_CAPS="mlx5_vfio_pci:mig+p2p+dirty" VV_FAKE_NATIVE="1af4_1041:virtio-pci"
MLX=0000:00:05.0
rec_ok() { json_ok "$1" "$(cat "$R/run/vfio-variant/devices/$2.json" 2>/dev/null)" "$3"; }
boot() { # a virtio-net on virtio-pci and an mlx5 VF, unbound; config lines "$@"
	new_root ""
	mkdir -p "$R/dev/vfio" && : >"$R/dev/kmsg"
	mk_pci "$R" $NIC 1af4 1041 0x020000 group=1 driver=virtio-pci
	mk_pci "$R" $MLX 15b3 101e 0x020000 group=5
	: >"$R/dev/vfio/vfio" && : >"$R/dev/vfio/1" && : >"$R/dev/vfio/5"
	printf '%s\n' "$@" >"$R/etc/vfio-variant.conf"
}
boot
kb 0 bind --cmdline "vfio_variant.ids=15b3:101e,1af4:1041 vfio_variant.require=migration"
holds "require=migration: the variant with migration stays bound" test "$(drv $MLX)" = mlx5_vfio_pci
holds "require=migration: the variant without it is held: no driver" test "$(drv $NIC)" = none
holds "held with the holding override, never the variant's name" test "$(ovr $NIC)" = vfio-variant-hold
rec_ok "the record says unmet and why" $NIC '.result == "unmet" and (.why | contains("virtio_vfio_pci does not deliver migration (require=migration)"))'
rec_ok "the met one: bound, and says so" $MLX '.result == "bound" and (.why | contains("require=migration met"))'
kmsg_has "one line names what is missing and where to look" "$NIC [1af4:1041]: virtio_vfio_pci does not deliver migration (require=migration): held with no driver (driver_override vfio-variant-hold). Look at: the driver registered no migration (STOP_COPY): check the device firmware's migration switch"
kmsg_has "the summary counts unmet" "0 released, 0 fallback, 1 unmet"
kmsg_has "the verification is logged" "$MLX [15b3:101e]: verified on mlx5_vfio_pci: usable; reset yes, migration yes, dirty tracking yes"

# claim (one rule of its own for the device) honours the global require= too
boot
kb 1 --cmdline "vfio_variant.require=migration" claim $NIC
err_has "claim, vfio_variant.require=migration: the variant without it is named" "$NIC [1af4:1041]: virtio_vfio_pci does not deliver migration (require=migration)"
holds "claim, vfio_variant.require=migration: held with no driver" test "$(drv $NIC):$(ovr $NIC)" = none:vfio-variant-hold
rec_ok "claim: the record says unmet" $NIC '.result == "unmet"'
kb 0 --cmdline "vfio_variant.require=migration" claim $MLX
rec_ok "claim: the variant with migration: bound, met" $MLX '.result == "bound" and (.why | contains("require=migration met"))'

boot "1af4:1041 require=migration fallback=vfio-pci" "15b3:101e require=dirty-tracking"
kb 0 bind
holds "fallback=vfio-pci: the device lacking migration ends on vfio-pci" test "$(drv $NIC)" = vfio-pci
rec_ok "outcome fallback, with the reason" $NIC '.result == "fallback" and .driver == "vfio-pci" and (.why | contains("does not deliver migration"))'
rec_ok "require=dirty-tracking met by the mlx5 variant" $MLX '.result == "bound" and (.why | contains("require=dirty-tracking met"))'
kb 0 status --json
jq_ok "status shows the outcome and the verification" "($(dev $NIC '.result == "fallback"')) and ($(dev $MLX '.verify.dirty_tracking'))"

boot "1af4:1041 require=migration fallback=native"
kb 0 bind
holds "fallback=native: back on its native driver" test "$(drv $NIC)" = virtio-pci
rec_ok "outcome native" $NIC '.result == "native" and (.why | contains("fallback=native"))'

# a VM holds the group when bind --device re-runs: never touched
boot "1af4:1041 require=migration"
mkdir -p "$R/proc/77/fd" && ln -s /dev/vfio/1 "$R/proc/77/fd/9"
kb 0 bind --device $NIC
holds "busy: the device lacking migration is left on its variant" test "$(drv $NIC)" = virtio_vfio_pci
rec_ok "busy: recorded as not checked" $NIC '.result == "bound" and (.why | contains("require=migration not checked (busy)"))'

boot
kb 0 bind --cmdline "vfio_variant.ids=1af4:1041 vfio_variant.verify=1"
holds "verify=1 without require: only a report, the device stays bound" test "$(drv $NIC)" = virtio_vfio_pci
kmsg_has "verify=1: the verification is logged" "$NIC [1af4:1041]: verified on virtio_vfio_pci: usable"
holds "verify=1: the result is kept for status" test -s "$R/run/vfio-variant/verify/$NIC.json"

boot "1af4:1041 require=teleport"
kb 1 plan --cmdline "vfio_variant.require=warp"
err_has "a bad require= in the config: named, the rule dropped" "'require=teleport': unknown capability 'teleport' (known: migration,migration-p2p,pre-copy,dirty-tracking,low-power,reset); rule '1af4:1041' ignored"
err_has "a bad vfio_variant.require=: named" "'vfio_variant.require=warp': unknown capability 'warp'"
tree_exit
