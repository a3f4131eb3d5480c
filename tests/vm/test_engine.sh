#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bind engine in a real kernel: Debian 6.12 in QEMU (TCG, -smp 1, q35 +
# intel-iommu), QEMU NVMe devices and working out-of-tree VFIO variants for
# them whose probes sleep (tests/vm/modules/engine: msleep, uninterruptible,
# like a real slow or stuck probe). Two boots:
#   many      12 listed NVMe: 4 on vve_slow (3 s probe, MODULE_SOFTDEP("pre:
#             nvme"): libkmod loads nvme first, as mlx5_core before
#             mlx5_vfio_pci), 8 on vfio-pci. Hold first: nvme finds every
#             device held ("was unbound", no "nvme nvmeN: pci function"
#             line); probes in parallel (bind < half the sum of the probes);
#             every line and the summary in dmesg (kmsg's per-file limit).
#   deadline  vfio_variant.timeout=5: vve_hang (probe sleeps 10 min),
#             vve_late (ends ~15 s after the deadline), one on vfio-pci.
#             bind returns within timeout + 5 s, the devices stay held, nvme
#             loaded afterwards takes neither, the records say probing, then
#             the late one's final record appears in status.
# Prints PASS/FAIL lines and the figures the closing note quotes.
set -uo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN=${VV_VM_BIN:-$VM_REPO/build/vfio-variant}
W=$VM_CACHE/work/engine
TIMEOUT_S=5
LATE_MS=$(((TIMEOUT_S + 15) * 1000))
mkdir -p "$W"
[ -x "$BIN" ] || make -C "$VM_REPO" -s all >/dev/null || { fail "build"; exit 1; }
vm_kernel 6.12 || { fail "kernel 6.12 fetch/build"; exit 1; }
MODROOT=$(VM_KVER=$VM_KVER VM_MODROOT=$VM_MODROOT VM_HEADERS=$VM_HEADERS \
    bash "$VM_DIR/modules/engine/build.sh" "$VM_CACHE/6.12-engine" "$LATE_MS") ||
    { fail "engine fixture modules build"; exit 1; }
vm_initrd "$W/engine.img" "$VM_KVER" "$MODROOT" "$BIN" "$VM_DIR/guest/engine-init.sh" \
    vfio_pci vfio_iommu_type1 vve_slow vve_hang vve_late nvme || { fail "initramfs build"; exit 1; }

# nvme_devices N: N QEMU NVMe at 00:09.0, 00:0a.0, ... (null-co namespaces)
nvme_devices() {
    local i
    VM_QEMU_EXTRA=()
    for ((i = 0; i < $1; i++)); do
        VM_QEMU_EXTRA+=(-blockdev "driver=null-co,node-name=nv$i,size=67108864,read-zeroes=on"
            -device "nvme,serial=vve$i,drive=nv$i,bus=pcie.0,addr=$(printf '0x%x' $((9 + i)))")
    done
}
bdf_of() { printf '0000:00:%02x.0' $((9 + $1)); }
has() { if vm_lines "$L" | grep -E -- "$2" >/dev/null; then pass "$1"; else fail "$1"; vm_lines "$L" | tail -n 30 | sed 's/^/    /'; fi; }
hasnt() { if vm_lines "$L" | grep -E -- "$2" >/dev/null; then fail "$1"; vm_lines "$L" | grep -E -- "$2" | sed 's/^/    /'; else pass "$1"; fi; }
count() { vm_lines "$L" | grep -cE -- "$1"; }
boot() { # boot NAME APPEND
    L=$W/$1.log
    vm_boot "$VM_KERNEL" "$W/engine.img" "$2" none "$L" 240
    echo "    ($1: ${VM_BOOT_SECONDS}s wall)"
}

# --- many: 12 listed, 4 slow probes, a native dependency ------------------------------
nvme_devices 12
devs='' slow=()
for i in $(seq 0 11); do
    if ((i < 4)); then
        slow+=("$(bdf_of "$i")")
        devs+="${devs:+,}$(bdf_of "$i")=vve_slow"
    else
        devs+="${devs:+,}$(bdf_of "$i")=vfio-pci"
    fi
done
boot many "vfio_variant.devices=$devs vmtest.case=many vmtest.one=${slow[0]}"
bind_ms=$(vm_lines "$L" | sed -n 's/^bind rc=0 ms=//p')
one_ms=$(vm_lines "$L" | sed -n 's/^one probe ms=\([0-9]*\) .*/\1/p')
echo "    (many: bind of 12 devices, 4 with a 3 s probe: ${bind_ms:-?} ms; one vve_slow probe by hand: ${one_ms:-?} ms)"
has "many: bind exit 0" '^bind rc=0 '
check "many: 4 slow probes ran concurrently: bind ${bind_ms:-?} ms < half their sum (4 x ${one_ms:-?} ms / 2)" \
    test -n "$bind_ms" -a -n "$one_ms" -a "${bind_ms:-0}" -lt $((${one_ms:-0} * 4 / 2)) -a "${one_ms:-0}" -ge 2900
