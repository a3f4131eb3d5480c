#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pkg/man.sh - the manual pages and the example config.
#
#   bash tests/pkg/man.sh        (from anywhere; needs `make` done)
#
# Checks that man/vfio-variant.8 and man/vfio-variant.conf.5 render without
# warnings and copy-paste safely (ASCII hyphens and quotes), that they
# document every command, option, kernel parameter, exit status, config key
# and rule option the code has (taken from the code and the binary's --help
# where possible), that every concrete vfio_variant.* parameter and the
# example block they show parse without errors, and that
# config/vfio-variant.conf claims nothing as installed while each of its
# commented-out examples parses cleanly.
# Prints one PASS or FAIL line per check; exits 1 if any check failed.
#
# Environment: VV_BIN  the binary (default build/vfio-variant).
# Needs: man (man-db) or groff (groff-base), and depmod (kmod).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
top=$(cd "$here/../.." && pwd -P)
cd "$top" || exit 1

bin=${VV_BIN:-build/vfio-variant}
man8=man/vfio-variant.8
man5=man/vfio-variant.conf.5
conf=config/vfio-variant.conf

# shellcheck source=../lib/check.sh
. tests/lib/check.sh
ok() { pass "$@"; }
bad() { fail "$@"; }
# Indented copy of a file or text, for the details under a FAIL line.
show() { sed 's/^/    /' "$@"; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# --------------------------------------------------------------------------
# Rendering

# render PAGE OUT ERR: the page as text (80 columns, UTF-8), stderr to ERR.
render() {
	if command -v man >/dev/null; then
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$1" >"$2" 2>"$3"
	else
		# (man-db's 80 columns are a 78n line; -P-cbou: plain text)
		LC_ALL=C.UTF-8 groff -man -ww -Tutf8 -rLL=78n -P-cbou "$1" >"$2" 2>"$3"
	fi
}

if ! command -v man >/dev/null && ! command -v groff >/dev/null; then
	bad "render: neither man (man-db) nor groff (groff-base) is installed"
fi

# Typographic characters groff makes of an unescaped '-' or quote: a command
# copied from the page would not work. U+2010 U+2011 U+2212 U+2018 U+2019
# U+201C U+201D.
typo=$(printf '\342\200\220\n\342\200\221\n\342\210\222\n\342\200\230\n\342\200\231\n\342\200\234\n\342\200\235')

for page in "$man8" "$man5"; do
	name=${page##*/}
	if [[ ! -s $page ]]; then
		bad "$name: missing"
		continue
	fi
	if command -v man >/dev/null || command -v groff >/dev/null; then
		render "$page" "$tmp/$name.txt" "$tmp/$name.err"
		if [[ -s $tmp/$name.err ]]; then
			bad "$name: renders with warnings"
			show "$tmp/$name.err"
		elif [[ ! -s $tmp/$name.txt ]]; then
			bad "$name: renders to nothing"
		else
			ok "$name: renders without warnings (man --warnings, 80 columns)"
		fi
	fi
	if command -v groff >/dev/null; then
		if groff -man -ww -z "$page" >"$tmp/g.err" 2>&1 && [[ ! -s $tmp/g.err ]]; then
			ok "$name: groff -man -ww -z is silent"
		else
			bad "$name: groff -man -ww -z warns"
			show "$tmp/g.err"
		fi
	fi
	if [[ -s $tmp/$name.txt ]]; then
		if LC_ALL=C grep -nF "$typo" "$tmp/$name.txt" >"$tmp/typo"; then
			bad "$name: typographic hyphens or quotes in the rendered page (write \\- and \\(aq)"
			show "$tmp/typo"
		else
			ok "$name: rendered hyphens and quotes are ASCII"
		fi
	fi
done
txt8=$tmp/vfio-variant.8.txt
txt5=$tmp/vfio-variant.conf.5.txt
[[ -f $txt8 ]] || : >"$txt8"
[[ -f $txt5 ]] || : >"$txt5"

# has FILE ERE: does the rendered FILE match ERE?
has() { grep -qE -- "$2" "$1"; }
# word: ERE for TEXT as a whole word (not part of a longer option or key).
word() {
	local t
	t=$(printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g')
	printf '(^|[^A-Za-z0-9_-])%s([^A-Za-z0-9_-]|$)' "$t"
}
# key_re KEY: ERE for "KEY=" not preceded by a word character.
key_re() {
	printf '(^|[^A-Za-z0-9_-])%s=' "$1"
}
# section FILE TITLE: the text of one section of a rendered page.
section() {
	awk -v t="$2" '/^[A-Z]/ { on = ($0 == t) } on' "$1"
}

# --------------------------------------------------------------------------
# What the code has

help=
if [[ -x $bin ]]; then
	help=$("$bin" --help 2>&1) || bad "$bin --help failed"
else
	bad "$bin: missing (run make); the checks that need it fail too"
fi

# Everything below comes from the binary's --help, which prints the one
# settings table (binder/setting.c); the design's names are a floor.
# Kernel parameters: the "Kernel command line" section.
mapfile -t keys < <({
	printf '%s\n' ids devices group fallback vfs timeout disable debug dry_run
	printf '%s\n' "$help" | awk '/^Kernel command line/ { on = 1; next } /^[^ ]/ { on = 0 }
		on' | grep -oE '^  vfio_variant\.[a-z_]+' | sed 's/^  vfio_variant\.//'
} | sed '/^$/d' | sort -u)
# Commands: the usage's "Commands:" block and the four of the design.
mapfile -t cmds < <({
	printf '%s\n' bind plan status explain
	printf '%s\n' "$help" | awk '/^Commands:/ { on = 1; next } /^[^ ]/ { on = 0 }
		on && /^  [a-z]/ { print $1 }'
} | sort -u)
# Options: every -x / --xyz the usage lists (at the start of an entry, after
# ", " or inside [ ]; not "uname -r" in a description).
mapfile -t opts < <(printf '%s\n' "$help" |
	grep -oE '(^ +|\[|, )--?[A-Za-z][A-Za-z-]*' | sed -E 's/^( +|\[|, )//' | sort -u)
# Exit statuses: the "Exit status:" section.
mapfile -t codes < <(printf '%s\n' "$help" | awk '/^Exit status/ { on = 1; next } /^[^ ]/ { on = 0 }
	on' | grep -oE '^  [0-9]+' | tr -d ' ' | sort -un)
# Rule options: the "Rule options" section ("driver=", "force", ...).
mapfile -t ropts < <(printf '%s\n' "$help" | awk '/^Rule options/ { on = 1; next } /^[^ ]/ { on = 0 }
	on' | grep -oE '^  [a-z_]+=?' | tr -d ' ')

((${#keys[@]} >= 9)) || bad "could not collect the kernel parameters"
((${#opts[@]} >= 10)) || bad "could not collect the options from --help"
((${#codes[@]} >= 4)) || bad "could not collect the exit statuses from --help"
((${#ropts[@]} >= 5)) || bad "could not collect the rule options from --help"

# --------------------------------------------------------------------------
# vfio-variant.8 documents them

missing=()
for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS 'KERNEL COMMAND LINE' \
	'RULE SELECTION AND RANKING' SAFETY FILES 'EXIT STATUS' EXAMPLES 'SEE ALSO'; do
	has "$txt8" "^$s\$" || missing+=("$s")
done
if ((${#missing[@]})); then bad "vfio-variant.8: sections missing: ${missing[*]}"; else ok "vfio-variant.8: all sections"; fi

missing=()
for k in "${keys[@]}"; do
	has "$txt8" "$(word "vfio_variant.$k")" || missing+=("vfio_variant.$k")
done
has "$txt8" 'rd\.vfio_variant\.' || missing+=("rd.vfio_variant.*")
if ((${#missing[@]})); then
	bad "vfio-variant.8: kernel parameters missing: ${missing[*]}"
else
	ok "vfio-variant.8: every kernel parameter (${keys[*]}) and the rd. form"
fi

missing=()
commands=$(section "$txt8" COMMANDS)
for c in "${cmds[@]}"; do
	printf '%s\n' "$commands" | grep -qE "^ {7}$c( |\$)" || missing+=("$c")
done
if ((${#missing[@]})); then bad "vfio-variant.8: commands without an entry under COMMANDS: ${missing[*]}"; else ok "vfio-variant.8: every command (${cmds[*]})"; fi

missing=()
for o in "${opts[@]}"; do
	has "$txt8" "$(word "$o")" || missing+=("$o")
done
if ((${#missing[@]})); then bad "vfio-variant.8: options missing: ${missing[*]}"; else ok "vfio-variant.8: every option of the usage (${opts[*]})"; fi

missing=()
exits=$(section "$txt8" 'EXIT STATUS')
for c in "${codes[@]}"; do
	printf '%s\n' "$exits" | grep -qE "^ {7}$c( |\$)" || missing+=("$c")
done
if ((${#missing[@]})); then bad "vfio-variant.8: exit statuses missing: ${missing[*]}"; else ok "vfio-variant.8: every exit status (${codes[*]})"; fi

missing=()
state=$(sed -n 's/^#define STATE_DIR "\(.*\)"/\/\1\//p' binder/state.h)
for f in /etc/vfio-variant.conf /etc/vfio-variant.d/ "${state:-/run/vfio-variant/devices/}" \
	/dev/kmsg /proc/cmdline /lib/modules/ /etc/modprobe.d/ /usr/lib/modprobe.d/ /lib/modprobe.d/; do
	section "$txt8" FILES | grep -qF -- "$f" || missing+=("$f")
done
if ((${#missing[@]})); then bad "vfio-variant.8: FILES misses ${missing[*]}"; else ok "vfio-variant.8: FILES"; fi

missing=()
for r in 'vfio-variant.conf(5)' 'modprobe.d(5)' 'dracut(8)' 'mkinitcpio(8)' \
	'initramfs-tools(7)' 'driverctl(8)'; do
	section "$txt8" 'SEE ALSO' | grep -qF -- "$r" || missing+=("$r")
done
if ((${#missing[@]})); then bad "vfio-variant.8: SEE ALSO misses ${missing[*]}"; else ok "vfio-variant.8: SEE ALSO"; fi

missing=()
examples=$(section "$txt8" EXAMPLES)
for e in GRUB_CMDLINE_LINUX nvgrace_gpu_vfio_pci 15b3:101e mlx5_vfio_pci group=1 \
	'vfio-variant plan' 'vfio-variant explain'; do
	printf '%s\n' "$examples" | grep -qF -- "$e" || missing+=("$e")
done
if ((${#missing[@]})); then bad "vfio-variant.8: EXAMPLES misses ${missing[*]}"; else ok "vfio-variant.8: EXAMPLES (GRUB, Grace GPU, mlx5 VFs, group=1, plan/explain)"; fi

# --------------------------------------------------------------------------
# vfio-variant.conf.5 documents the file format

missing=()
for k in "${keys[@]}"; do
	has "$txt5" "$(key_re "$k")" || missing+=("$k=")
done
for o in "${ropts[@]}"; do
	if [[ $o == *= ]]; then
		has "$txt5" "$(key_re "${o%=}")" || missing+=("$o")
	else
		has "$txt5" "$(word "$o")" || missing+=("$o")
	fi
done
if ((${#missing[@]})); then
	bad "vfio-variant.conf.5: keys or rule options missing: ${missing[*]}"
else
	ok "vfio-variant.conf.5: every setting key and rule option (${ropts[*]})"
fi
missing=()
for f in /etc/vfio-variant.conf /etc/vfio-variant.d/ PRECEDENCE; do
	has "$txt5" "$f" || missing+=("$f")
done
if ((${#missing[@]})); then bad "vfio-variant.conf.5: misses ${missing[*]}"; else ok "vfio-variant.conf.5: files and precedence"; fi

# --------------------------------------------------------------------------
# Parsing with the real binary

# A root with no PCI device and one with a device for each example of the
# config (what a leftover active example would claim).
R=$tmp/root
mkdir -p "$R/sys/bus/pci/devices" "$tmp/depmod.d"
RD=$tmp/rootdev
mkdir -p "$RD/sys/bus/pci/devices"
# dev BDF VENDOR DEVICE CLASS: a device as pci_scan reads it (its modalias).
dev() {
	mkdir -p "$RD/sys/bus/pci/devices/$1"
	printf 'pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n' "$((16#$2))" "$((16#$3))" \
		"$((16#$2))" 0 "$((16#$4 >> 16))" "$((16#$4 >> 8 & 255))" "$((16#$4 & 255))" \
		>"$RD/sys/bus/pci/devices/$1/modalias"
}
devs=(0000:41:00.2 0009:01:00.0 0000:05:00.0 0000:6b:00.1 0000:0a:00.0 0000:c1:00.0
	0000:c2:00.0 0000:c2:00.1 0000:6b:00.2)
dev 0000:41:00.2 15b3 101e 020000 # ConnectX VF
dev 0009:01:00.0 10de 2342 030200 # GH200
dev 0000:05:00.0 1af4 1041 020000 # virtio-net
dev 0000:6b:00.1 8086 4941 0b4000 # QAT 4xxx VF
dev 0000:6b:00.2 8086 4943 0b4000 # QAT 401xx VF
dev 0000:0a:00.0 1002 73bf 030000 # GPU
dev 0000:c1:00.0 8086 1592 020000 # E810
dev 0000:c2:00.0 8086 1572 020000 # X710
dev 0000:c2:00.1 8086 1572 020000

# An empty module tree that libkmod accepts: plan's exit status then says
# only whether the input was clean (0) or not (1).
kver=0.0-vv
for r in "$R" "$RD"; do
	mkdir -p "$r/lib/modules/$kver"
	: >"$r/lib/modules/$kver/modules.order"
	: >"$r/lib/modules/$kver/modules.builtin"
	: >"$r/lib/modules/$kver/modules.builtin.modinfo"
done
have_tree=0
if ! command -v depmod >/dev/null && [[ -x /sbin/depmod ]]; then PATH=$PATH:/sbin:/usr/sbin; fi
if ! command -v depmod >/dev/null; then
	bad "depmod (kmod) not found: cannot build an empty module tree"
elif depmod -b "$R" -C "$tmp/depmod.d" "$kver" 2>"$tmp/depmod.err" &&
	depmod -b "$RD" -C "$tmp/depmod.d" "$kver" 2>>"$tmp/depmod.err"; then
	have_tree=1
else
	bad "depmod could not index an empty module tree"
	show "$tmp/depmod.err"
fi

# vv OUTPREFIX ARGS...: run the binary; OUTPREFIX.out, .err, .rc
vv() {
	local o=$1
	shift
	"$bin" "$@" >"$o.out" 2>"$o.err"
	echo $? >"$o.rc"
}

if [[ -x $bin ]]; then
	conf_abs=$top/$conf

	# The active lines of the installed example: none.
	if grep -nEv '^[[:space:]]*(#|$)' "$conf" >"$tmp/active"; then
		bad "$conf: lines not commented out (an installed example must claim nothing)"
		show "$tmp/active"
	else
		ok "$conf: every line is a comment"
	fi

	# As the brief has it: --kver x, no module tree there. plan exits 3 for
	# the unusable module tree (main.c: it wins over 1), so the input is
	# clean when the only message is about the module tree.
	vv "$tmp/a" --root "$R" --cmdline "" --config "$conf_abs" --kver x plan
	rc=$(<"$tmp/a.rc")
	others=$(grep -v 'module tree' "$tmp/a.err")
	if [[ $(<"$tmp/a.out") == "no listed device is present" && -z $others ]] &&
		{ [[ $rc == 3 ]] && grep -q 'module tree' "$tmp/a.err" || [[ $rc == 0 && ! -s $tmp/a.err ]]; }; then
		ok "$conf: plan --kver x: zero rules, zero errors (exit $rc: no module tree x)"
	else
		bad "$conf: plan --kver x: exit $rc"
		show "$tmp/a.out" "$tmp/a.err"
	fi

	if ((have_tree)); then
		# With a usable (empty) module tree the exit status is exact.
		vv "$tmp/b" --root "$R" --cmdline "" --config "$conf_abs" --kver "$kver" plan --json
		if [[ $(<"$tmp/b.rc") == 0 && $(<"$tmp/b.out") == "[]" && ! -s $tmp/b.err ]]; then
			ok "$conf: plan --json: [] and exit 0, nothing on stderr"
		else
			bad "$conf: plan --json: exit $(<"$tmp/b.rc")"
			show "$tmp/b.out" "$tmp/b.err"
		fi

		# With a device for every example present, still nothing is claimed.
		vv "$tmp/c" --root "$RD" --cmdline "" --config "$conf_abs" --kver "$kver" plan
		if [[ $(<"$tmp/c.rc") == 0 && $(<"$tmp/c.out") == "no listed device is present" && ! -s $tmp/c.err ]]; then
			ok "$conf: claims none of ${#devs[@]} devices matching its examples"
		else
			bad "$conf: claims something: exit $(<"$tmp/c.rc")"
			show "$tmp/c.out" "$tmp/c.err"
		fi

		# Each example ('#' directly before the text) parses cleanly, all
		# together, and they select those devices.
		sed -n 's/^#\([^ #]\)/\1/p' "$conf" >"$tmp/examples.conf"
		n=$(grep -c . "$tmp/examples.conf")
		vv "$tmp/d" --root "$R" --cmdline "" --config "$tmp/examples.conf" --kver "$kver" plan
		if ((n >= 10)) && [[ $(<"$tmp/d.rc") == 0 && ! -s $tmp/d.err ]]; then
			ok "$conf: its $n examples, uncommented, parse with zero errors"
		else
			bad "$conf: its $n examples, uncommented, do not parse cleanly: exit $(<"$tmp/d.rc")"
			show "$tmp/examples.conf" "$tmp/d.err"
		fi
		vv "$tmp/e" --root "$RD" --cmdline "" --config "$tmp/examples.conf" --kver "$kver" plan
		missing=()
		for d in "${devs[@]}"; do
			grep -q "^$d " "$tmp/e.out" || missing+=("$d")
		done
		if ((${#missing[@]})); then
			bad "$conf: the uncommented examples do not select ${missing[*]} (test devices out of date?)"
		else
			ok "$conf: the uncommented examples select all ${#devs[@]} test devices"
		fi

		# The example block of vfio-variant.conf.5.
		awk '/^\.\\" test: config begin$/ { on = 1; next }
			/^\.\\" test: config end$/ { on = 0 } on && !/^\./' "$man5" |
			sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\e/\\/g' >"$tmp/man5.conf"
		n=$(grep -cEv '^[[:space:]]*(#|$)' "$tmp/man5.conf")
		vv "$tmp/f" --root "$R" --cmdline "" --config "$tmp/man5.conf" --kver "$kver" plan
		if ((n > 0)) && [[ $(<"$tmp/f.rc") == 0 && ! -s $tmp/f.err ]]; then
			ok "vfio-variant.conf.5: its EXAMPLE ($n lines) parses with zero errors"
		else
			bad "vfio-variant.conf.5: its EXAMPLE ($n lines) does not parse cleanly: exit $(<"$tmp/f.rc")"
			show "$tmp/man5.conf" "$tmp/f.err"
		fi

		# Every concrete vfio_variant.* parameter vfio-variant.8 shows
		# (placeholders such as SPEC, BDF, a|b, ... and empty values left
		# out; a sentence's full stop or comma stripped).
		mapfile -t params < <(grep -oE '(rd\.)?vfio[-_]variant\.[A-Za-z_-]+=("[^"]*"|[^[:space:]"]*)' "$txt8" |
			grep -vE '[A-Z|[]|\.\.\.' | sed -E 's/[.,;)]+$//' | grep -v '=$' | sort -u)
		badp=()
		for p in "${params[@]}"; do
			vv "$tmp/g" --root "$R" --cmdline "$p" --config /dev/null --kver "$kver" plan
			[[ $(<"$tmp/g.rc") == 0 ]] || badp+=("$p ($(head -n 1 "$tmp/g.err"))")
		done
		if ((${#params[@]} < 10)); then
			bad "vfio-variant.8: only ${#params[@]} concrete vfio_variant.* parameters found"
		elif ((${#badp[@]})); then
			bad "vfio-variant.8: parameters that do not parse cleanly:"
			printf '    %s\n' "${badp[@]}"
		else
			ok "vfio-variant.8: its ${#params[@]} concrete vfio_variant.* parameters parse with zero errors"
		fi
	fi
fi

# The SR-IOV text says what bind_create_vfs does: autoprobe off while the VFs
# are created, then the value it found restored (not "leaves it so").
if grep -q 'restores the value it found' "$man8" && ! grep -q 'leaves it so' "$man8"; then
	ok "vfio-variant.8: sriov_drivers_autoprobe is restored after creating VFs, as the code does"
else
	bad "vfio-variant.8: the sriov_drivers_autoprobe wording does not match the code (restored after creating VFs)"
fi

check_exit "man"
