#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/test_deb.sh — the Debian package, end to end:
#   1. `make deb` (tools/build-deb.sh: dpkg-buildpackage -us -uc -b in a
#      temporary copy of the tree, KMOD_SRC = the cached kmod source);
#   2. lintian: no E: or W: line (overrides only with their reason);
#   3. the version lives in debian/changelog only: the packaged binary's
#      --version and build/vfio-variant's agree with dpkg-parsechangelog;
#   4. contents: binary, dracut module (with its unit), initramfs-tools hook,
#      mkinitcpio files, udev rule, units, man pages; /etc/vfio-variant.conf
#      the only conffile; the update-initramfs trigger;
#   5. install into an mmdebstrap bookworm chroot (initramfs-tools, udev,
#      busybox; cached as .cache/vm/deb-bookworm.tar) BEFORE any kernel or
#      initramfs exists (the trigger must not fail; a left-over
#      90vfio-variant dracut module directory is removed by postinst); the
#      host unit is not enabled; the test's report hooks
#      (tests/vm/generators/initramfs-tools) and the out-of-tree
#      virtio_vfio_pci (as DKMS would put it, updates/) are added, the
#      natives listed in /etc/initramfs-tools/modules; then the project's
#      pinned 6.12 kernel .deb (tests/vm/fetch/fetch-612.sh), whose postinst
#      runs depmod and update-initramfs -c in the chroot;
#   6. that initrd boots in QEMU (6.12, gpu,nvme,e1000e,nic): the listed
#      devices on vfio-pci / virtio_vfio_pci, "was unbound" kmsg lines, no
#      native probe of them;
#   7. dpkg -r leaves no file of the package but the conffile; dpkg -P
#      removes that too.
# Chroot mounts: /proc only, unmounted by an EXIT trap.
# Environment: VM_CACHE, VM_MIRROR (default: the host apt's Debian mirror).
# Prints PASS/FAIL lines; exits 1 on any failure.
set -uo pipefail

# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/vm/generators/common.sh
. "$VM_DIR/generators/common.sh"
# shellcheck source=tests/vm/fetch/fetch-common.sh
. "$VM_DIR/fetch/fetch-common.sh"

GEN_NAME=deb
T0=$SECONDS
W=$VM_CACHE/work/deb
R=$W/root
OUT=$W/out
BASE=$VM_CACHE/deb-bookworm.tar
BASE_TMP=$VM_CACHE/deb-bookworm.tmp.tar # mmdebstrap: a .tar name makes a tarball
BASE_PKGS=initramfs-tools,udev,busybox,kmod,linux-base,zstd,procps
MOUNTED=

