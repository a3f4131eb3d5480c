#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch Debian's arm64 6.12 kernel (bookworm-backports) and busybox-static
# for arm64, extract them without installing, and build the upstream
# nvgrace_gpu_vfio_pci variant driver (Grace Hopper / Blackwell GPUs; arm64
# only) out of tree against the arm64 headers: Debian's amd64 linux-kbuild
# (host tools) + the arm64 headers call aarch64-linux-gnu-gcc-12 themselves.
#
# Results (also written to .cache/vm/6.12-arm64/env.sh, sourceable):
#   VM_KVER     6.12.95+deb12-arm64
#   VM_KERNEL   .cache/vm/6.12-arm64/root/boot/vmlinuz-$VM_KVER
#   VM_MODROOT  .cache/vm/6.12-arm64/root     (modprobe -d / depmod -b base)
#   VM_MODDIR   $VM_MODROOT/lib/modules/$VM_KVER
#                 + updates/nvgrace-gpu-vfio-pci.ko.xz, depmod'ed
#   VM_HEADERS  .cache/vm/6.12-arm64/hdr/usr/src/linux-headers-$VM_KVER
#   VM_BUSYBOX  .cache/vm/6.12-arm64/busybox/bin/busybox (static, aarch64)
#
# Debian's packages come with a private apt configuration (arm64 for the
# kernel, headers and busybox; the host's architecture for linux-kbuild,
# whose programs run on the host): the host's dpkg architectures are never
# changed. Every .deb is pinned by version and sha256.
# Needs: apt, dpkg, xz-utils, tar, make, gcc-12-aarch64-linux-gnu (package
# gcc-aarch64-linux-gnu), binutils-aarch64-linux-gnu, kmod (depmod).
# Idempotent: re-running with everything done takes well under a second.
set -euo pipefail

FC_TAG=fetch-612-arm64
# shellcheck source-path=SCRIPTDIR source=fetch-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/fetch-common.sh"

KVER=6.12.95+deb12-arm64
ABI=6.12.95+deb12
SERIES=6.12
VER=6.12.95-1~bpo12+1
SUITE=bookworm-backports
BB_VER=1:1.35.0-4+deb12u1+b1
RECIPE=1 # bump when the build recipe below changes

# arm64 packages: package  sha256 (of the .deb for version $VER)
PINS_ARM64=(
    "linux-image-$KVER-unsigned 78e1ba9c8b64d4669f48a6f756148aa67212cc83b01dcae87e0648277b03774e"
    "linux-headers-$KVER 25a96f2db1851e3ee5b053a324376f05d19a27c9a609fdfba20501daf64eb043"
)
# architecture all (the same .debs fetch-612.sh pins)
PINS_ALL=(
    "linux-headers-$ABI-common 5f0ddff86b25a7c8ba07ee2e6f7f74b17d4c0a3f621b08b50fa91290e689fd72"
    "linux-source-$SERIES a7fe4673af74236c99dad9766eca714a198e50a07e5d659e63ec312ae6afccfe"
)
# the host's (amd64): kbuild's fixdep/modpost run on the host
PINS_HOST=(
    "linux-kbuild-$ABI 7770286db28850f6d589c89908823368cdd4aca3e489155fdcc371d95c103cbc"
)
# bookworm, arm64
PIN_BUSYBOX="busybox-static 732c9135564fc71337e0e05fb4da4d11e6c28c1834bce3e405e575afef2a52f5"

OUT=$VM_CACHE/$SERIES-arm64
ROOT=$OUT/root
HDR=$OUT/hdr
HEADERS=$HDR/usr/src/linux-headers-$KVER
SRC=$OUT/src/nvgrace-gpu
BUILD=$OUT/build/nvgrace-gpu
BB=$OUT/busybox
KEY="$VER ${PINS_ARM64[*]} ${PINS_ALL[*]} ${PINS_HOST[*]} $BB_VER $PIN_BUSYBOX recipe=$RECIPE"
KO=nvgrace-gpu-vfio-pci.ko

[[ $(uname -m) == x86_64 ]] ||
    fc_die "linux-kbuild is pinned for amd64 (its programs run on the build host); this host is $(uname -m)"
fc_need apt-get dpkg-deb xz tar make aarch64-linux-gnu-gcc-12 aarch64-linux-gnu-strip depmod flock

fc_lock "$SERIES-arm64"
mkdir -p "$OUT"

write_env() {
    fc_write_env "$OUT/env.sh" \
        "VM_KVER=$KVER" \
        "VM_KERNEL=$ROOT/boot/vmlinuz-$KVER" \
        "VM_MODROOT=$ROOT" \
        "VM_MODDIR=$ROOT/lib/modules/$KVER" \
        "VM_HEADERS=$HEADERS" \
        "VM_BUSYBOX=$BB/bin/busybox"
}

