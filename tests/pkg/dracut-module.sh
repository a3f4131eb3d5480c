#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pkg/dracut-module.sh — dracut-module/50vfio-variant/module-setup.sh
# against stand-ins for dracut's module API (check/depends/installkernel/
# install contract, instmods, inst_binary, inst_multiple, inst_hook,
# require_binaries), recording every call. The hostonly path runs the real
# binary's `plan --json` on a fake host (tests/tree/lib.sh fixtures).
# The real dracut build and boot is tests/vm/test_dracut.sh.
# Prints PASS/FAIL lines; exits 1 on any failure.
# shellcheck disable=SC2317  # the API functions are called by module-setup.sh
# shellcheck disable=SC2030,SC2031  # each dracut call runs in its own subshell, on purpose
set -u

REPO=$(cd "$(dirname "$0")/../.." && pwd)
MODSETUP=$REPO/dracut-module/50vfio-variant/module-setup.sh
HOOK=$REPO/dracut-module/50vfio-variant/vfio-variant-hook.sh
BIN=${VV_BIN:-$REPO/build/vfio-variant}
T=$(mktemp -d "${TMPDIR:-/tmp}/vv-dracut-module.XXXXXX")
trap 'rm -rf "$T"' EXIT

export CHECK_PREFIX="dracut module: "
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"

if [[ ! -x $BIN ]]; then
    fail "no binary $BIN (run make)"
    exit 1
fi

# shellcheck source=tests/tree/lib.sh
. "$REPO/tests/tree/lib.sh"

# A fake host: virtio-net 1af4:1041 (its variant virtio_vfio_pci exists) and
# an NVMe 1b36:0010 (no variant: vfio_pci), both listed on the command line,
# and an unlisted e1000e.
KVER=6.12.0-dracuttest
HOST=$T/host
mk_kernel "$HOST" "$KVER" "vfio_variant.ids=1af4:1041,1b36:0010" >/dev/null
mk_modules "$HOST" "$KVER" >/dev/null || {
    fail "fixture: mk_modules"
    exit 1
}
mk_pci "$HOST" 0000:00:08.0 1af4 1041 0x020000 group=1 >/dev/null
mk_pci "$HOST" 0000:00:06.0 1b36 0010 0x010802 group=2 >/dev/null
mk_pci "$HOST" 0000:00:07.0 8086 10d3 0x020000 group=3 >/dev/null
# A DKMS-style variant under updates/ whose name does not say vfio_pci:
# only its vfio_pci: alias tells it is one.
mk_acme() { # mk_acme ROOT KVER: updates/acme-passthru.ko, depmod
    local dir=$1/lib/modules/$2/updates src=$T/acme.c
    mkdir -p "$dir" "$T/depmod.d"
    printf '%s\n' '__attribute__((section(".modinfo"), used)) static const char m[] =' \
        '"alias=vfio_pci:v0000ACEDd00000001sv*sd*bc*sc*i*\0name=acme_passthru\0license=GPL\0depends=\0";' >"$src"
    gcc -c -o "$dir/acme-passthru.ko" "$src" && depmod -b "$1" -C "$T/depmod.d" "$2"
}
mk_acme "$HOST" "$KVER" || fail "fixture: acme-passthru.ko"

# The binary as module-setup.sh sees it: the real one, on the fake host.
WRAP=$T/vfio-variant
printf '#!/bin/sh\nexec "%s" --root "%s" "$@"\n' "$BIN" "$HOST" >"$WRAP"
chmod 755 "$WRAP"

# --- dracut's API, recording --------------------------------------------------
rec() { printf '%s\n' "$*" >>"$REC"; }
instmods() { rec "instmods hostonly=${hostonly:-} $*"; }
inst_binary() { rec "inst_binary $*"; }
inst_multiple() { rec "inst_multiple $*"; }
inst_hook() { rec "inst_hook $*"; }
inst_rules() { rec "inst_rules $*"; }
inst_simple() { rec "inst_simple $*"; }
dwarn() { rec "dwarn $*"; }
derror() { rec "derror $*"; }
dfatal() { rec "dfatal $*"; }
ln_r() { rec "ln_r $*"; }
# DRACUT_MODS: the modules in the image (dracut_module_included).
dracut_module_included() { [[ " ${DRACUT_MODS:-} " == *" $1 "* ]]; }

