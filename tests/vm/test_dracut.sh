#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/test_dracut.sh — the real dracut 059 (Debian dracut-core) builds an
# initramfs with dracut-module/50vfio-variant, and the guest binds the listed
# devices before any native driver can take them, although the natives are
# loaded early: listed in the image's modules-load.d and on rd.driver.pre=.
#
#   tests/vm/test_dracut.sh [shell|systemd|control|all]     (default: all)
#
# Build: a PRIVATE copy of /usr/lib/dracut as dracutbasedir, plus our module
# (with config/vfio-variant-initrd.service in its dir, as installed) and the
# test-only module tests/vm/generators/dracut/99vvtest (reports VMTEST:
# lines at pre-udev and once udev has settled, then powers off; accepts any
# root= since there is no root fs; puts the natives in
# /etc/modules-load.d); no host config (--conf/--confdir private),
# --no-hostonly, the kernel's module tree from the 6.12 cache via --kmoddir,
# kernel-modules in the image as in every real one. Fails on exit status and
# on any F:/E: line in dracut's log (dracut can log a fatal error and still
# exit 0).
# Flavours: "shell" = -m "base kernel-modules vfio-variant vvtest" (init.sh:
# our cmdline hook 00, then 90kernel-modules' cmdline 01 (80base's on
# dracut-ng) modprobes
# rd.driver.pre=, then udevd); "systemd" adds systemd systemd-initrd
# systemd-modules-load dracut-systemd (our vfio-variant-initrd.service
# before systemd-modules-load, systemd-udevd and dracut-cmdline).
# "control": the shell flavour with the module as it was before the fix
# (its hook moved back to pre-udev 00, after cmdline 01's rd.driver.pre=):
# must show the natives taking the devices ("was nvme"), so the assertions
# of the other boots can fail.
# Boot: gpu,nvme,e1000e,nic with rd.vfio_variant.ids=GPU,HDA,NVMe,virtio-net
# and rd.driver.pre=nvme,snd_hda_intel,e1000e,virtio_net.
# Environment: VV_BIN (default build/vfio-variant), VM_CACHE.
# Prints PASS/FAIL lines; exits 1 on any failure.
set -uo pipefail

# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/vm/generators/common.sh
. "$VM_DIR/generators/common.sh"

GEN_NAME=dracut
FLAVOURS=${1:-all}
[[ $FLAVOURS == all ]] && FLAVOURS="shell systemd control"
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
cp -a "$VM_REPO/dracut-module/50vfio-variant" "$W/base/modules.d/"
# as make install and the package put it there
cp "$VM_REPO/config/vfio-variant-initrd.service" "$W/base/modules.d/50vfio-variant/"
cp -a "$VM_DIR/generators/dracut/99vvtest" "$W/base/modules.d/"
cp "$VM_DIR/generators/vvtest-lib.sh" "$W/base/modules.d/99vvtest/"
# the module tree: hard links to the 6.12 cache (depmod replaces its index
# files by rename, never writing into the cache's), plus the DKMS-style
# updates/acme-passthru.ko
KMODDIR=$W/modroot/lib/modules/$VM_KVER
mkdir -p "$W/modroot/lib/modules" "$W/depmod.d"
cp -al "$VM_MODDIR" "$KMODDIR"
if ! { gen_acme_ko "$KMODDIR/updates/acme-passthru.ko" && depmod -b "$W/modroot" -C "$W/depmod.d" "$VM_KVER"; }; then
    gen_fail "module tree with updates/acme-passthru.ko (gcc, depmod)"
    exit 1
fi
# the control's tree: our hook back at pre-udev 00, in both flavours
cp -a "$W/base" "$W/base-old"
sed -i -e 's/^    if dracut_module_included systemd; then$/    if false; then/' \
    -e 's/inst_hook cmdline 00 /inst_hook pre-udev 00 /' "$W/base-old/modules.d/50vfio-variant/module-setup.sh"