cleanup() {
    if [[ -n $MOUNTED ]] && mountpoint -q "$R/proc"; then
        umount "$R/proc" 2>/dev/null || umount -l "$R/proc"
    fi
    MOUNTED=
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_root() {
    chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
        DEBIAN_FRONTEND=noninteractive "$@"
}
# shellcheck disable=SC2317  # called through gen_check
copyright_ok() {
    grep -q '^License: LGPL-2.1+' "$1" && grep -q '^License: MIT' "$1" && grep -q libkmod "$1" && grep -q musl "$1"
}
# "vfio-variant VERSION" (then, e.g., the architecture in parentheses)
ver_of() { "$@" --version 2>&1 | sed -n '1s/^vfio-variant \([^ ]*\).*/\1/p'; }
# arm64_join: wait for the background arm64_package (3b), show its lines
# and count them
ARM64_PID=
arm64_join() {
    [[ -n $ARM64_PID ]] || return 0
    wait "$ARM64_PID"
    ARM64_PID=
    cat "$W/arm64.lines"
    check_tally "$W/arm64.lines"
}
finish() {
    arm64_join
    check_exit "deb ($((SECONDS - T0)) s; logs in $W)"
}

[[ $(id -u) == 0 ]] || {
    gen_fail "must run as root (mmdebstrap root mode, chroot)"
    finish
}
for c in dpkg-buildpackage lintian dpkg-parsechangelog mmdebstrap; do
    command -v "$c" >/dev/null || {
        gen_fail "$c not installed (tools/deps.sh)"
        finish
    }
done
vm_kernel 6.12 || {
    gen_fail "kernel 6.12 fetch/build (tests/vm/fetch/fetch-612.sh)"
    finish
}
rm -rf --one-file-system "$W"
mkdir -p "$W" "$OUT"
FOREIGN=$(dpkg --print-foreign-architectures | tr '\n' ' ')

# --- 1. build ---------------------------------------------------------------------
t=$SECONDS
VERSION=$(dpkg-parsechangelog -l "$VM_REPO/debian/changelog" -S Version)
ARCH=$(dpkg --print-architecture)
DEBF=$OUT/vfio-variant_${VERSION}_$ARCH.deb
rc=0
VV_DEB_OUT=$OUT bash "$VM_REPO/tools/build-deb.sh" >"$W/build-deb.out" 2>&1 || rc=$?
echo "build: $((SECONDS - t)) s, exit $rc"
gen_check "make deb (dpkg-buildpackage -us -uc -b in a temporary copy) exits 0" test "$rc" = 0
gen_check "built vfio-variant_${VERSION}_$ARCH.deb" test -f "$DEBF"
[[ -f $DEBF ]] || {
    tail -n 20 "$W/build-deb.out"
    finish
}
gen_check "the work tree has no dpkg-buildpackage output (built elsewhere)" \
    test ! -e "$VM_REPO/debian/vfio-variant" -a ! -e "$VM_REPO/debian/files" -a ! -e "$VM_REPO/debian/.debhelper"
gen_check "the package build fetched nothing (no fetch-kmod line in its log)" \
    test "$(grep -c 'fetch-kmod' "$OUT/build.log")" = 0

# --- 3b. the arm64 package (dpkg-buildpackage -a arm64 -d, make ARCH=arm64) ---------
# in the background, while the amd64 package goes through lintian, its
# contents and the chroot (it needs neither); its lines are shown and
# counted before the boot (arm64_join), which has the CPU to itself
arm64_package() {
    local t=$SECONDS rc=0 bad
    DEBA=$OUT/vfio-variant_${VERSION}_arm64.deb
    VV_DEB_OUT=$OUT/arm64 bash "$VM_REPO/tools/build-deb.sh" -a arm64 >"$W/build-deb-arm64.out" 2>&1 || rc=$?
    DEBA=$OUT/arm64/${DEBA##*/}
    echo "arm64 build: $((SECONDS - t)) s, exit $rc"
    gen_check "arm64: dpkg-buildpackage -a arm64 -d (host dpkg architectures untouched) exits 0" test "$rc" = 0
    gen_check "arm64: built vfio-variant_${VERSION}_arm64.deb, Architecture: arm64" \
        test "$(dpkg-deb -f "$DEBA" Architecture 2>/dev/null)" = arm64
    dpkg-deb -x "$DEBA" "$W/xa" 2>/dev/null
    gen_check "arm64: the binary is a static aarch64 executable ($(file -b "$W/xa/usr/sbin/vfio-variant" | cut -d, -f1-2))" \
        test "$(file -b "$W/xa/usr/sbin/vfio-variant" | grep -c 'ARM aarch64.*statically linked')" = 1
    if command -v qemu-aarch64-static >/dev/null; then
        gen_check "arm64: its --version (qemu-aarch64-static) says $VERSION" \
            test "$(ver_of qemu-aarch64-static "$W/xa/usr/sbin/vfio-variant")" = "$VERSION"
    fi
    lintian --pedantic -I "$DEBA" >"$W/lintian-arm64.out" 2>&1
    if bad=$(grep -E '^[EW]: ' "$W/lintian-arm64.out"); then
        gen_fail "arm64: lintian: no error or warning ($(echo "$bad" | tr '\n' ' '))"
    else
        gen_pass "arm64: lintian: no error or warning"
    fi
    gen_check "arm64: dpkg --print-foreign-architectures unchanged (none added)" \
        test "$(dpkg --print-foreign-architectures | tr '\n' ' ')" = "$FOREIGN"
}
arm64_package >"$W/arm64.lines" 2>&1 &
ARM64_PID=$!

# --- 2. lintian -------------------------------------------------------------------
lintian --pedantic -I --show-overrides "$DEBF" >"$W/lintian.out" 2>&1
echo "lintian $(dpkg-query -W -f='${Version}' lintian 2>/dev/null):"
sed 's/^/    /' "$W/lintian.out"
if bad=$(grep -E '^[EW]: ' "$W/lintian.out"); then
    gen_fail "lintian: no error or warning ($(echo "$bad" | tr '\n' ' '))"
else
    gen_pass "lintian: no error or warning"
fi
gen_check "lintian: every override carries its reason (an N: line above the O: line)" \
    test "$(grep -c '^O: ' "$W/lintian.out")" -le "$(grep -c '^N: ' "$W/lintian.out")"

# --- 3. one version ---------------------------------------------------------------------
X=$W/x
dpkg-deb -x "$DEBF" "$X"
echo "packaged binary: $("$X/usr/sbin/vfio-variant" --version 2>&1); dpkg-parsechangelog: $VERSION"
gen_check "packaged binary: vfio-variant --version says $VERSION (dpkg-parsechangelog)" \
    test "$(ver_of "$X/usr/sbin/vfio-variant")" = "$VERSION"
if [[ -x $VM_REPO/build/vfio-variant ]]; then
    gen_check "build/vfio-variant --version agrees with debian/changelog" \
        test "$(ver_of "$VM_REPO/build/vfio-variant")" = "$VERSION"
fi
gen_check "the deb's Version field is the changelog's" \
    test "$(dpkg-deb -f "$DEBF" Version)" = "$VERSION"

# --- 4. contents ---------------------------------------------------------------------------
dpkg-deb -c "$DEBF" | awk '{print $NF}' | sed 's|^\./|/|' >"$W/contents"
for f in /usr/sbin/vfio-variant \
    /usr/lib/dracut/modules.d/50vfio-variant/module-setup.sh \
    /usr/lib/dracut/modules.d/50vfio-variant/vfio-variant-hook.sh \
    /usr/lib/dracut/modules.d/50vfio-variant/vfio-variant-initrd.service \
    /usr/share/initramfs-tools/hooks/vfio-variant \
    /usr/share/initramfs-tools/scripts/init-top/00-vfio-variant \
    /usr/lib/initcpio/install/vfio-variant /usr/lib/initcpio/hooks/vfio-variant \
    /lib/systemd/system/vfio-variant.service /lib/systemd/system/vfio-variant-initrd.service \
    /lib/udev/rules.d/90-vfio-variant.rules \
    /usr/share/man/man8/vfio-variant.8.gz /usr/share/man/man5/vfio-variant.conf.5.gz \
    /etc/vfio-variant.conf /usr/share/doc/vfio-variant/copyright; do
    gen_check "deb has $f" grep -qxF "$f" "$W/contents"
done
dpkg-deb -e "$DEBF" "$W/control"
gen_check "conffiles: exactly /etc/vfio-variant.conf" test "$(cat "$W/control/conffiles")" = /etc/vfio-variant.conf
gen_check "triggers: activate-noawait update-initramfs" grep -qx 'activate-noawait update-initramfs' "$W/control/triggers"
gen_check "maintainer scripts never start, restart or stop a unit (no deb-systemd-invoke, no systemctl start)" \
    test "$(cat "$W"/control/*inst "$W"/control/*rm 2>/dev/null | grep -cE 'deb-systemd-invoke|systemctl .*(start|stop)')" = 0
gen_check "copyright names the static libkmod (LGPL-2.1+) and musl (MIT)" \
    copyright_ok "$X/usr/share/doc/vfio-variant/copyright"

# --- 5. chroot ------------------------------------------------------------------------------
KEY="bookworm $BASE_PKGS $VM_MIRROR recipe=1"
if ! [[ -f $BASE && "$(cat "$BASE.stamp" 2>/dev/null)" == "$KEY" ]]; then
    t=$SECONDS
    rm -f "$BASE" "$BASE.stamp" "$BASE_TMP"
    echo "mmdebstrap bookworm ($BASE_PKGS) from $VM_MIRROR into $BASE"
    if ! mmdebstrap --quiet --mode=root --variant=apt --include="$BASE_PKGS" \
        --aptopt='Acquire::Check-Valid-Until "false"' \
        bookworm "$BASE_TMP" "$VM_MIRROR" >"$W/mmdebstrap.log" 2>&1; then
        gen_fail "mmdebstrap bookworm chroot ($(tail -n 3 "$W/mmdebstrap.log" | tr '\n' ' '))"
        rm -f "$BASE_TMP"
        finish
    fi
    mv "$BASE_TMP" "$BASE"
    printf '%s\n' "$KEY" >"$BASE.stamp"
    echo "chroot tarball: $((SECONDS - t)) s, $(stat -c %s "$BASE") bytes"
fi
mkdir -p "$R"
if ! tar -C "$R" -xf "$BASE" || ! mount -t proc proc "$R/proc"; then
    gen_fail "unpack the chroot $BASE and mount its /proc"
    finish
fi
MOUNTED=1
cp "$DEBF" "$R/tmp/"
KDEBS=()
for f in "$VM_DEBS/linux-image-${VM_KVER}_"*.deb; do
    [[ -f $f ]] && KDEBS+=("$f")
done
gen_check "the pinned linux-image-$VM_KVER .deb is cached" test "${#KDEBS[@]}" = 1
cp "${KDEBS[@]}" "$R/tmp/"

# the package first: no kernel, no initramfs yet; a 0.1 `make install` left
# the dracut module under its old name (90vfio-variant), which postinst removes
gen_check "chroot: no initramfs before the install" test -z "$(ls "$R"/boot/initrd.img-* 2>/dev/null)"
OLDMOD=$R/usr/lib/dracut/modules.d/90vfio-variant
mkdir -p "$OLDMOD"
for f in module-setup.sh vfio-variant-hook.sh vfio-variant-initrd.service; do echo old >"$OLDMOD/$f"; done
rc=0
in_root dpkg -i "/tmp/${DEBF##*/}" >"$W/dpkg-i.out" 2>&1 || rc=$?
gen_check "chroot: postinst removed the old module directory 90vfio-variant (make install's, unowned)" \
    test ! -e "$OLDMOD"
gen_check "chroot: dpkg -i vfio-variant with no initramfs anywhere exits 0 (trigger included)" test "$rc" = 0
gen_check "chroot: dpkg -i printed no error" test "$(grep -ciE '^(E:|dpkg: error)|failed' "$W/dpkg-i.out")" = 0
gen_check "chroot: vfio-variant.service is not enabled" \
    test -z "$(find "$R/etc/systemd/system" -name 'vfio-variant*' 2>/dev/null)"
gen_check "chroot: /usr/sbin/vfio-variant --version says $VERSION" \
    test "$(ver_of in_root /usr/sbin/vfio-variant)" = "$VERSION"

# the test's report scripts, the out-of-tree variant (updates/, as DKMS
# puts it) and the natives first, then the kernel: its postinst runs
# update-initramfs -c with our hook and the test's (one mkinitramfs run of
# MODULES=most, not one for the kernel and one more for the test's hooks)
G=$VM_DIR/generators/initramfs-tools
install -D -m 0755 "$G/hooks/vvtest" "$R/etc/initramfs-tools/hooks/vvtest"
install -D -m 0755 "$G/scripts/init-premount/vvtest" "$R/etc/initramfs-tools/scripts/init-premount/vvtest"
install -D -m 0644 "$VM_DIR/generators/vvtest-lib.sh" "$R/usr/local/share/vvtest-lib.sh"
install -D -m 0644 "$VM_MODDIR/updates/virtio-vfio-pci.ko.xz" "$R/lib/modules/$VM_KVER/updates/virtio-vfio-pci.ko.xz"
gen_acme_ko "$R/lib/modules/$VM_KVER/updates/acme-passthru.ko" || gen_fail "build updates/acme-passthru.ko (gcc)"
printf '%s\n' ${GEN_NATIVES//,/ } >>"$R/etc/initramfs-tools/modules"
rc=0
in_root VVTEST_LIB=/usr/local/share/vvtest-lib.sh dpkg -i "/tmp/${KDEBS[0]##*/}" >"$W/update-initramfs.out" 2>&1 || rc=$?
gen_check "chroot: dpkg -i linux-image-$VM_KVER exits 0 (its postinst: depmod, update-initramfs -c -k $VM_KVER)" test "$rc" = 0
gen_check "chroot: the kernel's postinst ran update-initramfs for $VM_KVER" \
    grep -qF "update-initramfs: Generating /boot/initrd.img-$VM_KVER" "$W/update-initramfs.out"
gen_check "chroot: depmod indexed the out-of-tree modules (updates/virtio-vfio-pci, updates/acme-passthru)" \
    test "$(grep -cE '^(/lib/modules/[^/]+/)?updates/(virtio-vfio-pci|acme-passthru)\.ko' "$R/lib/modules/$VM_KVER/modules.dep")" = 2
echo "update-initramfs: $(grep -c '^W:' "$W/update-initramfs.out") W: line(s) (firmware of MODULES=most, not ours)"
if bad=$(grep -E '^E:|vfio-variant' "$W/update-initramfs.out"); then
    gen_fail "chroot: update-initramfs printed no E: line and no vfio-variant warning ($(echo "$bad" | tr '\n' ' '))"
else
    gen_pass "chroot: update-initramfs printed no E: line and no vfio-variant warning"
fi
IMG=$R/boot/initrd.img-$VM_KVER
in_root lsinitramfs "/boot/initrd.img-$VM_KVER" >"$W/list" 2>/dev/null
for want in 'usr/sbin/vfio-variant$' 'scripts/init-top/00-vfio-variant$' \
    '/drivers/vfio/pci/vfio-pci\.ko' '/updates/virtio-vfio-pci\.ko' '/updates/acme-passthru\.ko' 'etc/vfio-variant\.conf$' \
    '/drivers/nvme/host/nvme\.ko'; do
    gen_check "initrd (update-initramfs in the chroot) has ${want%\$}" grep -qE -- "$want" "$W/list"
done
cleanup

arm64_join

# --- 6. boot ------------------------------------------------------------------------------
L=$W/boot.log
vm_boot "$R/boot/vmlinuz-$VM_KVER" "$IMG" "quiet root=/dev/vvtest-none vfio_variant.ids=$GEN_IDS" "$GEN_DEVICES" "$L" 180
echo "boot: ${VM_BOOT_SECONDS}s wall"
vm_lines "$L" | grep -E '^kmsg ' | sed 's/^/    /'
gen_expect "$L" '^premount udevd=yes state=yes' "boot: init-premount reached, udevd running, the binary's state written"
gen_drivers "$L" premount
gen_bound_before_natives "$L"
gen_no_native_probes "$L"
gen_clean "$L"

# --- 7. remove, purge ------------------------------------------------------------------
mount -t proc proc "$R/proc" && MOUNTED=1
# the test's report hook needs VVTEST_LIB: not for the triggers of dpkg -r
rm -f "$R/etc/initramfs-tools/hooks/vvtest" "$R/etc/initramfs-tools/scripts/init-premount/vvtest"
# removing the package activates its update-initramfs trigger: the image is
# rebuilt without our hook, and dpkg -r's exit status says whether that
# worked. The module set is nothing to it: MODULES=list (the natives listed
# above) instead of most, a few seconds instead of another full build.
sed -i 's/^MODULES=.*/MODULES=list/' "$R/etc/initramfs-tools/initramfs.conf"
grep -qx 'MODULES=list' "$R/etc/initramfs-tools/initramfs.conf" ||
    gen_fail "chroot: initramfs.conf has no MODULES= line to set to list"
rc=0
in_root dpkg -r vfio-variant >"$W/dpkg-r.out" 2>&1 || rc=$?
gen_check "chroot: dpkg -r vfio-variant exits 0" test "$rc" = 0
left=()
while read -r f; do
    [[ -f $R$f || -L $R$f ]] && left+=("$f")
done <"$W/contents"
gen_check "chroot: dpkg -r leaves only the conffile (left: ${left[*]:-none})" \
    test "${left[*]:-}" = /etc/vfio-variant.conf
rc=0
in_root dpkg -P vfio-variant >"$W/dpkg-P.out" 2>&1 || rc=$?
gen_check "chroot: dpkg -P vfio-variant exits 0 and removes the conffile" \
    test "$rc" = 0 -a ! -e "$R/etc/vfio-variant.conf"
cleanup
finish
