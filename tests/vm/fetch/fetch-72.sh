#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch Debian sid's 7.2 kernel, extract it without installing, and build the
# upstream virtio_vfio_pci variant driver out of tree against it. 7.2 was
# built with gcc-16, which bookworm lacks: the module is built inside a sid
# chroot made by mmdebstrap (--variant=apt, cached in .cache/vm/sid-chroot)
# with the pinned linux-headers packages installed there.
#
# Results (also written to .cache/vm/7.2/env.sh, sourceable):
#   VM_KVER     7.2.13+deb14-amd64
#   VM_KERNEL   .cache/vm/7.2/root/usr/lib/modules/$VM_KVER/vmlinuz
#   VM_MODROOT  .cache/vm/7.2/root     (root/lib -> usr/lib, for modprobe -d)
#   VM_MODDIR   $VM_MODROOT/lib/modules/$VM_KVER
#                 + updates/virtio-vfio-pci.ko.xz (xz, like Debian's modules)
#   VM_HEADERS  .cache/vm/sid-chroot/usr/src/linux-headers-$VM_KVER
#               (only usable inside the chroot)
#
# Sid packages: the image is split into linux-binary-* (vmlinuz), linux-modules-*
# (kernel/**.ko.xz) and linux-base-* (modules.order, modules.builtin{,.modinfo},
# config, System.map). Everything is in /usr/lib/modules/KVER (merged /usr).
#
# Needs: mmdebstrap (bookworm's 1.3.5 works), apt, dpkg-deb, xz, tar, kmod,
# root (chroot, mount). Idempotent.
set -euo pipefail

FC_TAG=fetch-72
# shellcheck source-path=SCRIPTDIR source=fetch-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/fetch-common.sh"

KVER=7.2.13+deb14-amd64
ABI=7.2.13+deb14
SERIES=7.2
VER=7.2.13-1
SUITE=sid
RECIPE=1 # bump when the build recipe below changes

# package  sha256 (of the .deb for version $VER, from the signed index)
PINS=(
    "linux-binary-$KVER fb8cd0ade4ef82d9dde1dcf183d4bf4033db1b549b0acc9973855ad9cc48c4f5"
    "linux-modules-$KVER a37a3d200915c4cf524e90c81bbb2a8b683d292cd00873e89c23b2ef32b1bf11"
    "linux-base-$KVER 2b2d3c6e224358c60974d0bc87461da99a85733eb1fec035b5167582c3bede2b"
    "linux-headers-$KVER ca62a68d18f87235d0c32b1a3e129f9cb7859ac5e6a0c95574081f02faed8573"
    "linux-headers-$ABI-common 5067c68cf803b385f72e6ea530cfbb9226f5eb91bfb7e256b6fcb4f87fd6279c"
    "linux-kbuild-$ABI 0cecebac12f863b32f0b0a5b48b3b762240ff614603e9d8fd550fc095de0e610"
    "linux-source-$SERIES 30a8c5fc63f9028a62e6d7b3f7f43bee67425dbce2a05fceba83f9b87c92083d"
)
# Extra packages for the chroot (the headers pull gcc-16 and pahole).
CHROOT_EXTRA="make"

OUT=$VM_CACHE/$SERIES
ROOT=$OUT/root
MODDIR=$ROOT/usr/lib/modules/$KVER
CH=$VM_CACHE/sid-chroot
SRC=$OUT/src/virtio
KEY="$VER ${PINS[*]} recipe=$RECIPE"
CHKEY="$VER ${PINS[*]:2:4} extra=$CHROOT_EXTRA"

[[ $(id -u) == 0 ]] || fc_die "must run as root (mmdebstrap root mode, chroot, mount)"
fc_need apt-get dpkg-deb xz tar depmod flock mmdebstrap chroot mount mountpoint

fc_lock "$SERIES"
mkdir -p "$OUT"

if fc_stamp_ok "$OUT/.stamp-done" "$KEY" && [[ -f $OUT/env.sh ]] &&
    [[ -f $MODDIR/updates/virtio-vfio-pci.ko.xz ]]; then
    fc_log "up to date: $OUT/env.sh"
    exit 0
fi

# 1. download (pinned) --------------------------------------------------------
fc_apt_init sid "$SUITE"
fc_fetch_pins "$VER" "${PINS[@]}"

