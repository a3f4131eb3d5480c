#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/test_uki.sh — the UKI recipe, booted: tools/build-uki.sh builds a
# unified kernel image with the real dracut 059 (`dracut --uefi --uefi-stub
# /usr/lib/systemd/boot/efi/linuxx64.efi.stub`, Debian's systemd-boot-efi)
# whose .cmdline section carries vfio_variant.ids=…, and OVMF boots it in
# QEMU as the firmware's removable-media entry (ESP = a FAT directory,
# EFI/BOOT/BOOTX64.EFI): no -kernel, no -append, so the command line the
# binder reads is the one baked into the UKI.
#   1. a rule the binder would reject stops build-uki.sh before dracut runs;
#   2. build: private dracutbasedir (a copy of /usr/lib/dracut with our
#      module and the test-only 99vvtest), the 6.12 kernel and module tree
#      from the cache (--kernel-image, --kmoddir), shell flavour (-m "base
#      kernel-modules vfio-variant vvtest"), natives on rd.driver.pre=;
#   3. the UKI: .linux/.initrd/.cmdline/.osrel sections, the .cmdline has the
#      rules, the .initrd holds the binary, our cmdline hook 00 and the
#      variant module;
#   4. boot under OVMF (gpu,nvme,e1000e,nic): the guest is EFI-booted with
#      the baked command line; GPU, HDA and NVMe on vfio-pci, virtio-net on
#      virtio_vfio_pci, each "was unbound" (or taken from built-in
#      virtio-pci) in kmsg; no native probe of them; the unlisted e1000e on
#      e1000e.
# Secure Boot is not tested: Debian's lockdown refuses the unsigned
# out-of-tree test variant with it on (README: how to sign).
# Run under the shared lock: flock /tmp/vv-vm.lock bash tests/vm/test_uki.sh
# Environment: VV_BIN (default build/vfio-variant), VM_CACHE.
# Prints PASS/FAIL lines; exits 1 on any failure.
set -uo pipefail

# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/vm/generators/common.sh
. "$VM_DIR/generators/common.sh"

GEN_NAME=uki
BIN=${VV_BIN:-$VM_REPO/build/vfio-variant}
W=$VM_CACHE/work/uki
T0=$SECONDS
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub

gen_preflight dracut dracut-core || check_exit "uki"
for f in "$STUB:systemd-boot-efi" /usr/share/OVMF/OVMF_CODE_4M.fd:ovmf /usr/share/OVMF/OVMF_VARS_4M.fd:ovmf; do
    if [[ ! -f ${f%%:*} ]]; then
        gen_fail "${f%%:*} missing (apt-get install ${f#*:}; tools/deps.sh)"
        check_exit "uki"
    fi
done
echo "dracut $(dracut --version 2>/dev/null | awk '{print $2}'), kernel $VM_KVER, stub $STUB"

# --- private dracut tree and module tree (as tests/vm/test_dracut.sh) ----------------
rm -rf "$W"
mkdir -p "$W/confdir" "$W/tmp" "$W/esp/EFI/BOOT" "$W/modroot/lib/modules" "$W/depmod.d"
cp -a /usr/lib/dracut "$W/base"
cp -a "$VM_REPO/dracut-module/50vfio-variant" "$W/base/modules.d/"
cp "$VM_REPO/config/vfio-variant-initrd.service" "$W/base/modules.d/50vfio-variant/"
cp -a "$VM_DIR/generators/dracut/99vvtest" "$W/base/modules.d/"
cp "$VM_DIR/generators/vvtest-lib.sh" "$W/base/modules.d/99vvtest/"
KMODDIR=$W/modroot/lib/modules/$VM_KVER
cp -al "$VM_MODDIR" "$KMODDIR"
if ! depmod -b "$W/modroot" -C "$W/depmod.d" "$VM_KVER"; then
    gen_fail "module tree (depmod)"
    check_exit "uki"
fi
printf 'logfile=%s\nfileloglvl=6\n' "$W/dracut.log" >"$W/dracut.conf"
: >"$W/dracut.log"
DRACUT_ARGS=(--conf "$W/dracut.conf" --confdir "$W/confdir" --tmpdir "$W/tmp"
    --no-hostonly --no-hostonly-cmdline --no-early-microcode
    -m "base kernel-modules vfio-variant vvtest" --drivers "${GEN_NATIVES//,/ }"
    --kmoddir "$KMODDIR")
# the rest of the command line: console, IOMMU, no root fs, natives early
CMDLINE="console=ttyS0 intel_iommu=on panic=-1 no_timer_check quiet root=/dev/vvtest-none rd.shell=0 rd.driver.pre=$GEN_NATIVES"
UKI=$W/esp/EFI/BOOT/BOOTX64.EFI

# --- 1. a rejected rule stops the build ------------------------------------------
rc=0
VFIO_VARIANT_BIN=$BIN dracutbasedir=$W/base bash "$VM_REPO/tools/build-uki.sh" --ids "1b36:0010,zz:1" \
    --cmdline "$CMDLINE" --kver "$VM_KVER" --kernel-image "$VM_KERNEL" --stub "$STUB" "$W/bad.efi" \
    -- "${DRACUT_ARGS[@]}" >"$W/bad.out" 2>&1 || rc=$?
