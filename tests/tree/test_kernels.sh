#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# binary: dynamic
# Tree tests: the variants of the 2026 kernels against an older kernel's.
# One fake host carries the devices the newer alias sets added — GH200
# 10de:2348, GB200 10de:2941, GB300 10de:31c2 (nvgrace_gpu_vfio_pci, 31C2
# since 6.18), virtio-blk 1af4:1042 (virtio_vfio_pci, 2025), an Intel BMG
# GPU 8086:e20b (xe_vfio_pci, 6.19, driver name "xe-vfio-pci" with
# hyphens), the s390 ISM 1014:04ed (ism_vfio_pci, 7.1), a QAT 420xx VF
# 8086:4947 (qat_vfio_pci, 7.1) — and the GH200 10de:2342 that 6.12
# already lists. Two module trees made by tests/tree/lib.sh with the
# upstream alias lines: 7.2.0-test (the newest tables) and 6.12.0-test
# (MK_MODULES_SERIES=6.12, 6.12's tables). Ranking, plan, explain and the
# driver names (read from /sys/module/MOD/drivers/pci:NAME; written to
# driver_override by bind, through the fake kernel) are checked against
# both. (tests/tree/fixtures/selftest.sh compares the fixture's lines with
# Debian's real 6.12 and 7.2 trees where the cache holds them.)
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck disable=SC2034 # KVER is read by the sourced helpers (lib.sh, assert.sh)
KVER=7.2.0-test
OLD=6.12.0-test
# shellcheck source=lib.sh
. tests/tree/lib.sh
# shellcheck source=assert.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT
# shellcheck source=fake.sh
. tests/tree/fake.sh

IDS=10de:2342,10de:2348,10de:2941,10de:31c2,1af4:1042,8086:e20b,1014:04ed,8086:4947
# BDF=IDS:CLASS of the devices
DEVS=(0009:01:00.0=10de:2342:0x030200 0009:02:00.0=10de:2348:0x030200 0009:03:00.0=10de:2941:0x030200
	0009:04:00.0=10de:31c2:0x030200 0000:05:00.0=1af4:1042:0x010000 0000:06:00.0=8086:e20b:0x030000
	0000:07:00.0=1014:04ed:0x020000 0000:08:00.0=8086:4947:0x0b4000)
# the module each gets on 7.2 and on 6.12
declare -A NEW=([0009:01:00.0]=nvgrace_gpu_vfio_pci [0009:02:00.0]=nvgrace_gpu_vfio_pci
	[0009:03:00.0]=nvgrace_gpu_vfio_pci [0009:04:00.0]=nvgrace_gpu_vfio_pci
	[0000:05:00.0]=virtio_vfio_pci [0000:06:00.0]=xe_vfio_pci [0000:07:00.0]=ism_vfio_pci
	[0000:08:00.0]=qat_vfio_pci)
declare -A OLDM=([0009:01:00.0]=nvgrace_gpu_vfio_pci [0009:02:00.0]=vfio_pci
	[0009:03:00.0]=vfio_pci [0009:04:00.0]=vfio_pci [0000:05:00.0]=vfio_pci
	[0000:06:00.0]=vfio_pci [0000:07:00.0]=vfio_pci [0000:08:00.0]=vfio_pci)