# 2. extract ------------------------------------------------------------------
if ! fc_stamp_ok "$OUT/.stamp-extract" "$KEY"; then
    fc_log "extract binary, modules and base into $ROOT"
    rm -rf "$ROOT" "$OUT/.stamp-module" "$OUT/.stamp-done"
    mkdir -p "$ROOT"
    for p in "linux-binary-$KVER" "linux-modules-$KVER" "linux-base-$KVER"; do
        dpkg-deb -x "${DEB[$p]}" "$ROOT"
    done
    # modprobe -d / depmod -b look in ROOT/lib/modules.
    [[ -e $ROOT/lib ]] || ln -s usr/lib "$ROOT/lib"
    fc_stamp_set "$OUT/.stamp-extract" "$KEY"
fi
[[ -f $MODDIR/vmlinuz ]] || fc_die "no $MODDIR/vmlinuz"
[[ -d $MODDIR/kernel && -f $MODDIR/modules.order ]] || fc_die "incomplete module tree in $MODDIR"

# 3. sid chroot with the toolchain and the pinned headers ------------------------
if ! fc_stamp_ok "$CH.stamp" "$CHKEY"; then
    fc_log "mmdebstrap sid chroot into $CH"
    for d in "$CH" "$CH.tmp"; do
        if mountpoint -q "$d/proc"; then umount "$d/proc"; fi
    done
    rm -rf --one-file-system "$CH" "$CH.tmp" "$CH.stamp"
    includes=(--include="$CHROOT_EXTRA")
    for p in "linux-base-$KVER" "linux-headers-$KVER" "linux-headers-$ABI-common" "linux-kbuild-$ABI"; do
        includes+=(--include="${DEB[$p]}")
    done
    mmdebstrap --quiet --mode=root --variant=apt "${includes[@]}" \
        --aptopt='Acquire::Check-Valid-Until "false"' \
        sid "$CH.tmp" "$VM_MIRROR" >&2 || fc_die "mmdebstrap sid failed (mirror $VM_MIRROR)"
    [[ -f $CH.tmp/usr/src/linux-headers-$KVER/Makefile ]] ||
        fc_die "linux-headers-$KVER not installed in the chroot"
    mv "$CH.tmp" "$CH"
    fc_stamp_set "$CH.stamp" "$CHKEY"
fi

# 4. build virtio_vfio_pci in the chroot -------------------------------------------
if ! fc_stamp_ok "$OUT/.stamp-module" "$KEY"; then
    fc_log "build virtio-vfio-pci against $KVER in $CH"
    if ! fc_stamp_ok "$SRC/.stamp" "$KEY"; then
        rm -rf "$SRC"
        fc_extract_source "${DEB[linux-source-$SERIES]}" "$SERIES" "$SRC"
        fc_stamp_set "$SRC/.stamp" "$KEY"
    fi
    B=$CH/build/virtio
    rm -rf "$B"
    mkdir -p "$B"
    cp "$SRC"/*.[ch] "$B/"
    # Upstream's Makefile keys legacy_io.o on a Kconfig symbol the Debian
    # config lacks (the driver is off there): set it by hand.
    printf '%s\n' 'obj-m += virtio-vfio-pci.o' \
        'virtio-vfio-pci-y := main.o migrate.o legacy_io.o' \
        'ccflags-y += -DCONFIG_VIRTIO_VFIO_PCI_ADMIN_LEGACY=1' >"$B/Kbuild"
    # objtool reads /proc; make wants /dev/null (mmdebstrap root mode makes it).
    mountpoint -q "$CH/proc" || mount -t proc proc "$CH/proc"
    trap 'umount "$CH/proc" 2>/dev/null || true' EXIT
    chroot "$CH" make -s -C "/usr/src/linux-headers-$KVER" M=/build/virtio modules >&2 ||
        fc_die "module build failed in $CH"
    # gcc-16-for-host brings binutils-x86-64-linux-gnu, not the plain names.
    chroot "$CH" x86_64-linux-gnu-strip --strip-debug /build/virtio/virtio-vfio-pci.ko ||
        fc_die "strip failed in $CH"
    umount "$CH/proc"
    trap - EXIT
    fc_install_module "$B/virtio-vfio-pci.ko" "$MODDIR"
    depmod -b "$ROOT" "$KVER"
    fc_check_alias "$ROOT" "$KVER"
    fc_stamp_set "$OUT/.stamp-module" "$KEY"
fi

fc_write_env "$OUT/env.sh" \
    "VM_KVER=$KVER" \
    "VM_KERNEL=$MODDIR/vmlinuz" \
    "VM_MODROOT=$ROOT" \
    "VM_MODDIR=$ROOT/lib/modules/$KVER" \
    "VM_HEADERS=$CH/usr/src/linux-headers-$KVER"
fc_stamp_set "$OUT/.stamp-done" "$KEY"
fc_log "done: $OUT/env.sh"
cat "$OUT/env.sh"
