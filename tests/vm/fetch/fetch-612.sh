#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch Debian's 6.12 kernel (bookworm-backports), extract it without
# installing, and build the upstream virtio_vfio_pci variant driver out of
# tree against it (on the host: the kernel was built with gcc-12 = bookworm's).
#
# Results (also written to .cache/vm/6.12/env.sh, sourceable):
#   VM_KVER     6.12.95+deb12-amd64
#   VM_KERNEL   .cache/vm/6.12/root/boot/vmlinuz-$VM_KVER
#   VM_MODROOT  .cache/vm/6.12/root          (modprobe -d / depmod -b base)
#   VM_MODDIR   $VM_MODROOT/lib/modules/$VM_KVER
#                 + updates/virtio-vfio-pci.ko.xz (xz, like Debian's modules)
#   VM_HEADERS  .cache/vm/6.12/hdr/usr/src/linux-headers-$VM_KVER
#
# Needs: apt, dpkg, xz-utils, tar, make, gcc-12, binutils, kmod (depmod).
# Idempotent: re-running with everything done takes well under a second.
set -euo pipefail

FC_TAG=fetch-612
# shellcheck source-path=SCRIPTDIR source=fetch-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/fetch-common.sh"

KVER=6.12.95+deb12-amd64
ABI=6.12.95+deb12
SERIES=6.12
VER=6.12.95-1~bpo12+1
SUITE=bookworm-backports
RECIPE=1 # bump when the build recipe below changes

# package  sha256 (of the .deb for version $VER, from the signed index)
PINS=(
    "linux-image-$KVER 5e524b782be67cb0d6a2e7b51816a2ac519e573ef7324b9a63a4124365653ecc"
    "linux-headers-$KVER 4e2a9dcc7c6ac48ec6570957fc17fc7669826159a56a6313bf086ac1acd399dd"
    "linux-headers-$ABI-common 5f0ddff86b25a7c8ba07ee2e6f7f74b17d4c0a3f621b08b50fa91290e689fd72"
    "linux-kbuild-$ABI 7770286db28850f6d589c89908823368cdd4aca3e489155fdcc371d95c103cbc"
    "linux-source-$SERIES a7fe4673af74236c99dad9766eca714a198e50a07e5d659e63ec312ae6afccfe"
)

OUT=$VM_CACHE/$SERIES
ROOT=$OUT/root
HDR=$OUT/hdr
HEADERS=$HDR/usr/src/linux-headers-$KVER
SRC=$OUT/src/virtio
BUILD=$OUT/build/virtio
KEY="$VER ${PINS[*]} recipe=$RECIPE"

# Debian's headers call the compiler the kernel was built with by its full name.
fc_need apt-get dpkg-deb xz tar make x86_64-linux-gnu-gcc-12 strip depmod flock

fc_lock "$SERIES"
mkdir -p "$OUT"

if fc_stamp_ok "$OUT/.stamp-done" "$KEY" && [[ -f $OUT/env.sh ]] &&
    [[ -f $ROOT/lib/modules/$KVER/updates/virtio-vfio-pci.ko.xz ]]; then
    fc_log "up to date: $OUT/env.sh"
    exit 0
fi

# 1. download (pinned) --------------------------------------------------------
fc_apt_init bpo "$SUITE"
fc_fetch_pins "$VER" "${PINS[@]}"

# 2. extract ------------------------------------------------------------------
if ! fc_stamp_ok "$OUT/.stamp-extract" "$KEY"; then
    fc_log "extract image into $ROOT, headers into $HDR"
    rm -rf "$ROOT" "$HDR" "$OUT/.stamp-module" "$OUT/.stamp-done"
    mkdir -p "$ROOT" "$HDR"
    dpkg-deb -x "${DEB[linux-image-$KVER]}" "$ROOT"
    for p in "linux-headers-$KVER" "linux-headers-$ABI-common" "linux-kbuild-$ABI"; do
        dpkg-deb -x "${DEB[$p]}" "$HDR"
    done
    # Debian's per-flavour Makefile includes the -common tree by its absolute
    # /usr/src path: point it into the extraction.
    sed -i "s|^include /usr/src/|include $HDR/usr/src/|" "$HEADERS/Makefile"
    grep -q "^include $HDR/usr/src/" "$HEADERS/Makefile" ||
        fc_die "could not rewrite the include in $HEADERS/Makefile"
    fc_stamp_set "$OUT/.stamp-extract" "$KEY"
fi
[[ -f $ROOT/boot/vmlinuz-$KVER ]] || fc_die "no $ROOT/boot/vmlinuz-$KVER"
[[ -d $ROOT/lib/modules/$KVER/kernel ]] || fc_die "no module tree in $ROOT/lib/modules/$KVER"

# 3. build virtio_vfio_pci out of tree -------------------------------------------
if ! fc_stamp_ok "$OUT/.stamp-module" "$KEY"; then
    fc_log "build virtio-vfio-pci against $KVER"
    if ! fc_stamp_ok "$SRC/.stamp" "$KEY"; then
        rm -rf "$SRC"
        fc_extract_source "${DEB[linux-source-$SERIES]}" "$SERIES" "$SRC"
        fc_stamp_set "$SRC/.stamp" "$KEY"
    fi
    rm -rf "$BUILD"
    mkdir -p "$BUILD"
    cp "$SRC"/*.[ch] "$BUILD/"
    # 6.12's driver is one file; legacy I/O is in main.c behind
    # CONFIG_VIRTIO_PCI_ADMIN_LEGACY, which the kernel config already has.
    printf '%s\n' 'obj-m += virtio-vfio-pci.o' 'virtio-vfio-pci-y := main.o' >"$BUILD/Kbuild"
    # No pahole on the host: skip BTF for this module (dwarves would do too).
    make -s -C "$HEADERS" M="$BUILD" CONFIG_DEBUG_INFO_BTF_MODULES= modules >&2 ||
        fc_die "module build failed"
    strip --strip-debug "$BUILD/virtio-vfio-pci.ko"
    fc_install_module "$BUILD/virtio-vfio-pci.ko" "$ROOT/lib/modules/$KVER"
    depmod -b "$ROOT" "$KVER"
    fc_check_alias "$ROOT" "$KVER"
    fc_stamp_set "$OUT/.stamp-module" "$KEY"
fi

fc_write_env "$OUT/env.sh" \
    "VM_KVER=$KVER" \
    "VM_KERNEL=$ROOT/boot/vmlinuz-$KVER" \
    "VM_MODROOT=$ROOT" \
    "VM_MODDIR=$ROOT/lib/modules/$KVER" \
    "VM_HEADERS=$HEADERS"
fc_stamp_set "$OUT/.stamp-done" "$KEY"
fc_log "done: $OUT/env.sh"
cat "$OUT/env.sh"
