#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pkg/rpm-posttrans.sh — the RPM's %posttrans guard
# (rpm/vfio-variant-posttrans.sh, the scriptlet's body) on its own: on a
# scratch root (VV_ROOT) with stand-ins for dracut and rpm that record their
# calls, it regenerates /boot/initramfs-KVER.img only where dracut is the
# generator and the module is enabled, never on ostree/bootc systems, never
# fails, and removes a left-over 90vfio-variant that no package owns.
# The RPM itself: tests/pkg/rpm.sh.
# Prints PASS/FAIL lines; exits 1 on any failure.
set -u

REPO=$(cd "$(dirname "$0")/../.." && pwd)
SCRIPT=$REPO/rpm/vfio-variant-posttrans.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/vv-posttrans.XXXXXX")
trap 'rm -rf "$T"' EXIT

export CHECK_PREFIX="rpm posttrans: "
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"

# A PATH of its own: the shell tools the script uses, and (per case) the
# stand-ins; so "dracut is not installed" is true whatever the host has.
TOOLS=$T/tools
mkdir -p "$TOOLS"
for c in sh grep sed tail tr rm rmdir basename; do
    ln -s "$(command -v "$c")" "$TOOLS/$c"
done
CALLS=$T/calls
STUBS=$T/stubs
mkdir -p "$STUBS"
# dracut: records its arguments (and whether the old module directory is
# still there when it runs); exits DRACUT_RC (default 0)
cat >"$STUBS/dracut" <<EOF
#!/bin/sh
old=
[ -e "\$VV_ROOT/usr/lib/dracut/modules.d/90vfio-variant" ] && old=" (90vfio-variant present)"
echo "dracut \$*\$old" >>"$CALLS"
exit \${DRACUT_RC:-0}
EOF
# rpm -qf PATH: owned when PATH is listed in \$OWNED
cat >"$STUBS/rpm" <<EOF
#!/bin/sh
[ "\$1" = -qf ] || exit 2
for p in \${OWNED:-}; do
    if [ "\$p" = "\$2" ]; then echo "someone-else-1.0"; exit 0; fi
done
echo "file \$2 is not owned by any package"
exit 1
EOF
chmod 755 "$STUBS/dracut" "$STUBS/rpm"

# host ROOT: a Fedora-like root with two kernels, one with an image
host() {
    local r=$1
    rm -rf "$r"
    mkdir -p "$r/boot" "$r/usr/lib/modules/6.12.0-1.fc42.x86_64" "$r/usr/lib/modules/7.2.0-1.fc43.x86_64" \
        "$r/etc/dracut.conf.d"
    : >"$r/boot/initramfs-7.2.0-1.fc43.x86_64.img"
    echo 'add_dracutmodules+=" vfio-variant "' >"$r/etc/dracut.conf.d/vfio-variant.conf"
}

# run NAME [WITH_DRACUT]: run the script on $R; output in $T/NAME.out,
# status in RC, dracut's calls in $T/NAME.calls
run() {
    local name=$1 path=$TOOLS:$STUBS
    [[ ${2:-dracut} == nodracut ]] && { path=$TOOLS:$T/stubs-nodracut; mkdir -p "$T/stubs-nodracut"; cp "$STUBS/rpm" "$T/stubs-nodracut/"; }
    : >"$CALLS"
    RC=0
    env -i PATH="$path" VV_ROOT="$R" OWNED="${OWNED:-}" DRACUT_RC="${DRACUT_RC:-0}" sh "$SCRIPT" >"$T/$name.out" 2>&1 || RC=$?
    cp "$CALLS" "$T/$name.calls"
}
ncalls() { wc -l <"$T/$1.calls" | tr -d ' '; }

R=$T/root

# --- regenerates where it should -----------------------------------------------------
host "$R"
run plain
check "dracut host, module enabled: exit 0" test "$RC" = 0
check "dracut host, module enabled: dracut -f /boot/initramfs-KVER.img KVER, once, for the kernel that has an image" \
    test "$(cat "$T/plain.calls")" = "dracut -f /boot/initramfs-7.2.0-1.fc43.x86_64.img 7.2.0-1.fc43.x86_64"
check "dracut host: says which image it regenerated" \
    grep -qF "vfio-variant: regenerated /boot/initramfs-7.2.0-1.fc43.x86_64.img" "$T/plain.out"

host "$R"
: >"$R/boot/initramfs-6.12.0-1.fc42.x86_64.img"
run two
check "two kernels with images: both regenerated" test "$(ncalls two)" = 2

host "$R"
rm "$R/etc/dracut.conf.d/vfio-variant.conf"
echo 'add_dracutmodules+="vfio-variant"' >"$R/etc/dracut.conf"
run etcconf
check "enabled in /etc/dracut.conf (no spaces in the quotes): regenerated" test "$(ncalls etcconf)" = 1

host "$R"
rm "$R/etc/dracut.conf.d/vfio-variant.conf"
mkdir -p "$R/usr/lib/dracut/dracut.conf.d"
echo 'add_dracutmodules+=" nvdimm vfio-variant "' >"$R/usr/lib/dracut/dracut.conf.d/50-image.conf"
run libconf
check "enabled in /usr/lib/dracut/dracut.conf.d (among others): regenerated" test "$(ncalls libconf)" = 1