host() { # host: a fresh root with both trees and the devices
	local d b rest g=20
	new_root "vfio_variant.ids=$IDS"
	MK_MODULES_SERIES=6.12 mk_modules "$R" "$OLD" >/dev/null || fail "fixture: the 6.12 module tree"
	mkdir -p "$R/dev" && : >"$R/dev/kmsg"
	for d in "${DEVS[@]}"; do
		b=${d%%=*} rest=${d#*=}
		IFS=: read -r v i c <<<"$rest"
		mk_pci "$R" "$b" "$v" "$i" "$c" group=$((g++)) >/dev/null
	done
}

# --- ranking on the newest tree: every 2026 ID to its variant, generic last -----
host
vv 0 plan --json
for b in "${!NEW[@]}"; do
	jq_ok "7.2: $b -> ${NEW[$b]}, ranked over generic vfio_pci" \
		".[] | select(.bdf == \"$b\") | .module == \"${NEW[$b]}\" and .action == \"bind\"
		 and ([.candidates[] | \"\(.rank):\(.module):\(.score)\"] == [\"1:${NEW[$b]}:2\", \"2:vfio_pci:0\"])"
done
jq_ok "7.2: not loaded yet: no driver name guessed from the module name" 'all(.[]; .driver == null)'

# --- the same host on 6.12's tables: only what 6.12 lists gets a variant --------
KVER=$OLD vv 0 plan --json
for b in "${!OLDM[@]}"; do
	if [[ ${OLDM[$b]} == vfio_pci ]]; then
		jq_ok "6.12: $b -> generic vfio_pci (no variant lists it there)" \
			".[] | select(.bdf == \"$b\") | .module == \"vfio_pci\" and ([.candidates[].module] == [\"vfio_pci\"])"
	else
		jq_ok "6.12: $b -> ${OLDM[$b]} (listed since before 6.12)" \
			".[] | select(.bdf == \"$b\") | .module == \"${OLDM[$b]}\" and (.candidates | length) == 2"
	fi
done

# --- explain: the GB300's candidates with their alias lines --------------------
vv 0 explain 0009:04:00.0
out_has "explain GB300: nvgrace_gpu_vfio_pci first" "1. nvgrace_gpu_vfio_pci"
out_has "explain GB300: the alias it matched" "vfio_pci:v000010DEd000031C2sv*sd*bc*sc*i*"
out_has "explain GB300: generic last" "2. vfio_pci"
KVER=$OLD vv 0 explain 0009:04:00.0
out_has "explain GB300 on 6.12: generic vfio_pci only" "1. vfio_pci"
out_lacks "explain GB300 on 6.12: no nvgrace candidate" "nvgrace_gpu_vfio_pci"
vv 0 explain 0000:06:00.0
out_has "explain BMG: xe_vfio_pci first" "1. xe_vfio_pci"
out_has "explain BMG: the alias it matched" "vfio_pci:v00008086d0000E20Bsv*sd*bc*sc*i*"

# --- driver names read from /sys/module/MOD/drivers/pci:NAME --------------------
host
mk_loaded "$R" xe_vfio_pci xe-vfio-pci
mk_loaded "$R" nvgrace_gpu_vfio_pci nvgrace_gpu_vfio_pci
mk_loaded "$R" ism_vfio_pci ism_vfio_pci
mk_loaded "$R" qat_vfio_pci qat_vfio_pci
mk_loaded "$R" virtio_vfio_pci virtio_vfio_pci
vv 0 plan --json
jq_ok "xe_vfio_pci's driver is xe-vfio-pci (hyphens, from pci:xe-vfio-pci)" \
	'.[] | select(.bdf == "0000:06:00.0") | .module == "xe_vfio_pci" and .driver == "xe-vfio-pci"'
jq_ok "nvgrace_gpu_vfio_pci's driver keeps its underscores" \
	'[.[] | select(.vendor == "10de") | .driver] | unique == ["nvgrace_gpu_vfio_pci"]'
jq_ok "ism_vfio_pci and qat_vfio_pci drivers read" \
	'(.[] | select(.bdf == "0000:07:00.0") | .driver == "ism_vfio_pci") and (.[] | select(.bdf == "0000:08:00.0") | .driver == "qat_vfio_pci")'
# a driver registered under another name than the module's: the name is read,
# never derived (a variant's name is its pci_driver .name)
host
mk_loaded "$R" xe_vfio_pci xe-vfio-pci-renamed
vv 0 plan --json
jq_ok "the driver name comes from sysfs, whatever it is" \
	'.[] | select(.bdf == "0000:06:00.0") | .driver == "xe-vfio-pci-renamed"'

# --- bind: the hyphenated name goes to driver_override (fake kernel) ------------
host
# shellcheck disable=SC2034 # DRIVERS is read by the sourced fake.sh (the fake kernel)
DRIVERS="vfio_pci:vfio-pci,xe_vfio_pci:xe-vfio-pci,nvgrace_gpu_vfio_pci:nvgrace_gpu_vfio_pci,virtio_vfio_pci:virtio_vfio_pci,ism_vfio_pci:ism_vfio_pci,qat_vfio_pci:qat_vfio_pci"
kb 0 bind
holds "bind: BMG on xe-vfio-pci" test "$(drv 0000:06:00.0)" = xe-vfio-pci
holds "bind: BMG's driver_override is xe-vfio-pci" test "$(ovr 0000:06:00.0)" = xe-vfio-pci
holds "bind: GB300 on nvgrace_gpu_vfio_pci" test "$(drv 0009:04:00.0)" = nvgrace_gpu_vfio_pci
holds "bind: virtio-blk on virtio_vfio_pci" test "$(drv 0000:05:00.0)" = virtio_vfio_pci
holds "bind: ISM on ism_vfio_pci" test "$(drv 0000:07:00.0)" = ism_vfio_pci
holds "bind: QAT 420xx VF on qat_vfio_pci" test "$(drv 0000:08:00.0)" = qat_vfio_pci
kmsg_has "kmsg names module and driver for the BMG" "0000:06:00.0 [8086:e20b]: bound to xe-vfio-pci (module xe_vfio_pci, was unbound)"
# the same host on 6.12: every new ID on generic vfio-pci
host
KVER=$OLD kb 0 bind
holds "bind on 6.12: GB300 on vfio-pci" test "$(drv 0009:04:00.0)" = vfio-pci
holds "bind on 6.12: BMG on vfio-pci" test "$(drv 0000:06:00.0)" = vfio-pci
holds "bind on 6.12: GH200 2342 on nvgrace_gpu_vfio_pci" test "$(drv 0009:01:00.0)" = nvgrace_gpu_vfio_pci
kmsg_has "kmsg on 6.12: GB300 to generic, said so" "0009:04:00.0 [10de:31c2]: bound to vfio-pci (module vfio_pci, was unbound): no variant driver matches; generic vfio_pci"

tree_exit
