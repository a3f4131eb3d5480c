#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A burst of SR-IOV VFs through udev in a real kernel: Debian 6.12 in QEMU
# (TCG, q35 + intel-iommu), a real dracut 059 image (shell flavour: udevd
# with the project's 90-vfio-variant.rules), QEMU 7.2's SR-IOV nvme PF
# (1b36:0010) at 00:0a.0 with 32 VFs (1b36:0010 too), which land at
# 00:0a.1 .. 00:0e.0 (offset 1, stride 1, no ARI: those slots are free).
# The command line lists the 32 VF addresses (rd.vfio_variant.devices=; not
# ids=, which would take the PF too, and the PF must stay on nvme to make
# VFs). After udev's coldplug the settled hook (tests/vm/guest/sriov-init.sh)
# writes 32 to sriov_numvfs: the kernel adds 32 devices at once and udevd
# (rd.udev.children_max=64, so nothing waits for a free worker) runs 32
# `vfio-variant bind --device` side by side, all needing vfio_pci, which
# nobody has loaded yet. Asserted from the guest's lines: every listed VF
# on vfio-pci with its /dev/vfio node, `vfio-variant status --json` exits 0,
# quietly, and has a "bound" record on vfio-pci for each one (no lost or
# half-written record), the binary's kmsg has each bind, the PF stays on
# nvme, more than one binder ran at once. Prints PASS/FAIL lines.
#   tests/vm/test_vfburst.sh        (VV_BIN: the binary; logs in .cache/vm/work/vfburst)
set -uo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sriov-lib.sh
. "$VM_DIR/sriov-lib.sh"

BIN=${VV_BIN:-$VM_REPO/build/vfio-variant}
W=$VM_CACHE/work/vfburst
T0=$SECONDS
SRIOV_TAG=vfburst
N=32
PF=0000:00:0a.0
V='1b36:0010'
sriov_nvme 0xa "$N"
mapfile -t VFS < <(sriov_vfs "$PF" "$N")
DEVICES=$(
    IFS=,
    echo "${VFS[*]}"
)

[[ -x $BIN ]] || make -C "$VM_REPO" -s all >/dev/null || {
    ko "build"
    exit 1
}
vm_kernel 6.12 || {
    ko "kernel 6.12 fetch/build"
    exit 1
}
if ! command -v dracut >/dev/null; then
    ko "dracut not installed (apt-get install dracut-core)"
    exit 1
fi
rm -rf "$W"
mkdir -p "$W"
D=$W/dracut
sriov_dracut_tree "$D"
sriov_dracut_build "$D" shell || exit 1

