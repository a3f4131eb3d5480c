# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Host-side library for VM tests: build a busybox initramfs, boot a Debian
# kernel in QEMU (TCG, q35 + intel-iommu), assert on the serial console.
# Source it from a scenario script:
#
#   . "$(dirname "$0")/lib.sh"
#   vm_kernel 6.12                      # fetch/build if needed; sets VM_KVER...
#   vm_initrd "$d/initrd" "$VM_KVER" "$VM_MODROOT" "$bin" "$d/init" vfio_pci
#   vm_boot "$VM_KERNEL" "$d/initrd" "vfio_variant.ids=1af4:1041" nic "$d/log"
#   vm_assert "$d/log" '^PASS bound$' "virtio-net bound to the variant"
#   vm_summary
#
# Functions (all return non-zero on failure; none calls exit):
#   vm_kernel SERIES                     6.12 | 7.2: run fetch-612.sh/fetch-72.sh
#                                        (idempotent) and source its env.sh:
#                                        VM_KVER VM_KERNEL VM_MODROOT VM_MODDIR
#   vm_initrd OUT KVER MODROOT BINARY INIT_SCRIPT [MODULE...]
#   vm_boot KERNEL INITRD APPEND DEVICESET LOGFILE [TIMEOUT]
#                                        boots once more when the guest kernel
#                                        panicked before userspace (the first
#                                        log kept as LOGFILE.panic)
#   vm_boot_uefi ESPDIR DEVICESET LOGFILE [TIMEOUT]
#                                        OVMF boots ESPDIR/EFI/BOOT/BOOTX64.EFI
#                                        (a UKI) from a FAT disk; x86_64
#   vm_lines LOGFILE                     the VMTEST lines, marker stripped
#   vm_assert LOGFILE ERE DESCRIPTION    some VMTEST line matches ERE
#   vm_refute LOGFILE ERE DESCRIPTION    no VMTEST line matches ERE
#   vm_assert_clean LOGFILE DESCRIPTION  guest reached finish, no FAIL line,
#                                        no kernel oops/panic/BUG
#   vm_summary                           "N passed, N failed"; status 1 if any failed
# The vm_assert* functions print PASS/FAIL lines and count them through
# tests/lib/check.sh (sourced here: pass, fail, skip, check_exit too).
#
# Device sets (vm_boot DEVICESET, comma-separated; fixed addresses, so the
# BDFs below are stable whatever the combination). Measured with 6.12.95 and
# 7.2.13 on QEMU 7.2 (bookworm), intel_iommu=on:
#   (always)  00:00.0 8086:29c0 host bridge       group 0
#             00:1f.0 8086:2918 ISA/LPC           group 5  (1f.* share one group)
#             00:1f.2 8086:2922 SATA (ahci)       group 5
#             00:1f.3 8086:2930 SMBus (i801)      group 5
#   gpu       00:05.0 1b36:000c pcie-root-port    group 1 (pcieport)
#             01:00.0 1002:5159 ati-vga rv100     group 6  (radeon; bus 01
#             01:00.1 8086:293e ich9-intel-hda    group 6   behind 00:05.0)
#                     (snd_hda_intel), hda-output codec, -audiodev none
#   nvme      00:06.0 1b36:0010 nvme (nvme), 64 MiB null-co namespace  group 2
#   e1000e    00:07.0 8086:10d3 e1000e (e1000e)   group 3
#   nic       00:08.0 1af4:1041 virtio-net-pci,disable-legacy=on       group 4
#                     (virtio-pci, built in: bound before userspace)
#   blk       00:09.0 1af4:1042 virtio-blk-pci,disable-legacy=on, 64 MiB
#                     null-co disk (virtio-pci, built in); virtio_vfio_pci
#                     lists it since 2025 (7.2: yes, 6.12: no)
#   noiommu   drop the intel-iommu device (no IOMMU, no groups; also drop
#             intel_iommu=on from APPEND with "!intel_iommu")
# Group numbers are those seen with all four sets; the kernel numbers groups
# in probe order, so with fewer devices they shift: assert on "same group" /
# "has a group", not on a number. Every NIC gets its own
# "-netdev user,restrict=on" (no traffic leaves the guest); option ROMs are
# off for the NICs (no ipxe needed).
#
# APPEND: VM_APPEND_DEFAULT ("console=ttyS0 intel_iommu=on panic=-1 no_timer_check") plus
# APPEND. An APPEND word "!WORD" removes WORD from the defaults, "!KEY"
# removes KEY=anything: vm_boot K I '!intel_iommu' noiommu LOG.
#
# arm64 (VM_ARCH=arm64, set before sourcing): qemu-system-aarch64 (TCG)
# -M virt,iommu=smmuv3, console ttyAMA0, kernel series "6.12-arm64"
# (tests/vm/fetch/fetch-612-arm64.sh: Debian's arm64 kernel, busybox-static:arm64
# as VM_BUSYBOX), and these device sets on pcie.0 (SMMUv3 groups appear when
# a driver probes the device, not before):
#   nvme      00:05.0 1b36:0010 nvme, multifunction, 64 MiB null-co namespace
#             00:05.1 8086:293e ich9-intel-hda (snd_hda_intel) in the same slot
#   nic       00:03.0 1af4:1041 virtio-net-pci,disable-legacy=on (built-in virtio-pci)
#   e1000e    00:04.0 8086:10d3 e1000e
#   noiommu   -M virt without the SMMU (no IOMMU registered at all)
#   (always)  00:00.0 1b36:0008 the virt machine's host bridge
# APPEND defaults there: "console=ttyAMA0 quiet panic=-1"; -cpu max,pauth-impdef=on.
#
# Environment:
#   VM_ARCH          x86_64 (default) or arm64: set before sourcing
#   VM_QEMU          qemu binary (qemu-system-x86_64; arm64: qemu-system-aarch64)
#   VM_BUSYBOX       the busybox put in the initramfs (the host's; arm64:
#                    set by vm_kernel 6.12-arm64); run through VM_USER_RUN
#   VM_USER_RUN      runs a guest-architecture program on the host
#                    (arm64: qemu-aarch64-static; x86_64: nothing)
#   VM_QEMU_EXTRA    bash array of extra qemu arguments (set in the caller)
#   VM_INITRD_ETC    directory whose contents are copied into the initramfs /etc
#                    (its modprobe.d is also used to resolve module deps)
#   VM_INITRD_FILES  space-separated SRC:DEST pairs copied into the initramfs
#   VM_TIMEOUT       default vm_boot timeout in seconds (120)
#   VM_BOOT_SECONDS  set by vm_boot: wall time of the last boot

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_REPO=$(cd "$VM_DIR/../.." && pwd)
VM_CACHE=${VM_CACHE:-$VM_REPO/.cache/vm}
VM_ARCH=${VM_ARCH:-x86_64}
case $VM_ARCH in
    arm64)
        VM_QEMU=${VM_QEMU:-qemu-system-aarch64}
        VM_APPEND_DEFAULT=${VM_APPEND_DEFAULT:-console=ttyAMA0 quiet panic=-1}
        VM_USER_RUN=${VM_USER_RUN-qemu-aarch64-static}
        ;;
    *)
        VM_QEMU=${VM_QEMU:-qemu-system-x86_64}
        VM_APPEND_DEFAULT=${VM_APPEND_DEFAULT:-console=ttyS0 intel_iommu=on panic=-1 no_timer_check}
        VM_USER_RUN=${VM_USER_RUN-}
        ;;