# run_module HOSTONLY BINARY FUNCTION: one dracut call, in a fresh shell.
run_module() {
    (
        hostonly=$1
        export VFIO_VARIANT_BIN=$2
        srcmods=$HOST/lib/modules/$KVER/
        moddir=${MODDIR:-$REPO/dracut-module/50vfio-variant}
        initdir=$T/initdir
        systemdsystemunitdir=/usr/lib/systemd/system
        # shellcheck source=dracut-module/50vfio-variant/module-setup.sh
        . "$MODSETUP"
        "$3"
        local st=$?
        # AS_DRACUT=1: go on as dracut's module_install does, whatever
        # install() returned (only an exit stops dracut)
        if [[ ${AS_DRACUT:-} == 1 ]]; then
            rec "dracut went on"
        fi
        return $st
    )
}

# check(): 255 (only when asked for) with the binary, 1 without.
REC=$T/rec-check
: >"$REC"
run_module "" "$WRAP" check
check "check() returns 255 (only via -a/add_dracutmodules)" test $? = 255
run_module "" "$T/nonexistent" check
check "check() returns 1 when the binary is missing" test $? = 1
check "check() says where it looked" has "dwarn vfio-variant: no vfio-variant binary; looked at VFIO_VARIANT_BIN=$T/nonexistent (not an executable)" "$REC"

out=$(run_module "" "$WRAP" depends)
check "depends() returns 0" test $? = 0
check "depends() names no module" test -z "$out"

# install(), shell flavour: the cmdline 00 hook, no unit.
REC=$T/rec-install
: >"$REC"
DRACUT_MODS="base kernel-modules vfio-variant" run_module "" "$WRAP" install
check "install: binary to /usr/sbin/vfio-variant" has "inst_binary $WRAP /usr/sbin/vfio-variant" "$REC"
check "install: config files, optional" \
    grep -qxE 'inst_multiple -o /etc/vfio-variant.conf /etc/vfio-variant.d/.*' "$REC"
check "install (shell): cmdline hook at priority 00 (before parse-kernel.sh's cmdline 01, rd.driver.pre=: 90kernel-modules on dracut 059, 80base on dracut-ng)" \
    has "inst_hook cmdline 00 $REPO/dracut-module/50vfio-variant/vfio-variant-hook.sh" "$REC"
check "install (shell): only that hook, no pre-udev hook" test "$(grep -c '^inst_hook ' "$REC")" = 1
check "install (shell): no unit" test "$(grep -c 'vfio-variant-initrd.service' "$REC")" = 0
check "install: the udev rule for devices appearing in the initramfs" \
    has "inst_rules 90-vfio-variant.rules" "$REC"
check "hook runs 'vfio-variant bind' by absolute path" \
    grep -qx '/usr/sbin/vfio-variant bind' "$HOOK"

# install(), systemd flavour: the unit (from the module dir, as make install
# and the package put it there), enabled in sysinit.target.wants, no hook.
MD=$T/moddir
mkdir -p "$MD"
cp "$REPO/dracut-module/50vfio-variant/"* "$MD/"
cp "$REPO/config/vfio-variant-initrd.service" "$MD/"
REC=$T/rec-install-systemd
: >"$REC"
MODDIR=$MD DRACUT_MODS="base systemd systemd-initrd dracut-systemd vfio-variant" run_module "" "$WRAP" install
check "install (systemd): exits 0" test $? = 0
check "install (systemd): unit from the module dir" \
    has "inst_simple $MD/vfio-variant-initrd.service /usr/lib/systemd/system/vfio-variant-initrd.service" "$REC"
check "install (systemd): unit wanted by sysinit.target" \
    has "ln_r /usr/lib/systemd/system/vfio-variant-initrd.service /usr/lib/systemd/system/sysinit.target.wants/vfio-variant-initrd.service" "$REC"
check "install (systemd): no hook (the binder runs once, from the unit)" test "$(grep -c '^inst_hook ' "$REC")" = 0
check "install (systemd): binary at the unit's ExecStart path" \
    test "$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$MD/vfio-variant-initrd.service")" = /usr/sbin/vfio-variant

