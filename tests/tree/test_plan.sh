#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tree tests: the real binary plans against fake /sys and real-depmod module
# trees carrying the upstream alias lines.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lib.sh
. tests/tree/lib.sh
# shellcheck source=assert.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT

# --- ranking ignores modules.order: virtio_vfio_pci over vfio_pci ----------
new_root "vfio_variant.ids=1af4:1041"
mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 subdevice=1100 group=1 driver=virtio-pci
mk_pci "$R" 0000:00:04.0 8086 10d3 0x020000 group=3 driver=e1000e
# (tests/tree/fixtures/selftest.sh checks that modules.order lists vfio_pci first)
vv 0 plan --json
jq_ok "virtio picks virtio_vfio_pci" '.[0].module == "virtio_vfio_pci" and .[0].action == "bind"'
jq_ok "both candidates, ranked" '[.[0].candidates[] | "\(.rank):\(.module):\(.score)"] == ["1:virtio_vfio_pci:2", "2:vfio_pci:0"]'
jq_ok "unlisted e1000e absent" 'length == 1 and .[0].bdf == "0000:00:02.0"'
jq_ok "json fields" '.[0] | has("bdf") and has("vendor") and has("device") and has("subvendor") and has("subdevice") and has("class") and has("rule") and has("module") and has("driver") and has("candidates") and has("action") and has("reason") and has("warnings")'
jq_ok "ids as hex" '.[0].vendor == "1af4" and .[0].device == "1041" and .[0].class == "020000" and .[0].subdevice == "1100"'
vv 0 explain 0000:00:02.0
out_has "explain rank 1" "1. virtio_vfio_pci"
out_has "explain rank 2" "2. vfio_pci"
out_has "explain pattern" "vfio_pci:v00001AF4d00001041sv*sd*bc*sc*i*"
vv 0 explain 00:04.0
out_has "explain unlisted" "not listed by any rule"
vv 3 explain 00:09.0
err_has "explain missing device exit 3" "00:09.0: no such PCI device"

# --- every upstream variant is chosen for its device ------------------------
new_root "vfio_variant.ids=15b3:101e,10de:2342,8086:4941,19e5:a256,1dd8:1003,8086:e20b,1b36:0010,1af4:1042"
mk_pci "$R" 0000:01:00.1 15b3 101e 0x020000 group=10 physfn=0000:01:00.0
mk_pci "$R" 0000:02:00.0 10de 2342 0x030200 group=11
mk_pci "$R" 0000:03:00.0 8086 4941 0x0b4000 group=12
mk_pci "$R" 0000:04:00.0 19e5 a256 0x108000 group=13
mk_pci "$R" 0000:05:00.0 1dd8 1003 0x010802 group=14
mk_pci "$R" 0000:06:00.0 8086 e20b 0x030000 group=15
mk_pci "$R" 0000:07:00.0 1b36 0010 0x010802 group=16
mk_pci "$R" 0000:08:00.0 1af4 1042 0x010000 group=17
vv 0 plan --json
for pair in 01:00.1=mlx5_vfio_pci 02:00.0=nvgrace_gpu_vfio_pci 03:00.0=qat_vfio_pci \
	04:00.0=hisi_acc_vfio_pci 05:00.0=pds_vfio_pci 06:00.0=xe_vfio_pci \
	07:00.0=vfio_pci 08:00.0=virtio_vfio_pci; do
	jq_ok "0000:${pair%=*} -> ${pair#*=}" ".[] | select(.bdf == \"0000:${pair%=*}\") | .module == \"${pair#*=}\""
done
jq_ok "generic always last" 'all(.[]; .candidates[-1].module == "vfio_pci")'

# --- loaded modules: driver names from /sys/module/MOD/drivers --------------
mk_loaded "$R" xe_vfio_pci xe-vfio-pci
mk_loaded "$R" vfio_pci vfio-pci
vv 0 plan --json
jq_ok "xe driver name read from sysfs" '.[] | select(.bdf == "0000:06:00.0") | .driver == "xe-vfio-pci"'
jq_ok "vfio_pci driver name read from sysfs" '.[] | select(.bdf == "0000:07:00.0") | .driver == "vfio-pci"'
jq_ok "not-loaded module has no driver name yet" '.[] | select(.bdf == "0000:02:00.0") | .driver == null'

