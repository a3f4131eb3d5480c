#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the verify fixture (vv_nvme_vfio_pci.c) against Debian's 6.12 headers
# and make a PRIVATE module root holding it: OUT/lib/modules/KVER is the
# shared tree hard-linked (the shared cache is never changed: other suites
# rank QEMU's NVMe without this variant), its modules.* index files copied,
# the fixture in updates/, depmod -b run on the copy.
#   build.sh OUT KVER MODROOT HEADERS
# Prints nothing on success; one line naming the step on failure.
set -euo pipefail
out=$1 kver=$2 modroot=$3 headers=$4
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
b=$out/build
rm -rf "$out"
mkdir -p "$b" "$out/lib/modules"
cp "$here/vv_nvme_vfio_pci.c" "$here/Kbuild" "$b/"
# no pahole needed: the fixture carries no BTF
make -s -C "$headers" M="$b" CONFIG_DEBUG_INFO_BTF_MODULES= modules >&2 ||
    { echo "build.sh: building the fixture against $headers failed" >&2; exit 1; }
strip --strip-debug "$b/vv_nvme_vfio_pci.ko"
cp -al "$modroot/lib/modules/$kver" "$out/lib/modules/$kver"
for f in "$out/lib/modules/$kver"/modules.*; do
    cp --remove-destination "$modroot/lib/modules/$kver/${f##*/}" "$f"
done
mkdir -p "$out/lib/modules/$kver/updates"
xz --check=crc32 --lzma2=dict=1MiB -c "$b/vv_nvme_vfio_pci.ko" >"$out/lib/modules/$kver/updates/vv_nvme_vfio_pci.ko.xz"
depmod -b "$out" "$kver"
grep -qxF 'alias vfio_pci:v00001B36d00000010sv*sd*bc*sc*i* vv_nvme_vfio_pci' "$out/lib/modules/$kver/modules.alias" ||
    { echo "build.sh: modules.alias of $out lacks the fixture's vfio_pci: alias" >&2; exit 1; }
