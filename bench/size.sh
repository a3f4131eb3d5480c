#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/size.sh — the stripped static binary, and what each initramfs
# integration adds to an image, measured by building the image without and
# with it (Debian 6.12 module tree from tests/vm/fetch/fetch-612.sh: .ko.xz
# modules, vfio core + vfio-pci + the one variant that tree has, the
# out-of-tree virtio_vfio_pci).
#
#   bash bench/size.sh
#
# busybox         tests/vm/lib.sh vm_initrd: busybox + a one-line /init, then
#                 the same plus the binary and the modules vfio_pci,
#                 vfio_iommu_type1, virtio_vfio_pci (with their dependencies)
# dracut          dracut 059 -m base vs -m "base vfio-variant" (private copy of
#                 /usr/lib/dracut as dracutbasedir, --no-hostonly,
#                 --kmoddir, --no-compress), as tests/vm/test_dracut.sh builds
# initramfs-tools mkinitramfs (MODULES=list, COMPRESS=zstd) without and with
#                 initramfs-tools/{hooks/vfio-variant,scripts/init-top/
#                 00-vfio-variant}, in a private mount namespace as
#                 tests/vm/test_initramfs_tools.sh does (overlay on /usr/lib with
#                 modules/KVER bind-mounted, /boot bind-mounted): the host's
#                 /lib/modules and /boot are not changed
# mkinitcpio      not packaged by Debian: the install hook's build() is run
#                 with recording stand-ins for add_module (with the
#                 dependencies `modprobe --show-depends` resolves),
#                 add_all_modules, add_binary, add_file, add_runscript,
#                 add_systemd_unit, add_symlink, map; the sum of the
#                 distinct files it adds, and the same files as a cpio
# Sizes: bytes of the uncompressed cpio and of it compressed with
# `zstd -9` (initramfs-tools' default COMPRESS=zstd level). Compressing the
# .ko.xz modules again gains nothing, so they dominate both columns.
# Prints a Markdown table, saved to .cache/bench/size.md; work files in
# .cache/bench/size/.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/vm/lib.sh
. "$BENCH_REPO/tests/vm/lib.sh"

W=$BENCH_CACHE/size
OUT=$BENCH_CACHE/size.md
ROWS=()
NOTES=()

zst() { zstd -q -9 -c "$1" | wc -c; }
# row NAME BASE_FILE WITH_FILE: a table row from two uncompressed images
row() {
	local b w bz wz
	b=$(stat -c %s "$2")
	w=$(stat -c %s "$3")
	bz=$(zst "$2")
	wz=$(zst "$3")
	ROWS+=("| $1 | $b | $w | **$((w - b))** ($(bench_kib $((w - b)))) | $bz | $wz | **$((wz - bz))** ($(bench_kib $((wz - bz)))) |")
}

command -v zstd >/dev/null || bench_die "zstd not found (apt-get install zstd)"
bench_build_binary
bench_log "kernel 6.12 module tree (tests/vm/fetch/fetch-612.sh, cached)"
vm_kernel 6.12 || bench_die "vm_kernel 6.12 failed"
rm -rf "$W"
mkdir -p "$W"

# --- the binary ------------------------------------------------------------------
BIN_SIZE=$(stat -c %s "$BENCH_BIN")
BIN_UNSTRIPPED=$(stat -c %s "$BENCH_BIN.unstripped")
BIN_ZST=$(zst "$BENCH_BIN")
BIN_XZ=$(xz -9 -c "$BENCH_BIN" | wc -c)

# --- busybox ---------------------------------------------------------------------
bench_log "busybox initramfs without and with"
printf '#!/bin/sh\nexec /bin/sh\n' >"$W/init"
(
	unset VM_INITRD_FILES VM_INITRD_ETC
	vm_initrd "$W/busybox-base.cpio" "$VM_KVER" "$VM_MODROOT" "" "$W/init" &&
		vm_initrd "$W/busybox-with.cpio" "$VM_KVER" "$VM_MODROOT" "$BENCH_BIN" "$W/init" \
			vfio_pci vfio_iommu_type1 virtio_vfio_pci
) || bench_die "vm_initrd failed"
row "busybox (binary + vfio_pci, vfio_iommu_type1, virtio_vfio_pci and deps)" \
	"$W/busybox-base.cpio" "$W/busybox-with.cpio"
BB_MODS=$(cd "$W" && mkdir -p x && cd x && cpio -id --quiet <../busybox-with.cpio 2>/dev/null &&
	find lib/modules -name '*.ko*' -printf '%s %f\n' | sort -k2)