esac
VM_TIMEOUT=${VM_TIMEOUT:-120}
VM_BOOT_SECONDS=
# pass/fail/skip and the counts: the helper every suite shares
# shellcheck source=../lib/check.sh
. "$VM_DIR/../lib/check.sh"

vm_log() { printf '[vm] %s\n' "$*" >&2; }
vm_err() { printf '[vm] ERROR: %s\n' "$*" >&2; }

# vm_kernel SERIES: make sure the kernel SERIES is fetched and its module
# built, then load its env.sh into the caller's shell.
vm_kernel() {
    local series=$1 script
    case $series in
        6.12) script=fetch-612.sh ;;
        7.2) script=fetch-72.sh ;;
        6.12-arm64) script=fetch-612-arm64.sh ;;
        *)
            vm_err "vm_kernel: unknown series '$series' (6.12, 7.2 or 6.12-arm64)"
            return 1
            ;;
    esac
    bash "$VM_DIR/fetch/$script" >/dev/null || {
        vm_err "$script failed"
        return 1
    }
    # shellcheck source=/dev/null
    . "$VM_CACHE/$series/env.sh"
}

# vm_initrd OUT KVER MODROOT BINARY INIT_SCRIPT [MODULE...]
# Build an uncompressed newc cpio at OUT:
#   /bin/busybox (busybox-static) + a symlink for every applet it lists,
#   /usr/bin/vfio-variant = BINARY (skipped when BINARY is empty; must be static),
#   /init = INIT_SCRIPT, /lib/vmtest/init-common.sh (for the init to source),
#   /lib/modules/KVER: each MODULE with its dependencies and softdeps (as
#   `modprobe --show-depends` resolves them against MODROOT, which is the
#   base dir holding lib/modules/KVER, like depmod -b) at their original
#   paths, modules.order/.builtin/.builtin.modinfo, then depmod -b.
#   /etc: $VM_INITRD_ETC contents; extra files from $VM_INITRD_FILES.
vm_initrd() {
    if (($# < 5)); then
        vm_err "usage: vm_initrd OUT KVER MODROOT BINARY INIT_SCRIPT [MODULE...]"
        return 1
    fi
    local out=$1 kver=$2 modroot=$3 binary=$4 init=$5
    shift 5
    local tree rc=0
    # Accept MODROOT given as .../lib/modules/KVER too.
    if [[ ! -d $modroot/lib/modules/$kver && $modroot == */lib/modules/"$kver" ]]; then
        modroot=${modroot%/lib/modules/"$kver"}
    fi
    tree=$(mktemp -d "${TMPDIR:-/tmp}/vm-initrd.XXXXXX") || return 1
    _vm_initrd_tree "$tree" "$kver" "$modroot" "$binary" "$init" "$@" || rc=$?
    if ((rc == 0)); then
        mkdir -p "$(dirname "$out")"
        (cd "$tree" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
            cpio --null --quiet -o -H newc -R 0:0) >"$out.tmp" &&
            mv "$out.tmp" "$out" || rc=$?
    fi
    rm -rf "$tree"
    ((rc == 0)) || vm_err "vm_initrd $out failed"
    return "$rc"
}

_vm_initrd_tree() {
    local tree=$1 kver=$2 modroot=$3 binary=$4 init=$5
    shift 5
    local moddir=$modroot/lib/modules/$kver bb applet m line path rel f conf
    bb=${VM_BUSYBOX:-$(command -v busybox)} || {
        vm_err "busybox not found: apt-get install busybox-static"
        return 1
    }
    if ldd "$bb" >/dev/null 2>&1; then
        vm_err "$bb is dynamically linked: apt-get install busybox-static"
        return 1
    fi
    [[ -d $moddir ]] || {
        vm_err "no module tree $moddir"
        return 1
    }
    [[ -f $init ]] || {
        vm_err "no init script $init"
        return 1
    }
    mkdir -p "$tree"/{bin,sbin,usr/bin,usr/sbin,usr/lib,lib/vmtest,etc,dev,proc,sys,run,tmp,root,var}
    mkdir -p "$tree/lib/modules/$kver"
    ln -s ../../lib/modules "$tree/usr/lib/modules"
    cp "$bb" "$tree/bin/busybox"
    while read -r applet; do
        [[ -n $applet && ! -e $tree/$applet ]] || continue
        ln -s /bin/busybox "$tree/$applet"
    done < <($VM_USER_RUN "$bb" --list-full)
    if [[ -n $binary ]]; then
        [[ -x $binary ]] || {
            vm_err "binary $binary missing or not executable"
            return 1
        }
        if ldd "$binary" >/dev/null 2>&1; then
            vm_err "$binary is dynamically linked: the initramfs has no libc"
            return 1
        fi
        install -m 0755 "$binary" "$tree/usr/bin/vfio-variant"
    fi
    install -m 0755 "$init" "$tree/init"
    install -m 0644 "$VM_DIR/guest/init-common.sh" "$tree/lib/vmtest/init-common.sh"
    # A console node lets the kernel give /init its stdio (else init-common
    # reopens /dev/console after mounting devtmpfs).
    if ((EUID == 0)); then
        mknod -m 0600 "$tree/dev/console" c 5 1
        mknod -m 0666 "$tree/dev/null" c 1 3
    fi
    if [[ -n ${VM_INITRD_ETC:-} ]]; then
        cp -a "$VM_INITRD_ETC/." "$tree/etc/" || return 1
    fi
    local pair
    for pair in ${VM_INITRD_FILES:-}; do
        mkdir -p "$tree/$(dirname "${pair#*:}")"
        cp -a "${pair%%:*}" "$tree/${pair#*:}" || return 1
    done
    # Resolve modules with the initramfs's own modprobe.d, never the host's.
    conf=/dev/null
    [[ -d $tree/etc/modprobe.d ]] && conf=$tree/etc/modprobe.d
    for m in "$@"; do
        local deps
        deps=$(modprobe -C "$conf" -d "$modroot" -S "$kver" --show-depends "$m" 2>&1) || {
            vm_err "module $m: $deps"
            return 1
        }
        while read -r line; do
            case $line in
                insmod\ *)
                    path=${line#insmod }
                    path=${path%% *}
                    rel=${path#"$moddir"/}
                    [[ $rel != "$path" ]] || {
                        vm_err "unexpected module path $path"
                        return 1
                    }
                    mkdir -p "$tree/lib/modules/$kver/$(dirname "$rel")"
                    cp "$path" "$tree/lib/modules/$kver/$rel"
                    ;;
                builtin\ *) ;;
                *) vm_log "modprobe --show-depends $m: $line" ;;
            esac
        done <<<"$deps"
    done
    for f in modules.order modules.builtin modules.builtin.modinfo; do
        [[ -f $moddir/$f ]] && cp "$moddir/$f" "$tree/lib/modules/$kver/"
    done
    depmod -b "$tree" "$kver" || {
        vm_err "depmod -b $tree $kver failed"
        return 1
    }
}

# _vm_devices DEVICESET: sets _VM_DEV (qemu args) and _VM_IOMMU (1/0).
# shellcheck disable=SC2054 # qemu's options are comma-separated on purpose
_vm_devices() {
    local set=$1 d
    _VM_DEV=()
    _VM_IOMMU=1
    [[ $VM_ARCH == arm64 ]] && { _vm_devices_arm64 "$set"; return; }
    local IFS=,
    for d in $set; do
        case $d in
            '' | none) ;;
            gpu)
                _VM_DEV+=(-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x5
                    -device ati-vga,model=rv100,bus=rp1,addr=0x0.0,multifunction=on
                    -device ich9-intel-hda,id=hda0,bus=rp1,addr=0x0.1
                    -device hda-output,bus=hda0.0,audiodev=snd0
                    -audiodev none,id=snd0)
                ;;
            nvme)
                _VM_DEV+=(-blockdev driver=null-co,node-name=nvm0,size=67108864,read-zeroes=on
                    -device nvme,serial=vmtest0,drive=nvm0,bus=pcie.0,addr=0x6)
                ;;
            e1000e)
                _VM_DEV+=(-netdev user,id=n1,restrict=on
                    -device e1000e,netdev=n1,romfile=,bus=pcie.0,addr=0x7)
                ;;
            nic)
                _VM_DEV+=(-netdev user,id=n0,restrict=on
                    -device virtio-net-pci,disable-legacy=on,netdev=n0,romfile=,bus=pcie.0,addr=0x8)
                ;;
            blk)
                _VM_DEV+=(-blockdev driver=null-co,node-name=blk0,size=67108864,read-zeroes=on
                    -device virtio-blk-pci,disable-legacy=on,drive=blk0,bus=pcie.0,addr=0x9)
                ;;
            noiommu) _VM_IOMMU=0 ;;
            *)
                vm_err "unknown device set '$d' (gpu nvme e1000e nic blk noiommu)"
                return 1
                ;;
        esac
    done
}

