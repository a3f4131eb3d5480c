#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pkg/install.sh — `make install DESTDIR=...` (mk/install.mk): the
# exact file list and modes, PREFIX handling, the config-only-if-absent rule,
# then `make uninstall`. Uses the already built build/vfio-variant when there
# is one (make -o: not rebuilt here).
# Prints PASS/FAIL lines; exits 1 on any failure.
set -u

REPO=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/vv-install.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$REPO" || exit 1

export CHECK_PREFIX="install: "
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"

# The top Makefile includes mk/install.mk; until it does, pull it in here.
MK=(make --no-print-directory)
grep -qE '^[[:space:]]*-?include[[:space:]]+mk/install\.mk' Makefile || MK+=(-f Makefile -f mk/install.mk)
[[ -x build/vfio-variant ]] && MK+=(-o build/vfio-variant)

# listing DIR: "MODE PATH" of every file and symlink under DIR.
listing() {
    (cd "$1" && find . \( -type f -o -type l \) -printf '%m %P\n' | LC_ALL=C sort)
}

D=$T/destdir
if "${MK[@]}" install DESTDIR="$D" >"$T/out" 2>&1; then
    pass "make install DESTDIR=... succeeds"
else
    fail "make install DESTDIR=... failed: $(tail -n 5 "$T/out")"
fi

want=$T/want
{
    echo "755 usr/sbin/vfio-variant"
    echo "755 usr/lib/dracut/modules.d/50vfio-variant/module-setup.sh"
    echo "755 usr/lib/dracut/modules.d/50vfio-variant/vfio-variant-hook.sh"
    echo "644 usr/lib/dracut/modules.d/50vfio-variant/vfio-variant-initrd.service"
    echo "644 usr/lib/initcpio/install/vfio-variant"
    echo "644 usr/lib/initcpio/hooks/vfio-variant"
    echo "755 usr/share/initramfs-tools/hooks/vfio-variant"
    echo "755 usr/share/initramfs-tools/scripts/init-top/00-vfio-variant"
    echo "644 usr/lib/udev/rules.d/90-vfio-variant.rules"
    echo "644 usr/lib/systemd/system/vfio-variant.service"
    echo "644 usr/lib/systemd/system/vfio-variant-initrd.service"
    if [[ -f config/vfio-variant.conf ]]; then
        echo "644 usr/share/doc/vfio-variant/vfio-variant.conf.example"
        echo "644 etc/vfio-variant.conf"
    fi
    for m in man/*.8; do [[ -f $m ]] && echo "644 usr/share/man/man8/${m##*/}"; done
    for m in man/*.5; do [[ -f $m ]] && echo "644 usr/share/man/man5/${m##*/}"; done
} | LC_ALL=C sort >"$want"
listing "$D" >"$T/got"
if diff -u "$want" "$T/got" >"$T/diff"; then
    pass "installed file list and modes ($(wc -l <"$want") files)"
else
    fail "installed file list differs: $(tr '\n' ' ' <"$T/diff")"
fi
check "binary installed is build/vfio-variant" cmp -s build/vfio-variant "$D/usr/sbin/vfio-variant"
check "udev rule runs /usr/sbin/vfio-variant bind --device %k" \
    grep -qF 'RUN+="/usr/sbin/vfio-variant bind --device %k"' "$D/usr/lib/udev/rules.d/90-vfio-variant.rules"
check "udev rule matches ACTION==add, SUBSYSTEM==pci" \
    grep -qE '^ACTION=="add", SUBSYSTEM=="pci", RUN\+=' "$D/usr/lib/udev/rules.d/90-vfio-variant.rules"
check "host unit runs /usr/sbin/vfio-variant bind" \
    grep -qx 'ExecStart=/usr/sbin/vfio-variant bind' "$D/usr/lib/systemd/system/vfio-variant.service"