# --- dracut ------------------------------------------------------------------------
if command -v dracut >/dev/null; then
	bench_log "dracut -m base, then -m 'base vfio-variant'"
	mkdir -p "$W/dracut/confdir" "$W/dracut/tmp"
	cp -a /usr/lib/dracut "$W/dracut/base"
	rm -rf "$W/dracut/base/modules.d/50vfio-variant"
	cp -a "$BENCH_REPO/dracut-module/50vfio-variant" "$W/dracut/base/modules.d/"
	ok=1
	for v in base with; do
		mods=base
		[[ $v == with ]] && mods="base vfio-variant"
		: >"$W/dracut/$v.conf"
		if ! VFIO_VARIANT_BIN=$BENCH_BIN dracutbasedir=$W/dracut/base \
			dracut --conf "$W/dracut/$v.conf" --confdir "$W/dracut/confdir" --tmpdir "$W/dracut/tmp" \
			--force --no-hostonly --no-hostonly-cmdline --no-early-microcode --no-compress \
			-m "$mods" --kmoddir "$VM_MODDIR" --kver "$VM_KVER" "$W/dracut-$v.cpio" \
			>"$W/dracut-$v.log" 2>&1 || grep -qE '^[FE]: |dracut\[[FE]\]' "$W/dracut-$v.log"; then
			ok=0
		fi
	done
	if ((ok)); then
		row "dracut $(dracut --version 2>/dev/null | awk '{print $2}') (module 50vfio-variant)" \
			"$W/dracut-base.cpio" "$W/dracut-with.cpio"
	else
		NOTES+=("dracut: the build failed, see $W/dracut-*.log")
	fi
else
	NOTES+=("dracut: not installed (apt-get install dracut-core): not measured")
fi

# --- initramfs-tools -----------------------------------------------------------
if command -v mkinitramfs >/dev/null && command -v unshare >/dev/null && ((EUID == 0)); then
	bench_log "mkinitramfs without and with (private mount namespace)"
	ok=1
	for v in base with; do
		C=$W/itools/$v/conf
		mkdir -p "$C/conf.d" "$C/hooks" "$C/scripts/init-top" "$W/itools/$v/ovl/upper" "$W/itools/$v/ovl/work"
		printf '%s\n' MODULES=list BUSYBOX=y KEYMAP=n COMPRESS=zstd DEVICE= NFSROOT=auto \
			RUNSIZE=10% FSTYPE=auto >"$C/initramfs.conf"
		: >"$C/modules"
		if [[ $v == with ]]; then
			install -m 0755 "$BENCH_REPO/initramfs-tools/hooks/vfio-variant" "$C/hooks/"
			install -m 0755 "$BENCH_REPO/initramfs-tools/scripts/init-top/00-vfio-variant" "$C/scripts/init-top/"
		fi
		# shellcheck disable=SC2016 # expanded by the inner bash, from its environment
		if ! VFIO_VARIANT_BIN=$BENCH_BIN O=$W/itools/$v/ovl C=$C IMG=$W/itools-$v.img KVER=$VM_KVER \
			MODDIR=$VM_MODDIR MODROOT=$VM_MODROOT \
			unshare -m --propagation private bash -euc '
				mount -t overlay overlay -o "lowerdir=/usr/lib,upperdir=$O/upper,workdir=$O/work" /usr/lib
				mkdir -p "/usr/lib/modules/$KVER"
				mount --bind "$MODDIR" "/usr/lib/modules/$KVER"
				mount --bind "$MODROOT/boot" /boot
				mkinitramfs -d "$C" -o "$IMG" "$KVER"
			' >"$W/itools-$v.log" 2>&1 || grep -q '^E: ' "$W/itools-$v.log"; then
			ok=0
		fi
	done
	# the image: [early cpio] + zstd(main cpio); both builds have the same
	# early part, so the main cpio is compared (unmkinitramfs would unpack)
	if ((ok)) && zstd -q -d -c "$W/itools-base.img" >"$W/itools-base.cpio" 2>/dev/null &&
		zstd -q -d -c "$W/itools-with.img" >"$W/itools-with.cpio" 2>/dev/null; then
		row "initramfs-tools $(dpkg-query -W -f='${Version}' initramfs-tools-core 2>/dev/null) (hook + init-top)" \
			"$W/itools-base.cpio" "$W/itools-with.cpio"
		NOTES+=("initramfs-tools: its real zstd image grew by $(($(stat -c %s "$W/itools-with.img") - $(stat -c %s "$W/itools-base.img"))) bytes; mkinitramfs decompresses the .ko.xz modules it packs, so its modules are stored uncompressed and the image compresses them")
	else
		NOTES+=("initramfs-tools: mkinitramfs failed or its image is not plain zstd, see $W/itools-*.log")
	fi
else
	NOTES+=("initramfs-tools: needs mkinitramfs, unshare and root: not measured")
fi