# shellcheck disable=SC2054 # qemu's options are comma-separated on purpose
_vm_devices_arm64() {
    local set=$1 d
    local IFS=,
    for d in $set; do
        case $d in
            '' | none) ;;
            nvme)
                _VM_DEV+=(-blockdev driver=null-co,node-name=nvm0,size=67108864,read-zeroes=on
                    -device nvme,serial=vmtest0,drive=nvm0,bus=pcie.0,addr=0x5.0x0,multifunction=on
                    -device ich9-intel-hda,id=hda0,bus=pcie.0,addr=0x5.0x1
                    -device hda-output,bus=hda0.0,audiodev=snd0
                    -audiodev none,id=snd0)
                ;;
            nic)
                _VM_DEV+=(-netdev user,id=n0,restrict=on
                    -device virtio-net-pci,disable-legacy=on,netdev=n0,romfile=,bus=pcie.0,addr=0x3)
                ;;
            e1000e)
                _VM_DEV+=(-netdev user,id=n1,restrict=on
                    -device e1000e,netdev=n1,romfile=,bus=pcie.0,addr=0x4)
                ;;
            noiommu) _VM_IOMMU=0 ;;
            *)
                vm_err "unknown arm64 device set '$d' (nvme nic e1000e noiommu)"
                return 1
                ;;
        esac
    done
}

