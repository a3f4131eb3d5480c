#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tree tests of `vfio-variant modules`: what an initramfs generator must add,
# read from a real depmod'ed module tree (no /sys needed for --all).
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lib.sh
. tests/tree/lib.sh
# shellcheck source=assert.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT

# a DKMS-style variant whose name does not end in vfio_pci, under updates/
add_acme() {
	local dir=$R/lib/modules/$KVER/updates src
	mkdir -p "$dir" && src=$(new_dir)/acme.c
	printf '%s\n' '__attribute__((section(".modinfo"), used)) static const char m[] =' \
		'"alias=vfio_pci:v0000ACEDd00000001sv*sd*bc*sc*i*\0name=acme_passthru\0license=GPL\0depends=\0";' >"$src"
	gcc -c -o "$dir/acme-passthru.ko" "$src" && depmod -b "$R" -C "$(new_dir)" "$KVER"
}

new_root ""
add_acme
vv 0 modules --all
out_has "--all: the vfio core" "vfio_iommu_type1"
out_has "--all: a DKMS variant not named *vfio_pci (updates/acme-passthru.ko)" "acme_passthru"
out_has "--all: an upstream variant" "nvgrace_gpu_vfio_pci"
out_has "--all: a variant's dependency (mlx5_vfio_pci needs mlx5_core)" "mlx5_core"
# shellcheck disable=SC2317  # called through holds
lacks() { ! grep -qxE "$1" "$OUT"; }
# shellcheck disable=SC2317
sorted() { sort -u "$OUT" | cmp -s - "$OUT"; }
holds "--all: no native driver without a vfio_pci: alias (nvme, e1000e, snd_hda_intel)" \
	lacks "nvme|e1000e|snd_hda_intel|radeon"
holds "--all: one name per line, sorted, no duplicates" sorted

# --moddir names the tree itself (dracut --kmoddir); --root is not needed
m=$R/lib/modules/$KVER
mv "$R/lib/modules" "$R/elsewhere" && m=$R/elsewhere/$KVER
rm -rf "$R/sys"
# shellcheck disable=SC2086
run_binary 0 "modules --all --moddir DIR" $VV_WRAP "$VV_BIN" modules --all --moddir "$m"
out_has "--moddir: the same list" "acme_passthru"

new_root "vfio_variant.ids=15b3:101e"
mk_pci "$R" 0000:41:00.0 15b3 101e 0x020000 group=4
mk_pci "$R" 0000:42:00.0 10de 2342 0x030200 group=5
vv 0 modules
out_has "planned: the chosen variant" "mlx5_vfio_pci"
out_has "planned: its dependency" "mlx5_core"
out_has "planned: generic vfio_pci for the fallback" "vfio_pci"
holds "planned: not the variants of unlisted devices" lacks "nvgrace_gpu_vfio_pci|xe_vfio_pci"

new_root ""
rm -rf "$R/lib/modules/$KVER"
vv 3 modules --all
err_has "missing module tree named" "unusable"

tree_exit
