# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# bench/trees.sh — the fake PCI trees of bench/scale.sh and bench/udev.sh.
# Sourced after bench/lib.sh and tests/tree/lib.sh. Sets no shell options.
#
#   make_modules      TREES/modules: every module mk_modules knows (cached)
#   make_tree N       TREES/N: N PCI functions in the mix below (cached)
#   fn_args I         mk_pci arguments of function I; fn_bdf I its address
#
# Addresses: 8 functions a slot, 8 slots a bus, 32 buses a domain (4096 =
# domains 0000 and 0001, 64 buses). IOMMU groups: one per pair of functions
# (fn 0+1, 2+3, ...), so each listed device shares its group with one native
# function, like a GPU with its HDMI audio. Every 16th function is listed by
# RULES (ConnectX VF on mlx5_core, GH200 unbound, virtio-net on virtio-pci,
# in turn); the other 15 are unlisted natives (e1000e, nvme, mlx5_core PF,
# snd_hda_intel, ahci, an unbound VGA, a PCIe port), bound as at runtime.

KVER=6.12.0-bench
RULES="vfio_variant.ids=15b3:101e,10de:2342,1af4:1041"
GEN_VERSION=1 # bump when the mix below changes
TREES=$BENCH_CACHE/trees

fn_bdf() {
	local i=$1
	printf '%04x:%02x:%02x.%x\n' $((i >> 11)) $((1 + (i >> 6 & 31))) $((i >> 3 & 7)) $((i & 7))
}

# Listed devices (index i % 16 == 0, in turn) and natives (the rest, by i % 8).
LISTED=(
	"15b3 101e 0x020000 driver=mlx5_core"
	"10de 2342 0x030200"
	"1af4 1041 0x020000 driver=virtio-pci"
)
NATIVES=(
	"8086 10d3 0x020000 driver=e1000e"
	"1b36 0010 0x010802 driver=nvme"
	"15b3 101d 0x020000 driver=mlx5_core"
	"8086 293e 0x040300 driver=snd_hda_intel"
	"8086 0953 0x010802 driver=nvme"
	"8086 2922 0x010601 driver=ahci"
	"1002 5159 0x030000 bootvga=0"
	"8086 7a38 0x060400 driver=pcieport"
)

# fn_args I: mk_pci arguments (after ROOT) of function I.
fn_args() {
	local i=$1 bdf spec
	printf -v bdf '%04x:%02x:%02x.%x' $((i >> 11)) $((1 + (i >> 6 & 31))) $((i >> 3 & 7)) $((i & 7))
	if ((i % 16 == 0)); then
		spec=${LISTED[i / 16 % 3]}
	else
		spec=${NATIVES[i % 8]}
	fi
	# shellcheck disable=SC2086 # spec is words by design
	echo "$bdf" $spec "group=$((i >> 1))"
}

tree_key() {
	printf 'gen=%s kver=%s rules=%s lib=%s\n' "$GEN_VERSION" "$KVER" "$RULES" \
		"$(sha256sum "$BENCH_REPO/tests/tree/lib.sh" | cut -d' ' -f1)"
	declare -f fn_args
	printf '%s\n' "${LISTED[@]}" "${NATIVES[@]}"
}

make_modules() {
	local dir=$TREES/modules key
	key=$(tree_key)
	if [[ -f $dir/.stamp && $(cat "$dir/.stamp") == "$key" ]]; then
		return 0
	fi
	bench_log "mk_modules (every module, real depmod)"
	rm -rf "$dir"
	mk_modules "$dir" "$KVER" || bench_die "mk_modules failed"
	printf '%s\n' "$key" >"$dir/.stamp"
}

# make_tree N: TREES/N (cached)
make_tree() {
	local n=$1 r=$TREES/$1 key w i workers pids=() rc=0
	key="$(tree_key) n=$n"
	if [[ -f $r/.stamp && $(cat "$r/.stamp") == "$key" ]]; then
		return 0
	fi
	workers=$(nproc 2>/dev/null) || workers=2
	bench_log "generating $n PCI functions with mk_pci ($workers workers; cached afterwards)"
	rm -rf "$r"
	mk_kernel "$r" "$KVER" "$RULES" || bench_die "mk_kernel failed"
	mkdir -p "$r/lib"
	ln -s ../../modules/lib/modules "$r/lib/modules"
	for ((w = 0; w < workers; w++)); do
		(
			# whole slots per worker: a group never spans two workers
			for ((i = w * 8; i < n; i += workers * 8)); do
				for ((f = i; f < i + 8 && f < n; f++)); do
					# shellcheck disable=SC2046 # fn_args prints words
					mk_pci "$r" $(fn_args "$f") || exit 1
				done
			done
		) &
		pids+=($!)
	done
	for w in "${pids[@]}"; do
		wait "$w" || rc=1
	done
	((rc == 0)) || bench_die "mk_pci failed for the $n-function tree"
	printf '%s\n' "$key" >"$r/.stamp"
}

