#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/test_lib.sh — the boot helper itself (tests/vm/lib.sh), Debian
# 6.12 in QEMU (TCG): a guest that reaches userspace boots once (no
# LOG.panic); a guest whose kernel panics before userspace (rdinit= names
# no file, no root fs to fall back to: "VFS: Unable to mount root fs") is
# booted once more by vm_boot itself — the first log kept as LOG.panic, one
# "booting once more" line — and the second panic is left to the caller.
# PASS/FAIL lines.
set -uo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# shellcheck disable=SC2317 # called through check
not() { ! "$@"; }

W=$VM_CACHE/work/lib
mkdir -p "$W"
vm_kernel 6.12 || { fail "kernel 6.12 fetch/build"; exit 1; }
vm_initrd "$W/lib.img" "$VM_KVER" "$VM_MODROOT" "" "$VM_DIR/guest/lib-init.sh" ||
    { fail "initramfs build"; exit 1; }

# 1. a guest that reaches userspace: one boot
L=$W/ok.log
rm -f "$L" "$L.panic"
rc=0
vm_boot "$VM_KERNEL" "$W/lib.img" "" none "$L" 2>"$W/ok.err" || rc=$?
echo "    (ok: ${VM_BOOT_SECONDS}s wall)"
check "a clean boot: vm_boot returns 0 (it returned $rc)" test "$rc" = 0
vm_assert "$L" '^userspace reached$' "a clean boot: the guest reached userspace"
vm_assert_clean "$L" "a clean boot: finished cleanly"
check "a clean boot: booted once (no $L.panic)" test ! -e "$L.panic"
check "a clean boot: no retry said" not grep -q 'booting once more' "$W/ok.err"

# 2. a kernel that panics before userspace, every time: booted exactly twice
L=$W/panic.log
rm -f "$L" "$L.panic"
vm_boot "$VM_KERNEL" "$W/lib.img" "rdinit=/vvtest-none root=/dev/vvtest-none" none "$L" 2>"$W/panic.err"
echo "    (panic: ${VM_BOOT_SECONDS}s wall, the second boot)"
check "a panic before userspace: the first boot's log kept as LOG.panic, with the panic" \
    grep -q 'Kernel panic' "$L.panic"
check "a panic before userspace: LOG.panic has no VMTEST line" not grep -q 'VMTEST:' "$L.panic"
check "a panic before userspace: the retry said so, once" test "$(grep -c 'panicked before userspace.*booting once more' "$W/panic.err")" = 1
check "a panic before userspace: the second boot's log is LOG (it panicked too)" grep -q 'Kernel panic' "$L"
check "a panic before userspace: LOG.cmd holds the command line" grep -q -- '-append' "$L.cmd"

check_exit test_lib
