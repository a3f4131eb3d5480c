#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the engine fixtures (vve.c) against Debian's 6.12 headers and put
# them into a module tree of their own: a hard-linked copy of VM_MODROOT's
# (the shared cache's tree stays as it is) plus updates/engine/*.ko.xz,
# indexed by depmod.
#   build.sh OUTDIR LATE_MS
# Needs VM_KVER, VM_MODROOT, VM_HEADERS (tests/vm/lib.sh's vm_kernel 6.12).
# Modules (module name = PCI driver name), all for 1b36:0010 by
# PCI_DRIVER_OVERRIDE_DEVICE_VFIO:
#   vve_slow   probe sleeps 3 s; MODULE_SOFTDEP("pre: nvme")
#   vve_hang   probe sleeps 10 min (a probe that does not come back)
#   vve_late   probe sleeps LATE_MS
# Prints the module root (depmod -b base) on stdout. Idempotent: a stamp of
# the sources and LATE_MS.
set -euo pipefail
out=$1 late=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${VM_KVER:?}" "${VM_MODROOT:?}" "${VM_HEADERS:?}"
key="$(cat "$here/vve.c" "$here/build.sh" | sha256sum | cut -c1-16) late=$late kver=$VM_KVER"
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
if [[ -f $out/.stamp && "$(cat "$out/.stamp")" == "$key" ]]; then
    echo "$out/root"
    exit 0
fi
rm -rf "$out/build" "$out/root" "$out/.stamp"
mkdir -p "$out/build" "$out/root/lib/modules"
for m in vve_slow vve_hang vve_late; do cp "$here/vve.c" "$out/build/$m.c"; done
cat >"$out/build/Kbuild" <<KB
obj-m += vve_slow.o vve_hang.o vve_late.o
CFLAGS_vve_slow.o := -DVVE_PROBE_MS=3000 -DVVE_SOFTDEP_NVME
CFLAGS_vve_hang.o := -DVVE_PROBE_MS=600000
CFLAGS_vve_late.o := -DVVE_PROBE_MS=$late
KB
# no pahole on the host: no BTF for these modules
make -s -C "$VM_HEADERS" M="$out/build" CONFIG_DEBUG_INFO_BTF_MODULES= modules >&2
# the cache's tree, hard-linked (same file system); its index files copied,
# since depmod rewrites them
cp -al "$VM_MODROOT/lib/modules/$VM_KVER" "$out/root/lib/modules/$VM_KVER"
for f in "$out/root/lib/modules/$VM_KVER"/modules.*; do
    cp --remove-destination "$VM_MODROOT/lib/modules/$VM_KVER/${f##*/}" "$f"
done
mkdir -p "$out/root/lib/modules/$VM_KVER/updates/engine"
for m in vve_slow vve_hang vve_late; do
    strip --strip-debug "$out/build/$m.ko"
    xz --check=crc32 --lzma2=dict=1MiB -c "$out/build/$m.ko" >"$out/root/lib/modules/$VM_KVER/updates/engine/$m.ko.xz"
done
depmod -b "$out/root" "$VM_KVER"
grep -q 'alias vfio_pci:v00001B36d00000010sv\*sd\*bc\*sc\*i\* vve_slow' "$out/root/lib/modules/$VM_KVER/modules.alias" ||
    { echo "build.sh: modules.alias lacks vve_slow's alias" >&2; exit 1; }
grep -q '^softdep vve_slow pre: nvme' "$out/root/lib/modules/$VM_KVER/modules.softdep" ||
    { echo "build.sh: modules.softdep lacks vve_slow's" >&2; exit 1; }
printf '%s\n' "$key" >"$out/.stamp"
echo "$out/root"
