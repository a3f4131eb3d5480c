#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest /init for bench/vm-slowprobe.sh (busybox ash): N QEMU NVMe, each to
# vve_slow, a working VFIO variant whose probe sleeps 3 s
# (tests/vm/modules/engine/vve.c, msleep, like nvgrace_gpu_vfio_pci's BAR0
# poll). Per rep, each method after a reset; one line per run:
#   VMTEST: run METHOD REP wall_us=N user_us=N sys_us=N rc=N ok=0|1
#   VMTEST: done binder REP ms=N          (the binder's own "done in")
# Methods:
#   binder     vfio-variant bind (vfio_variant.devices=BDF=vve_slow,...):
#              hold all, load vve_slow, the probes in parallel
#   driverctl  sh -c 'for d; do driverctl --nosave set-override $d vve_slow; done'
#              (Debian's driverctl 0.111 under bash-static 5.2: modprobe,
#              unbind, driver_override, drivers_probe, one device after
#              the other)
#   loop       what driverctl does, as a plain shell loop: modprobe
#              vve_slow, then per device driver_override + drivers_probe
#   one        one device alone (driver_override + drivers_probe, vve_slow
#              already loaded): one probe, the unit of "the sum of the
#              probes" (N x one)
# Reset before every run: unbind each device, clear driver_override,
# rmmod vve_slow (every method but "one" loads it itself; "one" gets it
# loaded by the reset). nvme (vve_slow's softdep) is loaded once before any
# timing and binds nothing afterwards (no device is probed without an
# override).
#   bench.devs=BDF,BDF,...   the devices    bench.reps=N   runs per method
# shellcheck source-path=SCRIPTDIR
# shellcheck source=../tests/vm/guest/init-common.sh
. /lib/vmtest/init-common.sh

P=/sys/bus/pci/devices
REPS=3
DEVS=
read -r CMDLINE </proc/cmdline
for w in $CMDLINE; do
    case $w in
        bench.reps=*) REPS=${w#*=} ;;
        bench.devs=*) DEVS=$(echo "${w#*=}" | tr , ' ') ;;
    esac
done
# shellcheck disable=SC2086 # one word per device
set -- $DEVS
FIRST=$1

is_drv() { [ "$(drv "$1")" = "$2" ]; }
fail() {
    say "FAIL $*"
    VMTEST_FAILS=$((VMTEST_FAILS + 1))
}

reset() { # METHOD
    for _d in $DEVS; do
        if [ -e "$P/$_d/driver" ]; then
            echo "$_d" >"$P/$_d/driver/unbind" || fail "reset: unbind $_d"
        fi
        echo >"$P/$_d/driver_override"
    done
    if [ -d /sys/module/vve_slow ]; then
        rmmod vve_slow || fail "reset: rmmod vve_slow"
    fi
    [ "$1" = one ] && { modprobe vve_slow || fail "reset: modprobe vve_slow"; }
    for _d in $DEVS; do
        if ! is_drv "$_d" none || [ "$(ovr "$_d")" != none ]; then
            fail "reset $1: $_d drv=$(drv "$_d") override=$(ovr "$_d")"
        fi
    done
    usleep 100000
}

run() { # METHOD REP
    _out=/tmp/out.$1
    _devs=$DEVS
    rm -f /tmp/cputime
    case $1 in
        binder) cputime -o /tmp/cputime vfio-variant bind >"$_out" 2>&1 ;;
        driverctl)
            # shellcheck disable=SC2016,SC2086 # the inner sh expands "$@"; DEVS is a list
            cputime -o /tmp/cputime sh -c \
                'for d; do driverctl --nosave set-override "$d" vve_slow || exit 1; done' \
                sh $DEVS >"$_out" 2>&1
            ;;
        loop)
            # shellcheck disable=SC2016,SC2086 # the inner sh expands "$@"; DEVS is a list
            cputime -o /tmp/cputime sh -c \
                'modprobe vve_slow || exit 1
                 for d; do
                     echo vve_slow >"/sys/bus/pci/devices/$d/driver_override" || exit 1
                     echo "$d" >/sys/bus/pci/drivers_probe || exit 1
                 done' sh $DEVS >"$_out" 2>&1
            ;;
        one)
            _devs=$FIRST
            # shellcheck disable=SC2016 # the inner sh expands $1
            cputime -o /tmp/cputime sh -c \
                'echo vve_slow >"/sys/bus/pci/devices/$1/driver_override" && echo "$1" >/sys/bus/pci/drivers_probe' \
                sh "$FIRST" >"$_out" 2>&1
            ;;
    esac
    _ok=1
    for _d in $_devs; do
        is_drv "$_d" vve_slow || _ok=0
    done
    say "run $1 $2 $(cat /tmp/cputime 2>/dev/null) ok=$_ok"
    [ "$1" = binder ] && say "done binder $2 ms=$(sed -n 's/.*done in \([0-9]*\) ms.*/\1/p' "$_out")"
    if [ $_ok = 0 ]; then
        fail "$1 $2: $(for _d in $_devs; do printf '%s=%s ' "$_d" "$(drv "$_d")"; done)"
        sed 's/^/VMTEST: out /' "$_out" >/dev/console
    fi
}

check "devices" [ -n "$DEVS" ]
check "preload nvme (vve_slow's softdep) and vfio_pci_core" modprobe -a nvme vfio_pci_core
say "versions $(vfio-variant --version); $(bash --version | head -n1)"
methods="binder driverctl loop one"
rep=1
while [ $rep -le "$REPS" ]; do
    for m in $methods; do
        reset "$m"
        run "$m" $rep
    done
    methods="${methods#* } ${methods%% *}"
    rep=$((rep + 1))
done
reset binder
finish