for b in "${slow[@]}"; do
    has "many: $b held before nvme loaded: 'was unbound'" "^kmsg .*$b \[1b36:0010\]: bound to vve_slow \(module vve_slow, was unbound\)"
done
has "many: nvme was loaded (the variant's softdep)" '^module nvme loaded$'
hasnt "many: no 'nvme nvmeN: pci function' line: nvme probed no listed device" '^kmsg nvme nvme[0-9]+: pci function'
n=$(count '^kmsg .*vfio-variant: 0000:00:[0-9a-f]{2}\.0 \[1b36:0010\]: bound to ')
check "many: all 12 'bound to' lines in dmesg ($n)" test "$n" = 12
has "many: the summary line in dmesg" '^kmsg .*vfio-variant: done in [0-9]+ ms: 12 bound, '
echo "    (many: $(vm_lines "$L" | sed -n 's/^kmsg-count //p') vfio-variant lines in dmesg)"
n=$(count '^dev 0000:00:(09|0a|0b|0c)\.0 .* drv=vve_slow ')
check "many: the 4 on vve_slow ($n)" test "$n" = 4
n=$(count '^dev 0000:00:(0d|0e|0f|1[0-4])\.0 .* drv=vfio-pci ')
check "many: the 8 on vfio-pci ($n)" test "$n" = 8
vm_assert_clean "$L" "many: guest finished cleanly"

# --- deadline: a probe that never returns, one that returns late ----------------------
nvme_devices 3
HANG=$(bdf_of 0) LATE=$(bdf_of 1) PLAIN=$(bdf_of 2)
boot deadline "vfio_variant.timeout=$TIMEOUT_S vfio_variant.devices=$HANG=vve_hang,$LATE=vve_late,$PLAIN=vfio-pci vmtest.case=deadline vmtest.late=$LATE"
bind_ms=$(vm_lines "$L" | sed -n 's/^bind rc=0 ms=//p')
echo "    (deadline: bind returned after ${bind_ms:-?} ms with vfio_variant.timeout=$TIMEOUT_S)"
has "deadline: bind exit 0" '^bind rc=0 '
check "deadline: bind returned within timeout + 5 s (${bind_ms:-?} ms <= $(((TIMEOUT_S + 5) * 1000)))" \
    test -n "$bind_ms" -a "${bind_ms:-99999}" -le $(((TIMEOUT_S + 5) * 1000))
has "deadline: workers left behind in their probes (the bind process itself exited)" '^ps .*vfio-variant'
has "deadline: the stuck device named at the deadline" "^kmsg .*$HANG \[1b36:0010\]: still probing vve_hang at vfio_variant.timeout: left behind"
has "deadline: its record says probing" "^record .*\"bdf\": \"$HANG\".*\"result\": \"probing\""
has "deadline: the plain device bound meanwhile" "^dev $PLAIN .* drv=vfio-pci "
has "deadline: summary counts 2 probing" '^kmsg .*vfio-variant: done in [0-9]+ ms: 1 bound, .* 2 probing'
has "deadline: nvme loaded afterwards: the stuck device stays on its override" "^after-nvme dev $HANG drv=vve_hang override=vve_hang"
hasnt "deadline: nvme probed neither held device" '^kmsg nvme nvme[0-9]+: pci function'
has "deadline: the late probe's final record (late, bound)" "^record .*\"bdf\": \"$LATE\".*\"result\": \"bound\".*recorded late"
has "deadline: status shows the late result" "^status late $LATE +1b36:0010 +vve_late .* bound "
has "deadline: status still shows the stuck one probing" "^status late $HANG .* probing "
has "deadline: kmsg line of the late result" "^kmsg .*vfio-variant: $LATE: late result after vfio_variant.timeout: bound on vve_late"
if vm_lines "$L" | grep -qE '^END fails=0$' && ! grep -qE 'Oops|BUG:|Kernel panic|general protection fault' "$L"; then
    pass "deadline: guest finished cleanly"
else
    fail "deadline: guest finished cleanly"
fi
vm_lines "$L" | grep -E "^(bind|ps|record|status early|status late|kmsg .*vfio-variant: (done|$HANG|$LATE))" | sed 's/^/    | /'
vm_summary
