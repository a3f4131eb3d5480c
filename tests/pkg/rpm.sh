#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pkg/rpm.sh — the RPM (rpm/vfio-variant.spec), end to end on this
# Debian host:
#   1. `make rpm` (tools/build-rpm.sh: rpmbuild -ba --nodeps in a temporary
#      _topdir, Source1 = the cached kmod tarball, no network);
#   2. rpmlint on the binary RPM, the SRPM and the spec as built, with
#      rpm/vfio-variant.rpmlintrc: 0 errors; every filter has its reason on
#      the line above and matches something (else rpmlint itself complains);
#   3. the version is debian/changelog's, in the RPM, the SRPM's spec and the
#      packaged binary's --version;
#   4. rpm -qpl: exactly the expected list (dracut module, no mkinitcpio or
#      initramfs-tools file); bundled() Provides; the config is
#      %config(noreplace) and the only one; the scriptlets never enable,
#      start or restart a unit; %posttrans is rpm/vfio-variant-posttrans.sh;
#   5. rpm -i --nodeps --noscripts --force-debian into a scratch --root lays
#      out the same files (modes, contents) as `make install DESTDIR=` for a
#      dracut system, plus the licences and README.
# The posttrans guard alone: tests/pkg/rpm-posttrans.sh.
# Environment: VV_RPM_OUT (where the packages go; default a temporary dir).
# Prints PASS/FAIL lines; exits 1 on any failure.
set -u

REPO=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/vv-rpm.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$REPO" || exit 1

export CHECK_PREFIX="rpm: "
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"

for c in rpmbuild rpmlint rpm; do
    if ! command -v "$c" >/dev/null; then
        fail "$c not installed (tools/deps.sh installs Debian's rpm and rpmlint)"
        check_exit "rpm"
    fi
done

VERSION=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' debian/changelog)
OUT=${VV_RPM_OUT:-$T/out}

# --- 1. make rpm ------------------------------------------------------------------
# the work tree's state (build/ aside), before and after
tree_state() { git status --porcelain --ignored --untracked-files=all | grep -v ' build/' || true; }
tree_state >"$T/tree.before"
rc=0
VV_RPM_OUT=$OUT make --no-print-directory rpm >"$T/make.out" 2>&1 || rc=$?
tree_state >"$T/tree.after"
check "make rpm (rpmbuild -ba --nodeps in a temporary _topdir) exits 0" test "$rc" = 0
((rc)) && tail -n 20 "$T/make.out"
ARCH=$(rpm --eval '%{_arch}')
RPMF=$OUT/vfio-variant-$VERSION-1.$ARCH.rpm
SRPM=$OUT/vfio-variant-$VERSION-1.src.rpm
check "binary RPM vfio-variant-$VERSION-1.$ARCH.rpm built" test -f "$RPMF"
check "source RPM vfio-variant-$VERSION-1.src.rpm built" test -f "$SRPM"
if [[ ! -f $RPMF || ! -f $SRPM ]]; then
    check_exit "rpm"
fi
check "rpmbuild's %check ran the packaged binary" grep -q "^vfio-variant $VERSION (" "$OUT/build.log"
check "no build-id warning (Fedora's rpmbuild stops on a binary without one)" \
    test "$(grep -c 'Missing build-id' "$OUT/build.log")" = 0
check "the work tree is untouched by the build (rpmbuild ran in a temporary _topdir)" \
    cmp -s "$T/tree.before" "$T/tree.after"

# --- 2. rpmlint ---------------------------------------------------------------------
# the spec as built (its Source2 beside it, as rpmlint parses it)
mkdir -p "$T/spec"
cp "$OUT/vfio-variant.spec" rpm/vfio-variant-posttrans.sh "$T/spec/"
rc=0
(cd "$T/spec" && rpmlint -r "$REPO/rpm/vfio-variant.rpmlintrc" "$RPMF" "$SRPM" vfio-variant.spec) >"$T/rpmlint.out" 2>&1 || rc=$?
echo "rpmlint $(rpmlint --version 2>/dev/null) (rpm, srpm, spec; -r rpm/vfio-variant.rpmlintrc):"
grep -E ': [EW]: |checked;' "$T/rpmlint.out" | sed 's/^/    /'
check "rpmlint exits 0" test "$rc" = 0
check "rpmlint: 0 errors" grep -qE 'checked; 0 errors,' "$T/rpmlint.out"
check "rpmlint: no E: line" test "$(grep -c ': E: ' "$T/rpmlint.out")" = 0
# each addFilter has a comment right above (its reason)
nofilter=$(awk '/^addFilter/ && prev !~ /^#/ { print FNR } { prev = $0 }' rpm/vfio-variant.rpmlintrc)
check "rpmlintrc: every filter has its reason on the line above" test -z "$nofilter"
check "rpmlintrc: filters only errors (warnings stay visible)" \
    test "$(grep '^addFilter' rpm/vfio-variant.rpmlintrc | grep -cv '^addFilter("E: ')" = 0