# _vm_append APPEND: prints the kernel command line (see the header).
_vm_append() {
    local -a drop=() keep=() extra=()
    local w d skip
    for w in $1; do
        if [[ $w == !* ]]; then drop+=("${w#!}"); else extra+=("$w"); fi
    done
    for w in $VM_APPEND_DEFAULT; do
        skip=
        for d in "${drop[@]}"; do
            [[ $w == "$d" || $w == "$d"=* ]] && skip=1
        done
        [[ -n $skip ]] || keep+=("$w")
    done
    echo "${keep[*]} ${extra[*]}"
}

# _vm_qemu WHAT LOG TIMEOUT QEMU-ARG...: one qemu run, its serial console and
# its own messages in LOG; sets VM_BOOT_SECONDS; returns qemu's status.
# shellcheck disable=SC2034 # VM_BOOT_SECONDS is for callers
_vm_qemu() {
    local what=$1 log=$2 tmo=$3 rc=0 t0 t1
    shift 3
    t0=$(date +%s%N)
    timeout --kill-after=5 "$tmo" "$VM_QEMU" "$@" </dev/null >"$log" 2>&1 || rc=$?
    t1=$(date +%s%N)
    VM_BOOT_SECONDS=$(printf '%d.%02d' $(((t1 - t0) / 1000000000)) $(((t1 - t0) / 10000000 % 100)))
    if ((rc == 124 || rc == 137)); then
        vm_err "$what: timed out after ${tmo}s ($log)"
    elif ((rc != 0)); then
        vm_err "$what: qemu exited $rc ($log)"
    fi
    return "$rc"
}