# systemd flavour with no unit anywhere: a loud error, install() fails.
MD2=$T/moddir-nounit
mkdir -p "$MD2"
cp "$REPO/dracut-module/50vfio-variant/"* "$MD2/"
REC=$T/rec-install-nounit
: >"$REC"
# as dracut calls it: module_install ignores install()'s status and goes on
AS_DRACUT=1 MODDIR=$MD2 DRACUT_MODS="base systemd vfio-variant" run_module "" "$WRAP" install
check "install (systemd, no unit anywhere): fails" test $? = 1
check "install (systemd, no unit anywhere): dfatal names where it looked" \
    grep -qE "^dfatal vfio-variant: vfio-variant-initrd.service not found \(looked at $MD2 and /usr/lib/systemd/system\)" "$REC"
check "install (systemd, no unit anywhere): dracut stops (no image without a binder)" \
    test "$(grep -c 'dracut went on' "$REC")" = 0

# the pre-flight: a listed NVMe of this host, on nvme, holds / (dm-0 on
# its partition): the build stops, the binary names it; opt-out builds it
ROOTDISK() {
    local rel b
    mk_pci "$HOST" 0000:00:06.0 1b36 0010 0x010802 group=2 driver=nvme >/dev/null
    rel=$(_mkp_devrel 0000:00:06.0)
    b=$HOST/sys/$rel/nvme/nvme0/nvme0n1
    mkdir -p "$b/nvme0n1p1" "$HOST/sys/block" "$HOST/proc/self"
    echo 259:0 >"$b/dev"
    echo 259:1 >"$b/nvme0n1p1/dev"
    ln -sfn "../$rel/nvme/nvme0/nvme0n1" "$HOST/sys/block/nvme0n1"
    echo "21 1 259:1 / / rw - ext4 /dev/nvme0n1p1 rw" >"$HOST/proc/self/mountinfo"
}
ROOTDISK
REC=$T/rec-preflight
: >"$REC"
AS_DRACUT=1 DRACUT_MODS="base vfio-variant" run_module "" "$WRAP" install 2>"$T/preflight.err"
check "pre-flight: the root disk listed: the build stops" test "$(grep -c 'dracut went on' "$REC")" = 0
check "pre-flight: dfatal says why and how to opt out" grep -q "^dfatal vfio-variant: pre-flight failed: .*VFIO_VARIANT_PREFLIGHT=off" "$REC"
check "pre-flight: the binary names the device and the root filesystem" \
    grep -q "pre-flight: 0000:00:06.0 \[1b36:0010\] is listed .*it holds the root filesystem (/dev/nvme0n1p1): that boot cannot mount its root filesystem" "$T/preflight.err"
REC=$T/rec-preflight-off
: >"$REC"
VFIO_VARIANT_PREFLIGHT=off AS_DRACUT=1 DRACUT_MODS="base vfio-variant" run_module "" "$WRAP" install
check "pre-flight opt-out (VFIO_VARIANT_PREFLIGHT=off): built" has "dracut went on" "$REC"
check "pre-flight opt-out: binary installed" has "inst_binary $WRAP /usr/sbin/vfio-variant" "$REC"
rm -rf "$HOST/sys/block" "$HOST/proc/self"

# The binary found on PATH when it is not at the default paths; where it
# looked when it is nowhere.
PB=$T/pathbin
mkdir -p "$PB"
cp "$WRAP" "$PB/vfio-variant"
if [[ ! -e /usr/sbin/vfio-variant && ! -e /usr/bin/vfio-variant ]]; then
    REC=$T/rec-path
    : >"$REC"
    (
        unset VFIO_VARIANT_BIN
        # shellcheck disable=SC2034 # read by the sourced module-setup.sh
        hostonly='' moddir=$MD initdir=$T/initdir systemdsystemunitdir=/usr/lib/systemd/system
        PATH=$PB:$PATH
        # shellcheck source=dracut-module/50vfio-variant/module-setup.sh
        . "$MODSETUP"
        check; echo "check=$?" >>"$REC"
        install
    )
    check "PATH: check() finds vfio-variant on PATH (255)" has "check=255" "$REC"
    check "PATH: install() installs the PATH one" has "inst_binary $PB/vfio-variant /usr/sbin/vfio-variant" "$REC"
    REC=$T/rec-nowhere
    : >"$REC"
    (
        unset VFIO_VARIANT_BIN
        # shellcheck disable=SC2034 # read by the sourced module-setup.sh
        hostonly='' moddir=$MD initdir=$T/initdir
        # shellcheck disable=SC2123  # an empty search path, on purpose
        PATH=/nonexistent-dir
        # shellcheck source=dracut-module/50vfio-variant/module-setup.sh
        . "$MODSETUP"
        check; echo "check=$?" >>"$REC"
        install; echo "install=$?" >>"$REC"
    )
    check "nowhere: check() returns 1, install() fails" test "$(grep -cxE 'check=1|install=1' "$REC")" = 2
    check "nowhere: says where it looked" \
        has "derror vfio-variant: no vfio-variant binary; looked at /usr/sbin/vfio-variant, /usr/bin/vfio-variant and PATH=/nonexistent-dir" "$REC"
    check "nowhere: nothing installed" test "$(grep -cE '^(inst_|instmods )' "$REC")" = 0
