#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tree tests of the rule language: the revision selector (SPEC field 7 and
# the rev= option) and rule lines dropped whole for a bad option.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lib.sh
. tests/tree/lib.sh
# shellcheck source=assert.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT

# two steppings of one GPU, and a NIC
rev_root() {
	new_root "$1"
	mk_pci "$R" 0000:41:00.0 10de 2330 0x030200 group=1 rev=a1
	mk_pci "$R" 0000:42:00.0 10de 2330 0x030200 group=2 rev=a0
	mk_pci "$R" 0000:43:00.0 15b3 101e 0x020000 group=3
}

rev_root 'vfio_variant.ids=10de:2330:*:*:*:*:a1'
vv 0 plan --json
jq_ok "revision field: only the a1 stepping is listed" 'length == 1 and .[0].bdf == "0000:41:00.0" and .[0].revision == "a1"'
vv 0 explain 0000:42:00.0
out_has "explain shows the revision" "rev a0"
out_has "explain: the a0 stepping is not listed" "not listed by any rule"

rev_root ""
mkdir -p "$R/etc"
cat >"$R/etc/vfio-variant.conf" <<'CONF'
10de:2330 rev=a0
15b3:101e fallback=nonee
10de:2330 rev=zz
CONF
vv 1 plan --json
jq_ok "rev= option: only the a0 stepping; the mistyped lines claim nothing" '[.[].bdf] == ["0000:42:00.0"]'
err_has "bad fallback named, line dropped" "/etc/vfio-variant.conf:2: 'fallback=nonee': expected fallback=vfio-pci|none|native; rule '15b3:101e' ignored"
err_has "bad rev named, line dropped" "/etc/vfio-variant.conf:3: 'rev=zz': expected rev=HEX (00..ff); rule '10de:2330' ignored"

rev_root 'vfio_variant.ids=10de:2330:*:*:*:*:a1:0'
vv 1 plan --json
err_has "eight fields named" "'10de:2330:*:*:*:*:a1:0': too many fields"

vv 0 --help
out_has "--help lists rev= from the settings table" "  rev=HEX"
out_has "--help lists every setting from the table" "  vfio_variant.dry_run=1"

# the image's own command line: /etc/cmdline.d/*.conf (dracut kernel_cmdline=)
rev_root 'vfio_variant.fallback=none vfio_variant.ids=15b3:101e=vfio-pci'
mkdir -p "$R/etc/cmdline.d"
printf 'rd.vfio_variant.ids=10de:2330:*:*:*:*:a0\nrd.vfio_variant.fallback=native\n' >"$R/etc/cmdline.d/50-vfio.conf"
printf 'rd.vfio_variant.ids=15b3:101e=mlx5_vfio_pci rd.shell=0\n' >"$R/etc/cmdline.d/60-nic.conf"
vv 0 plan --json
jq_ok "cmdline.d: rules there count as the kernel command line" '[.[].bdf] == ["0000:42:00.0", "0000:43:00.0"]'
jq_ok "cmdline.d: /proc/cmdline wins a conflicting rule" '.[1].rule | startswith("15b3:101e=vfio-pci (cmdline")'
jq_ok "cmdline.d: /proc/cmdline wins a setting" '.[0].fallback == "none"'
err_has "cmdline.d: the conflicting rule is logged" "rule '15b3:101e=vfio-pci' (cmdline: ids) wins over conflicting rule '15b3:101e=mlx5_vfio_pci' (/etc/cmdline.d/60-nic.conf: ids)"
err_has "cmdline.d: the overridden setting is logged" "'vfio_variant.fallback=none' wins over the image's /etc/cmdline.d setting of fallback"

tree_exit
