#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tree tests of IOMMU groups that appear at probe time (arm64 SMMUv3): the
# plan binds a device without iommu_group when an IOMMU is registered and
# predicts companions from the PCI topology (slot functions, a bridge
# without ACS). The bind side: test_iommu_bind.sh.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lib.sh
. tests/tree/lib.sh
# shellcheck source=assert.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT

# the hint depends on the architecture the binary was built for
# shellcheck disable=SC2034 # OUT and ERR are read by assert.sh
OUT=$T_BASE/version.out ERR=$T_BASE/version.err
# shellcheck disable=SC2086
run_binary 0 "--version" $VV_WRAP "$VV_BIN" --version
out_has "--version names the program" "vfio-variant "
arch=$(sed -n 's/.*(\(.*\))$/\1/p' "$OUT")
holds "--version names the architecture it was built for" test -n "$arch"
if [ "$arch" = arm64 ]; then
	hint="no IOMMU (SMMU) is registered: enable the SMMU in the firmware (ACPI IORT / device tree"
	nohint="intel_iommu"
else
	hint="boot with intel_iommu=on (Intel) or amd_iommu=on (AMD)"
	nohint="SMMU"
fi

# the host: tests/tree/lib.sh mk_smmu_host
smmu_root() {
	new_root "$1"
	mk_smmu_host "$R" "${2:-}"
}

smmu_root "vfio_variant.ids=1b36:0010,10de:2342,15b3:101e:*:*:*:*:* vfio_variant.devices=0000:02:00.1"
vv 0 plan --json
jq_ok "no group yet but an IOMMU registered: bind, not refused" \
	'[.[] | select(.bdf == "0000:00:05.0")][0] | .action == "bind" and (.reason | test("created when VFIO probes it"))'
jq_ok "group=0 (default): the slot-mate HDA is not claimed" '[.[].bdf] | index("0000:00:05.1") == null'

smmu_root "vfio_variant.ids=1b36:0010,10de:2342,15b3:101e vfio_variant.group=1"
vv 0 plan --json
jq_ok "group=1: the HDA function of the same slot is a predicted companion" \
	'[.[] | select(.bdf == "0000:00:05.1")][0] | .action == "bind" and (.rule | startswith("group of 0000:00:05.0")) and (.reason | test("predicted from the PCI topology"))'
jq_ok "group=1: the GPU's audio behind a root port without ACS is a companion" \
	'[.[] | select(.bdf == "0000:01:00.1")] | length == 1'
jq_ok "group=1: another slot behind a root port without ACS is a companion too" \
	'[.[] | select(.bdf == "0000:01:01.0")] | length == 1'
jq_ok "group=1: behind a root port with ACS, neither another slot nor a function with ACS" \
	'[.[].bdf | select(startswith("0000:02:"))] == ["0000:02:00.0"]'
jq_ok "group=1: bridges and unrelated devices are never companions" \
	'[.[].bdf] | (index("0000:00:07.0") == null) and (index("0000:00:06.0") == null)'

# the HDA already on its native driver: the predicted group is not viable
smmu_root "vfio_variant.ids=1b36:0010" "driver=snd_hda_intel"
vv 0 plan --json
jq_ok "predicted group not viable is warned about" \
	'.[0].warnings | map(test("predicted from the PCI topology\\) will not be viable: 0000:00:05.1 is bound to snd_hda_intel")) | any'

# no IOMMU registered at all: refused, with this platform's hint
smmu_root "vfio_variant.ids=1b36:0010"
rmdir "$R/sys/class/iommu/smmu3.0x0000000009050000"
vv 1 plan --json
jq_ok "no IOMMU registered: refused with the platform's hint" ".[0].action == \"refused\" and (.[0].reason | contains(\"$hint\"))"
out_lacks "the hint gives no other platform's advice" "$nohint"

tree_exit

