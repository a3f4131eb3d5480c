#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/test_dracut_ng.sh — the real dracut-ng (Debian sid's dracut-core, 112)
# builds an initramfs with dracut-module/50vfio-variant for sid's 7.2
# kernel, and the guest binds the listed devices before udev loads the
# native drivers. The dracut 059 twin of this test is tests/vm/test_dracut.sh.
# test_72 and this suite share the 7.2 kernel and the sid chroot; either
# builds them on a cold cache (run.sh runs suites in name order, so that
# cost lands in test_72).
#
#   tests/vm/test_dracut_ng.sh [shell|systemd|all]     (default: all)
#
# dracut-ng needs sid's userland, so it runs inside the cached sid chroot
# (.cache/vm/sid-chroot, made by tests/vm/fetch/fetch-72.sh). Once per chroot
# (stamp .cache/vm/dracut-ng.stamp) apt inside the chroot installs
# dracut-core (which ships /usr/bin/dracut; "dracut" is only the
# initramfs-tools-replacing wrapper) and util-linux-extra (switch_root),
# with Acquire::Check-Valid-Until=false as for the chroot itself.
# Build, inside the chroot, in the work dir /vvtest-dracut-ng: a PRIVATE
# copy of the chroot's /usr/lib/dracut as dracutbasedir plus our module and
# the test-only tests/vm/generators/dracut/99vvtest; no host config
# (--conf/--confdir private), --no-hostonly, the 7.2 module tree hard-linked
# from .cache/vm/7.2 via --kmoddir, our static binary copied in. Fails on
# dracut's exit status and on any dracut[F]/dracut[E] (or F:/E: in its log
# file): dracut can log a fatal error and still exit 0.
# Flavours as in test_dracut.sh: "shell" = -m "base kernel-modules vfio-variant
# vvtest"; "systemd" adds systemd systemd-initrd systemd-modules-load
# dracut-systemd and initqueue (dracut-ng moved dracut-initqueue.service
# into its own module). The natives are early as in test_dracut.sh (the image's
# modules-load.d, rd.driver.pre=), --drivers keeps the image to them. The
# old-ordering control boot is test_dracut.sh's (059), not repeated here.
# Boot (on the host, 7.2 kernel): gpu,nvme,e1000e,nic with
# rd.vfio_variant.ids=GPU,HDA,NVMe,virtio-net and
# rd.driver.pre=nvme,snd_hda_intel,e1000e,virtio_net; a boot whose kernel
# panicked before any VMTEST line (TCG under load) is retried once.
# Chroot mounts: /proc only (dracut and lsinitrd use /proc/self/fd; the
# chroot's static /dev from mmdebstrap has null/zero/urandom/console, so the
# host's /dev is never bound in). It is mounted only when not already a
# mount point and unmounted by an EXIT trap; the chroot is used under
# fetch-72.sh's lock (.cache/vm/.7.2.lock), so fetch-72.sh never mounts,
# unmounts or rebuilds it meanwhile.
# If dracut-ng cannot be installed from the mirror, prints "SKIP dracut-ng:
# REASON" and exits 0.
# Environment: VV_BIN (default build/vfio-variant), VM_CACHE, VM_MIRROR
# (only to name it in messages: the chroot's own sources.list is used).
# Prints PASS/FAIL lines; exits 1 on any failure.
set -uo pipefail

# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/vm/generators/common.sh
. "$VM_DIR/generators/common.sh"

GEN_NAME=dracut-ng
FLAVOURS=${1:-all}
[[ $FLAVOURS == all ]] && FLAVOURS="shell systemd"
BIN=${VV_BIN:-$VM_REPO/build/vfio-variant}
CH=$VM_CACHE/sid-chroot
CW=/vvtest-dracut-ng # work dir, as seen inside the chroot
W=$CH$CW             # the same, from the host
STAMP=$VM_CACHE/dracut-ng.stamp
PKGS=(dracut-core util-linux-extra)
T0=$SECONDS
MOUNTED_PROC=

for fl in $FLAVOURS; do
    case $fl in
        shell | systemd) ;;
        *)
            echo "usage: $0 [shell|systemd|all]" >&2
            exit 2
            ;;
    esac
done

# ms_since NS: milliseconds since the date +%s%N value NS.
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

