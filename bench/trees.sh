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


# --- DGX-like: 4,096 ConnectX VFs, all listed (4,116 functions) -----------
#
# make_dgx          TREES/dgx (cached): 8 ConnectX-7 PFs (15b3:101d on
#                   mlx5_core, sriov_totalvfs=numvfs=512), each with 512 VFs
#                   (15b3:101e on mlx5_core, physfn and virtfnN links), 8 H100
#                   GPUs (10de:2330, no driver) and 4 NVMe drives: 4,116
#                   functions. Every function is its own IOMMU group (ACS
#                   everywhere, as on such hosts). DGX_RULES lists every VF.
#   dgx_vf_bdf K    address of VF K (0..4095); DGX_N, DGX_LISTED the counts
#
# PF p sits at 0000:(0x10+4p):00.0 and its VFs on the next buses, 256 a bus
# (ARI numbering: dev = devfn >> 3, fn = devfn & 7).
DGX_RULES="vfio_variant.ids=15b3:101e"
DGX_N=4116
# shellcheck disable=SC2034 # read by bench/compare.sh
DGX_LISTED=4096
DGX_GEN=1 # bump when the layout below changes

dgx_vf_bdf() {
	local p=$(($1 >> 9)) v=$(($1 & 511))
	printf '0000:%02x:%02x.%x\n' $((0x10 + 4 * p + 1 + (v >> 8))) $((v >> 3 & 31)) $((v & 7))
}

# dgx_pf ROOT P: PF P and its 512 VFs (see make_dgx)
dgx_pf() {
	local r=$1 p=$2 v k bdf pf vf0 t uev gdirs=()
	printf -v pf '0000:%02x:00.0' $((0x10 + 4 * p))
	mk_pci "$r" "$pf" 15b3 101d 0x020000 driver=mlx5_core totalvfs=512 numvfs=512 \
		"group=$p" acs=1 || return 1
	vf0=$(dgx_vf_bdf $((p * 512)))
	mk_pci "$r" "$vf0" 15b3 101e 0x020000 driver=mlx5_core "physfn=$pf" \
		"group=$((100 + p * 512))" acs=1 || return 1
	t=$r/sys/devices/pci0000:00
	uev=$(<"$t/$vf0/uevent")
	for ((v = 1; v < 512; v++)); do
		gdirs+=("$r/sys/kernel/iommu_groups/$((100 + p * 512 + v))/devices")
	done
	mkdir -p "${gdirs[@]}" || return 1
	for ((v = 1; v < 512; v++)); do
		k=$((p * 512 + v))
		printf -v bdf '0000:%02x:%02x.%x' $((0x10 + 4 * p + 1 + (v >> 8))) $((v >> 3 & 31)) $((v & 7))
		cp -a "$t/$vf0" "$t/$bdf" &&
			ln -sfn "../../../kernel/iommu_groups/$((100 + k))" "$t/$bdf/iommu_group" &&
			ln -s "../$bdf" "$t/$pf/virtfn$v" &&
			ln -s "../../../../devices/pci0000:00/$bdf" "$r/sys/kernel/iommu_groups/$((100 + k))/devices/$bdf" ||
			return 1
		printf 'DMA\n' >"$r/sys/kernel/iommu_groups/$((100 + k))/type"
		: >"$r/sys/kernel/iommu_groups/$((100 + k))/reserved_regions"
		# uevent: mk_pci's, with this address
		printf '%s\n' "${uev/PCI_SLOT_NAME=$vf0/PCI_SLOT_NAME=$bdf}" >"$t/$bdf/uevent"
	done
}

make_dgx() {
	local r=$TREES/dgx key p w k bdf links=() drv=() pids=() rc=0
	key="dgx=$DGX_GEN $(tree_key) rules=$DGX_RULES"
	if [[ -f $r/.stamp && $(cat "$r/.stamp") == "$key" ]]; then
		return 0
	fi
	bench_log "generating the DGX-like tree ($DGX_N functions; cached afterwards)"
	rm -rf "$r"
	mk_kernel "$r" "$KVER" "$DGX_RULES" || bench_die "mk_kernel failed"
	mkdir -p "$r/lib"
	ln -s ../../modules/lib/modules "$r/lib/modules"
	# Per PF: the PF and its first VF from mk_pci; the other 511 VFs are
	# copies of that VF (cp -a: same files, same relative driver, physfn
	# and subsystem links), then their own uevent, IOMMU group and links,
	# the shared ones made in a few batched ln calls (mk_pci for each of
	# the 4,096 would take ~20 minutes on 2 CPUs).
	for ((w = 0; w < 4; w++)); do
		(
			for ((p = w; p < 8; p += 4)); do
				dgx_pf "$r" "$p" || exit 1
			done
		) &
		pids+=($!)
	done
	for w in "${pids[@]}"; do
		wait "$w" || rc=1
	done
	((rc == 0)) || bench_die "generating the VFs failed"
	for ((k = 0; k < 4096; k++)); do
		((k % 512)) || continue
		printf -v bdf '0000:%02x:%02x.%x' $((0x10 + 4 * (k >> 9) + 1 + (k >> 8 & 1))) $((k >> 3 & 31)) $((k & 7))
		links+=("../../../devices/pci0000:00/$bdf")
		drv+=("../../../../devices/pci0000:00/$bdf")
	done
	(cd "$r/sys/bus/pci/devices" && ln -s "${links[@]}" .) || bench_die "device links"
	(cd "$r/sys/bus/pci/drivers/mlx5_core" && ln -s "${drv[@]}" .) || bench_die "driver links"
	for ((p = 0; p < 8; p++)); do
		printf -v bdf '0000:%02x:00.0' $((0x80 + p))
		mk_pci "$r" "$bdf" 10de 2330 0x030200 "group=$((8 + p))" acs=1 || bench_die "mk_pci $bdf failed"
	done
	for ((p = 0; p < 4; p++)); do
		printf -v bdf '0000:%02x:00.0' $((0xc0 + p))
		mk_pci "$r" "$bdf" 8086 0953 0x010802 driver=nvme "group=$((16 + p))" acs=1 ||
			bench_die "mk_pci $bdf failed"
	done
	printf '%s\n' "$key" >"$r/.stamp"
}