# --- bad input: each bad token named, the valid ones planned ----------------
new_root 'vfio_variant.ids=1af4:1041,10de:zz,,15b3:101e:1:2:3:4:5:6 vfio_variant.devices=0000:00:03.0,00:1f.9 vfio_variant.bogus=1 vfio_variant.fallback=maybe vfio_variant.ids=1b36:0010=no/such "vfio_variant.ids=8086:10d3"'
mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 group=1 driver=virtio-pci
mk_pci "$R" 0000:00:03.0 1b36 0010 0x010802 group=2 driver=nvme
mk_pci "$R" 0000:00:04.0 8086 10d3 0x020000 group=3 driver=e1000e
vv 1 plan --json
jq_ok "valid rules planned" '[.[].bdf] == ["0000:00:02.0", "0000:00:03.0", "0000:00:04.0"]'
err_has "bad hex named" "'10de:zz': bad device 'zz'"
err_has "empty item named" "'': empty item"
err_has "too many fields named" "'15b3:101e:1:2:3:4:5:6': too many fields"
err_has "bad address named" "'00:1f.9': bad PCI address"
err_has "unknown key named" "'vfio_variant.bogus=1': unknown setting"
err_has "bad fallback named" "'vfio_variant.fallback=maybe': expected fallback=vfio-pci|none|native"
err_has "bad driver name named" "'1b36:0010=no/such': bad driver name"
holds "one line per bad token" test "$(grep -c "vfio-variant: cmdline" "$ERR")" -eq 7

# --- forced drivers -----------------------------------------------------------
new_root "vfio_variant.ids=1af4:1041=vfio-pci vfio_variant.devices=00:03.0=not_a_driver"
mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 group=1 driver=virtio-pci
mk_pci "$R" 0000:00:03.0 1b36 0010 0x010802 group=2 driver=nvme
mk_pci "$R" 0000:00:05.0 1b36 0011 0x010802 group=5
printf '0000:00:05.0=mlx5_vfio_pci\n' >"$R/etc/vfio-variant.conf"
vv 0 plan --json
jq_ok "a variant forced onto a device it does not claim falls back" '.[] | select(.bdf == "0000:00:05.0") | .module == "vfio_pci" and (.warnings[0] | test("mlx5_vfio_pci does not claim"))'
err_has "mismatch named with its token" "'0000:00:05.0=mlx5_vfio_pci': mlx5_vfio_pci does not claim 1b36:0011"
jq_ok "=vfio-pci skips ranking" '.[0].module == "vfio_pci" and (.[0].candidates | length) == 0'
jq_ok "unknown forced driver falls back to vfio_pci" '.[1].module == "vfio_pci" and (.[1].warnings[0] | test("not_a_driver"))'
err_has "unknown driver named with its token" "'00:03.0=not_a_driver': unknown driver 'not_a_driver'"

# --- safety rails -------------------------------------------------------------
new_root "vfio_variant.devices=00:01.0,00:02.0,00:05.0 vfio_variant.ids=1002:5159"
mk_pci "$R" 0000:00:01.0 8086 29c0 0x060000 group=0
mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 driver=virtio-pci
mk_pci "$R" 0000:00:05.0 8086 7c0a 0x060400 group=4 driver=pcieport
mk_pci "$R" 0000:01:00.0 1002 5159 0x030000 group=5 bootvga=1
vv 1 plan --json
jq_ok "host bridge refused" '.[] | select(.bdf == "0000:00:01.0") | .action == "refused" and (.reason | test("bridge"))'
jq_ok "PCI bridge refused" '.[] | select(.bdf == "0000:00:05.0") | .action == "refused"'
if file -L "$VV_BIN" | grep -q 'ARM aarch64'; then
	# the arm64 build (tests/run.sh runs it under qemu-aarch64-static)
	jq_ok "no IOMMU group refused with hint (arm64: the SMMU, no x86 advice)" '.[] | select(.bdf == "0000:00:02.0") | .action == "refused" and (.reason | test("SMMU")) and (.reason | test("intel_iommu|amd_iommu") | not)'
else
	jq_ok "no IOMMU group refused with hint" '.[] | select(.bdf == "0000:00:02.0") | .action == "refused" and (.reason | test("intel_iommu=on")) and (.reason | test("amd_iommu=on"))'
