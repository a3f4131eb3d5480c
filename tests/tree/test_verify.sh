#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# binary: dynamic
# Tree tests of `verify` through the fake kernel, which answers the VFIO
# ioctls (tests/fakekernel: container, group viability from the fake
# iommu_groups, device info, regions, VFIO_DEVICE_FEATURE probes by driver
# from VV_FAKE_VFIO_CAPS). The real ioctls are tested in a real kernel by
# tests/vm/test_verify.sh; this covers the decisions: usable or why not,
# busy groups never touched, what is printed and kept for status.
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
out_has "a group another process holds: busy, the process named" "reason: in use: /dev/vfio/1 is open in process 4242 (a VM?); not touched"
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
tree_exit