# each NAME ERE: for every VF, ERE with @ replaced by its address (dots
# escaped) matches some line of $L.vm: one PASS "(32/32)", or a FAIL naming
# the VFs that have none.
each() {
    local b re miss=() n=0
    for b in "${VFS[@]}"; do
        re=${2//@/${b//./\\.}}
        if grep -Eq -- "$re" "$L.vm"; then n=$((n + 1)); else miss+=("$b"); fi
    done
    if ((${#miss[@]} == 0)); then ok "$1 ($n/$N)"; else
        ko "$1 ($n/$N; none for: ${miss[*]})"
    fi
}

sriov_vm_boot burst "$D/shell.img" "quiet root=/dev/vvtest-none rd.shell=0 rd.udev.children_max=64 vvsriov.pf=$PF vvsriov.numvfs=$N rd.vfio_variant.devices=$DEVICES" 300
has "pre-udev: the binder found no listed device (no VFs yet)" '^kmsg no listed device is present$'
has "coldplug put the PF on nvme, $N VFs possible, none yet" \
    "^udev-before pf $PF $V drv=nvme numvfs=0 totalvfs=$N autoprobe=1\$"
has "precondition: vfio_pci not loaded before the burst (the 32 runs race to load it)" '^udev-before vfio_pci=absent$'
has "sriov_numvfs=$N written" '^udev numvfs-write rc=0 '
has "udev settled after the burst" '^udev settle rc=0 '
has "$N VFs created at the expected addresses" "^udev vf-count vfs=$N "
each "every listed VF on vfio-pci, override set, its PF the nvme" \
    "^udev vf [0-9]+ @ $V drv=vfio-pci override=vfio-pci physfn=$PF group=[0-9]+\$"
# the VF's own group number, then its node
miss=() n=0
for b in "${VFS[@]}"; do
    g=$(sed -n "s/^udev vf [0-9]* ${b//./\\.} .* group=\([0-9]*\)\$/\1/p" "$L.vm")
    if [[ -n $g ]] && grep -qx "udev vfio-node $g" "$L.vm"; then n=$((n + 1)); else miss+=("$b"); fi
done
if ((${#miss[@]} == 0)); then ok "every listed VF has its /dev/vfio/GROUP node ($n/$N)"; else
    ko "every listed VF has its /dev/vfio/GROUP node ($n/$N; none for: ${miss[*]})"
fi
has "guest's count: $N VFs, $N on vfio-pci, $N /dev/vfio nodes" \
    "^udev vf-count vfs=$N vfio-pci=$N vfio-nodes=$N\$"
has "the PF stayed on nvme with its $N VFs" "^udev pf $PF $V drv=nvme numvfs=$N totalvfs=$N "
hasnt "the PF was not claimed" "^udev-kmsg $PF "
has "more than one vfio-variant ran at once (udev's burst)" '^udev burst max-concurrent=([2-9]|[1-9][0-9]+)$'
# each run: one "bound" line for its VF, one "done" line
KBOUND="^udev-kmsg @ \\[$V\\]: bound to vfio-pci \\(module vfio_pci, was (nvme|unbound)\\)"
KDONE='^udev-kmsg done in [0-9]+ ms: 1 bound, 0 unchanged, 0 held, 0 refused, 0 failed, '
each "the binary's kmsg: each VF bound to vfio-pci by the rule" "$KBOUND"
n=$(grep -cE -- "$KDONE" "$L.vm")
if ((n == N)); then ok "the binary's kmsg: $N runs each ended \"1 bound, ... 0 failed\""; else
    ko "the binary's kmsg: $N runs each ended \"1 bound, ... 0 failed\" (seen: $n)"
fi
# and nothing else: e.g. the old shared state file's "cannot write
# /run/vfio-variant/state.json" when two runs raced for its temp file
other=$(grep '^udev-kmsg ' "$L.vm" | grep -vE -- "${KBOUND//@/0000:00:0[a-e]\.[0-7]}" | grep -vE -- "$KDONE")
if [[ -z $other ]]; then ok "the binary's kmsg: no other line (no warning, no error)"; else
    ko "the binary's kmsg: no other line (no warning, no error)"
    sort <<<"$other" | uniq -c | sed 's/^/    /'
fi
has "status --json exits 0" '^udev json rc=0 '
has "status --json says nothing on stderr (every record read back whole)" '^udev json rc=[0-9]+ .* errlines=0$'
hasnt "status --json: no warning line" '^udev-json-err '
each "status --json: a \"bound\" record for each VF" \
    '^udev-json \{"bdf": "@".*"driver": "vfio-pci".*"result": "bound"'
has "guest's count: status --json has a bound vfio-pci record for all $N VFs" \
    "^udev json rc=0 records=[0-9]+ vfs-bound=$N errlines=0\$"
hasnt "guest's check: no VF without its record" '^udev-json-notbound '
clean "burst" '^END$'

# the figures, for the report
grep -E '^udev (numvfs-write|settle|burst|json|state-files|vf-count)' "$L.vm" | sed 's/^/    guest: /'
echo "vfburst: $((SECONDS - T0)) s wall; logs in $W"
check_exit vfburst