cleanup() {
    local i
    if [[ -n $MOUNTED_PROC ]] && mountpoint -q "$CH/proc"; then
        # a chroot process killed with us may hold it a moment longer
        for i in 1 2 3 4 5; do
            umount "$CH/proc" 2>/dev/null && break
            sleep "$i"
        done
        if mountpoint -q "$CH/proc"; then
            echo "dracut-ng: WARNING: $CH/proc busy; detaching it (umount -l)" >&2
            umount -l "$CH/proc"
        fi
    fi
    MOUNTED_PROC=
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mount_proc() {
    [[ -n $MOUNTED_PROC ]] && return 0
    mountpoint -q "$CH/proc" && return 0
    mount -t proc proc "$CH/proc" || return 1
    MOUNTED_PROC=1
}

# in_chroot CMD...: run CMD in the chroot with a clean environment (extra
# VAR=VALUE words may lead CMD).
in_chroot() {
    chroot "$CH" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C "$@"
}

# skip_all WHY: the suite cannot run here; one SKIP line
skip_all() {
    skip "dracut-ng: $*"
    echo "dracut-ng: skipped ($((SECONDS - T0)) s)"
    exit 0
}

if [[ ! -x $BIN ]]; then
    gen_fail "no binary $BIN (make)"
    exit 1
fi
if ldd "$BIN" >/dev/null 2>&1; then
    gen_fail "$BIN is dynamically linked (the chroot has another libc; build the static one)"
    exit 1
fi
t=$(date +%s%N)
vm_kernel 7.2 || {
    gen_fail "kernel 7.2 fetch/build and sid chroot (tests/vm/fetch/fetch-72.sh)"
    exit 1
}
echo "kernel $VM_KVER ready: $(ms_since "$t") ms"
[[ -x $CH/usr/bin/apt-get ]] || {
    gen_fail "no sid chroot at $CH (tests/vm/fetch/fetch-72.sh makes it)"
    exit 1
}

# One run at a time (the work dir is shared), and the chroot under
# fetch-72.sh's own lock while we install into it and build in it.
exec 8>"$VM_CACHE/.dracut-ng.lock"
flock 8
exec 9>"$VM_CACHE/.7.2.lock"
flock -w 900 9 || {
    gen_fail "timed out waiting for $VM_CACHE/.7.2.lock (fetch-72.sh running?)"
    exit 1
}
[[ -x $CH/usr/bin/apt-get ]] || {
    gen_fail "sid chroot at $CH vanished"
    exit 1
}
mount_proc || {
    gen_fail "mount proc on $CH/proc"
    exit 1
}

# --- dracut-ng in the chroot (once) ------------------------------------------
# The chroot stamp changes whenever fetch-72.sh rebuilds the chroot.
KEY="$(cat "$CH.stamp" 2>/dev/null) pkgs=${PKGS[*]}"
installed() {
    local n
    # shellcheck disable=SC2016  # a dpkg-query format, not shell
    n=$(in_chroot dpkg-query -W -f='${Status}\n' "${PKGS[@]}" 2>/dev/null | grep -c '^install ok installed$')
    [[ $n == "${#PKGS[@]}" ]]
}
if ! { [[ -f $STAMP && "$(cat "$STAMP")" == "$KEY" ]] && installed; }; then
    t=$(date +%s%N)
    rm -f "$STAMP"
    APT=(apt-get -q -o Acquire::Check-Valid-Until=false -o APT::Sandbox::User=root)
    echo "installing ${PKGS[*]} in $CH (apt, $(sed -n 's/^deb //p' "$CH/etc/apt/sources.list" | head -n 1))"
    if ! in_chroot "${APT[@]}" update >"$VM_CACHE/dracut-ng.apt.log" 2>&1; then
        skip_all "apt-get update in the sid chroot failed: $(grep -E '^(E|W):' "$VM_CACHE/dracut-ng.apt.log" | head -n 2 | tr '\n' ' ')"
    fi
    if ! in_chroot DEBIAN_FRONTEND=noninteractive "${APT[@]}" -y --no-install-recommends \
        install "${PKGS[@]}" >>"$VM_CACHE/dracut-ng.apt.log" 2>&1; then
        skip_all "dracut-ng not installable from the sid mirror: $(grep -E '^E:' "$VM_CACHE/dracut-ng.apt.log" | head -n 3 | tr '\n' ' ')"
    fi
    in_chroot apt-get -q clean >/dev/null 2>&1
    installed || skip_all "apt installed, but dpkg does not list all of: ${PKGS[*]}"
    printf '%s\n' "$KEY" >"$STAMP"
    echo "installed: $(ms_since "$t") ms (log $VM_CACHE/dracut-ng.apt.log)"
fi
DRACUT_VERSION=$(in_chroot dracut --version 2>/dev/null | awk '{print $2}')
[[ -n $DRACUT_VERSION ]] || {
    gen_fail "dracut --version in the chroot printed nothing"
    exit 1
}
# shellcheck disable=SC2016  # dpkg-query formats, not shell
echo "dracut $DRACUT_VERSION ($(in_chroot dpkg-query -S /usr/bin/dracut 2>/dev/null | cut -d: -f1)" \
    "$(in_chroot dpkg-query -W -f='${Version}' dracut-core 2>/dev/null)," \
    "switch_root from $(in_chroot dpkg-query -S /usr/sbin/switch_root /usr/bin/switch_root 2>/dev/null | cut -d: -f1 | head -n 1))," \
    "kernel $VM_KVER, chroot $CH"
gen_check "dracut in the sid chroot is dracut-ng (version >= 060: $DRACUT_VERSION)" \
    test "${DRACUT_VERSION%%[!0-9]*}" -ge 60

# --- private dracut tree in the chroot ------------------------------------------
t=$(date +%s%N)
# The module tree: hard links (same file system, only read by dracut, no
# 137 MB copy), kept while the 7.2 cache's stamp and modules.dep are the same.
MKEY="$(cat "$VM_CACHE/7.2/.stamp-done" 2>/dev/null) $(stat -c '%i %Y %s' "$VM_MODDIR/modules.dep") acme=1"
if ! [[ -f $W/modroot.key && "$(cat "$W/modroot.key")" == "$MKEY" ]]; then
    rm -rf --one-file-system "$W"
    mkdir -p "$W/modroot/lib/modules"
    cp -al "$VM_MODDIR/." "$W/modroot/lib/modules/$VM_KVER" 2>/dev/null ||
        cp -a "$VM_MODDIR/." "$W/modroot/lib/modules/$VM_KVER"
    # the DKMS-style updates/acme-passthru.ko (depmod replaces the index
    # files by rename: the hard-linked cache's stay as they are)
    mkdir -p "$W/depmod.d"
    if ! { gen_acme_ko "$W/modroot/lib/modules/$VM_KVER/updates/acme-passthru.ko" &&
        in_chroot depmod -b "$CW/modroot" -C "$CW/depmod.d" "$VM_KVER"; }; then
        gen_fail "module tree with updates/acme-passthru.ko (gcc, depmod)"
        exit 1
    fi
    printf '%s\n' "$MKEY" >"$W/modroot.key"
fi
find "$W" -mindepth 1 -maxdepth 1 ! -name modroot ! -name modroot.key ! -name depmod.d -exec rm -rf --one-file-system {} +
mkdir -p "$W/confdir" "$W/tmp"
cp -a "$CH/usr/lib/dracut" "$W/base"
cp -a "$VM_REPO/dracut-module/50vfio-variant" "$W/base/modules.d/"
# as make install and the package put it there
cp "$VM_REPO/config/vfio-variant-initrd.service" "$W/base/modules.d/50vfio-variant/"
cp -a "$VM_DIR/generators/dracut/99vvtest" "$W/base/modules.d/"
cp "$VM_DIR/generators/vvtest-lib.sh" "$W/base/modules.d/99vvtest/"
install -m 0755 "$BIN" "$W/vfio-variant"
echo "work dir $W: $(ms_since "$t") ms"

# build FLAVOUR: dracut into $W/FLAVOUR.img, log in $W/FLAVOUR.dracut.log
build() {
    local fl=$1 mods rc=0 t bad warn
    local log=$W/$fl.dracut.log img=$W/$fl.img
    case $fl in
        shell) mods="base kernel-modules vfio-variant vvtest" ;;
        # dracut-ng split dracut-initqueue.service out of dracut-systemd
        # into its own "initqueue" module; 99vvtest's settled hook needs it.
        systemd) mods="base systemd systemd-initrd systemd-modules-load dracut-systemd initqueue kernel-modules vfio-variant vvtest" ;;
    esac
    printf 'logfile=%s\nfileloglvl=6\n' "$CW/$fl.dracut.log" >"$W/$fl.conf"
    : >"$log"
    t=$(date +%s%N)
    in_chroot VFIO_VARIANT_BIN="$CW/vfio-variant" dracutbasedir="$CW/base" \
        dracut --conf "$CW/$fl.conf" --confdir "$CW/confdir" --tmpdir "$CW/tmp" \
        --force --no-hostonly --no-hostonly-cmdline --no-early-microcode --no-compress \
        -m "$mods" --drivers "${GEN_NATIVES//,/ }" \
        --kmoddir "$CW/modroot/lib/modules/$VM_KVER" --kver "$VM_KVER" \
        "$CW/$fl.img" >"$W/$fl.dracut.out" 2>&1 || rc=$?
    echo "dracut $DRACUT_VERSION ($fl): $(ms_since "$t") ms, exit $rc, $(stat -c %s "$img" 2>/dev/null) bytes"
    gen_check "build ($fl): dracut exits 0" test "$rc" = 0
    if bad=$(grep -h -E -m3 '^[FE]: |dracut\[[FE]\]' "$log" "$W/$fl.dracut.out"); then
        gen_fail "build ($fl): no dracut[F]/dracut[E] line in dracut's output or log: $bad"
    else
        gen_pass "build ($fl): no dracut[F]/dracut[E] line in dracut's output or log"
    fi
    if warn=$(grep -h -E '^W: |dracut\[W\]' "$log" "$W/$fl.dracut.out" | sort -u | grep .); then
        echo "dracut ($fl) warnings (not failures):"
        printf '    %s\n' "${warn//$'\n'/$'\n'    }"
    fi
    [[ -f $img ]] || return 1
    in_chroot lsinitrd "$CW/$fl.img" >"$W/$fl.list" 2>"$W/$fl.list.err"
    local want
    for want in 'usr/sbin/vfio-variant$' \
        '/drivers/vfio/vfio\.ko' '/drivers/vfio/vfio_iommu_type1\.ko' \
        '/drivers/vfio/pci/vfio-pci\.ko' '/drivers/vfio/pci/vfio-pci-core\.ko' \
        '/updates/virtio-vfio-pci\.ko' '/updates/acme-passthru\.ko'; do
        gen_check "build ($fl): image has ${want%\$}" grep -qE -- "$want" "$W/$fl.list"
    done
    if [[ $fl == systemd ]]; then
        gen_check "build (systemd): image has dracut-pre-udev.service" \
            grep -qE 'dracut-pre-udev\.service$' "$W/$fl.list"
        gen_check "build (systemd): image has dracut-initqueue.service" \
            grep -qE 'dracut-initqueue\.service$' "$W/$fl.list"
    else
        # init.sh's switch_root is util-linux-extra's (systemd uses systemctl)
        gen_check "build (shell): image has switch_root (util-linux-extra)" \
            grep -qE 'bin/switch_root$' "$W/$fl.list"
    fi
    gen_dracut_image_order "$W/$fl.list" "$fl"
    if [[ $fl == systemd ]]; then
        rm -rf "$W/$fl.root"
        mkdir -p "$W/$fl.root"
        # several concatenated archives: lsinitrd unpacks them all
        # shellcheck disable=SC2016  # expanded by the chroot's sh
        in_chroot sh -c 'cd "$1" && lsinitrd --unpack "$2"' _ "$CW/$fl.root" "$CW/$fl.img" >/dev/null 2>&1
        gen_unit_verify "$W/$fl.root"
    fi
}

# boot FLAVOUR: boot $W/FLAVOUR.img on the host, assert from its serial log
boot() {
    GEN_NAME="dracut-ng $1"
    gen_dracut_boot "$W/$1.img" "$1" "$W/$1.boot.log"
    gen_dracut_assert "$W/$1.boot.log" "$1"
    GEN_NAME=dracut-ng
}

built=
for fl in $FLAVOURS; do
    build "$fl" && built="$built $fl"
done
# The chroot is not needed for booting: let fetch-72.sh have it back.
cleanup
exec 9>&-
for fl in $built; do
    boot "$fl"
done

check_exit "dracut-ng ($((SECONDS - T0)) s; logs in $W)"
