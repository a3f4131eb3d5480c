#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# binary: dynamic
# Tree tests of IOMMU groups that appear at probe time (arm64 SMMUv3), the
# bind side (the plan side: test_iommu.sh): bind reads the group the probe
# made (the fake kernel's VV_FAKE_PROBE_GROUPS), gives a device with no
# group after the probe back to its native driver, and releases a companion
# the kernel grouped apart.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lib.sh
. tests/tree/lib.sh
# shellcheck source=assert.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT
# shellcheck source=fake.sh
. tests/tree/fake.sh
# shellcheck disable=SC2034 # read by fake.sh
DRIVERS=vfio_pci:vfio-pci

# the host: tests/tree/lib.sh mk_smmu_host
smmu_root() {
	new_root "$1"
	mk_smmu_host "$R"
}

smmu_root "vfio_variant.ids=1b36:0010 vfio_variant.group=1"
mk_pci_driver "$R" snd_hda_intel
GROUPS_AT_PROBE=0000:00:05.0:1,0000:00:05.1:1 kb 0 bind
holds "NVMe on vfio-pci" test "$(drv 0000:00:05.0)" = vfio-pci
holds "its HDA slot-mate on vfio-pci" test "$(drv 0000:00:05.1)" = vfio-pci
kmsg_has "kmsg: was unbound" "0000:00:05.0 [1b36:0010]: bound to vfio-pci (module vfio_pci, was unbound)"
kb 0 status --json
jq_ok "status: the group the probe made, viable" \
	'[.[] | select(.bdf == "0000:00:05.0")][0] | .iommu_group == 1 and .group_viable == true and .result == "bound"'

smmu_root "vfio_variant.ids=1b36:0010 vfio_variant.group=1"
GROUPS_AT_PROBE=0000:00:05.0:1,0000:00:05.1:2 kb 0 bind
holds "the parent stays on vfio-pci" test "$(drv 0000:00:05.0)" = vfio-pci
holds "the companion the kernel grouped apart is released (override cleared)" \
	test "$(ovr 0000:00:05.1)" != vfio-pci
kmsg_has "the release is named" "0000:00:05.1 [8086:293e]: the kernel put it in IOMMU group 2, not in group 1 of 0000:00:05.0"
err_has "released counted in the summary" "1 released"

smmu_root "vfio_variant.ids=1b36:0010"
GROUPS_AT_PROBE="" kb 0 bind
holds "outside every SMMU: not left on VFIO" test "$(drv 0000:00:05.0)" != vfio-pci
kmsg_has "given back, loudly (err level)" "<3>vfio-variant: 0000:00:05.0 [1b36:0010]: no IOMMU group even after the VFIO probe"

tree_exit