gen_check "build-uki.sh --ids 1b36:0010,zz:1: fails" test "$rc" != 0
gen_check "build-uki.sh: names the token and why (the binder's own line)" \
    grep -qF "vfio-variant: cmdline: ids: 'zz:1': bad vendor 'zz'" "$W/bad.out"
gen_check "build-uki.sh: no UKI built, dracut not run" test ! -e "$W/bad.efi"

# --- 2. build ------------------------------------------------------------------------
t=$(date +%s%N)
rc=0
VFIO_VARIANT_BIN=$BIN dracutbasedir=$W/base bash "$VM_REPO/tools/build-uki.sh" --ids "$GEN_IDS" \
    --cmdline "$CMDLINE" --kver "$VM_KVER" --kernel-image "$VM_KERNEL" --stub "$STUB" "$UKI" \
    -- "${DRACUT_ARGS[@]}" >"$W/build.out" 2>&1 || rc=$?
echo "build-uki.sh: $((($(date +%s%N) - t) / 1000000)) ms, exit $rc, $(stat -c %s "$UKI" 2>/dev/null) bytes"
grep -E '^build-uki: ' "$W/build.out" | sed 's/^/    /'
gen_check "build-uki.sh (dracut --uefi) exits 0" test "$rc" = 0
if bad=$(grep -E -m3 '^[FE]: |dracut\[[FE]\]' "$W/dracut.log" "$W/build.out"); then
    gen_fail "build: no fatal/error line in dracut's log: $bad"
else
    gen_pass "build: no fatal/error line in dracut's log"
fi
if [[ ! -s $UKI ]]; then
    gen_fail "no UKI at $UKI"
    check_exit "uki"
fi

# --- 3. the UKI ---------------------------------------------------------------------
objdump -h "$UKI" >"$W/sections" 2>&1
for s in .linux .initrd .cmdline .osrel; do
    gen_check "UKI has a $s section" grep -qE "^ +[0-9]+ \\$s " "$W/sections"
done
objcopy -O binary --only-section=.cmdline "$UKI" "$W/cmdline.bin"
BAKED=$(tr -d '\0' <"$W/cmdline.bin")
echo "UKI .cmdline: $BAKED"
gen_check "UKI .cmdline holds vfio_variant.ids=$GEN_IDS" grep -qF " vfio_variant.ids=$GEN_IDS" <<<" $BAKED"
gen_check "UKI .cmdline holds the rest (console=ttyS0, intel_iommu=on, rd.driver.pre=)" \
    grep -qE "console=ttyS0 intel_iommu=on .*rd\\.driver\\.pre=$GEN_NATIVES" <<<"$BAKED"
objcopy -O binary --only-section=.initrd "$UKI" "$W/initrd.img"
lsinitrd "$W/initrd.img" >"$W/initrd.list" 2>/dev/null
gen_check "UKI .initrd: usr/sbin/vfio-variant" grep -qE 'usr/sbin/vfio-variant$' "$W/initrd.list"
gen_check "UKI .initrd: our cmdline hook 00" grep -qE 'hooks/cmdline/00-vfio-variant-hook\.sh$' "$W/initrd.list"
gen_check "UKI .initrd: the variant virtio-vfio-pci.ko" grep -qE '/updates/virtio-vfio-pci\.ko' "$W/initrd.list"
gen_check "UKI .initrd: vfio-pci.ko" grep -qE '/drivers/vfio/pci/vfio-pci\.ko' "$W/initrd.list"

# --- 4. boot under OVMF -----------------------------------------------------------
LOG=$W/boot.log
vm_boot_uefi "$W/esp" "$GEN_DEVICES" "$LOG" 360
echo "boot (OVMF, UKI): ${VM_BOOT_SECONDS}s wall"
vm_lines "$LOG" | grep -E '^(cmdline|kmsg) ' | sed 's/^/    /'
gen_check "qemu was given no kernel, initrd or command line (-kernel/-initrd/-append)" \
    test "$(grep -cE -- ' -(kernel|initrd|append) ' "$LOG.cmd")" = 0
gen_expect "$LOG" "^cmdline efi=yes .*vfio_variant\\.ids=$GEN_IDS( |\$)" \
    "guest: EFI-booted, /proc/cmdline is the UKI's (vfio_variant.ids=$GEN_IDS)"
gen_expect "$LOG" '^pre-udev udevd=no state=yes' "pre-udev: the binder had run before udevd started"
gen_expect "$LOG" '^pre-udev dev 0000:00:06\.0 1b36:0010 drv=vfio-pci$' "pre-udev: NVMe already on vfio-pci"
gen_expect "$LOG" '^pre-udev dev 0000:00:07\.0 8086:10d3 drv=e1000e$' \
    "pre-udev: the unlisted e1000e already on e1000e (rd.driver.pre= from the UKI's command line, after the binder)"
gen_drivers "$LOG" settled
gen_bound_before_natives "$LOG"
gen_no_native_probes "$LOG"
gen_clean "$LOG"

check_exit "uki ($((SECONDS - T0)) s; logs in $W)"
