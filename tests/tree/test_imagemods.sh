#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tree tests of `vfio-variant modules` for host-only images built before
# the devices exist (issue 17): the variants for the VFs that vfs= will
# create (the PF's sriov_vf_device) and for rules no present device
# matches yet.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lib.sh
. tests/tree/lib.sh
# shellcheck source=assert.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT

# shellcheck disable=SC2317  # called through holds
has_mod() { grep -qx "$1" "$OUT"; }
# shellcheck disable=SC2317
lacks_mod() { [ -s "$OUT" ] && ! grep -qx "$1" "$OUT"; }

# a ConnectX-6 Dx PF (15b3:101d, mlx5_core) whose VFs are 15b3:101e; no VF yet
pf_host() {
	new_root "$1"
	mk_pci "$R" 0000:41:00.0 15b3 101d 0x020000 group=4 totalvfs=8 driver=mlx5_core
	echo 0x101e >"$R/sys/$(_mkp_devrel 0000:41:00.0)/sriov_vf_device"
	mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 group=1
}

pf_host "vfio_variant.vfs=0000:41:00.0:4"
vv 0 modules
out_has "vfs= before the VFs exist: the core" "vfio_pci"
holds "vfs= before the VFs exist: mlx5_vfio_pci for the VFs (sriov_vf_device 101e)" has_mod mlx5_vfio_pci
holds "vfs=: mlx5_core with it (its dependency)" has_mod mlx5_core
pf_host ""
vv 0 modules
out_has "no rule: the core only" "vfio_iommu_type1"
holds "no rule: no mlx5_vfio_pci" lacks_mod mlx5_vfio_pci

# a config rule no present device matches yet (the card comes later)
pf_host ""
echo "15b3:101e" >"$R/etc/vfio-variant.conf"
vv 0 modules
out_has "an unmatched config rule: the core" "vfio"
holds "an unmatched config rule 15b3:101e: its variant mlx5_vfio_pci" has_mod mlx5_vfio_pci
echo "10de:2342" >"$R/etc/vfio-variant.conf"
vv 0 modules
out_has "an unmatched GH200 rule: the core" "vfio"
holds "an unmatched rule 10de:2342: nvgrace_gpu_vfio_pci" has_mod nvgrace_gpu_vfio_pci
holds "an unmatched rule: not every variant" lacks_mod mlx5_vfio_pci
echo "0000:99:00.0 driver=pds_vfio_pci" >"$R/etc/vfio-variant.conf"
vv 0 modules
out_has "an address rule naming a driver, no device there yet: the core" "vfio"
holds "an address rule naming a driver: that driver (pds_vfio_pci)" has_mod pds_vfio_pci

tree_exit