# a filter that matches nothing is stale: rpmlint says so as a warning
check "rpmlintrc: every filter matched something (no unused-rpmlintrc-filter)" \
    test "$(grep -c 'unused-rpmlintrc-filter' "$T/rpmlint.out")" = 0
# the filters do hide errors: without them rpmlint fails (so the check above can)
rc=0
(cd "$T/spec" && rpmlint "$RPMF" "$SRPM" vfio-variant.spec) >"$T/rpmlint-raw.out" 2>&1 || rc=$?
check "without the rpmlintrc rpmlint reports the filtered errors (statically-linked-binary)" \
    grep -q 'E: statically-linked-binary' "$T/rpmlint-raw.out"

# --- 3. the version -----------------------------------------------------------------
check "RPM Version is debian/changelog's ($VERSION)" \
    test "$(rpm -qp --qf '%{VERSION}' "$RPMF" 2>/dev/null)" = "$VERSION"
check "RPM Release is 1 (+ dist)" test "$(rpm -qp --qf '%{RELEASE}' "$RPMF" 2>/dev/null)" = "1$(rpm --eval '%{?dist}')"
rpm2cpio "$SRPM" | (mkdir -p "$T/srpm" && cd "$T/srpm" && cpio -idm --quiet)
check "the SRPM's spec carries Version: $VERSION (no --define needed to rebuild it)" \
    grep -qxE "Version:[[:space:]]+$VERSION" "$T/srpm/vfio-variant.spec"
check "the SRPM's spec has a %changelog entry for $VERSION-1 from debian/changelog" \
    grep -qE "^\* .* - $VERSION-1\$" "$T/srpm/vfio-variant.spec"
check "the repo's spec has no version of its own" \
    test "$(grep -c "^Version:[[:space:]]*%{vv_version}\$" rpm/vfio-variant.spec)" = 1
check "the SRPM carries the kmod source and the posttrans script" \
    test -f "$T/srpm/kmod-34.2.tar.xz" -a -f "$T/srpm/vfio-variant-posttrans.sh"

# --- 4. contents ----------------------------------------------------------------
rpm -qpl "$RPMF" 2>/dev/null >"$T/qpl"
echo "rpm -qpl $(basename "$RPMF"):"
sed 's/^/    /' "$T/qpl"
grep -v '^/usr/lib/\.build-id' "$T/qpl" | LC_ALL=C sort >"$T/qpl.got"
LC_ALL=C sort >"$T/qpl.want" <<'EOF'
/etc/vfio-variant.conf
/usr/lib/dracut
/usr/lib/dracut/modules.d
/usr/lib/dracut/modules.d/50vfio-variant
/usr/lib/dracut/modules.d/50vfio-variant/module-setup.sh
/usr/lib/dracut/modules.d/50vfio-variant/vfio-variant-hook.sh
/usr/lib/dracut/modules.d/50vfio-variant/vfio-variant-initrd.service
/usr/lib/systemd/system/vfio-variant.service
/usr/lib/udev/rules.d/90-vfio-variant.rules
/usr/sbin/vfio-variant
/usr/share/doc/vfio-variant
/usr/share/doc/vfio-variant/README.md
/usr/share/doc/vfio-variant/vfio-variant.conf.example
/usr/share/licenses/vfio-variant
/usr/share/licenses/vfio-variant/COPYING
/usr/share/licenses/vfio-variant/libkmod-COPYING
/usr/share/licenses/vfio-variant/musl-COPYRIGHT
/usr/share/man/man5/vfio-variant.conf.5.gz
/usr/share/man/man8/vfio-variant.8.gz
EOF
if diff -u "$T/qpl.want" "$T/qpl.got" >"$T/qpl.diff"; then
    pass "rpm -qpl: exactly the expected $(wc -l <"$T/qpl.want") paths (+ the binary's build-id link)"
else
    fail "rpm -qpl differs: $(grep '^[-+]/' "$T/qpl.diff" | tr '\n' ' ')"
fi
check "rpm -qpl: the binary's build-id link" test "$(grep -c '^/usr/lib/\.build-id/../.' "$T/qpl")" = 1
check "no mkinitcpio, initramfs-tools or 90vfio-variant file" \
    test "$(grep -cE 'initcpio|initramfs-tools|90vfio-variant' "$T/qpl")" = 0
rpm -qp --provides "$RPMF" 2>/dev/null >"$T/provides"
check "Provides: bundled(libkmod) = 34.2" has "bundled(libkmod) = 34.2" "$T/provides"
check "Provides: bundled(musl) = the build's musl ($(grep 'bundled(musl)' "$T/provides"))" \
    grep -qxE 'bundled\(musl\) = [0-9][0-9a-z.]*' "$T/provides"
check "the only config file is /etc/vfio-variant.conf" \
    test "$(rpm -qpc "$RPMF" 2>/dev/null)" = /etc/vfio-variant.conf
check "/etc/vfio-variant.conf is %config(noreplace)" \
    test "$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$RPMF" 2>/dev/null | sed -n 's| /etc/vfio-variant.conf$||p')" = cn
