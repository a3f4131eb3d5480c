#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tree tests of the command line itself (binder/main.c's command table):
# every command rejects the arguments and options it does not take (exit 2
# and its usage line), --opt=VALUE works for every option with a value,
# and the command list of the messages names every command.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lib.sh
. tests/tree/lib.sh
# shellcheck source=assert.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT

new_root "vfio_variant.ids=1af4:1041"
mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 group=1 driver=virtio-pci
printf '%s\n' '1af4:1041' >"$R/extra.conf"

# --- what a command does not take ---------------------------------------------
vv 2 bind 0000:18:00.0
err_has "bind BDF (without --device) is refused" "unexpected argument '0000:18:00.0'"
err_has "bind BDF: bind's usage line" "Usage: vfio-variant [OPTIONS] bind [--device BDF] [--strict] [--dry-run]"
vv 2 plan 0000:18:00.0
err_has "plan BDF is refused" "unexpected argument '0000:18:00.0'"
err_has "plan BDF: plan's usage line" "Usage: vfio-variant [OPTIONS] plan [--json] [--preflight]"
vv 2 status --force
err_has "status --force is refused" "status does not take --force"
err_has "status --force: status's usage line" "Usage: vfio-variant [OPTIONS] status [--json]"
vv 2 explain 0000:00:02.0 --json
err_has "explain X --json is refused" "explain does not take --json"
vv 2 explain
err_has "explain without an address" "explain needs a PCI address"
vv 2 explain 0000:00:02.0 0000:00:03.0
err_has "explain with two addresses" "unexpected argument '0000:00:03.0'"
vv 2 modules --strict
err_has "modules --strict is refused" "modules does not take --strict"
vv 2 claim
err_has "claim without an address" "claim needs a PCI address"
vv 2 release 0000:00:02.0 --force
err_has "release --force is refused" "release does not take --force"
vv 2 plan --json=1
err_has "a flag with a value is an unknown option" "unknown option '--json=1'"
vv 2 plan --bogus
err_has "an unknown option names itself and the command's usage" "Usage: vfio-variant [OPTIONS] plan"
vv 2 frobnicate
err_has "an unknown command lists every command" "unknown command 'frobnicate' (bind, plan, status, explain, verify, claim, release, modules)"
vv 2 --json
err_has "no command lists every command" "no command given (bind, plan, status, explain, verify, claim, release, modules)"
vv 2 plan --kver
err_has "a value option at the end wants its value" "option '--kver' needs a value"

# --- what it does take -------------------------------------------------------
vv 0 plan --json
jq_ok "plan --json still works" '.[0].bdf == "0000:00:02.0"'
vv 0 explain 0000:00:02.0
out_has "explain BDF still works" "0000:00:02.0"

# --- --opt=VALUE for every option with a value --------------------------------
# vr WANT ARGS...: the binary with ARGS only (no --root/--kver of vv's)
vr() {
	local code=$1
	shift
	# shellcheck disable=SC2086
	run_binary "$code" "vr $*" $VV_WRAP "$VV_BIN" "$@"
}
vr 0 --root="$R" --kver="$KVER" plan --json
jq_ok "--root=DIR and --kver=VERSION" '.[0].bdf == "0000:00:02.0"'
vr 0 --root="$R" --kver="$KVER" --cmdline="vfio_variant.ids=8086:10d3" plan --json
jq_ok "--cmdline=TEXT replaces /proc/cmdline" 'length == 0'
vr 0 --root="$R" --kver="$KVER" --cmdline= --config="$R/extra.conf" plan --json
jq_ok "--config=FILE" '.[0].bdf == "0000:00:02.0" and (.[0].rule | test("extra.conf"))'
vr 0 --root="$R" --moddir="$R/lib/modules/$KVER" modules --all
out_has "--moddir=DIR" "virtio_vfio_pci"
mkdir -p "$R/dev" && : >"$R/dev/kmsg"
vr 0 --root="$R" --kver="$KVER" bind --dry-run --device=0000:00:02.0
err_has "--device=BDF" "0000:00:02.0 [1af4:1041]: dry run: would bind virtio_vfio_pci"
tree_exit
