#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pkg/initramfs-tools-hook.sh — initramfs-tools/hooks/vfio-variant's
# pre-flight, run by Debian's real mkinitramfs (its call_scripts runs the
# hook; a hook that exits non-zero aborts the build), on fake hosts whose
# listed NVMe 1b36:0010 holds / (refused) or holds nothing (accepted), and
# with VFIO_VARIANT_PREFLIGHT=off (the opt-out). The binary is the real
# one on the fake host (tests/tree/lib.sh fixtures, through --root).
# mkinitramfs reads the module tree only from /lib/modules/KVER and the
# kernel config from /boot/config-KVER: it runs in a private mount
# namespace (unshare -m) with an overlay on /usr/lib holding the fake
# module tree and a private /boot; the host's own are never changed.
# The real build and boot is tests/vm/test_initramfs_tools.sh.
# Needs root (mount namespace) and mkinitramfs; prints PASS/FAIL (or SKIP)
# lines; exits 1 on any failure.
set -u

REPO=$(cd "$(dirname "$0")/../.." && pwd)
HOOK=$REPO/initramfs-tools/hooks/vfio-variant
BIN=${VV_BIN:-$REPO/build/vfio-variant}
T=$(mktemp -d "${TMPDIR:-/tmp}/vv-itools-hook.XXXXXX")
trap 'rm -rf "$T"' EXIT

export CHECK_PREFIX="initramfs-tools hook: "
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"

if [[ ! -x $BIN ]]; then
    fail "no binary $BIN (run make)"
    exit 1
fi
if ! command -v mkinitramfs >/dev/null; then
    skip "mkinitramfs not installed (apt-get install initramfs-tools)"
    check_exit "initramfs-tools hook"
fi
if ((EUID != 0)) || ! unshare -m true 2>/dev/null; then
    skip "needs root and unshare -m (a private mount namespace for /lib/modules and /boot)"
    check_exit "initramfs-tools hook"
fi

# shellcheck source=tests/tree/lib.sh
. "$REPO/tests/tree/lib.sh"

# The fake host: an NVMe 1b36:0010 listed on its command line, nvme0n1p2 on it.
KVER=6.12.0-itoolstest
HOST=$T/host
mk_kernel "$HOST" "$KVER" "vfio_variant.ids=1b36:0010" >/dev/null
mk_modules "$HOST" "$KVER" >/dev/null || {
    fail "fixture: mk_modules"
    exit 1
}
mk_pci "$HOST" 0000:00:06.0 1b36 0010 0x010802 group=2 driver=nvme >/dev/null
REL=$(_mkp_devrel 0000:00:06.0)
mkdir -p "$HOST/sys/$REL/nvme/nvme0/nvme0n1/nvme0n1p2" "$HOST/sys/block" "$HOST/proc/self"
echo 259:2 >"$HOST/sys/$REL/nvme/nvme0/nvme0n1/nvme0n1p2/dev"
ln -s "../$REL/nvme/nvme0/nvme0n1" "$HOST/sys/block/nvme0n1"
WRAP=$T/vfio-variant
printf '#!/bin/sh\nexec "%s" --root "%s" "$@"\n' "$BIN" "$HOST" >"$WRAP"
chmod 755 "$WRAP"

# A private conf dir: no host config, no modules of its own, our hook.
C=$T/conf
mkdir -p "$C/conf.d" "$C/hooks" "$C/scripts" "$T/boot" "$T/ovl/upper" "$T/ovl/work"
printf '%s\n' MODULES=list BUSYBOX=n KEYMAP=n COMPRESS=gzip DEVICE= NFSROOT=auto RUNSIZE=10% FSTYPE=auto \
    >"$C/initramfs.conf"
: >"$C/modules"
install -m 0755 "$HOOK" "$C/hooks/vfio-variant"
printf '%s\n' CONFIG_RD_GZIP=y >"$T/boot/config-$KVER"