# _vm_run WHAT LOG TIMEOUT QEMU-ARG...: the one place a guest boots (vm_boot
# and vm_boot_uefi build the arguments). Writes the command line to LOG.cmd
# and runs qemu; when the guest kernel panicked before userspace (no VMTEST
# line at all: TCG on a loaded host can miss the early timer check, which is
# QEMU's, not ours), it says so, keeps that log as LOG.panic and boots once
# more. A panic after the guest's first VMTEST line is never retried: the
# suite's checks see it.
_vm_run() {
    local what=$1 log=$2 tmo=$3 rc=0
    shift 3
    mkdir -p "$(dirname "$log")"
    printf '# %s' "$VM_QEMU" >"$log.cmd"
    printf ' %q' "$@" >>"$log.cmd"
    echo >>"$log.cmd"
    _vm_qemu "$what" "$log" "$tmo" "$@" || rc=$?
    if ! grep -q 'VMTEST:' "$log" && grep -q 'Kernel panic' "$log"; then
        vm_log "$what: the guest kernel panicked before userspace after ${VM_BOOT_SECONDS}s (log kept as $log.panic); booting once more"
        cp "$log" "$log.panic"
        rc=0
        _vm_qemu "$what" "$log" "$tmo" "$@" || rc=$?
    fi
    return "$rc"
}