host "$R"
mkdir -p "$R/etc/kernel" "$R/usr/lib/kernel"
echo 'initrd_generator=mkosi-initrd' >"$R/usr/lib/kernel/install.conf"
echo 'initrd_generator=dracut' >"$R/etc/kernel/install.conf"
run genetc
check "/etc/kernel/install.conf says dracut (over /usr/lib's mkosi-initrd): regenerated" test "$(ncalls genetc)" = 1

# --- and nowhere else ----------------------------------------------------------------
host "$R"
mkdir -p "$R/run"
: >"$R/run/ostree-booted"
run ostree
check "/run/ostree-booted: exit 0" test "$RC" = 0
check "/run/ostree-booted: dracut not run" test "$(ncalls ostree)" = 0
check "/run/ostree-booted: says why" grep -q 'ostree/bootc system' "$T/ostree.out"

host "$R"
mkdir -p "$R/sysroot/ostree"
ln -s sysroot/ostree "$R/ostree"
run ostreeimg
check "/ostree (an ostree image, not booted): dracut not run" test "$(ncalls ostreeimg)" = 0

host "$R"
mkdir -p "$R/usr/lib/bootc/kargs.d"
run bootc
check "bootc image (/usr/lib/bootc): exit 0, dracut not run" test "$RC.$(ncalls bootc)" = 0.0
check "bootc image: says why" grep -q 'bootc is installed' "$T/bootc.out"

host "$R"
mkdir -p "$R/usr/bin"
: >"$R/usr/bin/bootc"
run bootcbin
check "bootc installed (/usr/bin/bootc): dracut not run" test "$(ncalls bootcbin)" = 0

host "$R"
run nodracut nodracut
check "no dracut on PATH: exit 0, says so" test "$RC" = 0 -a "$(grep -c 'dracut is not installed' "$T/nodracut.out")" = 1

host "$R"
mkdir -p "$R/usr/lib/kernel"
echo 'initrd_generator=mkosi-initrd' >"$R/usr/lib/kernel/install.conf"
run mkosi
check "kernel-install's initrd_generator=mkosi-initrd: dracut not run" test "$(ncalls mkosi)" = 0
check "initrd_generator: says which generator" grep -q 'initrd_generator is mkosi-initrd' "$T/mkosi.out"

host "$R"
rm "$R/etc/dracut.conf.d/vfio-variant.conf"
echo 'add_dracutmodules+=" lvm "' >"$R/etc/dracut.conf.d/other.conf"
echo '# add_dracutmodules+=" vfio-variant "' >>"$R/etc/dracut.conf.d/other.conf"
run notenabled
check "module not enabled (only in a comment): dracut not run" test "$(ncalls notenabled)" = 0
check "module not enabled: says how to enable it" grep -qF 'add_dracutmodules+=" vfio-variant "' "$T/notenabled.out"

host "$R"
echo 'omit_dracutmodules+=" vfio-variant "' >"$R/etc/dracut.conf.d/zz-omit.conf"
run omitted
check "module omitted (omit_dracutmodules): dracut not run" test "$(ncalls omitted)" = 0

host "$R"
rm "$R/boot/initramfs-7.2.0-1.fc43.x86_64.img"
run noimage
check "no /boot/initramfs-KVER.img: dracut not run, says so" \
    test "$(ncalls noimage)" = 0 -a "$(grep -c 'nothing to regenerate' "$T/noimage.out")" = 1

host "$R"
DRACUT_RC=1 run dracutfails
check "dracut fails: the scriptlet still exits 0" test "$RC" = 0
check "dracut fails: says the image keeps the previous binary" grep -q 'failed (exit 1)' "$T/dracutfails.out"

# --- the old module directory ----------------------------------------------------
OLD=usr/lib/dracut/modules.d/90vfio-variant
host "$R"
mkdir -p "$R/$OLD"
for f in module-setup.sh vfio-variant-hook.sh vfio-variant-initrd.service; do echo old >"$R/$OLD/$f"; done
run old
check "old 90vfio-variant (unowned): removed" test ! -e "$R/$OLD"
check "old 90vfio-variant: removed before dracut ran (regeneration still happens)" \
    test "$(cat "$T/old.calls")" = "dracut -f /boot/initramfs-7.2.0-1.fc43.x86_64.img 7.2.0-1.fc43.x86_64"

host "$R"
mkdir -p "$R/$OLD"
for f in module-setup.sh vfio-variant-hook.sh; do echo old >"$R/$OLD/$f"; done
OWNED=/$OLD/module-setup.sh run owned
check "old file owned by a package: left alone" test -f "$R/$OLD/module-setup.sh"
check "old file owned by a package: says by which" grep -q 'belongs to someone-else-1.0' "$T/owned.out"
check "old unowned file beside it: removed" test ! -e "$R/$OLD/vfio-variant-hook.sh"

host "$R"
mkdir -p "$R/$OLD"
echo old >"$R/$OLD/module-setup.sh"
echo mine >"$R/$OLD/notes"
run foreign
check "a foreign file in 90vfio-variant stays (and the directory with it)" grep -qx mine "$R/$OLD/notes"
check "a foreign file: our old file removed all the same" test ! -e "$R/$OLD/module-setup.sh"

check "the script has no '%' (rpm would expand macros in it)" test "$(grep -c '%' "$SCRIPT")" = 0

check_exit "rpm posttrans"
