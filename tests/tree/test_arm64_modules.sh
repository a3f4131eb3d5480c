#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tree test on a REAL arm64 module tree: Debian's 6.12.95+deb12-arm64 with
# the upstream nvgrace_gpu_vfio_pci built out of tree against it and indexed
# by the real depmod (tests/vm/fetch/fetch-612-arm64.sh). A GH200 at early boot on
# arm64: no driver, no iommu_group yet (the SMMU creates it when a driver
# probes), /sys/class/iommu/smmu3.* registered. The plan must pick
# nvgrace_gpu_vfio_pci and bind (the group is known after the probe); with
# no IOMMU registered it refuses with the platform's hint.
# SKIP (not PASS) only when the kernel cannot be fetched.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lib.sh
. tests/tree/lib.sh
# shellcheck source=assert.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT

if ! bash tests/vm/fetch/fetch-612-arm64.sh >"$T_BASE/fetch.log" 2>&1; then
	skip "arm64 module tree: tests/vm/fetch/fetch-612-arm64.sh failed: $(tail -n 1 "$T_BASE/fetch.log")"
	check_exit "${0##*/}" # (exits)
fi
# shellcheck source=/dev/null
. .cache/vm/6.12-arm64/env.sh
KVER=$VM_KVER
SMMU=smmu3.0x0000000009050000
# the fetch script checked the 2342 alias; the fixture needs these too
for want in 'alias vfio_pci:v000010DEd00002342sv*sd*bc*sc*i* nvgrace_gpu_vfio_pci' \
	'alias vfio_pci:v000010DEd00002345sv*sd*bc*sc*i* nvgrace_gpu_vfio_pci'; do
	grep -qxF "$want" "$VM_MODDIR/modules.alias" || fail "fixture: $VM_MODDIR/modules.alias lacks '$want'"
done
[ -f "$VM_MODDIR/kernel/drivers/vfio/pci/vfio-pci.ko.xz" ] || fail "fixture: no vfio-pci.ko.xz in $VM_MODDIR"

# arm_root CMDLINE: a fake kernel whose /lib/modules/KVER is the real tree
arm_root() {
	R=$(new_dir)
	OUT=$R.out
	ERR=$R.err
	mk_kernel "$R" "$KVER" "$1"
	mkdir -p "$R/lib/modules"
	ln -s "$VM_MODDIR" "$R/lib/modules/$KVER"
	mkdir -p "$R/sys/class/iommu/$SMMU/devices"
}

# the hint depends on the architecture the binary was built for
# shellcheck disable=SC2034 # OUT and ERR are read by assert.sh
OUT=$T_BASE/version.out ERR=$T_BASE/version.err
# shellcheck disable=SC2086
run_binary 0 "--version" $VV_WRAP "$VV_BIN" --version
out_has "--version names the program" "vfio-variant "
arch=$(sed -n 's/.*(\(.*\))$/\1/p' "$OUT")

# --- GH200 at early boot: no driver, no group yet, SMMU registered ----------
arm_root "vfio_variant.ids=10de:2342,10de:2941"
mk_pci "$R" 0009:01:00.0 10de 2342 0x030200
# GB200 (2941): its nvgrace ids came after 6.12, so only vfio_pci matches here
mk_pci "$R" 0019:01:00.0 10de 2941 0x030200
[ ! -e "$R/sys/bus/pci/devices/0009:01:00.0/iommu_group" ] || fail "fixture: the GH200 has an iommu_group"
vv 0 plan --json
jq_ok "GH200 -> nvgrace_gpu_vfio_pci" '.[] | select(.bdf == "0009:01:00.0") | .module == "nvgrace_gpu_vfio_pci"'
jq_ok "GH200 ranked: nvgrace_gpu_vfio_pci first, generic vfio_pci last" \
	'.[] | select(.bdf == "0009:01:00.0") | [.candidates[].module] == ["nvgrace_gpu_vfio_pci", "vfio_pci"]'
jq_ok "GH200 planned bind (group known after the probe), not refused" \
	'.[] | select(.bdf == "0009:01:00.0") | .action == "bind"'
jq_ok "GB200 2941 on 6.12: generic vfio_pci only" \
	'.[] | select(.bdf == "0019:01:00.0") | [.candidates[].module] == ["vfio_pci"] and .module == "vfio_pci"'
jq_ok "generic always last" 'all(.[]; .candidates[-1].module == "vfio_pci")'
vv 0 explain 0009:01:00.0
out_has "explain ranks nvgrace first" "1. nvgrace_gpu_vfio_pci"
out_has "explain shows the real alias" "vfio_pci:v000010DEd00002342sv*sd*bc*sc*i*"

# --- module loaded: its driver name (underscores) from /sys/module ----------
mk_loaded "$R" nvgrace_gpu_vfio_pci nvgrace_gpu_vfio_pci
mk_loaded "$R" vfio_pci vfio-pci
vv 0 plan --json
jq_ok "nvgrace driver name read from sysfs, with underscores" \
	'.[] | select(.bdf == "0009:01:00.0") | .driver == "nvgrace_gpu_vfio_pci"'
jq_ok "GB200 driver vfio-pci" '.[] | select(.bdf == "0019:01:00.0") | .driver == "vfio-pci"'

# --- no IOMMU registered: refused, with this platform's hint ----------------
arm_root "vfio_variant.ids=10de:2342"
rmdir "$R/sys/class/iommu/$SMMU/devices" "$R/sys/class/iommu/$SMMU"
mk_pci "$R" 0009:01:00.0 10de 2342 0x030200
vv 1 plan --json
jq_ok "no SMMU registered: GH200 refused" '.[0].action == "refused"'
if [ "$arch" = arm64 ]; then
	jq_ok "arm64 binary: the hint names the SMMU, not x86 switches" \
		'.[0].reason | test("SMMU") and (test("intel_iommu|amd_iommu") | not)'
else
	jq_ok "x86 binary: the hint names intel_iommu/amd_iommu" '.[0].reason | test("intel_iommu")'
fi

tree_exit
