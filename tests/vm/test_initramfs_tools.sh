#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/test_initramfs_tools.sh — Debian's real mkinitramfs (initramfs-tools)
# builds an initramfs with initramfs-tools/{hooks/vfio-variant,
# scripts/init-top/00-vfio-variant}, and the guest binds the listed devices
# before udev's coldplug loads the native drivers.
#
# Build: mkinitramfs -d CONFDIR with a private conf dir (MODULES=list, no
# host config) holding our hook and init-top script (mkinitramfs runs
# CONFDIR/hooks and copies CONFDIR/scripts like the installed
# /usr/share/initramfs-tools ones) and the test-only
# tests/vm/generators/initramfs-tools/{hooks,scripts/init-premount}/vvtest
# (native drivers for udev to autoload; a report at init-premount, when
# init-top — ours, then udev's coldplug and settle — is over, then power off).
# mkinitramfs reads the module tree only from /lib/modules/KVER and the
# kernel config from /boot/config-KVER: it runs in a private mount namespace
# (unshare -m) where an overlay on /usr/lib gets modules/KVER bind-mounted
# from the 6.12 cache and /boot is bind-mounted from it. The host's
# /lib/modules and /boot are never changed; nothing to clean up.
# The natives are early: listed in CONFDIR/modules (/etc/initramfs-tools/
# modules), which init loads (load_modules) right after init-top, before
# udev's coldplug has settled; the binder's init-top 00 script must still
# come first ("was unbound", no native probe line for a listed device).
# Boot: gpu,nvme,e1000e,nic with vfio_variant.ids=GPU,HDA,NVMe,virtio-net;
# then a control boot of the same image with vfio_variant.disable=1 (the
# binder does nothing): the natives take the devices, so the assertions of
# the first boot can fail.
# Environment: VV_BIN (default build/vfio-variant), VM_CACHE.
# Prints PASS/FAIL lines; exits 1 on any failure.
set -uo pipefail

# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/vm/generators/common.sh
. "$VM_DIR/generators/common.sh"

GEN_NAME=initramfs-tools
BIN=${VV_BIN:-$VM_REPO/build/vfio-variant}
W=$VM_CACHE/work/initramfs-tools
T0=$SECONDS

gen_preflight mkinitramfs initramfs-tools || exit 1
echo "initramfs-tools $(dpkg-query -W -f='${Version}' initramfs-tools-core 2>/dev/null), kernel $VM_KVER"

# --- private conf dir -------------------------------------------------------------
rm -rf "$W"
C=$W/conf
G=$VM_DIR/generators/initramfs-tools
mkdir -p "$C/conf.d" "$C/hooks" "$C/scripts/init-top" "$C/scripts/init-premount" \
    "$W/ovl/upper" "$W/ovl/work" "$W/kovl/upper/updates" "$W/kovl/work"
