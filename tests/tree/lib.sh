# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# tests/tree/lib.sh — fixture generators for the tree tests.
#
# Source it from a bash test script:   . "$(dirname "$0")/../lib.sh"
# It sets no shell options and no traps; every function returns non-zero
# (after one line on stderr) when it cannot do its job.
#
#   mk_kernel ROOT KVER [CMDLINE]
#       ROOT/proc/cmdline (CMDLINE, or empty if missing and none given),
#       ROOT/proc/sys/kernel/osrelease (KVER), the empty sysfs skeleton.
#
#   mk_modules ROOT KVER [MODULE...]
#       A module tree at ROOT/lib/modules/KVER (replacing any there) made
#       of tiny ELF objects whose only content is .modinfo strings (plus one
#       __ksymtab_strings name and undefined symbol references, so that the
#       real `depmod` computes modules.dep: depmod ignores `depends=`; the
#       symbol names are stand-ins, one per provider), at the upstream
#       in-tree paths, indexed by the real `depmod -b ROOT KVER` (with an
#       empty -C config dir, so the host's depmod.d stays out).  MODULE names use underscores
#       (vfio_pci).  No MODULE: every module below.  The hard dependencies of
#       each requested module are added (MK_MODULES_NODEPS=1: don't).
#       KVER must start with "N.N" (depmod's rule for telling a version from
#       a file name), e.g. 6.18.0-test.
#       Environment:
#         MK_MODULES_BUILTIN="vfio_pci ..."  these (and their hard
#             dependencies: a =y module cannot depend on a =m one) go to
#             modules.builtin / modules.builtin.modinfo instead of a .ko.
#         MK_MODULES_BUILTIN_ALIASES=0  emulate kernels before 6.18, whose
#             modules.builtin.modinfo has no MODULE_DEVICE_TABLE aliases
#             (only explicit MODULE_ALIAS, which none of these drivers has).
#             Default 1: 6.18+ (modpost writes them, series "Add generated
#             modalias to modules.builtin.modinfo").
#         MK_MODULES_NODEPS=1  take the module list literally.
#         MK_MODULES_SERIES=6.12  the VFIO variants' alias sets of an older
#             kernel, as Debian's 6.12 module trees carry them (see
#             _mkm_aliases): nvgrace_gpu_vfio_pci 2342 2345 only,
#             virtio_vfio_pci 1041 only, qat_vfio_pci without the 420xx VF,
#             no xe_vfio_pci (6.19) and no ism_vfio_pci (7.1).  Default:
#             the newest tables below (7.2).
#         MK_CC  compiler (default gcc).
#         MK_MODULES_CACHE=DIR  where built trees are kept (default: build/
#             fixtures of this checkout; empty: build every time). A tree
#             is built once, into DIR/modules-HASH, and copied from there
#             afterwards: HASH covers everything that shapes it (this file,
#             KVER, the MODULE list, the MK_MODULES_* and MK_CC settings,
#             depmod's and the compiler's versions), so any change of those
#             builds a new one. Safe with suites running side by side (an
#             entry appears by rename, complete).
#
#   mk_pci ROOT BDF VENDOR DEVICE CLASS [key=value ...]
#       A PCI device in fake sysfs, laid out as the kernel does.
#       BDF: 0000:41:00.0 (or 41:00.0 for domain 0).  VENDOR/DEVICE: hex,
#       with or without 0x.  CLASS: 24-bit hex (0x020000, 0x010802); 4 or
#       fewer hex digits mean base class + subclass (0x0300 = 0x030000).
#       Keys: subvendor= (default VENDOR) subdevice= (default 0000) rev=
#       (default 00) group=N (IOMMU group) driver=NAME (bound driver)
#       bootvga=0|1 (VGA class only) totalvfs=N numvfs=N (SR-IOV PF)
#       physfn=PFBDF (SR-IOV VF) override=NAME (driver_override).
#       parent=BRIDGEBDF (the device sits below that bridge in /sys/devices),
#       acs=1 (4 KiB config space with the ACS capability, all four
#       request flags on: the kernel isolates the device).
#       Calling it again for the same BDF replaces the device.
#
#   mk_bind ROOT BDF [DRIVERNAME]
#       Bind the device to DRIVERNAME as the kernel would show it (driver
#       symlink, back link, uevent); no DRIVERNAME: unbind.
#
#   mk_loaded ROOT MODULE [DRIVERNAME]
#       MODULE is loaded: ROOT/sys/module/MODULE/{initstate=live,refcnt} and,
#       with DRIVERNAME, drivers/pci:DRIVERNAME -> the PCI driver directory
#       (created, with its module link).
#
#   mk_builtin_driver ROOT MODULE DRIVERNAME
#       As mk_loaded for a built-in module: /sys/module/MODULE has no
#       initstate/refcnt, only drivers/pci:DRIVERNAME.
#
#   mk_driver_name MODULE
#       Prints the name MODULE's pci_driver registers (what
#       /sys/module/MODULE/drivers/pci:NAME and driver_override use):
#       vfio_pci -> vfio-pci, xe_vfio_pci -> xe-vfio-pci, virtio_pci ->
#       virtio-pci, KBUILD_MODNAME (= MODULE) for the others listed here.
#
#   mk_pci_driver ROOT DRIVERNAME
#       ROOT/sys/bus/pci/drivers/DRIVERNAME with bind, unbind, new_id,
#       remove_id, uevent (what registering a PCI driver creates).
#
#   mk_smmu_host ROOT [HDA-KEY=VALUE]
#       QEMU virt + SMMUv3 as the arm64 kernel shows it before any driver
#       probed (an SMMU registered, no groups yet): NVMe 0000:00:05.0 + HDA
#       00:05.1 in one slot (HDA-KEY=VALUE: one more mk_pci option for it),
#       virtio-net 00:03.0 probed by built-in virtio-pci (group 0), an
#       e1000e 00:06.0, a GPU + audio + NIC behind root port 00:07.0
#       without ACS, a ConnectX PF + function + NIC behind 00:08.0 with ACS;
#       ROOT/dev/kmsg empty.
#
# Upstream facts these fixtures rely on (Linux sources):
#   scripts/mod/file2alias.c do_pci_entry(): an id with
#   override_only == PCI_ID_F_VFIO_DRIVER_OVERRIDE (what
#   PCI_DRIVER_OVERRIDE_DEVICE_VFIO() sets) gets the prefix "vfio_pci:"
#   instead of "pci:"; fields are "%08X" (upper case), "*" for PCI_ANY_ID
#   and for a zero class mask, and a "*" is appended unless already last:
#   vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*
#   drivers/pci/pci-sysfs.c: vendor/device/subsystem_* "0x%04x\n",
#   class "0x%06x\n", revision "0x%02x\n", modalias
#   "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", driver_override
#   "%s\n" of a NULL pointer = "(null)\n", boot_vga only for class 0x0300xx.

