#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tree tests of the trust boundaries: config files and directories not
# owned by root (under --root: by the root dir's owner) or writable by
# group/others are skipped with one line, symlinks judged by their target;
# NUL and control bytes in config lines and command lines are rejected
# with their position; bad tokens are echoed escaped and capped.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lib.sh
. tests/tree/lib.sh
# shellcheck source=assert.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT

A=0000:62:00.0 B=0000:63:00.0
two() {
	new_root ""
	mkdir -p "$R/etc/vfio-variant.d"
	mk_pci "$R" $A 1af4 1041 0x020000 group=1
	mk_pci "$R" $B 1b36 0010 0x010802 group=2
}
planned() { # planned NAME BDF...: plan --json lists exactly these
	local name=$1 list=
	shift
	(($#)) && list=$(printf '"%s",' "$@")
	jq_ok "$name" "[.[].bdf] == [${list%,}]"
}
if [ "$(id -u)" != 0 ]; then
	skip "trust tests need root (chown)"
	tree_exit
fi

# --- owner and mode --------------------------------------------------------------
two
echo "$A" >"$R/etc/vfio-variant.conf"
echo "$B" >"$R/etc/vfio-variant.d/10-b.conf"
vv 0 plan --json
planned "control: root-owned 0644 files are obeyed" $A $B

chmod 666 "$R/etc/vfio-variant.conf"
vv 1 plan --json
planned "a world-writable config file is skipped" $B
err_has "world-writable: one line naming file and fix" "/etc/vfio-variant.conf: skipped: writable by everyone (mode 0666; chmod go-w /etc/vfio-variant.conf)"
chmod 664 "$R/etc/vfio-variant.conf"
vv 1 plan --json
planned "a group-writable config file is skipped" $B
err_has "group-writable named" "skipped: writable by its group (mode 0664"
chmod 644 "$R/etc/vfio-variant.conf"

chown 65534 "$R/etc/vfio-variant.d/10-b.conf"
vv 1 plan --json
planned "a file owned by nobody is skipped (force included)" $A
err_has "wrong owner: one line" "/etc/vfio-variant.d/10-b.conf: skipped: owned by uid 65534, not by root or the owner of --root (chown root /etc/vfio-variant.d/10-b.conf)"
chown 0 "$R/etc/vfio-variant.d/10-b.conf"

chmod 777 "$R/etc/vfio-variant.d"
vv 1 plan --json
planned "a world-writable rule directory is skipped whole" $A
err_has "the directory is named" "/etc/vfio-variant.d: skipped: writable by everyone (mode 0777"
chmod 755 "$R/etc/vfio-variant.d"
chown 65534 "$R/etc/vfio-variant.d"
vv 1 plan --json
planned "a rule directory owned by nobody is skipped" $A
chown 0 "$R/etc/vfio-variant.d"

# --root: the owner of the root directory is trusted like root
two
echo "$A" >"$R/etc/vfio-variant.conf"
chown -R 65534 "$R"
vv 0 plan --json
planned "under --root, files of the root dir's owner are obeyed" $A
chown 0 "$R/etc/vfio-variant.conf"
vv 0 plan --json
planned "... and root's too" $A
chown 4242 "$R/etc/vfio-variant.conf"
vv 1 plan --json
planned "... but not a third user's" 
chown -R 0 "$R"

# symlinks are judged by their target
two
mkdir -p "$R/srv"
echo "$B" >"$R/srv/bad.conf"
chmod 666 "$R/srv/bad.conf"
echo "$A" >"$R/srv/good.conf"
ln -s ../../srv/bad.conf "$R/etc/vfio-variant.d/10-bad.conf"
ln -s ../../srv/good.conf "$R/etc/vfio-variant.d/20-good.conf"
vv 1 plan --json
planned "a symlink to a good file is obeyed, one to a world-writable file is not" $A
err_has "the symlink is named by its own path" "/etc/vfio-variant.d/10-bad.conf: skipped: writable by everyone"

# the image's /etc/cmdline.d is held to the same rules
two
mkdir -p "$R/etc/cmdline.d"
echo "vfio_variant.devices=$B" >"$R/etc/cmdline.d/50-vv.conf"
chmod 666 "$R/etc/cmdline.d/50-vv.conf"
vv 1 plan --json
planned "a world-writable /etc/cmdline.d file is skipped" 
err_has "cmdline.d file named" "/etc/cmdline.d/50-vv.conf: skipped: writable by everyone"

# --- NUL and control bytes --------------------------------------------------------------
two
printf '%s\0junk\n%s\n' "$A" "$B" >"$R/etc/vfio-variant.conf"
vv 1 plan --json
planned "a config line with a NUL is rejected, not taken as $A; the next line applies" $B
err_has "the NUL is named with its position" "/etc/vfio-variant.conf:1: column 13: NUL byte 0x00 in the line: line ignored"
printf '%s\n%s \033[2J\n' "$A" "$B" >"$R/etc/vfio-variant.conf"
vv 1 plan --json
planned "a config line with an escape sequence is rejected" $A
err_has "control byte named" "/etc/vfio-variant.conf:2: column 14: control byte 0x1b in the line: line ignored"

two
printf 'quiet vfio_variant.devices=%s\0junk vfio_variant.ids=1b36:0010\n' "$A" >"$R/proc/cmdline"
vv 1 plan --json
planned "/proc/cmdline: the word holding a NUL is rejected, the other words apply" $B
err_has "/proc/cmdline NUL named" "/proc/cmdline:1: column 40: NUL byte (0x00): the word holding it is ignored"
two
mkdir -p "$R/etc/cmdline.d"
printf 'vfio_variant.devices=%s\001\nvfio_variant.devices=%s\n' "$A" "$B" >"$R/etc/cmdline.d/50-vv.conf"
vv 1 plan --json
planned "/etc/cmdline.d: a word with a control byte is rejected" $B
err_has "cmdline.d control byte named" "/etc/cmdline.d/50-vv.conf:1: column 34: control byte (0x01)"
two
vv 1 --cmdline "$(printf 'vfio_variant.devices=%s\033x vfio_variant.devices=%s' "$A" "$B")" plan --json
planned "--cmdline: the word with ESC is rejected" $B
err_has "--cmdline ESC named" "--cmdline:1: column 34: ESC byte (0x1b)"

# --- bad tokens are echoed escaped and capped ---------------------------------------------
two
printf '1af4:\377\376\n' >"$R/etc/vfio-variant.conf"
vv 1 plan --json
err_has "a non-ASCII token is echoed with \\x escapes" "'1af4:\\xff\\xfe'"
long=$(printf 'z%.0s' {1..300})
echo "1af4:$long" >"$R/etc/vfio-variant.conf"
vv 1 plan --json
err_has "a 305-byte token is named" "'1af4:zzzz"
holds "a 305-byte token is echoed capped at 80 bytes plus '...'" grep -qE "'1af4:z{75}\.\.\.'" "$ERR"
holds "... and every line stays short" test "$(awk '/1af4:z/ { if (length > m) m = length } END { print m + 0 }' "$ERR")" -gt 80 -a "$(awk '{ if (length > m) m = length } END { print m + 0 }' "$ERR")" -lt 300

tree_exit
