# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Guest-side preamble for VM test inits (busybox ash). vm_initrd installs it
# as /lib/vmtest/init-common.sh; a scenario's /init sources it:
#
#   #!/bin/sh
#   . /lib/vmtest/init-common.sh      # mounts, console, helpers, EXIT trap
#   say "hello"                       # -> "VMTEST: hello" on the serial console
#   check "virtio bound" test "$(drv 00:08.0)" = virtio-pci
#   finish                            # prints VMTEST: END, poweroff -f
#
# Output contract with the host (tests/vm/lib.sh): every line meant for the
# host starts with "VMTEST: ". check prints "VMTEST: PASS name" or
# "VMTEST: FAIL name"; finish prints "VMTEST: END". If the script exits
# without finish (error, set -e), the EXIT trap still prints
# "VMTEST: END rc=N" and powers off, so the host never waits for its timeout.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin

mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs -o mode=0755,nosuid,nodev run /run 2>/dev/null
mkdir -p /tmp
# If the initramfs had no /dev/console node, PID 1 started with no stdio.
exec </dev/console >/dev/console 2>&1

# say MESSAGE...: one marker line, written in one go.
say() {
    printf 'VMTEST: %s\n' "$*" >/dev/console
}

# bdf ADDR: 01:00.0 -> 0000:01:00.0 (full addresses pass through).
bdf() {
    case $1 in
        ????:??:??.?) echo "$1" ;;
        *) echo "0000:$1" ;;
    esac
}

_attr() { # _attr BDF FILE
    cat "/sys/bus/pci/devices/$(bdf "$1")/$2" 2>/dev/null
}

# drv BDF: name of the bound driver, or "none".
drv() {
    _l=$(readlink "/sys/bus/pci/devices/$(bdf "$1")/driver" 2>/dev/null)
    if [ -n "$_l" ]; then echo "${_l##*/}"; else echo none; fi
}

# ovr BDF: driver_override, or "none" when unset.
ovr() {
    _o=$(_attr "$1" driver_override)
    case $_o in '' | '(null)') echo none ;; *) echo "$_o" ;; esac
}

# grp BDF: IOMMU group number, or "none".
grp() {
    _l=$(readlink "/sys/bus/pci/devices/$(bdf "$1")/iommu_group" 2>/dev/null)
    if [ -n "$_l" ]; then echo "${_l##*/}"; else echo none; fi
}

# ids BDF: vendor:device in the lspci style (1af4:1041).
ids() {
    _v=$(_attr "$1" vendor)
    _d=$(_attr "$1" device)
    echo "${_v#0x}:${_d#0x}"
}

# list_devices: one "VMTEST: dev BDF VVVV:DDDD class=0xCCCCCC drv=D group=G
# override=O" line per PCI device.
list_devices() {
    for _p in /sys/bus/pci/devices/*; do
        _b=${_p##*/}
        say "dev $_b $(ids "$_b") class=$(_attr "$_b" class) drv=$(drv "$_b") group=$(grp "$_b") override=$(ovr "$_b")"
    done
}

# bind_by_hand BDF DRIVER: the kernel's own sequence, as a binder does it:
# set driver_override first, unbind the current driver, then drivers_probe.
bind_by_hand() {
    _b=$(bdf "$1")
    echo "$2" >"/sys/bus/pci/devices/$_b/driver_override" || return 1
    if [ -e "/sys/bus/pci/devices/$_b/driver" ]; then
        echo "$_b" >"/sys/bus/pci/devices/$_b/driver/unbind" || return 1
    fi
    echo "$_b" >/sys/bus/pci/drivers_probe 2>/dev/null
    [ "$(drv "$_b")" = "$2" ]
}

# now_cs: centiseconds since boot (from /proc/uptime).
now_cs() {
    _u=$(cut -d' ' -f1 /proc/uptime)
    echo "${_u%.*}${_u#*.}" | sed 's/^0*//;s/^$/0/'
}

# elapsed_ms START_CS: milliseconds since now_cs printed START_CS.
elapsed_ms() {
    echo $((($(now_cs) - $1) * 10))
}

# check NAME CMD [ARGS...]: run CMD, print PASS/FAIL NAME. Returns CMD's status
# (a failed check does not stop the script unless the caller wants it to).
VMTEST_FAILS=0
check() {
    _n=$1
    shift
    if "$@"; then
        say "PASS $_n"
    else
        say "FAIL $_n"
        VMTEST_FAILS=$((VMTEST_FAILS + 1))
        return 1
    fi
}

# finish: print the end marker with the count of failed checks, power off.
finish() {
    trap - EXIT
    say "END fails=$VMTEST_FAILS"
    sync
    poweroff -f
    sleep 5
}

_vmtest_exit() {
    say "END rc=$? fails=$VMTEST_FAILS (init exited without finish)"
    sync
    poweroff -f
}
trap _vmtest_exit EXIT

say "BOOT kernel=$(uname -r) cmdline=$(cat /proc/cmdline)"