# --------------------------------------------------------------------------
# module database

# _mkm_ids OUTARRAY PREFIX VENDOR SUFFIX DEVICE...
# Appends PREFIX v%08X d%08X SUFFIX for each DEVICE to OUTARRAY.
_mkm_ids() {
	local -n _mkm_out=$1
	local prefix=$2 vendor=$3 suffix=$4 d v dd
	shift 4
	printf -v v '%08X' "$((16#$vendor))"
	for d in "$@"; do
		printf -v dd '%08X' "$((16#$d))"
		_mkm_out+=("${prefix}v${v}d${dd}${suffix}")
	done
}

# _mkm_def NAME RELPATH LICENSE DEPS EXPORT SOFTDEP [ALIAS...]
# DEPS: module names (underscores) whose exported symbol NAME imports.
# EXPORT: one symbol NAME exports (what its dependants import), or "".
_mkm_def() {
	local name=$1
	_MKM_ORDER+=("$name")
	_MKM_PATH[$name]=$2
	_MKM_LIC[$name]=$3
	_MKM_DEPS[$name]=$4
	_MKM_EXP[$name]=$5
	_MKM_SOFT[$name]=$6
	shift 6
	local IFS=$'\n'
	_MKM_ALIAS[$name]="$*"
}

# The modules, in the order the kernel's link order puts them in
# modules.order (drivers/ before sound/ before virt/; in
# drivers/vfio/pci/Makefile vfio-pci-core.o and vfio-pci.o come before the
# variant subdirectories, so generic vfio_pci precedes every variant).
_mkm_init() {
	[[ ${_MKM_READY:-} == 1 ]] && return 0
	declare -gA _MKM_PATH=() _MKM_LIC=() _MKM_DEPS=() _MKM_EXP=() \
		_MKM_SOFT=() _MKM_ALIAS=()
	declare -ga _MKM_ORDER=()
	local -a a

	# drivers/virtio/virtio_pci_common.c: virtio_pci_id_table
	#   { PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, PCI_ANY_ID) }
	# (Debian builds it in: use MK_MODULES_BUILTIN=virtio_pci for that.)
	_mkm_def virtio_pci kernel/drivers/virtio/virtio_pci.ko GPL "" \
		virtio_pci_admin_has_dev_parts "" \
		'pci:v00001AF4d*sv*sd*bc*sc*i*'

	# drivers/iommu/iommufd/: no PCI aliases; vfio imports from it.
	_mkm_def iommufd kernel/drivers/iommu/iommufd/iommufd.ko GPL "" \
		iommufd_device_bind ""

	# drivers/gpu/drm/radeon/radeon_drv.c: pciidlist (radeon_PCI_IDS)
	#   {0x1002, 0x5159, PCI_ANY_ID, PCI_ANY_ID, 0, 0, CHIP_RV100|...}
	_mkm_def radeon kernel/drivers/gpu/drm/radeon/radeon.ko "GPL and additional rights" \
		"" "" "" 'pci:v00001002d00005159sv*sd*bc*sc*i*'

	# drivers/gpu/drm/xe/xe_pci.c: pciidlist
	#   INTEL_BMG_IDS/INTEL_PTL_IDS/INTEL_WCL_IDS(INTEL_VGA_DEVICE, ...)
	# include/drm/intel/pciids.h: INTEL_VGA_DEVICE sets .class =
	#   PCI_BASE_CLASS_DISPLAY << 16, .class_mask = 0xff << 16 -> bc03sc*i*
	# (only the BMG, PTL and WCL ids, the ones xe_vfio_pci also lists)
	a=()
	_mkm_ids a pci: 8086 'sv*sd*bc03sc*i*' "${_MKM_XE_IDS[@]}"
	_mkm_def xe kernel/drivers/gpu/drm/xe/xe.ko "GPL and additional rights" \
		"" xe_sriov_vfio_get_pf "" "${a[@]}"

	# drivers/nvme/host/: nvme-core has no aliases; nvme imports from it.
	_mkm_def nvme_core kernel/drivers/nvme/host/nvme-core.ko GPL "" \
		nvme_init_ctrl ""
	# drivers/nvme/host/pci.c: nvme_id_table
	#   { PCI_VDEVICE(INTEL, 0x0953), ... }
	#   { PCI_DEVICE_CLASS(PCI_CLASS_STORAGE_EXPRESS, 0xffffff) }
	_mkm_def nvme kernel/drivers/nvme/host/nvme.ko GPL nvme_core "" "" \
		'pci:v00008086d00000953sv*sd*bc*sc*i*' \
		'pci:v*d*sv*sd*bc01sc08i02*'

	# drivers/net/ethernet/amd/pds_core/: library for pds_vfio_pci (its own
	# PF id table is left out here).
	_mkm_def pds_core kernel/drivers/net/ethernet/amd/pds_core/pds_core.ko GPL "" \
		pds_client_adminq_cmd ""

	# drivers/net/ethernet/intel/e1000e/netdev.c: e1000_pci_tbl
	#   { PCI_VDEVICE(INTEL, E1000_DEV_ID_82574L) } (0x10D3)
	_mkm_def e1000e kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko GPL "" "" "" \
		'pci:v00008086d000010D3sv*sd*bc*sc*i*'

	# drivers/net/ethernet/mellanox/mlx5/core/main.c: mlx5_core_pci_table
	#   { PCI_VDEVICE(MELLANOX, 0x101d) },  /* ConnectX-6 Dx */
	#   { PCI_VDEVICE(MELLANOX, 0x101e), MLX5_PCI_DEV_IS_VF }
	_mkm_def mlx5_core kernel/drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko \
		"Dual BSD/GPL" "" mlx5_vf_get_core_dev "" \
		'pci:v000015B3d0000101Dsv*sd*bc*sc*i*' \
		'pci:v000015B3d0000101Esv*sd*bc*sc*i*'

	# drivers/vfio/vfio_main.c:
	#   MODULE_SOFTDEP("post: vfio_iommu_type1 vfio_iommu_spapr_tce");
	_mkm_def vfio kernel/drivers/vfio/vfio.ko "GPL v2" iommufd \
		vfio_register_group_dev "post: vfio_iommu_type1 vfio_iommu_spapr_tce"
	# drivers/vfio/vfio_iommu_type1.c: no aliases; registers with vfio.
	_mkm_def vfio_iommu_type1 kernel/drivers/vfio/vfio_iommu_type1.ko "GPL v2" \
		vfio "" ""

	# drivers/vfio/pci/vfio_pci_core.c: no id table.
	_mkm_def vfio_pci_core kernel/drivers/vfio/pci/vfio-pci-core.ko "GPL v2" \
		"vfio irqbypass" vfio_pci_core_register_device ""
	# drivers/vfio/pci/vfio_pci.c: vfio_pci_table
	#   { PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) }
	_mkm_def vfio_pci kernel/drivers/vfio/pci/vfio-pci.ko "GPL v2" \
		"vfio_pci_core vfio" "" "" \
		'vfio_pci:v*d*sv*sd*bc*sc*i*'

	# drivers/vfio/pci/mlx5/main.c: mlx5vf_pci_table
	#   { PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_MELLANOX, 0x101e) }
	a=()
	_mkm_ids a vfio_pci: 15b3 'sv*sd*bc*sc*i*' 101e
	_mkm_def mlx5_vfio_pci kernel/drivers/vfio/pci/mlx5/mlx5-vfio-pci.ko GPL \
		"mlx5_core vfio_pci_core vfio" "" "" "${a[@]}"

	# drivers/vfio/pci/hisilicon/hisi_acc_vfio_pci.c: hisi_acc_vfio_pci_table
	#   PCI_VENDOR_ID_HUAWEI with PCI_DEVICE_ID_HUAWEI_SEC_VF (0xa256),
	#   _HPRE_VF (0xa259), _ZIP_VF (0xa251) (include/linux/pci_ids.h);
	#   the PFs a255/a258/a250 are not in the table.
	a=()
	_mkm_ids a vfio_pci: 19e5 'sv*sd*bc*sc*i*' a256 a259 a251
	_mkm_def hisi_acc_vfio_pci kernel/drivers/vfio/pci/hisilicon/hisi-acc-vfio-pci.ko \
		"GPL v2" "hisi_qm vfio_pci_core vfio" "" "" "${a[@]}"

	# drivers/vfio/pci/pds/pci_drv.c: pds_vfio_pci_table
	#   { PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_PENSANDO, 0x1003) }
	a=()
	_mkm_ids a vfio_pci: 1dd8 'sv*sd*bc*sc*i*' 1003
	_mkm_def pds_vfio_pci kernel/drivers/vfio/pci/pds/pds-vfio-pci.ko GPL \
		"pds_core vfio_pci_core vfio" "" "" "${a[@]}"

	# drivers/vfio/pci/virtio/main.c: virtiovf_pci_table
	#   PCI_VENDOR_ID_REDHAT_QUMRANET 0x1041 (net), 0x1042 (block)
	a=()
	_mkm_ids a vfio_pci: 1af4 'sv*sd*bc*sc*i*' 1041 1042
	_mkm_def virtio_vfio_pci kernel/drivers/vfio/pci/virtio/virtio-vfio-pci.ko GPL \
		"virtio_pci vfio_pci_core vfio" "" "" "${a[@]}"

	# drivers/vfio/pci/nvgrace-gpu/main.c: nvgrace_gpu_vfio_pci_table
	#   PCI_VENDOR_ID_NVIDIA 0x2342 0x2345 0x2348 (GH200) 0x2941 (GB200)
	#   0x31C2 (GB300, since 6.18)
	a=()
	_mkm_ids a vfio_pci: 10de 'sv*sd*bc*sc*i*' 2342 2345 2348 2941 31c2
	_mkm_def nvgrace_gpu_vfio_pci \
		kernel/drivers/vfio/pci/nvgrace-gpu/nvgrace-gpu-vfio-pci.ko GPL \
		"vfio_pci_core vfio" "" "" "${a[@]}"

	# drivers/vfio/pci/qat/main.c: qat_vf_vfio_pci_table
	#   PCI_VENDOR_ID_INTEL 0x4941 0x4943 0x4945 (QAT GEN4 4xxx VF), and
	#   since 7.1 0x4947 (420xx VF: PCI_DEVICE_ID_INTEL_QAT_420XXIOV, was
	#   ADF_420XXIOV_PCI_DEVICE_ID in qat_common/adf_accel_devices.h).
	#   (0x4949, GEN6, was posted but is not in the upstream table.)
	#   drivers/vfio/pci/qat/Makefile names the object qat_vfio_pci.o:
	#   underscores in the file name, unlike its siblings.
	a=()
	_mkm_ids a vfio_pci: 8086 'sv*sd*bc*sc*i*' 4941 4943 4945 4947
	_mkm_def qat_vfio_pci kernel/drivers/vfio/pci/qat/qat_vfio_pci.ko GPL \
		"intel_qat vfio_pci_core vfio" "" "" "${a[@]}"

	# drivers/vfio/pci/xe/main.c: xe_vfio_pci_table
	#   INTEL_PTL_IDS, INTEL_WCL_IDS, INTEL_BMG_IDS(INTEL_PCI_VFIO_DEVICE)
	#   where INTEL_PCI_VFIO_DEVICE(id) is
	#   PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_INTEL, id); the id
	#   lists are include/drm/intel/pciids.h's (all of them, see
	#   _MKM_XE_IDS).  pci_driver .name = "xe-vfio-pci".
	a=()
	_mkm_ids a vfio_pci: 8086 'sv*sd*bc*sc*i*' "${_MKM_XE_IDS[@]}"
	_mkm_def xe_vfio_pci kernel/drivers/vfio/pci/xe/xe-vfio-pci.ko GPL \
		"xe vfio_pci_core vfio" "" "" "${a[@]}"

	# drivers/vfio/pci/ism/main.c: ism_device_table
	#   PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_IBM,
	#   PCI_DEVICE_ID_IBM_ISM) = 1014:04ED (s390 only).
	a=()
	_mkm_ids a vfio_pci: 1014 'sv*sd*bc*sc*i*' 04ed
	_mkm_def ism_vfio_pci kernel/drivers/vfio/pci/ism/ism-vfio-pci.ko GPL \
		"vfio_pci_core vfio" "" "" "${a[@]}"

	# drivers/crypto/hisilicon/qm.c: library for hisi_acc_vfio_pci.
	_mkm_def hisi_qm kernel/drivers/crypto/hisilicon/hisi_qm.ko "GPL v2" "" \
		hisi_qm_wait_mb_ready ""
	# drivers/crypto/intel/qat/qat_common/: library for qat_vfio_pci.
	_mkm_def intel_qat kernel/drivers/crypto/intel/qat/qat_common/intel_qat.ko \
		"Dual BSD/GPL" "" qat_vfmig_create ""

	# sound/hda/controllers/intel.c (sound/pci/hda/hda_intel.c before
	# 6.17): azx_ids
	#   the ICH9 entry, 8086:293e
	#   { PCI_DEVICE(PCI_VENDOR_ID_ATI, PCI_ANY_ID), .class =
	#     PCI_CLASS_MULTIMEDIA_HD_AUDIO << 8, .class_mask = 0xffffff }
	_mkm_def snd_hda_intel kernel/sound/hda/controllers/snd-hda-intel.ko GPL \
		"" "" "" \
		'pci:v00008086d0000293Esv*sd*bc*sc*i*' \
		'pci:v00001002d*sv*sd*bc04sc03i00*'

	# virt/lib/irqbypass.c: no aliases; vfio-pci-core imports from it.
	_mkm_def irqbypass kernel/virt/lib/irqbypass.ko "GPL v2" "" \
		irq_bypass_register_producer ""

	_MKM_READY=1
}

