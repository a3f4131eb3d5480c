#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest /init for bench/vm.sh (busybox ash): in one boot, bind the same three
# devices (GPU 01:00.0 1002:5159, its HDA 01:00.1 8086:293e, NVMe 00:06.0
# 1b36:0010; device sets gpu,nvme) to vfio-pci with each method in turn,
# resetting before every run, and print one line per run:
#   VMTEST: run METHOD PHASE REP wall_us=N user_us=N sys_us=N rc=N ok=0|1
# and after each binder run the binary's own summary line:
#   VMTEST: done binder PHASE REP ms=N (from "done in N ms: ...")
# (bench/cputime: wall around fork..wait4, CPU of the command and all it
# reaped). ok=1: all three devices ended on vfio-pci (plan, exec: unchanged).
#
# Methods:
#   binder     vfio-variant bind (rules from /proc/cmdline:
#              vfio_variant.devices=01:00.0,01:00.1,00:06.0)
#   driverctl  sh -c 'for d; do driverctl --nosave set-override $d vfio-pci; done'
#              (Debian's driverctl 0.111 under bash-static 5.2)
#   archwiki   sh /usr/local/bin/vfio-pci-override.sh (bench/vm-archwiki.sh:
#              driver_override for each, then modprobe vfio-pci)
#   plan       vfio-variant plan (unbound phase only; binds nothing: the
#              binder's decision cost alone, for comparison; ok=1 when it
#              left the devices as they were)
#   exec       vfio-variant --version (unbound phase only): the cost of
#              starting the static binary at all, for comparison
#   base       vfio-variant-base bind (bench.base=1 only): a second build,
#              e.g. before a change, in the same boot (all phases)
#   floor      /usr/bin/vm-floor (bench/vm-floor.c): the same sysfs writes
#              and module load hard-coded in a tiny static C program, no
#              planning, no checks: the least any binder must do. All phases.
# Phases (bench.phases=unbound,native,loaded):
#   unbound    the early-boot case: no driver holds the devices, vfio_pci
#              not loaded. All methods.
#   native     the runtime case: NVMe on nvme (the unbind path), GPU and HDA
#              unbound, vfio_pci not loaded. binder, driverctl, floor (the
#              archwiki script cannot unbind). The GPU stays unbound because
#              radeon oopses under TCG; the HDA because snd_hda_intel, once
#              re-bound after vfio-pci, spends ~100 s failing to probe its
#              codec under TCG ("Cannot probe codecs, giving up").
#   loaded     as unbound, but vfio_pci already loaded: binding without the
#              module load. binder, driverctl, floor (the archwiki script relies
#              on the module load to bind).
# Reset before every run, the same for every method:
#   1. each of the three devices: unbind whatever driver holds it, clear
#      driver_override (write "\n");
#   2. rmmod vfio_pci, so that every method loads it itself (its
#      dependencies vfio, vfio_pci_core, vfio_iommu_type1, iommufd,
#      irqbypass stay loaded from the start: no method pays for them);
#   3. native phase: drivers_probe the NVMe, wait until the controller is
#      "live" on nvme; loaded phase: modprobe vfio_pci (it binds nothing:
#      its ID table matches only devices whose driver_override names it);
#   4. check the state (drivers, overrides, vfio_pci), 100 ms pause.
# Runs alternate (rep 1: binder driverctl archwiki, rep 2: driverctl
# archwiki binder, ...), bench.reps=N each (default 7).
# shellcheck source-path=SCRIPTDIR
# shellcheck source=../tests/vm/guest/init-common.sh
. /lib/vmtest/init-common.sh

GPU=0000:01:00.0
HDA=0000:01:00.1
NVME=0000:00:06.0
DEVS="$GPU $HDA $NVME"
P=/sys/bus/pci/devices
REPS=7
# bench.base=1 (BENCH_VM_BASE): method "base", /usr/bin/vfio-variant-base
# (another build of the binary), alternating with "binder" in the same boot
BASE=
PHASES="unbound native loaded"
read -r CMDLINE </proc/cmdline
for w in $CMDLINE; do
    case $w in
        bench.reps=*) REPS=${w#*=} ;;
        bench.base=1) BASE=" base" ;;
        bench.phases=*) PHASES=$(echo "${w#*=}" | tr , ' ') ;;
    esac
done

# wait_for CMD...: poll CMD every 10 ms for up to 20 s
wait_for() {
    _i=0
    while ! "$@"; do
        _i=$((_i + 1))
        [ $_i -lt 2000 ] || return 1
        usleep 10000
    done
}
is_drv() { [ "$(drv "$1")" = "$2" ]; }
fail() {
    say "FAIL $*"
    VMTEST_FAILS=$((VMTEST_FAILS + 1))
}
nvme_live() {
    is_drv $NVME nvme || return 1
    for _s in "$P/$NVME"/nvme/nvme*/state; do
        [ "$(cat "$_s" 2>/dev/null)" = live ] && return 0
    done
    return 1
}

