#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tools/build-uki.sh — a unified kernel image (UKI: systemd-stub + kernel +
# initramfs + command line, one EFI binary) whose baked-in command line
# lists the devices vfio-variant claims at boot, built by dracut:
#
#   dracut --force --uefi --uefi-stub STUB --kernel-cmdline "CMDLINE" \
#          --add vfio-variant [--kver KVER] [--kernel-image FILE] [DRACUT_ARGS] OUT.efi
#
#   tools/build-uki.sh [--ids SPEC[,SPEC...]] [--devices BDF[,BDF...]]
#                      [--cmdline "ARGS"] [--kver KVER] [--kernel-image FILE]
#                      [--stub FILE] OUT.efi [-- DRACUT_ARGS...]
#
#   --ids, --devices  baked in as vfio_variant.ids= / vfio_variant.devices=
#   --cmdline         the rest of the command line (root=, console=,
#                     intel_iommu=on iommu=pt, ...): with a .cmdline section
#                     the stub passes the kernel nothing else
#   --kver            the kernel (default: the running one, dracut's default)
#   --kernel-image    its image (default: dracut's, /boot/vmlinuz-KVER)
#   --stub            the EFI stub (default: systemd-boot-efi's
#                     /usr/lib/systemd/boot/efi/linux{x64,aa64}.efi.stub)
#   -- DRACUT_ARGS    passed to dracut as they are (--no-hostonly,
#                     --kmoddir DIR, --uefi-secureboot-cert/-key, -m ...)
#
# Before dracut runs, the binary (VFIO_VARIANT_BIN, else vfio-variant on
# PATH or in build/) parses the command line the way the boot will: a rule
# it would reject stops the build with its own one-line reason. After,
# the UKI's .cmdline section is read back (objcopy) and printed.
# Install the result as ESP/EFI/Linux/NAME.efi (systemd-boot finds it) or
# as the firmware's boot entry; signing for Secure Boot: README.
# Exit status: 0 when the UKI is built and its .cmdline holds the rules.
set -euo pipefail

usage() {
	sed -n '/^#   tools\/build-uki.sh/,/^#                      \[--stub/p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2
	exit 2
}
die() {
	echo "build-uki: $*" >&2
	exit 1
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ids="" devices="" cmdline="" kver="" kimage="" stub="" out=""
while (($#)); do
	case $1 in
	--ids) ids=${2:?}; shift 2 ;;
	--devices) devices=${2:?}; shift 2 ;;
	--cmdline) cmdline=${2:?}; shift 2 ;;
	--kver) kver=${2:?}; shift 2 ;;
	--kernel-image) kimage=${2:?}; shift 2 ;;
	--stub) stub=${2:?}; shift 2 ;;
	--) shift; break ;;
	-h | --help) usage ;;
	-*) echo "build-uki: unknown option '$1'" >&2; usage ;;
	*)
		[[ -z $out ]] || die "one output file only ('$out', then '$1')"
		out=$1
		shift
		;;
	esac
done
[[ -n $out ]] || usage
[[ -n $ids || -n $devices ]] || die "nothing to bake in: give --ids and/or --devices"

if [[ -z $stub ]]; then
	case $(uname -m) in
	x86_64) stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub ;;
	aarch64) stub=/usr/lib/systemd/boot/efi/linuxaa64.efi.stub ;;
	*) die "no default EFI stub for $(uname -m): give --stub" ;;
	esac
fi
[[ -f $stub ]] || die "no EFI stub $stub (Debian/Ubuntu: systemd-boot-efi; Fedora: systemd-boot-unsigned or systemd-ukify)"
command -v dracut >/dev/null || die "dracut not found"
command -v objcopy >/dev/null || die "objcopy not found (binutils): dracut --uefi needs it"

line=$cmdline
[[ -n $ids ]] && line+=" vfio_variant.ids=$ids"
[[ -n $devices ]] && line+=" vfio_variant.devices=$devices"
line=${line# }

# The rules as the binder will parse them: any "cmdline:" diagnostic stops
# the build. --root points at an empty tree: only the parsing is asked for.
bin=${VFIO_VARIANT_BIN:-}
if [[ -z $bin ]]; then
	bin=$(command -v vfio-variant 2>/dev/null) || bin=$repo/build/vfio-variant
fi
[[ -x $bin ]] || die "no vfio-variant binary to check the rules with (VFIO_VARIANT_BIN, PATH, $repo/build)"
empty=$(mktemp -d "${TMPDIR:-/tmp}/build-uki.XXXXXX")
trap 'rm -rf "$empty"' EXIT
bad=$("$bin" --root "$empty" --cmdline "$line" plan 2>&1 >/dev/null | grep -E '^vfio-variant: cmdline: ' || true)
if [[ -n $bad ]]; then
	printf '%s\n' "$bad" >&2
	die "the command line above has rules vfio-variant rejects: nothing built"
fi

args=(--force --uefi --uefi-stub "$stub" --kernel-cmdline "$line" --add vfio-variant)
[[ -n $kver ]] && args+=(--kver "$kver")
[[ -n $kimage ]] && args+=(--kernel-image "$kimage")
echo "build-uki: dracut ${args[*]} $* $out"
dracut "${args[@]}" "$@" "$out"

# read the baked command line back
[[ -s $out ]] || die "dracut left no $out"
objcopy -O binary --only-section=.cmdline "$out" "$empty/cmdline" 2>/dev/null || true
baked=$(tr -d '\0' <"$empty/cmdline" 2>/dev/null || true)
[[ -n $baked ]] || die "$out has no .cmdline section"
echo "build-uki: $out .cmdline: $baked"
for w in ${ids:+"vfio_variant.ids=$ids"} ${devices:+"vfio_variant.devices=$devices"}; do
	[[ " $baked " == *" $w "* ]] || die "$out's .cmdline lacks '$w'"
done