# (env.sh is rewritten every run: the cache is shared between checkouts,
# and it names this checkout's path to it)
if fc_stamp_ok "$OUT/.stamp-done" "$KEY" &&
    [[ -f $ROOT/lib/modules/$KVER/updates/$KO.xz && -x $BB/bin/busybox ]]; then
    write_env
    fc_log "up to date: $OUT/env.sh"
    exit 0
fi

# 1. download (pinned) --------------------------------------------------------
declare -A ALL=()
fc_apt_init bpo-arm64 "$SUITE" arm64
fc_fetch_pins "$VER" "${PINS_ARM64[@]}"
for k in "${!DEB[@]}"; do ALL[$k]=${DEB[$k]}; done
fc_apt_init bpo-host-for-arm64 "$SUITE"
fc_fetch_pins "$VER" "${PINS_ALL[@]}" "${PINS_HOST[@]}"
for k in "${!DEB[@]}"; do ALL[$k]=${DEB[$k]}; done
fc_apt_init bookworm-arm64 bookworm arm64
fc_fetch_pins "$BB_VER" "$PIN_BUSYBOX"
ALL[busybox-static]=${DEB[busybox-static]}

# 2. extract ------------------------------------------------------------------
if ! fc_stamp_ok "$OUT/.stamp-extract" "$KEY"; then
    fc_log "extract image into $ROOT, headers into $HDR, busybox into $BB"
    rm -rf "$ROOT" "$HDR" "$BB" "$OUT/.stamp-module" "$OUT/.stamp-done"
    mkdir -p "$ROOT" "$HDR" "$BB"
    dpkg-deb -x "${ALL[linux-image-$KVER-unsigned]}" "$ROOT"
    for p in "linux-headers-$KVER" "linux-headers-$ABI-common" "linux-kbuild-$ABI"; do
        dpkg-deb -x "${ALL[$p]}" "$HDR"
    done
    dpkg-deb -x "${ALL[busybox-static]}" "$BB"
    sed -i "s|^include /usr/src/|include $HDR/usr/src/|" "$HEADERS/Makefile"
    grep -q "^include $HDR/usr/src/" "$HEADERS/Makefile" ||
        fc_die "could not rewrite the include in $HEADERS/Makefile"
    fc_stamp_set "$OUT/.stamp-extract" "$KEY"
fi
[[ -f $ROOT/boot/vmlinuz-$KVER ]] || fc_die "no $ROOT/boot/vmlinuz-$KVER"
[[ -d $ROOT/lib/modules/$KVER/kernel ]] || fc_die "no module tree in $ROOT/lib/modules/$KVER"
[[ -x $BB/bin/busybox ]] || fc_die "no bin/busybox in busybox-static:arm64"

# 3. build nvgrace_gpu_vfio_pci out of tree --------------------------------------
if ! fc_stamp_ok "$OUT/.stamp-module" "$KEY"; then
    fc_log "build $KO against $KVER (cross, aarch64-linux-gnu-gcc-12)"
    if ! fc_stamp_ok "$SRC/.stamp" "$KEY"; then
        rm -rf "$SRC"
        fc_extract_source "${ALL[linux-source-$SERIES]}" "$SERIES" "$SRC" nvgrace-gpu
        fc_stamp_set "$SRC/.stamp" "$KEY"
    fi
    rm -rf "$BUILD"
    mkdir -p "$BUILD"
    cp "$SRC"/*.[ch] "$BUILD/"
    # drivers/vfio/pci/nvgrace-gpu/Makefile (6.12): one object from main.c
    printf '%s\n' 'obj-m += nvgrace-gpu-vfio-pci.o' 'nvgrace-gpu-vfio-pci-y := main.o' >"$BUILD/Kbuild"
    make -s -C "$HEADERS" M="$BUILD" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
        CONFIG_DEBUG_INFO_BTF_MODULES= modules >&2 || fc_die "module build failed"
    aarch64-linux-gnu-strip --strip-debug "$BUILD/$KO"
    fc_install_module "$BUILD/$KO" "$ROOT/lib/modules/$KVER"
    depmod -b "$ROOT" "$KVER"
    want='alias vfio_pci:v000010DEd00002342sv*sd*bc*sc*i* nvgrace_gpu_vfio_pci'
    grep -qxF "$want" "$ROOT/lib/modules/$KVER/modules.alias" ||
        fc_die "modules.alias lacks: $want"
    fc_log "ok: $want"
    fc_stamp_set "$OUT/.stamp-module" "$KEY"
fi

write_env
fc_stamp_set "$OUT/.stamp-done" "$KEY"
fc_log "done: $OUT/env.sh"
cat "$OUT/env.sh"
