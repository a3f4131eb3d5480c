#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tree tests of bounded, non-blocking input (issue 17): config files and
# drop-ins must be regular files, read non-blocking and capped in size (a
# config symlinked to /dev/zero or a FIFO must neither hang nor grow
# memory); status reads records only from a real directory, trusts only a
# record whose name is its bdf, and prints no control byte.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lib.sh
. tests/tree/lib.sh
# shellcheck source=assert.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT

# tv WANT ARGS...: vv under a 20 s timeout (a hang is exit 124: a FAIL)
tv() {
	local code=$1
	shift
	# shellcheck disable=SC2086
	run_binary "$code" "tv $*" timeout 20 $VV_WRAP "$VV_BIN" --root "$R" --kver "$KVER" "$@"
}
# said_no_esc: the last run printed something and no ESC byte (0x1b)
# shellcheck disable=SC2317 # called through holds
said_no_esc() { [ -s "$OUT" ] && ! grep -q "$(printf '\033')" "$OUT" "$ERR"; }
fresh() {
	new_root "$1"
	mk_pci "$R" 0000:00:02.0 1af4 1041 0x020000 group=1 driver=virtio-pci
	mk_pci "$R" 0000:00:03.0 1b36 0010 0x010802 group=2 driver=nvme
}

# --- config files: regular, bounded, non-blocking -------------------------------------
fresh "vfio_variant.ids=1af4:1041"
ln -s /dev/zero "$R/etc/vfio-variant.conf"
tv 1 plan --json
err_has "config symlinked to /dev/zero: skipped with one line, no hang" "/etc/vfio-variant.conf: skipped: not a regular file (a character device)"
jq_ok "config symlinked to /dev/zero: the command line's rules still apply" 'length == 1 and .[0].bdf == "0000:00:02.0"'
rm "$R/etc/vfio-variant.conf"
mkfifo "$R/etc/vfio-variant.conf"
tv 1 plan --json
err_has "config that is a FIFO: skipped with one line, no hang" "/etc/vfio-variant.conf: skipped: not a regular file (a FIFO)"
jq_ok "config that is a FIFO: the rest still applies" 'length == 1'
rm "$R/etc/vfio-variant.conf"
mkdir -p "$R/etc/vfio-variant.d"
mkfifo "$R/etc/vfio-variant.d/10-fifo.conf"
echo 1b36:0010 >"$R/etc/vfio-variant.d/20-disk.conf"
tv 1 plan --json
err_has "a drop-in that is a FIFO: skipped, named" "/etc/vfio-variant.d/10-fifo.conf: skipped: not a regular file (a FIFO)"
jq_ok "the next drop-in still applies" 'length == 2'
rm -rf "$R/etc/vfio-variant.d"
mkdir -p "$R/etc/cmdline.d"
mkfifo "$R/etc/cmdline.d/vv.conf"
tv 1 plan --json
err_has "an /etc/cmdline.d file that is a FIFO: skipped, no hang" "/etc/cmdline.d/vv.conf: skipped: not a regular file (a FIFO)"
rm -rf "$R/etc/cmdline.d"
{
	echo 1b36:0010
	head -c 1100000 /dev/zero | tr '\0' '#'
	echo
} >"$R/etc/vfio-variant.conf"
tv 1 plan --json
err_has "a config of more than 1 MiB: skipped with one line" "/etc/vfio-variant.conf: skipped: 1100011 bytes, more than a config file may have (1048576)"
jq_ok "an oversized config claims nothing" 'length == 1'
rm "$R/etc/vfio-variant.conf"
tv 0 --config /dev/null plan --json
jq_ok "--config /dev/null: an empty config, accepted" 'length == 1'
tv 1 --config /dev/zero plan --json
err_has "--config /dev/zero: skipped, no hang" "/dev/zero: skipped: not a regular file (a character device)"

# --- status: real directory, name = bdf, no control byte printed --------------------
rec() { # FILE BDF WHY
	mkdir -p "$R/run/vfio-variant/devices"
	printf '{"bdf": "%s", "ids": "1af4:1041", "result": "bound", "module": "virtio_vfio_pci", "driver": "virtio_vfio_pci", "previous": "virtio-pci", "group": "1", "rule": "1af4:1041 (cmdline)", "why": "%s"}\n' \
		"$2" "$3" >"$R/run/vfio-variant/devices/$1"
}
fresh "vfio_variant.ids=1af4:1041"
rec 0000:00:02.0.json 0000:00:02.0 'best variant \u001b[31mRED\u001b[0m'
tv 0 status
out_has "status: a record's text is shown" "best variant"
holds "status prints no ESC byte from a record" said_no_esc
tv 0 status --json
jq_ok "status --json: the record is read" '.[] | select(.bdf == "0000:00:02.0") | .result == "bound"'
fresh "vfio_variant.ids=1af4:1041"
rec 0000:00:03.0.json 0000:00:02.0 'forged'
tv 0 status --json
err_has "a record whose name is not its bdf: not trusted, said" "its bdf is '0000:00:02.0', not its name: record not trusted"
jq_ok "the forged record is not shown" '.[] | select(.bdf == "0000:00:02.0") | .result == null'
fresh "vfio_variant.ids=1af4:1041"
mkdir -p "$R/elsewhere/devices"
rec 0000:00:02.0.json 0000:00:02.0 'real'
mv "$R/run/vfio-variant/devices/0000:00:02.0.json" "$R/elsewhere/devices/"
rm -rf "$R/run/vfio-variant"
ln -s ../elsewhere "$R/run/vfio-variant"
tv 0 status --json
err_has "status through a symlinked /run/vfio-variant: refused, said" "not a real directory"
jq_ok "status: no record read through the symlink" '.[] | select(.bdf == "0000:00:02.0") | .result == null'

tree_exit
