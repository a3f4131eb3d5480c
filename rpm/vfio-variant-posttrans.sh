#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# rpm/vfio-variant-posttrans.sh — the RPM's posttrans scriptlet: the spec
# includes this file as its body; tests/pkg/rpm-posttrans.sh runs it alone.
# (No percent sign in here: rpm expands macros in the included text.)
#
# 1. The dracut module was 90vfio-variant up to 0.1 (now 50vfio-variant):
#    the files a `make install` left there, and no package owns, go, since
#    two modules of one name confuse dracut.
# 2. The initramfs images are regenerated, so they carry the new binary,
#    only where that is right:
#    - never on ostree systems (/run/ostree-booted, /ostree: rpm-ostree,
#      bootc) nor where bootc is installed (a bootc image build: its
#      Containerfile runs dracut, the host gets the image's initramfs);
#    - only where dracut is the generator: dracut installed, and
#      kernel-install's initrd_generator (/etc/kernel/install.conf, else
#      /usr/lib/kernel/install.conf) unset or dracut;
#    - only when dracut's configuration enables the module
#      (add_dracutmodules+=" vfio-variant "): it is opt-in, so an image
#      built without it has nothing of ours to update;
#    - each /boot/initramfs-KVER.img that exists, for a KVER under
#      /usr/lib/modules (dracut -f IMAGE KVER).
# Never fails the transaction: one line says what was done and why, and
# the exit status is 0.
# Environment (tests): VV_ROOT prefixes every path read or removed (default:
# none); rpm and dracut are found on PATH.

r=${VV_ROOT:-}
say() { echo "vfio-variant: $*"; }

old=/usr/lib/dracut/modules.d/90vfio-variant
for f in module-setup.sh vfio-variant-hook.sh vfio-variant-initrd.service; do
    [ -e "$r$old/$f" ] || continue
    if command -v rpm >/dev/null 2>&1 && rpm -qf "$old/$f" >/dev/null 2>&1; then
        say "$old/$f belongs to $(rpm -qf "$old/$f" 2>/dev/null): left alone"
        continue
    fi
    rm -f "$r$old/$f" && say "removed $old/$f (the dracut module's name up to 0.1)"
done
if [ -d "$r$old" ]; then
    rmdir "$r$old" 2>/dev/null || say "$old is not empty: left alone; remove it if it is an old copy of this module"
fi

regen() {
    if [ -e "$r/run/ostree-booted" ] || [ -e "$r/ostree" ]; then
        say "ostree/bootc system: the initramfs comes with the image (rpm-ostree initramfs, or dracut in the bootc image build); not regenerated"
        return 0
    fi
    if [ -e "$r/usr/bin/bootc" ] || [ -d "$r/usr/lib/bootc" ]; then
        say "bootc is installed (an image build?): run dracut in the image build; initramfs not regenerated"
        return 0
    fi
    if ! command -v dracut >/dev/null 2>&1; then
        say "dracut is not installed: initramfs not regenerated"
        return 0
    fi
    gen=""
    for c in "$r/etc/kernel/install.conf" "$r/usr/lib/kernel/install.conf"; do
        [ -f "$c" ] || continue
        gen=$(sed -n 's/^[[:space:]]*initrd_generator[[:space:]]*=[[:space:]]*//p' "$c" | tail -n 1)
        gen=$(echo "$gen" | tr -d "\"' ")
        break
    done
    if [ -n "$gen" ] && [ "$gen" != dracut ]; then
        say "kernel-install's initrd_generator is $gen, not dracut: initramfs not regenerated"
        return 0
    fi
    conf=""
    for c in "$r/etc/dracut.conf" "$r"/etc/dracut.conf.d/*.conf "$r"/usr/lib/dracut/dracut.conf.d/*.conf; do
        [ -f "$c" ] && conf="$conf $c"
    done
    # shellcheck disable=SC2086  # the file names come from the globs above
    if [ -z "$conf" ] ||
        ! grep -hE '^[[:space:]]*(add_)?dracutmodules[[:space:]]*\+?=' $conf | grep -qE '(^|[ "=])vfio-variant([ "]|$)'; then
        say "dracut's configuration does not enable the module (add_dracutmodules+=\" vfio-variant \"): no image to regenerate"
        return 0
    fi
    # shellcheck disable=SC2086
    if grep -hE '^[[:space:]]*omit_dracutmodules[[:space:]]*\+?=' $conf | grep -qE '(^|[ "=])vfio-variant([ "]|$)'; then
        say "dracut's configuration omits the module (omit_dracutmodules): no image to regenerate"
        return 0
    fi
    n=0
    for d in "$r"/usr/lib/modules/*/; do
        [ -d "$d" ] || continue
        k=$(basename "$d")
        img=/boot/initramfs-$k.img
        [ -f "$r$img" ] || continue
        n=$((n + 1))
        if dracut -f "$img" "$k"; then
            say "regenerated $img (dracut -f $img $k)"
        else
            say "dracut -f $img $k failed (exit $?): that image keeps the previous vfio-variant; rebuild it by hand"
        fi
    done
    [ "$n" -gt 0 ] || say "no /boot/initramfs-KVER.img for a kernel in /usr/lib/modules: nothing to regenerate"
    return 0
}
regen
exit 0
