#!/bin/bash
# Tree tests of IOMMU groups that appear at probe time (arm64 SMMUv3): the
# plan binds a device without iommu_group when an IOMMU is registered,
# predicts companions from the PCI topology (slot functions, a bridge
# without ACS), and bind reads the group the probe made (the fake kernel's
# VV_FAKE_PROBE_GROUPS), gives a device with no group after the probe back
# to its native driver, and releases a companion the kernel grouped apart.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/tree/lib.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT

# the hint depends on the architecture the binary was built for
arch=$($VV_WRAP "$VV_BIN" --version | sed -n 's/.*(\(.*\))$/\1/p')
if [ "$arch" = arm64 ]; then
	hint="no IOMMU (SMMU) is registered: enable the SMMU in the firmware (ACPI IORT / device tree"
	nohint="intel_iommu"
else
	hint="boot with intel_iommu=on (Intel) or amd_iommu=on (AMD)"
	nohint="SMMU"
fi

# QEMU virt + SMMUv3 as the arm64 kernel shows it before any driver probed:
# NVMe + HDA in slot 5 (no groups yet), virtio-net probed by built-in
# virtio-pci (group 0), an e1000e, and a GPU + audio behind a root port
# without ACS, a NIC behind one with ACS.
smmu_root() {
	new_root "$1"
	mkdir -p "$R/sys/class/iommu/smmu3.0x0000000009050000" "$R/sys/kernel/iommu_groups" "$R/dev"
	: >"$R/dev/kmsg"
	mk_pci "$R" 0000:00:03.0 1af4 1041 0x020000 group=0 driver=virtio-pci
	mk_pci "$R" 0000:00:05.0 1b36 0010 0x010802
	mk_pci "$R" 0000:00:05.1 8086 293e 0x040300 ${2:+"$2"}
	mk_pci "$R" 0000:00:06.0 8086 10d3 0x020000
	mk_pci "$R" 0000:00:07.0 1b36 000c 0x060400
	mk_pci "$R" 0000:01:00.0 10de 2342 0x030200 parent=0000:00:07.0
	mk_pci "$R" 0000:01:00.1 10de 22a3 0x040300 parent=0000:00:07.0
	mk_pci "$R" 0000:01:01.0 8086 10d3 0x020000 parent=0000:00:07.0
	mk_pci "$R" 0000:00:08.0 1b36 000c 0x060400 acs=1
	mk_pci "$R" 0000:02:00.0 15b3 101e 0x020000 parent=0000:00:08.0
	mk_pci "$R" 0000:02:00.1 15b3 1021 0x020000 parent=0000:00:08.0 acs=1
	mk_pci "$R" 0000:02:01.0 8086 10d3 0x020000 parent=0000:00:08.0
}

smmu_root "vfio_variant.ids=1b36:0010,10de:2342,15b3:101e:*:*:*:*:* vfio_variant.devices=0000:02:00.1"
vv plan --json
rc_is "SMMU registered, no groups yet: plan exits 0" 0
jq_ok "no group yet but an IOMMU registered: bind, not refused" \
	'[.[] | select(.bdf == "0000:00:05.0")][0] | .action == "bind" and (.reason | test("created when VFIO probes it"))'
jq_ok "group=0 (default): the slot-mate HDA is not claimed" '[.[].bdf] | index("0000:00:05.1") == null'

smmu_root "vfio_variant.ids=1b36:0010,10de:2342,15b3:101e vfio_variant.group=1"
vv plan --json
rc_is "group=1 plan exits 0" 0
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
vv plan --json
rc_is "predicted group with a native member: plan exits 0" 0
jq_ok "predicted group not viable is warned about" \
	'.[0].warnings | map(test("predicted from the PCI topology\\) will not be viable: 0000:00:05.1 is bound to snd_hda_intel")) | any'

# no IOMMU registered at all: refused, with this platform's hint
smmu_root "vfio_variant.ids=1b36:0010"
rmdir "$R/sys/class/iommu/smmu3.0x0000000009050000"
vv plan --json
rc_is "no IOMMU registered: plan exits 1" 1
jq_ok "no IOMMU registered: refused with the platform's hint" ".[0].action == \"refused\" and (.[0].reason | contains(\"$hint\"))"
check "the hint gives no other platform's advice" bash -c "! grep -qF '$nohint' '$OUT'"

# --- bind through the fake kernel -------------------------------------------
if file -L "$VV_BIN" | grep -q dynamically; then
	SHIM=$PWD/build/test/fakekernel.so
	export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0
	kb() {
		local rc=0
		# shellcheck disable=SC2086
		LD_PRELOAD=$SHIM VV_FAKE_ROOT=$R VV_FAKE_DRIVERS=vfio_pci:vfio-pci VV_FAKE_PROBE_GROUPS=${GROUPS_AT_PROBE:-} \
			$VV_WRAP "$VV_BIN" --root "$R" --kver "$KVER" "$@" >"$OUT" 2>"$ERR" || rc=$?
		RC=$rc
	}
	drv() { local l; l=$(readlink "$R/sys/bus/pci/devices/$1/driver") && echo "${l##*/}" || echo none; }
	kmsg_has() {
		if grep -qF -- "$2" "$R/dev/kmsg"; then pass "$1"; else fail "$1 (kmsg lacks '$2': $(head -c 600 "$R/dev/kmsg"))"; fi
	}

	smmu_root "vfio_variant.ids=1b36:0010 vfio_variant.group=1"
	mk_pci_driver "$R" snd_hda_intel
	GROUPS_AT_PROBE=0000:00:05.0:1,0000:00:05.1:1 kb bind
	rc_is "bind exits 0" 0
	check "NVMe on vfio-pci" test "$(drv 0000:00:05.0)" = vfio-pci
	check "its HDA slot-mate on vfio-pci" test "$(drv 0000:00:05.1)" = vfio-pci
	kmsg_has "kmsg: was unbound" "0000:00:05.0 [1b36:0010]: bound to vfio-pci (module vfio_pci, was unbound)"
	kb status --json
	jq_ok "status: the group the probe made, viable" \
		'[.[] | select(.bdf == "0000:00:05.0")][0] | .iommu_group == 1 and .group_viable == true and .result == "bound"'

	smmu_root "vfio_variant.ids=1b36:0010 vfio_variant.group=1"
	GROUPS_AT_PROBE=0000:00:05.0:1,0000:00:05.1:2 kb bind
	rc_is "companion grouped apart: bind exits 0" 0
	check "the parent stays on vfio-pci" test "$(drv 0000:00:05.0)" = vfio-pci
	check "the companion the kernel grouped apart is released (override cleared)" \
		test "$(cat "$R/sys/bus/pci/devices/0000:00:05.1/driver_override")" != vfio-pci
	kmsg_has "the release is named" "0000:00:05.1 [8086:293e]: the kernel put it in IOMMU group 2, not in group 1 of 0000:00:05.0"
	err_has "released counted in the summary" "1 released"

	smmu_root "vfio_variant.ids=1b36:0010"
	GROUPS_AT_PROBE="" kb bind
	rc_is "no group after the VFIO probe: bind exits 0" 0
	check "outside every SMMU: not left on VFIO" test "$(drv 0000:00:05.0)" != vfio-pci
	kmsg_has "given back, loudly (err level)" "<3>vfio-variant: 0000:00:05.0 [1b36:0010]: no IOMMU group even after the VFIO probe"
else
	fail "bind tests need a dynamically linked binary for the fake kernel shim (VV_BIN=$VV_BIN is not)"
fi