fi
jq_ok "boot_vga warning (6.12: vfio-pci removes the framebuffer itself)" '.[] | select(.bdf == "0000:01:00.0") | .action == "bind" and (.warnings | any(test("vfio-pci removes the firmware framebuffer")))'
printf '0000:00:02.0 force\n' >"$R/etc/vfio-variant.conf"
mk_kernel "$R" "$KVER" "vfio_variant.devices=00:01.0"
vv 1 plan --json # 00:01.0, the host bridge, is still refused
jq_ok "force overrides the IOMMU rail" '.[] | select(.bdf == "0000:00:02.0") | .action == "bind"'

# --- group=1: GPU + audio, bridges excluded; non-viable groups reported ------
new_root "vfio_variant.ids=1002:5159"
mk_pci "$R" 0000:00:1c.0 8086 7c0a 0x060400 group=7 driver=pcieport
mk_pci "$R" 0000:01:00.0 1002 5159 0x030000 group=7 driver=radeon
mk_pci "$R" 0000:01:00.1 8086 293e 0x040300 group=7 driver=snd_hda_intel
vv 0 plan --json
jq_ok "without group: audio not claimed" 'length == 1'
jq_ok "non-viable group reported" '.[0].warnings | any(test("not viable: 0000:01:00.1 is bound to snd_hda_intel"))'
mk_kernel "$R" "$KVER" "vfio_variant.ids=1002:5159 vfio_variant.group=1"
vv 0 plan --json
jq_ok "group=1 adds the audio function" '[.[].bdf] == ["0000:01:00.0", "0000:01:00.1"]'
jq_ok "companion says whose group" '.[1].rule | test("group of 0000:01:00.0")'
jq_ok "bridge of the group not claimed" 'all(.[]; .bdf != "0000:00:1c.0")'
jq_ok "group now viable" 'all(.[]; .warnings | all(test("not viable") | not))'

# --- many listed (VFs): groups from the iommu_group links, listed only where
# another device of the bus is in them; the same warnings and companions ----
new_root "vfio_variant.ids=15b3:101e"
for f in 1 2 3 4; do
	mk_pci "$R" "0000:01:00.$f" 15b3 101e 0x020000 "group=$((20 + f))" driver=mlx5_core physfn=0000:01:00.0
done
mk_pci "$R" 0000:01:00.0 15b3 101d 0x020000 group=20 driver=mlx5_core
mk_pci "$R" 0000:02:00.0 8086 10d3 0x020000 group=24 driver=e1000e
vv 0 plan --json
jq_ok "many listed: the four VFs" '[.[].bdf] == ["0000:01:00.1", "0000:01:00.2", "0000:01:00.3", "0000:01:00.4"]'
jq_ok "many listed: the group shared with e1000e is not viable" \
	'.[] | select(.bdf == "0000:01:00.4") | .warnings | any(test("IOMMU group 24 is not viable: 0000:02:00.0 is bound to e1000e"))'
jq_ok "many listed: the VFs alone in their groups are viable" \
	'[.[] | select(.bdf != "0000:01:00.4") | .warnings | any(test("not viable"))] == [false, false, false]'
mk_kernel "$R" "$KVER" "vfio_variant.ids=15b3:101e vfio_variant.group=1"
vv 0 plan --json
jq_ok "many listed, group=1: the e1000e is the companion of 01:00.4" \
	'[.[] | select(.bdf == "0000:02:00.0") | .rule] == ["group of 0000:01:00.4 (15b3:101e)"]'

# --- many listed, few drivers: the current drivers from the drivers'
# listings (pci_index_drivers), each device's own, bound or not ------------
new_root "vfio_variant.ids=15b3:101e"
mk_pci "$R" 0000:01:00.0 15b3 101d 0x020000 group=30 driver=mlx5_core
drivers_want="["
for f in $(seq 1 12); do
	bdf=$(printf '0000:01:%02x.%d' $((f / 8)) $((f % 8)))
	case $((f % 3)) in
	0) drv=mlx5_core ;;
	1) drv=vfio-pci ;;
	2) drv="" ;;
	esac
	mk_pci "$R" "$bdf" 15b3 101e 0x020000 "group=$((30 + f))" ${drv:+driver=$drv} physfn=0000:01:00.0
	if [[ -n $drv ]]; then drivers_want+="\"$drv\","; else drivers_want+="null,"; fi