# build FLAVOUR: dracut into $W/FLAVOUR.img, log in $W/FLAVOUR.dracut.log
build() {
    local fl=$1 mods rc=0 t bad base=$W/base
    local log=$W/$fl.dracut.log img=$W/$fl.img
    case $fl in
        shell) mods="base kernel-modules vfio-variant vvtest" ;;
        control)
            mods="base kernel-modules vfio-variant vvtest"
            base=$W/base-old
            ;;
        systemd) mods="base systemd systemd-initrd systemd-modules-load dracut-systemd kernel-modules vfio-variant vvtest" ;;
    esac
    printf 'logfile=%s\nfileloglvl=6\n' "$log" >"$W/$fl.conf"
    : >"$log"
    t=$(date +%s%N)
    VFIO_VARIANT_BIN=$BIN dracutbasedir=$base \
        dracut --conf "$W/$fl.conf" --confdir "$W/confdir" --tmpdir "$W/tmp" \
        --force --no-hostonly --no-hostonly-cmdline --no-early-microcode --no-compress \
        -m "$mods" --drivers "${GEN_NATIVES//,/ }" \
        --kmoddir "$KMODDIR" --kver "$VM_KVER" "$img" >"$W/$fl.dracut.out" 2>&1 || rc=$?
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
    for want in 'usr/sbin/vfio-variant$' \
        '/drivers/vfio/vfio\.ko' '/drivers/vfio/vfio_iommu_type1\.ko' \
        '/drivers/vfio/pci/vfio-pci\.ko' '/drivers/vfio/pci/vfio-pci-core\.ko' \
        '/updates/virtio-vfio-pci\.ko' '/updates/acme-passthru\.ko'; do
        gen_check "build ($fl): image has ${want%\$}" grep -qE -- "$want" "$W/$fl.list"
    done
    if [[ $fl == systemd ]]; then
        gen_check "build (systemd): image has dracut-pre-udev.service" \
            grep -qE 'dracut-pre-udev\.service$' "$W/$fl.list"
    fi
    if [[ $fl == control ]]; then
        gen_check "build (control): the old pre-udev 00 hook" grep -qE 'hooks/pre-udev/00-vfio-variant-hook\.sh$' "$W/$fl.list"
        return 0
    fi
    gen_dracut_image_order "$W/$fl.list" "$fl"
    if [[ $fl == systemd ]]; then
        rm -rf "$W/$fl.root"
        mkdir -p "$W/$fl.root"
        (cd "$W/$fl.root" && lsinitrd --unpack "$img") >/dev/null 2>&1
        gen_unit_verify "$W/$fl.root"
    fi
}

# boot FLAVOUR: boot $W/FLAVOUR.img, assert from its serial log
boot() {
    GEN_NAME="dracut $1"
    gen_dracut_boot "$W/$1.img" "$1" "$W/$1.boot.log"
    if [[ $1 == control ]]; then
        gen_natives_took "$W/$1.boot.log" "old ordering: pre-udev hook after rd.driver.pre="
        gen_clean "$W/$1.boot.log"
    else
        gen_dracut_assert "$W/$1.boot.log" "$1"
    fi
    GEN_NAME=dracut
}

# One image ahead: while flavour N boots (QEMU, one core), dracut builds
# flavour N+1 (the other core); each build's lines are shown, and counted,
# before its boot, as if run one after the other.
build_to() { build "$1" >"$W/$1.build.lines" 2>&1; }
read -ra fls <<<"$FLAVOURS"
build_to "${fls[0]}" &
bpid=$!
for ((i = 0; i < ${#fls[@]}; i++)); do
    brc=0
    wait "$bpid" || brc=$?
    cat "$W/${fls[i]}.build.lines"
    check_tally "$W/${fls[i]}.build.lines"
    if ((i + 1 < ${#fls[@]})); then
        build_to "${fls[i + 1]}" &
        bpid=$!
    fi
    ((brc == 0)) && boot "${fls[i]}"
done

check_exit "dracut ($((SECONDS - T0)) s; logs in $W)"