# the DKMS-style updates/acme-passthru.ko, in an overlay over the 6.12 tree
gen_acme_ko "$W/kovl/upper/updates/acme-passthru.ko" || gen_fail "build updates/acme-passthru.ko (gcc)"
cat >"$C/initramfs.conf" <<'EOF'
MODULES=list
BUSYBOX=y
KEYMAP=n
COMPRESS=zstd
DEVICE=
NFSROOT=auto
RUNSIZE=10%
FSTYPE=auto
EOF
printf '%s\n' ${GEN_NATIVES//,/ } >"$C/modules"
install -m 0755 "$VM_REPO/initramfs-tools/hooks/vfio-variant" "$C/hooks/vfio-variant"
install -m 0755 "$VM_REPO/initramfs-tools/scripts/init-top/00-vfio-variant" "$C/scripts/init-top/"
install -m 0755 "$G/hooks/vvtest" "$C/hooks/vvtest"
install -m 0755 "$G/scripts/init-premount/vvtest" "$C/scripts/init-premount/vvtest"

IMG=$W/initrd.img
t=$(date +%s%N)
rc=0
# shellcheck disable=SC2016  # expanded by the inner bash, from its environment
VFIO_VARIANT_BIN=$BIN VVTEST_LIB=$VM_DIR/generators/vvtest-lib.sh \
    W=$W C=$C IMG=$IMG KVER=$VM_KVER MODDIR=$VM_MODDIR MODROOT=$VM_MODROOT \
    unshare -m --propagation private bash -euc '
        mount -t overlay overlay -o "lowerdir=/usr/lib,upperdir=$W/ovl/upper,workdir=$W/ovl/work" /usr/lib
        mkdir -p "/usr/lib/modules/$KVER"
        mount -t overlay overlay -o "lowerdir=$MODDIR,upperdir=$W/kovl/upper,workdir=$W/kovl/work" "/usr/lib/modules/$KVER"
        depmod "$KVER"
        mount --bind "$MODROOT/boot" /boot
        mkinitramfs -d "$C" -o "$IMG" "$KVER"
    ' >"$W/mkinitramfs.out" 2>&1 || rc=$?
echo "mkinitramfs: $((($(date +%s%N) - t) / 1000000)) ms, exit $rc, $(stat -c %s "$IMG" 2>/dev/null) bytes"
gen_check "build: mkinitramfs exits 0" test "$rc" = 0
if bad=$(grep -E -m3 '^E: |vfio-variant' "$W/mkinitramfs.out"); then
    gen_fail "build: no E: line and no vfio-variant warning: $bad"
else
    gen_pass "build: no E: line and no vfio-variant warning"
fi
if [[ ! -f $IMG ]]; then
    tail -n 20 "$W/mkinitramfs.out"
    check_summary initramfs-tools
    exit 1
fi
lsinitramfs "$IMG" >"$W/list" 2>/dev/null
for want in 'usr/sbin/vfio-variant$' 'scripts/init-top/00-vfio-variant$' \
    '/drivers/vfio/vfio\.ko' '/drivers/vfio/vfio_iommu_type1\.ko' \
    '/drivers/vfio/pci/vfio-pci\.ko' '/drivers/vfio/pci/vfio-pci-core\.ko' \
    '/updates/virtio-vfio-pci\.ko' '/updates/acme-passthru\.ko'; do
    gen_check "build: image has ${want%\$}" grep -qE -- "$want" "$W/list"
done
# The init-top order mkinitramfs computed (tsort of the PREREQ pairs).
unmkinitramfs "$IMG" "$W/x" >/dev/null 2>&1
order=$(sed -n 's|^/scripts/init-top/\([^ ]*\) .*|\1|p' "$W"/x/main/scripts/init-top/ORDER 2>/dev/null ||
    sed -n 's|^/scripts/init-top/\([^ ]*\) .*|\1|p' "$W"/x/scripts/init-top/ORDER 2>/dev/null)
echo "init-top ORDER: $(echo "$order" | tr '\n' ' ')"
gen_check "build: init-top ORDER runs 00-vfio-variant before udev" \
    test "$(echo "$order" | grep -nx '00-vfio-variant' | cut -d: -f1)" -lt "$(echo "$order" | grep -nx 'udev' | cut -d: -f1)"

# --- boot ----------------------------------------------------------------------------
L=$W/boot.log
vm_boot "$VM_KERNEL" "$IMG" "quiet root=/dev/vvtest-none vfio_variant.ids=$GEN_IDS" "$GEN_DEVICES" "$L" 180
echo "boot: ${VM_BOOT_SECONDS}s wall"
gen_expect "$L" '^premount udevd=yes state=yes' "init-premount: udevd running, the binary's state written"
gen_expect "$L" '^order /scripts/init-top/00-vfio-variant$' "guest ORDER lists 00-vfio-variant"
if vm_lines "$L" | grep -E '^order ' | head -n 1 | grep -qx 'order /scripts/init-top/00-vfio-variant'; then
    gen_pass "guest ORDER: 00-vfio-variant is the first init-top script"
else
    gen_fail "guest ORDER: 00-vfio-variant is the first init-top script ($(vm_lines "$L" | grep '^order ' | tr '\n' ' '))"
fi
gen_drivers "$L" premount
gen_bound_before_natives "$L"
gen_no_native_probes "$L"
gen_clean "$L"

# --- control: the same image, the binder disabled ------------------------------------
L=$W/control.log
vm_boot "$VM_KERNEL" "$IMG" "quiet root=/dev/vvtest-none vfio_variant.ids=$GEN_IDS vfio_variant.disable=1" "$GEN_DEVICES" "$L" 180
echo "control boot: ${VM_BOOT_SECONDS}s wall"
GEN_NAME="initramfs-tools control"
gen_natives_took "$L" "vfio_variant.disable=1"
gen_clean "$L"
GEN_NAME=initramfs-tools

check_exit "initramfs-tools ($((SECONDS - T0)) s; logs in $W)"