# include/drm/intel/pciids.h: INTEL_PTL_IDS, INTEL_WCL_IDS, INTEL_BMG_IDS
# (BMG = INTEL_BMG_G21_IDS + E220..E223), in xe_vfio_pci_table's order.
_MKM_XE_IDS=(
	b080 b081 b082 b083 b084 b085 b086 b087 b08f b090 b0a0 b0b0
	fd80 fd81
	e202 e209 e20b e20c e20d e210 e211 e212 e216 e220 e221 e222 e223
)

# _mkm_aliases NAME: NAME's alias lines for MK_MODULES_SERIES. 6.12: the
# tables as that release had them (Debian's 6.12 trees, amd64 and arm64,
# list exactly these vfio_pci: lines for the variants built from
# linux-source-6.12: nvgrace_gpu_vfio_pci 2342 2345, virtio_vfio_pci 1041;
# qat_vfio_pci's table of 6.11/6.12 is 4941 4943 4945).
_mkm_aliases() {
	local -a a=()
	case ${MK_MODULES_SERIES:-}:$1 in
	6.12:nvgrace_gpu_vfio_pci) _mkm_ids a vfio_pci: 10de 'sv*sd*bc*sc*i*' 2342 2345 ;;
	6.12:virtio_vfio_pci) _mkm_ids a vfio_pci: 1af4 'sv*sd*bc*sc*i*' 1041 ;;
	6.12:qat_vfio_pci) _mkm_ids a vfio_pci: 8086 'sv*sd*bc*sc*i*' 4941 4943 4945 ;;
	*)
		[[ -n ${_MKM_ALIAS[$1]} ]] && printf '%s\n' "${_MKM_ALIAS[$1]}"
		return 0
		;;
	esac
	printf '%s\n' "${a[@]}"
}