else
    skip "PATH lookup (a vfio-variant is installed at /usr/sbin or /usr/bin on this host)"
fi

# installkernel(), not hostonly: every variant, as `vfio-variant modules
# --all` names them.
REC=$T/rec-generic
: >"$REC"
run_module "" "$WRAP" installkernel
check "installkernel (generic): one instmods, hostonly cleared" test "$(grep -c '^instmods hostonly= ' "$REC")" = 1
check "installkernel (generic): exactly 'vfio-variant modules --all --moddir SRCMODS'" \
    has "instmods hostonly= $(tr '\n' ' ' < <("$WRAP" modules --all --moddir "$HOST/lib/modules/$KVER") | sed 's/ $//')" "$REC"
for m in vfio vfio_pci vfio_iommu_type1 vfio_pci_core mlx5_vfio_pci virtio_vfio_pci acme_passthru; do
    check "installkernel (generic): $m" grep -qE "^instmods hostonly= (.* )?$m( |\$)" "$REC"
done
check "installkernel (generic): the DKMS-style updates/acme-passthru (alias only, name says nothing)" \
    grep -qE '^instmods .*\bacme_passthru\b' "$REC"
check "installkernel (generic): no unlisted native (nvme, e1000e)" \
    test "$(grep -cE '^instmods .*\b(nvme|e1000e)\b' "$REC")" = 0

# installkernel(), hostonly: what the binary plans for this host.
REC=$T/rec-hostonly
: >"$REC"
run_module "-h" "$WRAP" installkernel
check "installkernel (hostonly): exactly 'vfio-variant modules --moddir SRCMODS' (planned)" \
    has "instmods hostonly= $(tr '\n' ' ' < <("$WRAP" modules --moddir "$HOST/lib/modules/$KVER") | sed 's/ $//')" "$REC"
check "installkernel (hostonly): the planned variant virtio_vfio_pci and the core" \
    grep -qE '^instmods hostonly= .*\bvfio_iommu_type1\b.*\bvirtio_vfio_pci\b' "$REC"
check "installkernel (hostonly): not the variants of unlisted devices (mlx5_vfio_pci, acme_passthru)" \
    test "$(grep -cE 'mlx5_vfio_pci|acme_passthru' "$REC")" = 0
check "installkernel: hostonly never reaches instmods" \
    test "$(grep -c '^instmods hostonly=[^ ]' "$T"/rec-generic "$T"/rec-hostonly | awk -F: '{s+=$2} END {print s}')" = 0

# hostonly with nothing listed at build time (rules may come with the next
# boot's command line): every variant.
: >"$HOST/proc/cmdline"
REC=$T/rec-hostonly-empty
: >"$REC"
run_module "-h" "$WRAP" installkernel
check "installkernel (hostonly, nothing listed): falls back to every variant (acme_passthru too)" \
    grep -qE '^instmods hostonly= .*\bacme_passthru\b' "$REC"

# no module tree: a loud error, installkernel fails.
REC=$T/rec-nomods
: >"$REC"
(
    # shellcheck disable=SC2034 # read by the sourced module-setup.sh
    hostonly='' srcmods=$T/no-such-tree moddir=$REPO/dracut-module/50vfio-variant
    export VFIO_VARIANT_BIN=$WRAP
    # shellcheck source=dracut-module/50vfio-variant/module-setup.sh
    . "$MODSETUP"
    installkernel
    echo "installkernel=$?" >>"$REC"
)
check "installkernel (no module tree): fails with a derror naming the command" \
    grep -qE "^derror vfio-variant: '.*modules --all --moddir $T/no-such-tree' failed" "$REC"
check "installkernel (no module tree): returns 1" has "installkernel=1" "$REC"

check_exit "dracut module"