# --- mkinitcpio (recorded) ---------------------------------------------------------
bench_log "mkinitcpio install hook build(), recorded"
declare -A MKC_FILES=()
mkc_modfiles() { # MODULE...: the .ko files with dependencies
	local m line
	for m in "$@"; do
		modprobe -C /dev/null -d "$VM_MODROOT" -S "$VM_KVER" --show-depends "$m" 2>/dev/null |
			while read -r line; do
				[[ $line == insmod\ * ]] || continue
				line=${line#insmod }
				printf '%s\n' "${line%% *}"
			done
	done
}
mkc_add() { # SRC DEST
	[[ -f $1 ]] || return 0
	MKC_FILES[$2]=$1
}
mkc_flavour() { # busybox | systemd
	local flavour=$1
	MKC_FILES=()
	(
		# shellcheck disable=SC2317 # called by the hook
		{
			add_module() {
				local f
				while read -r f; do
					[[ -n $f ]] && mkc_add "$f" "${f#"$VM_MODROOT"}"
				done < <(mkc_modfiles "${1%\?}")
			}
			add_all_modules() {
				local f
				while read -r f; do
					add_module "$(basename "${f%%.ko*}")"
				done < <(find "$VM_MODDIR" -name '*.ko*' | grep -E "$1")
			}
			add_binary() { mkc_add "$1" "${2:-$1}"; }
			add_file() { mkc_add "$1" "${2:-$1}"; }
			add_runscript() { mkc_add "$BENCH_REPO/mkinitcpio-hook/hooks/vfio-variant" /hooks/vfio-variant; }
			add_symlink() { :; }
			error() { printf 'error: %s\n' "$*" >&2; }
			warning() { printf 'warning: %s\n' "$*" >&2; }
			map() {
				local f=$1
				shift
				for a in "$@"; do "$f" "$a"; done
			}
			if [[ $flavour == systemd ]]; then
				add_systemd_unit() { mkc_add "$BENCH_REPO/config/$1" "/usr/lib/systemd/system/$1"; }
			fi
		}
		export VFIO_VARIANT_BIN=$BENCH_BIN
		# the module tree mkinitcpio would pass; the pre-flight is about
		# this host's disks, not the image's size
		export VFIO_VARIANT_UNIT=$BENCH_REPO/config/vfio-variant-initrd.service
		export VFIO_VARIANT_PREFLIGHT=off
		_d_kmoduledir=$VM_MODDIR
		# shellcheck source=mkinitcpio-hook/install/vfio-variant
		. "$BENCH_REPO/mkinitcpio-hook/install/vfio-variant"
		build
		local d
		for d in "${!MKC_FILES[@]}"; do
			printf '%s\t%s\n' "$d" "${MKC_FILES[$d]}"
		done
	)
}
declare -A MKC_SUM MKC_N MKC_Z MKC_C
for flavour in busybox systemd; do
	mkc_flavour "$flavour" | sort >"$W/mkinitcpio-$flavour.list"
	rm -rf "$W/mkc" && mkdir -p "$W/mkc"
	while IFS=$'\t' read -r dest src; do
		mkdir -p "$W/mkc/$(dirname "$dest")"
		cp "$src" "$W/mkc/$dest"
	done <"$W/mkinitcpio-$flavour.list"
	(cd "$W/mkc" && find . -mindepth 1 -print0 | LC_ALL=C sort -z | cpio --null --quiet -o -H newc -R 0:0) \
		>"$W/mkinitcpio-$flavour.cpio"
	MKC_SUM[${flavour}]=$(cut -f2 "$W/mkinitcpio-$flavour.list" | xargs stat -c %s | awk '{s += $1} END {print s}')
	MKC_N[${flavour}]=$(wc -l <"$W/mkinitcpio-$flavour.list")
	MKC_Z[${flavour}]=$(zst "$W/mkinitcpio-$flavour.cpio")
	MKC_C[${flavour}]=$(stat -c %s "$W/mkinitcpio-$flavour.cpio")
done

{
	printf '### Size (%s)\n\n' "$(bench_revision)"
	printf '| what | bytes |\n|---|---:|\n'
	printf '| %s, static musl + libkmod 34.2, stripped | **%s** (%s) |\n' "\`build/vfio-variant\`" \
		"$BIN_SIZE" "$(bench_kib "$BIN_SIZE")"
	printf '| the same, unstripped | %s |\n' "$BIN_UNSTRIPPED"
	printf '| stripped, zstd -9 / xz -9 | %s / %s |\n' "$BIN_ZST" "$BIN_XZ"
	printf '\nWhat each integration adds to an initramfs (kernel %s; modules .ko.xz):\n\n' "$VM_KVER"
	printf '| image | without, bytes | with, bytes | added | without, zstd -9 | with, zstd -9 | added, zstd -9 |\n'
	printf '|---|---:|---:|---:|---:|---:|---:|\n'
	printf '%s\n' "${ROWS[@]}"
	for flavour in busybox systemd; do
		printf '| mkinitcpio (install hook, %s init; %s files, recorded) | – | – | **%s** (%s), as cpio %s | – | – | **%s** (%s) |\n' \
			"$flavour" "${MKC_N[$flavour]}" "${MKC_SUM[$flavour]}" "$(bench_kib "${MKC_SUM[$flavour]}")" \
			"${MKC_C[$flavour]}" "${MKC_Z[$flavour]}" "$(bench_kib "${MKC_Z[$flavour]}")"
	done
	printf '\nModules in the busybox image (bytes, as packed):\n\n%s\n%s\n%s\n' '~~~' "$BB_MODS" '~~~'
	if ((${#NOTES[@]})); then
		printf '\nNotes:\n\n'
		printf -- '- %s\n' "${NOTES[@]}"
	fi
} | tee "$OUT"