# build NAME [VAR=VALUE...]: mkinitramfs -d $C -o $T/NAME.img KVER, in its
# namespace; its output in $T/NAME.out, its status in $T/NAME.rc, the
# image's file list in $T/NAME.list
build() {
    local name=$1 rc=0
    shift
    # shellcheck disable=SC2016  # expanded by the inner bash, from its environment
    env "$@" VFIO_VARIANT_BIN="$WRAP" T="$T" C="$C" KVER="$KVER" MODDIR="$HOST/lib/modules/$KVER" \
        OUT="$T/$name.img" unshare -m --propagation private bash -euc '
            mount -t overlay overlay -o "lowerdir=/usr/lib,upperdir=$T/ovl/upper,workdir=$T/ovl/work" /usr/lib
            mkdir -p "/usr/lib/modules/$KVER"
            mount --bind "$MODDIR" "/usr/lib/modules/$KVER"
            mount --bind "$T/boot" /boot
            mkinitramfs -d "$C" -o "$OUT" "$KVER"
        ' >"$T/$name.out" 2>&1 || rc=$?
    echo "$rc" >"$T/$name.rc"
    : >"$T/$name.list"
    [[ -f $T/$name.img ]] && lsinitramfs "$T/$name.img" >"$T/$name.list" 2>/dev/null
    sed "s/^/    | $name: /" "$T/$name.out"
}

# 1. The listed NVMe holds /: the pre-flight refuses, the build stops.
echo "21 1 259:2 / / rw - xfs /dev/nvme0n1p2 rw" >"$HOST/proc/self/mountinfo"
build refused
check "root disk listed: mkinitramfs exits 1" test "$(cat "$T/refused.rc")" = 1
check "root disk listed: the hook's E: line names the opt-out" \
    grep -qxF "E: vfio-variant: pre-flight failed: the image would claim the disk holding / or /boot (see above); narrow the rule, or build with VFIO_VARIANT_PREFLIGHT=off if you mean it" "$T/refused.out"
check "root disk listed: the binary's line names the device, its rule and the root filesystem" \
    grep -qE "^vfio-variant: pre-flight: 0000:00:06.0 \[1b36:0010\] is listed \(rule 1b36:0010, .*\): .*the image would claim it, but it holds the root filesystem \(/dev/nvme0n1p2\): that boot cannot mount its root filesystem" "$T/refused.out"
check "root disk listed: mkinitramfs says the hook failed" \
    grep -qxF "E: $C/hooks/vfio-variant failed with return 1." "$T/refused.out"
# (mkinitramfs creates -o's file first; update-initramfs builds into
# IMAGE.new and keeps the old image when mkinitramfs fails)
check "root disk listed: no image (the output file left empty)" test ! -s "$T/refused.img"

# 2. The same NVMe, / on another disk: the pre-flight accepts, the image has the binder.
echo "21 1 8:1 / / rw - xfs /dev/sda1 rw" >"$HOST/proc/self/mountinfo"
build accepted
check "listed NVMe not holding /: mkinitramfs exits 0" test "$(cat "$T/accepted.rc")" = 0
check "listed NVMe not holding /: no E: or vfio-variant line" \
    test "$(grep -cE '^E: |vfio-variant' "$T/accepted.out")" = 0
check "listed NVMe not holding /: the image has usr/sbin/vfio-variant" grep -qx 'usr/sbin/vfio-variant' "$T/accepted.list"
check "listed NVMe not holding /: and vfio-pci.ko" grep -qE "^usr/lib/modules/$KVER/.*/vfio-pci\.ko" "$T/accepted.list"

# 3. The opt-out: the root disk listed, VFIO_VARIANT_PREFLIGHT=off builds it.
echo "21 1 259:2 / / rw - xfs /dev/nvme0n1p2 rw" >"$HOST/proc/self/mountinfo"
build optout VFIO_VARIANT_PREFLIGHT=off
check "VFIO_VARIANT_PREFLIGHT=off: mkinitramfs exits 0" test "$(cat "$T/optout.rc")" = 0
check "VFIO_VARIANT_PREFLIGHT=off: no pre-flight line" test "$(grep -c 'pre-flight' "$T/optout.out")" = 0
check "VFIO_VARIANT_PREFLIGHT=off: the image has usr/sbin/vfio-variant" grep -qx 'usr/sbin/vfio-variant' "$T/optout.list"

check_exit "initramfs-tools hook"
