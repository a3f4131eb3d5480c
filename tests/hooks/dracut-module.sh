#!/bin/bash
# tests/hooks/dracut-module.sh — dracut-module/90vfio-variant/module-setup.sh
# against stand-ins for dracut's module API (check/depends/installkernel/
# install contract, instmods, inst_binary, inst_multiple, inst_hook,
# require_binaries), recording every call. The hostonly path runs the real
# binary's `plan --json` on a fake host (tests/tree/lib.sh fixtures).
# The real dracut build and boot is tests/vm/dracut.sh.
# Prints PASS/FAIL lines; exits 1 on any failure.
# shellcheck disable=SC2317  # the API functions are called by module-setup.sh
set -u

REPO=$(cd "$(dirname "$0")/../.." && pwd)
MODSETUP=$REPO/dracut-module/90vfio-variant/module-setup.sh
HOOK=$REPO/dracut-module/90vfio-variant/vfio-variant-hook.sh
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
# A variant outside drivers/vfio/pci (as DKMS puts them): only its
# vfio_pci: alias tells it is one.
echo 'alias vfio_pci:v0000ACMEd*sv*sd*bc*sc*i* acme_vfio_pci' >>"$HOST/lib/modules/$KVER/modules.alias"

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
require_binaries() {
    local b
    for b in "$@"; do
        [[ -x $b ]] || {
            rec "require_binaries missing $b"
            return 1
        }
    done
}

# run_module HOSTONLY BINARY FUNCTION: one dracut call, in a fresh shell.
run_module() {
    (
        hostonly=$1
        export VFIO_VARIANT_BIN=$2
        kernel=$KVER
        srcmods=$HOST/lib/modules/$KVER/
        moddir=/modules.d/90vfio-variant
        # shellcheck source=dracut-module/90vfio-variant/module-setup.sh
        . "$MODSETUP"
        "$3"
    )
}

# check(): 255 (only when asked for) with the binary, 1 without.
REC=$T/rec-check
: >"$REC"
run_module "" "$WRAP" check
check "check() returns 255 (only via -a/add_dracutmodules)" test $? = 255
run_module "" "$T/nonexistent" check
check "check() returns 1 when the binary is missing" test $? = 1
check "check() names the missing binary" has "require_binaries missing $T/nonexistent" "$REC"

out=$(run_module "" "$WRAP" depends)
check "depends() returns 0" test $? = 0
check "depends() names no module" test -z "$out"

# install()
REC=$T/rec-install
: >"$REC"
run_module "" "$WRAP" install
check "install: binary to /usr/sbin/vfio-variant" has "inst_binary $WRAP /usr/sbin/vfio-variant" "$REC"
check "install: config files, optional" \
    grep -qxE 'inst_multiple -o /etc/vfio-variant.conf /etc/vfio-variant.d/.*' "$REC"
check "install: pre-udev hook at priority 00" \
    has "inst_hook pre-udev 00 /modules.d/90vfio-variant/vfio-variant-hook.sh" "$REC"
check "install: the udev rule for devices appearing in the initramfs" \
    has "inst_rules 90-vfio-variant.rules" "$REC"
check "hook runs 'vfio-variant bind' by absolute path" \
    grep -qx '/usr/sbin/vfio-variant bind' "$HOOK"

# installkernel(), not hostonly: every variant.
REC=$T/rec-generic
: >"$REC"
run_module "" "$WRAP" installkernel
check "installkernel: vfio vfio_pci vfio_iommu_type1" \
    has "instmods hostonly= vfio vfio_pci vfio_iommu_type1" "$REC"
check "installkernel (generic): =drivers/vfio/pci" has "instmods hostonly= =drivers/vfio/pci" "$REC"
check "installkernel (generic): every vfio_pci: alias module (in-tree and DKMS)" \
    grep -qE '^instmods hostonly= .*\bacme_vfio_pci\b.*\bmlx5_vfio_pci\b.*\bvirtio_vfio_pci\b' "$REC"

# installkernel(), hostonly: what the binary plans for this host.
REC=$T/rec-hostonly
: >"$REC"
run_module "-h" "$WRAP" installkernel
check "installkernel (hostonly): core modules with hostonly cleared" \
    has "instmods hostonly= vfio vfio_pci vfio_iommu_type1" "$REC"
check "installkernel (hostonly): the planned modules only (vfio_pci virtio_vfio_pci)" \
    has "instmods hostonly= vfio_pci virtio_vfio_pci" "$REC"
check "installkernel (hostonly): not the whole variant dir" \
    test "$(grep -c 'drivers/vfio/pci\|mlx5_vfio_pci' "$REC")" = 0
check "installkernel: hostonly never reaches instmods" \
    test "$(grep -c '^instmods hostonly=[^ ]' "$T"/rec-generic "$T"/rec-hostonly | awk -F: '{s+=$2} END {print s}')" = 0

# hostonly with nothing listed at build time (rules may come with the next
# boot's command line): every variant.
: >"$HOST/proc/cmdline"
REC=$T/rec-hostonly-empty
: >"$REC"
run_module "-h" "$WRAP" installkernel
check "installkernel (hostonly, nothing listed): falls back to every variant" \
    has "instmods hostonly= =drivers/vfio/pci" "$REC"

# The plan --json parsing survives "module" keys inside candidates.
check "plan parsing: one module per listed device, none from candidates" \
    test "$(
        printf 'vfio_variant.ids=1af4:1041\n' >"$HOST/proc/cmdline"
        run_module "-h" "$WRAP" vfio_variant_planned_modules | tr '\n' ' '
    )" = "virtio_vfio_pci "

check_exit "dracut module"