reset() { # PHASE
    for _d in $DEVS; do
        if [ -e "$P/$_d/driver" ]; then
            echo "$_d" >"$P/$_d/driver/unbind" || fail "reset: unbind $_d"
        fi
        echo >"$P/$_d/driver_override"
    done
    if [ -d /sys/module/vfio_pci ]; then
        rmmod vfio_pci || fail "reset: rmmod vfio_pci"
    fi
    want_nvme=none
    case $1 in
        native)
            echo $NVME >/sys/bus/pci/drivers_probe
            wait_for nvme_live || fail "reset: NVMe not back on nvme"
            want_nvme=nvme
            ;;
        loaded) modprobe vfio_pci || fail "reset: modprobe vfio_pci" ;;
    esac
    if ! is_drv $GPU none || ! is_drv $HDA none || ! is_drv $NVME $want_nvme ||
        [ "$(ovr $GPU)$(ovr $HDA)$(ovr $NVME)" != nonenonenone ] ||
        { [ -d /sys/module/vfio_pci ] && [ "$1" != loaded ]; }; then
        fail "reset $1: gpu=$(drv $GPU) hda=$(drv $HDA) nvme=$(drv $NVME) vfio_pci=$([ -d /sys/module/vfio_pci ] && echo loaded)"
    fi
    usleep 100000
}

run() { # METHOD PHASE REP
    _out=/tmp/out.$1
    rm -f /tmp/cputime
    case $1 in
        binder) cputime -o /tmp/cputime vfio-variant bind >"$_out" 2>&1 ;;
        driverctl)
            # shellcheck disable=SC2016,SC2086 # the inner sh expands "$@"; DEVS is a list
            cputime -o /tmp/cputime sh -c \
                'for d; do driverctl --nosave set-override "$d" vfio-pci || exit 1; done' \
                sh $DEVS >"$_out" 2>&1
            ;;
        archwiki) cputime -o /tmp/cputime sh /usr/local/bin/vfio-pci-override.sh >"$_out" 2>&1 ;;
        floor) cputime -o /tmp/cputime vm-floor >"$_out" 2>&1 ;;
        plan) cputime -o /tmp/cputime vfio-variant plan >"$_out" 2>&1 ;;
        exec) cputime -o /tmp/cputime vfio-variant --version >"$_out" 2>&1 ;;
        base) cputime -o /tmp/cputime vfio-variant-base bind >"$_out" 2>&1 ;;
    esac
    _ok=1
    _want=vfio-pci
    case $1 in plan | exec) _want=none ;; esac
    for _d in $DEVS; do
        is_drv "$_d" $_want || _ok=0
    done
    say "run $1 $2 $3 $(cat /tmp/cputime 2>/dev/null) ok=$_ok"
    case $1 in
        binder | base) say "done $1 $2 $3 ms=$(sed -n 's/.*done in \([0-9]*\) ms.*/\1/p' "$_out")" ;;
    esac
    if [ $_ok = 0 ]; then
        fail "$1 $2 $3: gpu=$(drv $GPU) hda=$(drv $HDA) nvme=$(drv $NVME)"
        sed 's/^/VMTEST: out /' "$_out" >/dev/console
    fi
}

# Once, before any timing: vfio_pci's dependencies (not vfio_pci) and the
# native drivers (they bind HDA and NVMe now; reset unbinds them).
check "preload" modprobe -a vfio_iommu_type1 vfio_pci_core nvme snd_hda_intel
check "vfio_pci-not-loaded" [ ! -d /sys/module/vfio_pci ]
check "gpu-unbound" is_drv $GPU none
check "same-group-gpu-hda" [ "$(grp $GPU)" = "$(grp $HDA)" ]
say "modules $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
say "versions $(vfio-variant --version); $(bash --version | head -n1)"

for phase in $PHASES; do
    case $phase in
        unbound) methods="binder driverctl archwiki floor plan exec$BASE" ;;
        native | loaded) methods="binder driverctl floor$BASE" ;;
        *)
            fail "unknown phase $phase"
            continue
            ;;
    esac
    rep=1
    while [ $rep -le "$REPS" ]; do
        for m in $methods; do
            reset "$phase"
            run "$m" "$phase" $rep
        done
        # rotate the order for the next rep
        methods="${methods#* } ${methods%% *}"
        rep=$((rep + 1))
    done
done
# Once per phase, untimed: `vfio-variant -v bind` and its kernel log with
# timestamps (where the binder's time goes):
#   VMTEST: trace PHASE BINARY [   secs.usecs] MESSAGE
for phase in $PHASES; do
    for b in vfio-variant${BASE:+ vfio-variant-base}; do
        reset "$phase"
        dmesg -c >/dev/null
        $b -v bind >/dev/null 2>&1
        dmesg | sed "s/^/VMTEST: trace $phase $b /" >/dev/console
    done
done
reset unbound
say "modules-at-end $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
finish