# _mkm_in_series NAME: NAME exists in MK_MODULES_SERIES (xe_vfio_pci came
# with 6.19, ism_vfio_pci with 7.1)
_mkm_in_series() {
	case ${MK_MODULES_SERIES:-}:$1 in
	6.12:xe_vfio_pci | 6.12:ism_vfio_pci) return 1 ;;
	esac
	return 0
}

# pci_driver .name of each module: upstream sets it explicitly to these in
# drivers/vfio/pci/vfio_pci.c ("vfio-pci"), drivers/vfio/pci/xe/main.c
# ("xe-vfio-pci"), drivers/vfio/pci/qat/main.c ("qat_vfio_pci"),
# drivers/virtio/virtio_pci_common.c ("virtio-pci"), nvme ("nvme"),
# e1000e ("e1000e"), radeon and xe (DRIVER_NAME); every other module here
# uses KBUILD_MODNAME, i.e. its own name.
mk_driver_name() {
	case ${1:?usage: mk_driver_name MODULE} in
	vfio_pci) echo vfio-pci ;;
	xe_vfio_pci) echo xe-vfio-pci ;;
	virtio_pci) echo virtio-pci ;;
	*) echo "$1" ;;
	esac
}

_mk_err() {
	printf '%s\n' "tests/tree/lib.sh: $*" >&2
	return 1
}