done
drivers_want="${drivers_want%,}]"
vv 0 plan --json
jq_ok "many listed, 2 drivers: each VF's current driver (12 of them)" "[.[].current_driver] == $drivers_want"

# --- config + cmdline: cmdline wins, conflict logged ---------------------------
new_root "vfio_variant.ids=1af4:1041=vfio_pci"
mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 group=1
mkdir -p "$R/etc/vfio-variant.d"
printf '# site config\n1af4:1041 fallback=none\n0000:00:03.0\n' >"$R/etc/vfio-variant.conf"
printf 'ids=1b36:0010\n' >"$R/etc/vfio-variant.d/20-nvme.conf"
printf '8086:10d3\n' >"$R/etc/vfio-variant.d/10-nic.conf"
printf 'not read\n' >"$R/etc/vfio-variant.d/README"
mk_pci "$R" 0000:00:03.0 1b36 0010 0x010802 group=2
mk_pci "$R" 0000:00:04.0 8086 10d3 0x020000 group=3
vv 0 plan --json
jq_ok "cmdline rule wins" '.[0].module == "vfio_pci" and (.[0].rule | test("cmdline"))'
err_has "conflict logged" "0000:00:02.0: rule '1af4:1041=vfio_pci' (cmdline: ids) wins over conflicting rule '1af4:1041' (/etc/vfio-variant.conf:2)"
jq_ok "config rules apply" '[.[].bdf] == ["0000:00:02.0", "0000:00:03.0", "0000:00:04.0"]'
jq_ok "drop-in origin" '.[2].rule | test("/etc/vfio-variant.d/10-nic.conf:1")'
vv 0 --config /nonexistent/file plan --json
jq_ok "--config replaces /etc files" 'length == 1'

# --- modprobe.d alias of the administrator goes first ---------------------------
new_root "vfio_variant.ids=1af4:1041"
mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 group=1
mkdir -p "$R/etc/modprobe.d"
echo 'alias vfio_pci:v00001AF4d00001041sv*sd*bc*sc*i* vfio_pci' >"$R/etc/modprobe.d/site.conf"
vv 0 plan --json
jq_ok "modprobe.d alias first" '.[0].module == "vfio_pci" and .[0].candidates[0].modprobe_d == true'
echo 'blacklist virtio_vfio_pci' >"$R/etc/modprobe.d/site.conf"
vv 0 plan --json
jq_ok "blacklisted variant skipped" '.[0].module == "vfio_pci"'

# --- built-in vfio_pci (kernel < 6.18: no built-in aliases) ----------------------
R0=$(new_dir)
MK_MODULES_BUILTIN="vfio_pci" MK_MODULES_BUILTIN_ALIASES=0 mk_modules "$R0" "$KVER" >/dev/null
# shellcheck disable=SC2034 # OUT and ERR are read by assert.sh
R=$R0 OUT=$R0.out ERR=$R0.err
mk_kernel "$R" "$KVER" "vfio_variant.ids=1af4:1041,1b36:0010"
mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 group=1
mk_pci "$R" 0000:00:03.0 1b36 0010 0x010802 group=2
vv 0 plan --json
jq_ok "built-in vfio_pci still a candidate beside a module variant" '.[0].module == "virtio_vfio_pci" and (.[0].candidates[-1] | .module == "vfio_pci" and .builtin)'
jq_ok "built-in vfio_pci chosen for a plain device" '.[1].module == "vfio_pci" and .[1].candidates[0].builtin'

# --- broken module tree -------------------------------------------------------
new_root "vfio_variant.ids=1af4:1041"
mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 group=1
KVER=9.9.9-missing vv 3 plan --json
err_has "missing module tree explained" "module tree $R/lib/modules/9.9.9-missing unusable"