# vm_boot KERNEL INITRD APPEND DEVICESET LOGFILE [TIMEOUT]
# Boot under TCG with the serial console (and qemu's own messages) in
# LOGFILE, once more if the kernel panicked before userspace (_vm_run).
# Returns qemu's status: 0 after the guest's poweroff, 124 on timeout (the
# log is then incomplete). Sets VM_BOOT_SECONDS (of the last boot).
# shellcheck disable=SC2054 # qemu's commas
vm_boot() {
    if (($# < 5)); then
        vm_err "usage: vm_boot KERNEL INITRD APPEND DEVICESET LOGFILE [TIMEOUT]"
        return 1
    fi
    local kernel=$1 initrd=$2 append=$3 set=$4 log=$5 tmo=${6:-$VM_TIMEOUT}
    local -a args
    _vm_devices "$set" || return 1
    if [[ $VM_ARCH == arm64 ]]; then
        # pauth-impdef: TCG's fast pointer-auth (the architected QARMA
        # one costs seconds per boot); quiet: a PL011 console is slow
        args=(-accel tcg -cpu max,pauth-impdef=on -smp 2 -m 1024
            -no-user-config -nographic -no-reboot -nic none)
        if ((_VM_IOMMU)); then args+=(-M virt,iommu=smmuv3); else args+=(-M virt); fi
    else
        args=(-accel tcg -cpu max -smp 1 -m 512
            -M q35,kernel-irqchip=split
            -no-user-config -nographic -no-reboot -vga none -nic none)
        ((_VM_IOMMU)) && args+=(-device intel-iommu,intremap=on)
    fi
    args+=("${_VM_DEV[@]}")
    [[ -n ${VM_QEMU_EXTRA+x} ]] && args+=("${VM_QEMU_EXTRA[@]}")
    args+=(-kernel "$kernel" -initrd "$initrd" -append "$(_vm_append "$append")")
    _vm_run vm_boot "$log" "$tmo" "${args[@]}"
}

# vm_boot_uefi ESPDIR DEVICESET LOGFILE [TIMEOUT]   (x86_64 only)
# Boot the firmware way, as a UKI boots: OVMF (/usr/share/OVMF/OVMF_CODE_4M.fd,
# with a fresh copy of OVMF_VARS_4M.fd next to LOGFILE) finds
# ESPDIR/EFI/BOOT/BOOTX64.EFI on a FAT disk QEMU makes of ESPDIR
# (-drive file=fat:rw:ESPDIR); no -kernel, -initrd or -append. The machine
# and DEVICESET are vm_boot's, with 1 GiB (OVMF and the stub's copies of
# kernel and initramfs). Boots through _vm_run as vm_boot does (the panic
# retry); returns and sets what vm_boot does.
# shellcheck disable=SC2054 # qemu's commas
vm_boot_uefi() {
    if (($# < 3)); then
        vm_err "usage: vm_boot_uefi ESPDIR DEVICESET LOGFILE [TIMEOUT]"
        return 1
    fi
    local esp=$1 set=$2 log=$3 tmo=${4:-$VM_TIMEOUT}
    local code=${VM_OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd} vars=${VM_OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
    local -a args
    [[ $VM_ARCH == x86_64 ]] || {
        vm_err "vm_boot_uefi: x86_64 only"
        return 1
    }
    [[ -f $code && -f $vars ]] || {
        vm_err "vm_boot_uefi: no $code / $vars (apt-get install ovmf)"
        return 1
    }
    [[ -f $esp/EFI/BOOT/BOOTX64.EFI ]] || {
        vm_err "vm_boot_uefi: no $esp/EFI/BOOT/BOOTX64.EFI"
        return 1
    }
    _vm_devices "$set" || return 1
    mkdir -p "$(dirname "$log")"
    cp "$vars" "$log.vars.fd" || return 1
    args=(-accel tcg -cpu max -smp 1 -m 1024
        -M q35,kernel-irqchip=split
        -no-user-config -nographic -no-reboot -vga none -nic none
        -drive if=pflash,format=raw,unit=0,readonly=on,file="$code"
        -drive if=pflash,format=raw,unit=1,file="$log.vars.fd"
        -drive file=fat:rw:"$esp",format=raw)
    ((_VM_IOMMU)) && args+=(-device intel-iommu,intremap=on)
    args+=("${_VM_DEV[@]}")
    [[ -n ${VM_QEMU_EXTRA+x} ]] && args+=("${VM_QEMU_EXTRA[@]}")
    _vm_run vm_boot_uefi "$log" "$tmo" "${args[@]}"
}

# vm_lines LOGFILE: the guest's VMTEST lines without the "VMTEST: " marker.
vm_lines() {
    tr -d '\r' <"$1" | sed -n 's/^.*VMTEST: //p'
}

_vm_fail() { # _vm_fail LOGFILE DESCRIPTION
    fail "$2"
    printf -- '--- last 40 lines of %s ---\n' "$1"
    tail -n 40 "$1" | tr -d '\r'
    printf -- '---\n'
}

# vm_assert LOGFILE ERE DESCRIPTION: pass if some VMTEST line matches ERE
# (matched against the text after "VMTEST: ").
vm_assert() {
    # grep reads to the end (no -q/-m): under pipefail an early exit would
    # SIGPIPE the writer and turn a match into a failure
    if vm_lines "$1" | grep -E -- "$2" >/dev/null; then
        pass "$3"
    else
        _vm_fail "$1" "$3 (no VMTEST line matches /$2/)"
        return 1
    fi
}

# vm_refute LOGFILE ERE DESCRIPTION: pass if no VMTEST line matches ERE.
vm_refute() {
    local hit
    if hit=$(vm_lines "$1" | grep -E -- "$2" | sed -n 1p | grep .); then
        _vm_fail "$1" "$3 (unexpected: $hit)"
        return 1
    else
        pass "$3"
    fi
}

# vm_assert_clean LOGFILE DESCRIPTION: the init ran to finish with no failed
# check, and the kernel logged no oops, BUG, panic or call trace.
vm_assert_clean() {
    local bad
    if ! vm_lines "$1" | grep -E '^END fails=0$' >/dev/null; then
        _vm_fail "$1" "$2 (guest did not reach finish with fails=0)"
        return 1
    fi
    if bad=$(grep -E 'Oops|BUG:|Kernel panic|Call Trace:|general protection fault' "$1" | tr -d '\r' | sed -n 1p | grep .); then
        _vm_fail "$1" "$2 (kernel: $bad)"
        return 1
    fi
    pass "$2"
}

# vm_summary: the closing line; status 1 if anything failed.
vm_summary() { check_summary; }