# _mkm_closure OUTASSOC NAME... : NAME and (unless MK_MODULES_NODEPS=1)
# everything it depends on, transitively.
_mkm_closure() {
	local -n _mkm_set=$1
	shift
	local -a todo=("$@")
	local m d
	while ((${#todo[@]})); do
		m=${todo[0]}
		todo=("${todo[@]:1}")
		[[ -n ${_mkm_set[$m]:-} ]] && continue
		[[ -n ${_MKM_PATH[$m]:-} ]] || _mk_err "mk_modules: unknown module '$m' (known: ${_MKM_ORDER[*]})" || return 1
		# (an associative array: the $ is needed)
		# shellcheck disable=SC2004
		_mkm_set[$m]=1
		[[ ${MK_MODULES_NODEPS:-0} == 1 ]] && continue
		for d in ${_MKM_DEPS[$m]}; do
			todo+=("$d")
		done
	done
}

_mkm_cstr() { # VAR STRING : STRING escaped for a C string literal, in VAR
	local -n _mkm_c=$1
	local s=${2//\\/\\\\}
	_mkm_c=${s//\"/\\\"}
}

# _mkm_csource NAME KVER BUILTINSET : C source of the fake module on stdout
_mkm_csource() {
	local name=$1 kver=$2 d deps="" sym al e
	local -n _mkm_bi=$3
	local -a imports=()
	for d in ${_MKM_DEPS[$name]}; do
		sym=${_MKM_EXP[$d]}
		[[ -n $sym ]] && imports+=("$sym")
		# A built-in provider exports from vmlinux: no module dependency.
		[[ -n ${_mkm_bi[$d]:-} ]] && continue
		d=${_MKM_PATH[$d]##*/}
		deps+=${deps:+,}${d%.ko}
	done
	printf '/* fake %s for vfio-variant tree tests (tests/tree/lib.sh) */\n' "$name"
	printf 'static const char __modinfo[] __attribute__((section(".modinfo"), used, aligned(1))) =\n'
	_mkm_cstr e "${_MKM_LIC[$name]}"
	printf '\t"license=%s\\0"\n' "$e"
	if [[ -n ${_MKM_SOFT[$name]} ]]; then
		_mkm_cstr e "${_MKM_SOFT[$name]}"
		printf '\t"softdep=%s\\0"\n' "$e"
	fi
	while IFS= read -r al; do
		[[ -n $al ]] || continue
		_mkm_cstr e "$al"
		printf '\t"alias=%s\\0"\n' "$e"
	done < <(_mkm_aliases "$name")
	# modpost's depends=: the providers' file names, dashes kept.
	printf '\t"depends=%s\\0"\n' "$deps"
	printf '\t"intree=Y\\0"\n'
	printf '\t"name=%s\\0"\n' "$name"
	_mkm_cstr e "$kver"
	printf '\t"vermagic=%s SMP preempt mod_unload modversions ";\n' "$e"
	# What depmod reads to compute modules.dep: exported names in
	# __ksymtab_strings, imported ones as undefined symbols.
	if [[ -n ${_MKM_EXP[$name]} ]]; then
		printf 'static const char __mk_ksymtab[] __attribute__((section("__ksymtab_strings"), used, aligned(1))) = "%s";\n' \
			"${_MKM_EXP[$name]}"
	fi
	if ((${#imports[@]})); then
		for sym in "${imports[@]}"; do
			printf 'extern char %s[];\n' "$sym"
		done
		printf 'void *const __mk_imports[] __attribute__((used)) = {'
		printf ' %s,' "${imports[@]}"
		printf ' 0 };\n'
	fi
}

_MK_LIBFILE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh
_MK_CACHE_DEFAULT=${_MK_LIBFILE%/tests/tree/lib.sh}/build/fixtures

mk_modules() {
	if (($# < 2)); then
		_mk_err "usage: mk_modules ROOT KVER [MODULE...]"
		return
	fi
	[[ $2 =~ ^[0-9]+\.[0-9]+ ]] ||
		{ _mk_err "mk_modules: KVER '$2' must start with N.N (depmod treats anything else as a file name)"; return; }
	command -v depmod >/dev/null || { _mk_err "mk_modules: depmod not found (install kmod)"; return; }
	if [[ -n ${MK_MODULES_CACHE-$_MK_CACHE_DEFAULT} ]]; then
		_mkm_cached "$@"
	else
		_mkm_build "$@"
	fi
}

# _mkm_key KVER [MODULE...]: every input of a module tree, one per line
_mkm_key() {
	local cc=${MK_CC:-gcc}
	printf 'lib=%s\n' "$(sha256sum <"$_MK_LIBFILE" | cut -d' ' -f1)"
	printf 'kver=%s\nmodules=%s\n' "$1" "${*:2}"
	printf 'series=%s\nbuiltin=%s\nbuiltin_aliases=%s\nnodeps=%s\ncc=%s\n' \
		"${MK_MODULES_SERIES-}" "${MK_MODULES_BUILTIN-}" "${MK_MODULES_BUILTIN_ALIASES-}" \
		"${MK_MODULES_NODEPS-}" "$cc"
	printf 'depmod=%s\n' "$(depmod --version 2>&1 | head -n 1)"
	printf 'ccversion=%s\n' "$("$cc" --version 2>&1 | head -n 1)"
}

# _mkm_cached ROOT KVER [MODULE...]: mk_modules through the cache
_mkm_cached() {
	local root=$1 kver=$2 cache=${MK_MODULES_CACHE-$_MK_CACHE_DEFAULT} key entry tmp
	key=$(_mkm_key "${@:2}") || return
	entry=$cache/modules-$(printf '%s' "$key" | sha256sum | cut -c1-16)
	if [[ ! -f $entry/.key ]]; then
		mkdir -p "$cache" && tmp=$(mktemp -d "$cache/.new.XXXXXX") || return
		if ! _mkm_build "$tmp" "${@:2}"; then
			rm -rf "$tmp"
			return 1
		fi
		printf '%s\n' "$key" >"$tmp/.key"
		# another suite may have made it meanwhile: then keep that one
		mv -T "$tmp" "$entry" 2>/dev/null || rm -rf "$tmp"
		[[ -f $entry/.key ]] || { _mk_err "mk_modules: no cached tree at $entry"; return; }
	fi
	mkdir -p "$root/lib/modules" && rm -rf "${root:?}/lib/modules/$kver" &&
		cp -a "$entry/lib/modules/$kver" "$root/lib/modules/"
}

# _mkm_build ROOT KVER [MODULE...]: build the tree (mk_modules, uncached)
_mkm_build() {
	local root=$1 kver=$2
	shift 2
	mkdir -p "$root" || return
	root=$(cd "$root" && pwd -P) || return
	_mkm_init

	local -a want=("$@") bwant=()
	((${#want[@]})) || want=("${_MKM_ORDER[@]}")
	read -ra bwant <<<"${MK_MODULES_BUILTIN:-}"

	local -A mods=() builtin=()
	_mkm_closure builtin "${bwant[@]}" || return
	_mkm_closure mods "${want[@]}" || return
	local m
	for m in "${!builtin[@]}"; do
		unset 'mods[$m]'
	done

	local moddir=$root/lib/modules/$kver
	local src
	src=$(mktemp -d "${TMPDIR:-/tmp}/mk_modules.XXXXXX") || return
	if ! { rm -rf "$moddir" && mkdir -p "$moddir" "$src/depmod.d"; }; then
		rm -rf "$src"
		return 1
	fi

	# Sources, modules.order, modules.builtin{,.modinfo}, in link order.
	local path jobs=$src/jobs al
	: >"$jobs"
	: >"$moddir/modules.order"
	: >"$moddir/modules.builtin"
	: >"$moddir/modules.builtin.modinfo"
	for m in "${_MKM_ORDER[@]}"; do
		path=${_MKM_PATH[$m]}
		if ! _mkm_in_series "$m"; then
			[[ -z ${builtin[$m]:-} && ( -z ${mods[$m]:-} || $# -eq 0 ) ]] ||
				{ rm -rf "$src"; _mk_err "mk_modules: $m does not exist in series ${MK_MODULES_SERIES}"; return; }
			continue
		fi
		if [[ -n ${builtin[$m]:-} ]]; then
			printf '%s\n' "$path" >>"$moddir/modules.builtin"
			{
				path=${path#kernel/}
				printf '%s.file=%s\0' "$m" "${path%.ko}"
				printf '%s.license=%s\0' "$m" "${_MKM_LIC[$m]}"
				[[ -n ${_MKM_SOFT[$m]} ]] && printf '%s.softdep=%s\0' "$m" "${_MKM_SOFT[$m]}"
				if [[ ${MK_MODULES_BUILTIN_ALIASES:-1} != 0 ]]; then
					while IFS= read -r al; do
						[[ -n $al ]] && printf '%s.alias=%s\0' "$m" "$al"
					done < <(_mkm_aliases "$m")
				fi
			} >>"$moddir/modules.builtin.modinfo"
			continue
		fi
		[[ -n ${mods[$m]:-} ]] || continue
		printf '%s\n' "$path" >>"$moddir/modules.order"
		mkdir -p "$moddir/${path%/*}" || { rm -rf "$src"; return 1; }
		_mkm_csource "$m" "$kver" builtin >"$src/$m.c"
		printf '%s\0%s\0' "$src/$m.c" "$moddir/$path" >>"$jobs"
	done

	# One compiler run per module, in parallel.
	local cc=${MK_CC:-gcc} n
	n=$(nproc 2>/dev/null) || n=2
	# shellcheck disable=SC2016 # $0..$2 are the inner sh's
	if [[ -s $jobs ]] &&
		! xargs -0 -n 2 -P "$n" sh -c 'exec "$0" -c -w -o "$2" "$1"' "$cc" <"$jobs"; then
		rm -rf "$src"
		_mk_err "mk_modules: compiling the fake modules failed"
		return
	fi

	# The real depmod, isolated from the host's depmod.d.
	if ! depmod -C "$src/depmod.d" -b "$root" "$kver" 2>"$src/depmod.err"; then
		cat "$src/depmod.err" >&2
		rm -rf "$src"
		_mk_err "mk_modules: depmod -b $root $kver failed"
		return
	fi
	rm -rf "$src"
}

# --------------------------------------------------------------------------
# sysfs / procfs

mk_kernel() {
	if (($# < 2)); then
		_mk_err "usage: mk_kernel ROOT KVER [CMDLINE]"
		return
	fi
	local root=$1 kver=$2
	mkdir -p "$root/proc/sys/kernel" "$root/sys/devices" \
		"$root/sys/bus/pci/devices" "$root/sys/bus/pci/drivers" \
		"$root/sys/module" "$root/sys/kernel/iommu_groups" \
		"$root/etc" "$root/run" || return
	printf '%s\n' "$kver" >"$root/proc/sys/kernel/osrelease"
	if (($# >= 3)); then
		printf '%s\n' "$3" >"$root/proc/cmdline"
	elif [[ ! -e $root/proc/cmdline ]]; then
		: >"$root/proc/cmdline"
	fi
	_mkp_bus "$root"
}

# What the PCI bus itself has, whatever the devices.
_mkp_bus() {
	local root=$1
	mkdir -p "$root/sys/bus/pci/devices" "$root/sys/bus/pci/drivers" "$root/proc" || return
	[[ -e $root/sys/bus/pci/drivers_probe ]] || : >"$root/sys/bus/pci/drivers_probe"
	[[ -e $root/sys/bus/pci/drivers_autoprobe ]] || printf '1\n' >"$root/sys/bus/pci/drivers_autoprobe"
	[[ -e $root/sys/bus/pci/rescan ]] || : >"$root/sys/bus/pci/rescan"
	[[ -e $root/proc/cmdline ]] || : >"$root/proc/cmdline"
}

# _mkp_hex VAR VALUE WIDTH WHAT : VALUE (hex, optional 0x) -> lower-case,
# zero-padded to WIDTH digits, in VAR.
_mkp_hex() {
	local -n _mkp_v=$1
	local x=${2#0[xX]}
	[[ $x =~ ^[0-9a-fA-F]+$ && ${#x} -le $3 ]] ||
		{ _mk_err "mk_pci: bad $4 '$2' (hex, at most $3 digits)"; return; }
	printf -v _mkp_v "%0${3}x" "$((16#$x))"
}

# _mkp_bdf VAR BDF : normalised 0000:41:00.0 in VAR
_mkp_bdf() {
	local -n _mkp_b=$1
	local b=${2,,}
	[[ $b =~ ^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]] && b=0000:$b
	[[ $b =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]] ||
		{ _mk_err "bad PCI address '$2' (want DDDD:BB:DD.F or BB:DD.F)"; return; }
	_mkp_b=$b
}

_mkp_devrel() { # path of the device dir relative to ROOT/sys
	if [[ -n ${MK_PARENT[$1]:-} ]]; then
		printf '%s/%s' "$(_mkp_devrel "${MK_PARENT[$1]}")" "$1"
	else
		printf 'devices/pci%s:00/%s' "${1%%:*}" "$1"
	fi
}
declare -gA MK_PARENT=()

_mkp_up() { # "../" for each component of the relative path $1
	local rel=$1 up=""
	while [[ -n $rel ]]; do
		up+="../"
		[[ $rel == */* ]] && rel=${rel#*/} || rel=""
	done
	printf '%s' "$up"
}

mk_pci_driver() {
	if (($# < 2)); then
		_mk_err "usage: mk_pci_driver ROOT DRIVERNAME"
		return
	fi
	local d=$1/sys/bus/pci/drivers/$2 f
	mkdir -p "$d" || return
	for f in bind unbind new_id remove_id uevent; do
		[[ -e $d/$f ]] || : >"$d/$f"
	done
}

# _mkp_uevent ROOT BDF : rewrite the device's uevent from its files
_mkp_uevent() {
	local dev v d sv sd c m drv
	dev=$1/sys/$(_mkp_devrel "$2")
	read -r v <"$dev/vendor"
	read -r d <"$dev/device"
	read -r sv <"$dev/subsystem_vendor"
	read -r sd <"$dev/subsystem_device"
	read -r c <"$dev/class"
	read -r m <"$dev/modalias"
	v=${v#0x} d=${d#0x} sv=${sv#0x} sd=${sd#0x} c=${c#0x}
	{
		if [[ -L $dev/driver ]]; then
			drv=$(readlink "$dev/driver")
			printf 'DRIVER=%s\n' "${drv##*/}"
		fi
		printf 'PCI_CLASS=%X\n' "$((16#$c))"
		printf 'PCI_ID=%s:%s\n' "${v^^}" "${d^^}"
		printf 'PCI_SUBSYS_ID=%s:%s\n' "${sv^^}" "${sd^^}"
		printf 'PCI_SLOT_NAME=%s\n' "$2"
		printf 'MODALIAS=%s\n' "$m"
	} >"$dev/uevent"
}

mk_bind() {
	if (($# < 2)); then
		_mk_err "usage: mk_bind ROOT BDF [DRIVERNAME]"
		return
	fi
	local root=$1 bdf name=${3:-} rel old
	_mkp_bdf bdf "$2" || return
	rel=$(_mkp_devrel "$bdf")
	[[ -d $root/sys/$rel ]] || { _mk_err "mk_bind: no device $bdf under $root"; return; }
	if [[ -L $root/sys/$rel/driver ]]; then
		old=$(readlink "$root/sys/$rel/driver")
		rm -f "$root/sys/bus/pci/drivers/${old##*/}/$bdf" "$root/sys/$rel/driver"
	fi
	if [[ -n $name ]]; then
		mk_pci_driver "$root" "$name" || return
		ln -sfn "../../../../$rel" "$root/sys/bus/pci/drivers/$name/$bdf" &&
			ln -sfn "$(_mkp_up "$rel")bus/pci/drivers/$name" "$root/sys/$rel/driver" || return
	fi
	_mkp_uevent "$root" "$bdf"
}

mk_pci() {
	if (($# < 5)); then
		_mk_err "usage: mk_pci ROOT BDF VENDOR DEVICE CLASS [key=value ...]"
		return
	fi
	local root=$1 bdf vendor device class
	_mkp_bdf bdf "$2" || return
	_mkp_hex vendor "$3" 4 vendor || return
	_mkp_hex device "$4" 4 device || return
	local c=${5#0[xX]}
	[[ $c =~ ^[0-9a-fA-F]{1,6}$ ]] || { _mk_err "mk_pci: bad class '$5'"; return; }
	if ((${#c} <= 4)); then
		printf -v class '%06x' "$((16#$c << 8))"
	else
		printf -v class '%06x' "$((16#$c))"
	fi
	shift 5

	local subvendor=$vendor subdevice=0000 rev=00 group="" driver="" bootvga=0
	local totalvfs="" numvfs=0 physfn="" override="" acs=0 kv k v
	for kv in "$@"; do
		[[ $kv == *=* ]] || { _mk_err "mk_pci: '$kv' is not key=value"; return; }
		k=${kv%%=*} v=${kv#*=}
		case $k in
		subvendor) _mkp_hex subvendor "$v" 4 subvendor || return ;;
		subdevice) _mkp_hex subdevice "$v" 4 subdevice || return ;;
		rev) _mkp_hex rev "$v" 2 revision || return ;;
		group)
			[[ $v =~ ^[0-9]+$ ]] || { _mk_err "mk_pci: group '$v' is not a number"; return; }
			group=$v
			;;
		driver) driver=$v ;;
		bootvga)
			[[ $v == [01] ]] || { _mk_err "mk_pci: bootvga must be 0 or 1"; return; }
			bootvga=$v
			;;
		totalvfs | numvfs)
			[[ $v =~ ^[0-9]+$ ]] || { _mk_err "mk_pci: $k '$v' is not a number"; return; }
			printf -v "$k" '%s' "$v"
			;;
		physfn) _mkp_bdf physfn "$v" || return ;;
		override) override=$v ;;
		parent) # the upstream bridge: the device dir goes below the bridge's
			local parent
			_mkp_bdf parent "$v" || return
			MK_PARENT[$bdf]=$parent
			;;
		acs)
			[[ $v == [01] ]] || { _mk_err "mk_pci: acs must be 0 or 1"; return; }
			acs=$v
			;;
		*) _mk_err "mk_pci: unknown key '$k'"; return ;;
		esac
	done

	_mkp_bus "$root" || return
	local rel dev old
	rel=$(_mkp_devrel "$bdf")
	dev=$root/sys/$rel

	# Replacing a device: drop the links that point at the old one.
	if [[ -d $dev ]]; then
		if [[ -L $dev/driver ]]; then
			old=$(readlink "$dev/driver")
			rm -f "$root/sys/bus/pci/drivers/${old##*/}/$bdf"
		fi
		if [[ -L $dev/iommu_group ]]; then
			old=$(readlink "$dev/iommu_group")
			rm -f "$root/sys/kernel/iommu_groups/${old##*/}/devices/$bdf"
		fi
		rm -rf "$dev"
	fi
	mkdir -p "$dev" || return

	printf '0x%s\n' "$vendor" >"$dev/vendor"
	printf '0x%s\n' "$device" >"$dev/device"
	printf '0x%s\n' "$subvendor" >"$dev/subsystem_vendor"
	printf '0x%s\n' "$subdevice" >"$dev/subsystem_device"
	printf '0x%s\n' "$class" >"$dev/class"
	printf '0x%s\n' "$rev" >"$dev/revision"
	printf 'pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n' \
		"$((16#$vendor))" "$((16#$device))" "$((16#$subvendor))" "$((16#$subdevice))" \
		"$((16#${class:0:2}))" "$((16#${class:2:2}))" "$((16#${class:4:2}))" >"$dev/modalias"
	printf '%s\n' "${override:-(null)}" >"$dev/driver_override"
	printf -- '-1\n' >"$dev/numa_node"
	printf '0\n' >"$dev/enable"
	: >"$dev/remove"
	: >"$dev/rescan"
	: >"$dev/reset"

	# First 64 bytes of config space, little endian (header type 1 for
	# bridges): ids, command/status 0, revision, class, subsystem ids.
	local hdr=00 z16 z28
	[[ ${class:0:4} == 0604 ]] && hdr=01
	printf -v z16 '\\x00%.0s' {1..16}
	printf -v z28 '\\x00%.0s' {1..28}
	printf '%b' "\\x${vendor:2:2}\\x${vendor:0:2}\\x${device:2:2}\\x${device:0:2}" \
		'\x00\x00\x00\x00' "\\x$rev\\x${class:4:2}\\x${class:2:2}\\x${class:0:2}" \
		"\\x00\\x00\\x$hdr\\x00" "$z28" \
		"\\x${subvendor:2:2}\\x${subvendor:0:2}\\x${subdevice:2:2}\\x${subdevice:0:2}" \
		"$z16" >"$dev/config"
	# acs=1: 4 KiB of config space, the ACS extended capability at 0x100
	# (id 0x000d, v1, last), capability 0x1f, control 0x1d: SV RR CR UF on
	if [[ $acs == 1 ]]; then
		{
			head -c 192 /dev/zero
			printf '\x0d\x00\x01\x00\x1f\x00\x1d\x00'
			head -c 3832 /dev/zero
		} >>"$dev/config"
	fi

	# PCI_CLASS_DISPLAY_VGA (0x0300): the only devices with boot_vga.
	[[ ${class:0:4} == 0300 ]] && printf '%s\n' "$bootvga" >"$dev/boot_vga"

	if [[ -n $totalvfs ]]; then
		printf '%s\n' "$totalvfs" >"$dev/sriov_totalvfs"
		printf '%s\n' "$numvfs" >"$dev/sriov_numvfs"
		printf '1\n' >"$dev/sriov_drivers_autoprobe"
	fi
	if [[ -n $physfn ]]; then
		ln -sfn "../$physfn" "$dev/physfn" || return
		# The PF's virtfnN link, if the PF exists.
		local pf i=0
		pf=$root/sys/$(_mkp_devrel "$physfn")
		if [[ -d $pf ]]; then
			while [[ -L $pf/virtfn$i && $(readlink "$pf/virtfn$i") != "../$bdf" ]]; do
				i=$((i + 1))
			done
			ln -sfn "../$bdf" "$pf/virtfn$i" || return
		fi
	fi

	ln -sfn "$(_mkp_up "$rel")bus/pci" "$dev/subsystem" &&
		ln -sfn "../../../$rel" "$root/sys/bus/pci/devices/$bdf" || return

	if [[ -n $group ]]; then
		local g=$root/sys/kernel/iommu_groups/$group
		mkdir -p "$g/devices" || return
		[[ -e $g/type ]] || printf 'DMA\n' >"$g/type"
		[[ -e $g/reserved_regions ]] || : >"$g/reserved_regions"
		ln -sfn "$(_mkp_up "$rel")kernel/iommu_groups/$group" "$dev/iommu_group" &&
			ln -sfn "../../../../$rel" "$g/devices/$bdf" || return
	fi

	if [[ -n $driver ]]; then
		mk_bind "$root" "$bdf" "$driver"
	else
		_mkp_uevent "$root" "$bdf"
	fi
}

_mkp_module() { # ROOT MODULE DRIVERNAME
	local root=$1 mod=$2 name=$3
	mkdir -p "$root/sys/module/$mod/drivers" || return
	[[ -n $name ]] || return 0
	mk_pci_driver "$root" "$name" || return
	ln -sfn "../../../bus/pci/drivers/$name" "$root/sys/module/$mod/drivers/pci:$name" &&
		ln -sfn "../../../../module/$mod" "$root/sys/bus/pci/drivers/$name/module"
}

mk_loaded() {
	if (($# < 2)); then
		_mk_err "usage: mk_loaded ROOT MODULE [DRIVERNAME]"
		return
	fi
	_mkp_module "$1" "$2" "${3:-}" || return
	printf 'live\n' >"$1/sys/module/$2/initstate"
	printf '0\n' >"$1/sys/module/$2/refcnt"
}

mk_builtin_driver() {
	if (($# < 3)); then
		_mk_err "usage: mk_builtin_driver ROOT MODULE DRIVERNAME"
		return
	fi
	_mkp_module "$1" "$2" "$3"
}

mk_smmu_host() {
	local r=$1
	mkdir -p "$r/sys/class/iommu/smmu3.0x0000000009050000" "$r/sys/kernel/iommu_groups" "$r/dev" &&
		: >"$r/dev/kmsg" &&
		mk_pci "$r" 0000:00:03.0 1af4 1041 0x020000 group=0 driver=virtio-pci &&
		mk_pci "$r" 0000:00:05.0 1b36 0010 0x010802 &&
		mk_pci "$r" 0000:00:05.1 8086 293e 0x040300 ${2:+"$2"} &&
		mk_pci "$r" 0000:00:06.0 8086 10d3 0x020000 &&
		mk_pci "$r" 0000:00:07.0 1b36 000c 0x060400 &&
		mk_pci "$r" 0000:01:00.0 10de 2342 0x030200 parent=0000:00:07.0 &&
		mk_pci "$r" 0000:01:00.1 10de 22a3 0x040300 parent=0000:00:07.0 &&
		mk_pci "$r" 0000:01:01.0 8086 10d3 0x020000 parent=0000:00:07.0 &&
		mk_pci "$r" 0000:00:08.0 1b36 000c 0x060400 acs=1 &&
		mk_pci "$r" 0000:02:00.0 15b3 101e 0x020000 parent=0000:00:08.0 &&
		mk_pci "$r" 0000:02:00.1 15b3 1021 0x020000 parent=0000:00:08.0 acs=1 &&
		mk_pci "$r" 0000:02:01.0 8086 10d3 0x020000 parent=0000:00:08.0
}