# --- corrupt module index ------------------------------------------------------------
# A truncated index: libkmod before 34 (Debian 12's 30, which the glibc
# builds link) reads past its end; kmod 34, inside the static binary, does
# not. So the check needs a binary that does not link the host's old one.
new_root "vfio_variant.ids=1af4:1041"
mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 group=1
F=$R/lib/modules/$KVER/modules.alias.bin
head -c 16 "$F" >"$F.t" && mv "$F.t" "$F"
kmodv=$(kmod --version 2>/dev/null | sed -n 's/^kmod version \([0-9]*\).*/\1/p')
if readelf -d "$VV_BIN" 2>/dev/null | grep -q 'NEEDED.*libkmod\.so' && [ "${kmodv:-0}" -lt 34 ]; then
	skip "truncated modules.alias.bin: $VV_BIN links the host's libkmod ${kmodv:-?} (< 34)"
else
	vv 0 plan --json
	jq_ok "truncated modules.alias.bin: the variant is still found through modules.alias" '.[0].module == "virtio_vfio_pci"'
	jq_ok "truncated modules.alias.bin: named as stale or corrupt" '.[0].warnings | any(test("index is stale or corrupt \\(run depmod\\)"))'
fi
printf 'garbage' >"$F"
vv 3 plan --json
err_has "garbage modules.alias.bin: one clear line" "unusable: Invalid argument"
jq_ok "garbage modules.alias.bin: the device is held, not left to natives" '.[0].action == "held" and .[0].driver == "vfio-variant-hold"'

# --- SR-IOV: VFs of a vfs= PF are claimed --------------------------------------
new_root "vfio_variant.vfs=0000:01:00.0:2"
mk_pci "$R" 0000:01:00.0 15b3 101d 0x020000 group=20 totalvfs=8 numvfs=2 driver=mlx5_core
mk_pci "$R" 0000:01:00.1 15b3 101e 0x020000 group=21 physfn=0000:01:00.0
mk_pci "$R" 0000:01:00.2 15b3 101e 0x020000 group=22 physfn=0000:01:00.0
vv 0 plan --json
jq_ok "VFs of the PF planned, PF left alone" '[.[].bdf] == ["0000:01:00.1", "0000:01:00.2"] and all(.[]; .module == "mlx5_vfio_pci")'

# --- status ---------------------------------------------------------------------
new_root "vfio_variant.ids=1af4:1041"
mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 group=1 driver=virtio_vfio_pci override=virtio_vfio_pci
mk_pci "$R" 0000:00:04.0 8086 10d3 0x020000 group=3 driver=e1000e
mkdir -p "$R/run/vfio-variant/devices"
cat >"$R/run/vfio-variant/devices/0000:00:02.0.json" <<'JSON'
{"bdf": "0000:00:02.0", "ids": "1af4:1041", "result": "bound", "module": "virtio_vfio_pci", "driver": "virtio_vfio_pci", "previous": "virtio-pci", "group": "1", "rule": "1af4:1041 (cmdline: ids)", "why": "best variant: virtio_vfio_pci"}
JSON
# a writer's temp file in flight is not a record
printf '{"bdf": "0000:00:04.0", "res' >"$R/run/vfio-variant/devices/.0000:00:04.0.json.123.0"
vv 0 status --json
jq_ok "status reads the state file" '.[0].result == "bound" and .[0].driver == "virtio_vfio_pci" and .[0].why == "best variant: virtio_vfio_pci"'
jq_ok "status leaves unlisted natives out" 'length == 1'
jq_ok "status shows the best variant for a listed device" '.[0].best == "virtio_vfio_pci"'
vv 0 status
out_has "status table header" "DEVICE"
out_has "status table row" "0000:00:02.0  1af4:1041  virtio_vfio_pci          virtio_vfio_pci          bound"

# --- disable ----------------------------------------------------------------------
new_root "vfio_variant.ids=1af4:1041 vfio_variant.disable=1"
mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 group=1 driver=virtio-pci
vv 0 bind
err_has "disable says so" "disabled by vfio_variant.disable=1"
holds "disable changes nothing" grep -qx '(null)' "$R/sys/bus/pci/devices/0000:00:02.0/driver_override"

# --- usage -------------------------------------------------------------------------
vv 2 frobnicate
err_has "unknown command exit 2" "unknown command 'frobnicate'"
vv 2 plan --bogus
err_has "unknown option exit 2" "unknown option '--bogus'"
vv 0 --help
out_has "help lists commands" "explain BDF"

tree_exit
