#!/bin/bash
# suite: vm
# tests/vm/dracut.sh — the real dracut 059 (Debian dracut-core) builds an
# initramfs with dracut-module/90vfio-variant, and the guest binds the listed
# devices before udev loads the native drivers.
#
#   tests/vm/dracut.sh [shell|systemd|all]     (default: all)
#
# Build: a PRIVATE copy of /usr/lib/dracut as dracutbasedir, plus our module
# and the test-only module tests/vm/generators/dracut/99vvtest (reports
# VMTEST: lines right after our pre-udev hook and once udev has settled, then
# powers off; accepts any root= since there is no root fs); no host config
# (--conf/--confdir private), --no-hostonly, the kernel's module tree from
# the 6.12 cache via --kmoddir. Fails on exit status and on any F:/E: line
# in dracut's log (dracut can log a fatal error and still exit 0).
# Flavours: "shell" = -m "base vfio-variant vvtest" (init.sh runs pre-udev
# hooks, then starts udevd); "systemd" adds systemd + systemd-initrd +
# dracut-systemd (dracut-pre-udev.service, Before=systemd-udevd.service).
# Boot: gpu,nvme,e1000e,nic with rd.vfio_variant.ids=GPU,HDA,NVMe,virtio-net.
# Environment: VV_BIN (default build/vfio-variant), VM_CACHE.
# Prints PASS/FAIL lines; exits 1 on any failure.
set -uo pipefail

# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/vm/generators/common.sh
. "$VM_DIR/generators/common.sh"

GEN_NAME=dracut
FLAVOURS=${1:-all}
[[ $FLAVOURS == all ]] && FLAVOURS="shell systemd"
BIN=${VV_BIN:-$VM_REPO/build/vfio-variant}
W=$VM_CACHE/work/dracut
T0=$SECONDS

gen_preflight dracut dracut-core || exit 1
DRACUT_VERSION=$(dracut --version 2>/dev/null | awk '{print $2}')
echo "dracut $DRACUT_VERSION, kernel $VM_KVER"

# --- private dracut tree --------------------------------------------------------
rm -rf "$W"
mkdir -p "$W/confdir" "$W/tmp"
cp -a /usr/lib/dracut "$W/base"
cp -a "$VM_REPO/dracut-module/90vfio-variant" "$W/base/modules.d/"
cp -a "$VM_DIR/generators/dracut/99vvtest" "$W/base/modules.d/"
cp "$VM_DIR/generators/vvtest-lib.sh" "$W/base/modules.d/99vvtest/"

# build FLAVOUR: dracut into $W/FLAVOUR.img, log in $W/FLAVOUR.dracut.log
build() {
    local fl=$1 mods rc=0 t bad
    local log=$W/$fl.dracut.log img=$W/$fl.img
    case $fl in
        shell) mods="base vfio-variant vvtest" ;;
        systemd) mods="base systemd systemd-initrd dracut-systemd vfio-variant vvtest" ;;
    esac
    printf 'logfile=%s\nfileloglvl=6\n' "$log" >"$W/$fl.conf"
    : >"$log"
    t=$(date +%s%N)
    VFIO_VARIANT_BIN=$BIN dracutbasedir=$W/base \
        dracut --conf "$W/$fl.conf" --confdir "$W/confdir" --tmpdir "$W/tmp" \
        --force --no-hostonly --no-hostonly-cmdline --no-early-microcode --no-compress \
        -m "$mods" --add-drivers "nvme e1000e snd_hda_intel" \
        --kmoddir "$VM_MODDIR" --kver "$VM_KVER" "$img" >"$W/$fl.dracut.out" 2>&1 || rc=$?
    echo "dracut ($fl): $((($(date +%s%N) - t) / 1000000)) ms, exit $rc, $(stat -c %s "$img" 2>/dev/null) bytes"
    gen_check "build ($fl): dracut exits 0" test "$rc" = 0
    if bad=$(grep -E -m3 '^[FE]: |dracut\[[FE]\]' "$log" "$W/$fl.dracut.out"); then
        gen_fail "build ($fl): no fatal/error line in dracut's log: $bad"
    else
        gen_pass "build ($fl): no fatal/error line in dracut's log"
    fi
    [[ -f $img ]] || return 1
    lsinitrd "$img" >"$W/$fl.list" 2>/dev/null
    local want
    for want in 'usr/sbin/vfio-variant$' 'hooks/pre-udev/00-vfio-variant-hook.sh$' \
        '/drivers/vfio/vfio\.ko' '/drivers/vfio/vfio_iommu_type1\.ko' \
        '/drivers/vfio/pci/vfio-pci\.ko' '/drivers/vfio/pci/vfio-pci-core\.ko' \
        '/updates/virtio-vfio-pci\.ko'; do
        gen_check "build ($fl): image has ${want%\$}" grep -qE -- "$want" "$W/$fl.list"
    done
    if [[ $fl == systemd ]]; then
        gen_check "build (systemd): image has dracut-pre-udev.service" \
            grep -qE 'dracut-pre-udev\.service$' "$W/$fl.list"
    fi
}

# boot FLAVOUR: boot $W/FLAVOUR.img, assert from its serial log
boot() {
    GEN_NAME="dracut $1"
    gen_dracut_boot "$W/$1.img" "$1" "$W/$1.boot.log"
    GEN_NAME=dracut
}

for fl in $FLAVOURS; do
    build "$fl" && boot "$fl"
done

check_exit "dracut ($((SECONDS - T0)) s; logs in $W)"