for f in dracut-module/50vfio-variant/module-setup.sh mkinitcpio-hook/install/vfio-variant \
    initramfs-tools/scripts/init-top/00-vfio-variant config/vfio-variant-initrd.service; do
    case $f in
        dracut-module/*) dest=usr/lib/dracut/modules.d/50vfio-variant/${f##*/} ;;
        mkinitcpio-hook/*) dest=usr/lib/initcpio/${f#mkinitcpio-hook/} ;;
        initramfs-tools/*) dest=usr/share/initramfs-tools/${f#initramfs-tools/} ;;
        config/*) dest=usr/lib/systemd/system/${f##*/} ;;
    esac
    check "$dest is $f unchanged" cmp -s "$f" "$D/$dest"
done

# A config already there is never overwritten.
if [[ -f config/vfio-variant.conf ]]; then
    echo "# mine" >"$D/etc/vfio-variant.conf"
    "${MK[@]}" install DESTDIR="$D" >"$T/out2" 2>&1
    check "existing /etc/vfio-variant.conf left alone" grep -qx '# mine' "$D/etc/vfio-variant.conf"
else
    echo "SKIP install: config/vfio-variant.conf not written yet (example config)"
fi

# The module's old directory (90vfio-variant, up to 0.1) goes: two dracut
# modules of one name confuse dracut. Files that are not the project's stay.
O=$T/old
OLD=$O/usr/lib/dracut/modules.d/90vfio-variant
mkdir -p "$OLD"
for f in module-setup.sh vfio-variant-hook.sh vfio-variant-initrd.service; do echo old >"$OLD/$f"; done
if "${MK[@]}" install DESTDIR="$O" >"$T/out-old" 2>&1; then
    check "old 90vfio-variant removed by make install" test ! -e "$OLD"
    check "make install says it removed the old module's files" \
        grep -qF "rm -f $OLD/module-setup.sh (the module's old name)" "$T/out-old"
    check "the 50vfio-variant module is installed beside it" \
        cmp -s dracut-module/50vfio-variant/module-setup.sh "$O/usr/lib/dracut/modules.d/50vfio-variant/module-setup.sh"
else
    fail "make install over an old 90vfio-variant failed: $(tail -n 5 "$T/out-old")"
fi
mkdir -p "$OLD"
echo old >"$OLD/module-setup.sh"
echo mine >"$OLD/admin-notes.txt"
"${MK[@]}" install DESTDIR="$O" >"$T/out-old2" 2>&1
check "old module-setup.sh removed even when the directory holds a foreign file" test ! -e "$OLD/module-setup.sh"
check "a file in 90vfio-variant that is not ours is left alone" grep -qx mine "$OLD/admin-notes.txt"

# PREFIX=/usr/local: the binary moves, and the rule/unit follow it.
L=$T/local
if "${MK[@]}" install DESTDIR="$L" PREFIX=/usr/local >"$T/out3" 2>&1; then
    check "PREFIX=/usr/local: binary in /usr/local/sbin" test -x "$L/usr/local/sbin/vfio-variant"
    check "PREFIX=/usr/local: dracut module in /usr/local/lib/dracut/modules.d" \
        test -f "$L/usr/local/lib/dracut/modules.d/50vfio-variant/module-setup.sh"
    check "PREFIX=/usr/local: udev rule names /usr/local/sbin/vfio-variant" \
        grep -qF '/usr/local/sbin/vfio-variant bind --device %k' "$L/usr/local/lib/udev/rules.d/90-vfio-variant.rules"
    check "PREFIX=/usr/local: host unit names /usr/local/sbin/vfio-variant" \
        grep -qx 'ExecStart=/usr/local/sbin/vfio-variant bind' "$L/usr/local/lib/systemd/system/vfio-variant.service"
    check "PREFIX=/usr/local: initramfs-tools stays in /usr/share/initramfs-tools" \
        test -x "$L/usr/share/initramfs-tools/scripts/init-top/00-vfio-variant"
else
    fail "make install PREFIX=/usr/local failed: $(tail -n 5 "$T/out3")"
fi

# uninstall removes every installed file but the admin's config.
"${MK[@]}" uninstall DESTDIR="$D" >"$T/out4" 2>&1
left=$(listing "$D" | grep -v ' etc/vfio-variant.conf$')
check "make uninstall removes everything it installed" test -z "$left"

check_exit "install"