check "licence files are %license (COPYING, libkmod's, musl's)" \
    test "$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$RPMF" 2>/dev/null | grep -c '^l /usr/share/licenses/vfio-variant/')" = 3
check "License names the project, libkmod and musl" \
    test "$(rpm -qp --qf '%{LICENSE}' "$RPMF" 2>/dev/null)" = "GPL-2.0-or-later AND LGPL-2.1-or-later AND MIT"
rpm -qp --scripts "$RPMF" 2>/dev/null >"$T/scripts"
check "scriptlets: %post, %preun, %postun and %posttrans present" \
    test "$(grep -cE '^(postinstall|preuninstall|postuninstall|posttrans) scriptlet' "$T/scripts")" = 4
check "scriptlets never enable, start or restart a unit" \
    test "$(grep -cE 'systemctl[^|;]*(enable|start|restart|try-restart)' "$T/scripts")" = 0
rpm -qp --qf '%{POSTTRANS}\n' "$RPMF" 2>/dev/null >"$T/posttrans"
check "%posttrans is rpm/vfio-variant-posttrans.sh, unchanged" diff -q "$T/posttrans" rpm/vfio-variant-posttrans.sh

# --- 5. install into a scratch root vs make install ---------------------------------
R=$T/root
mkdir -p "$R"
rc=0
rpm --root "$R" --dbpath /var/lib/rpm --initdb >"$T/initdb.out" 2>&1 &&
    rpm -i --nodeps --noscripts --force-debian --root "$R" --dbpath /var/lib/rpm "$RPMF" >"$T/install.out" 2>&1 || rc=$?
check "rpm -i --nodeps --noscripts --force-debian --root SCRATCH exits 0" test "$rc" = 0
check "rpm -q --root SCRATCH knows vfio-variant-$VERSION-1" \
    test "$(rpm -q --root "$R" --dbpath /var/lib/rpm --qf '%{VERSION}-%{RELEASE}' vfio-variant 2>/dev/null)" = "$VERSION-1$(rpm --eval '%{?dist}')"
check "installed binary runs: --version says $VERSION" \
    grep -q "^vfio-variant $VERSION (" <<<"$("$R/usr/sbin/vfio-variant" --version 2>&1)"

# listing DIR: "MODE PATH" of every file and symlink under DIR
listing() { (cd "$1" && find . \( -type f -o -type l \) -printf '%m %P\n' | LC_ALL=C sort); }

MK=(make --no-print-directory)
[[ -x build/vfio-variant ]] && MK+=(-o build/vfio-variant)
D=$T/destdir
if ! "${MK[@]}" install DESTDIR="$D" >"$T/mkinstall.out" 2>&1; then
    fail "make install DESTDIR=... failed: $(tail -n 5 "$T/mkinstall.out")"
fi
# what make install lays out for a dracut system: without the mkinitcpio and
# initramfs-tools files and the unit only mkinitcpio's systemd hook takes
# from the unit directory; man pages as rpm compresses them
listing "$D" | grep -vE ' (usr/lib/initcpio/|usr/share/initramfs-tools/|usr/lib/systemd/system/vfio-variant-initrd\.service$)' |
    sed -E 's|^(.* usr/share/man/man./.*)$|\1.gz|' >"$T/want"
listing "$R" | grep -vE ' (var/|usr/lib/sysimage/|usr/lib/\.build-id/|usr/share/licenses/vfio-variant/|usr/share/doc/vfio-variant/README\.md$)' >"$T/got"
if diff -u "$T/want" "$T/got" >"$T/root.diff"; then
    pass "scratch root: the same $(wc -l <"$T/want") files and modes as make install lays out for dracut"
else
    fail "scratch root differs from make install: $(grep '^[-+][0-9]' "$T/root.diff" | tr '\n' ' ')"
fi
same=1
while read -r _ p; do
    case $p in
    usr/sbin/vfio-variant) ;; # built twice (here, in rpmbuild): --version above
    usr/share/man/*) cmp -s "$D/${p%.gz}" <(zcat "$R/$p") || { same=0; echo "differs: $p"; } ;;
    *) cmp -s "$D/$p" "$R/$p" || { same=0; echo "differs: $p"; } ;;
    esac
done <"$T/got"
check "scratch root: every file has make install's contents (man pages uncompressed)" test "$same" = 1
check "scratch root: licences COPYING, libkmod-COPYING, musl-COPYRIGHT" \
    test -s "$R/usr/share/licenses/vfio-variant/COPYING" -a -s "$R/usr/share/licenses/vfio-variant/libkmod-COPYING" \
    -a -s "$R/usr/share/licenses/vfio-variant/musl-COPYRIGHT"
check "scratch root: COPYING is the project's" cmp -s COPYING "$R/usr/share/licenses/vfio-variant/COPYING"
check "scratch root: the host unit is installed, not enabled (no link under /etc/systemd)" \
    test -z "$(find "$R/etc" -path '*systemd*' -name 'vfio-variant*' 2>/dev/null)"

check_exit "rpm"
