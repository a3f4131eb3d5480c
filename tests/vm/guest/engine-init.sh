#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest /init for tests/vm/test_engine.sh: the bind engine against real
# probes that take seconds or never return (tests/vm/modules/engine/vve.c).
#   vmtest.case=many      12 listed NVMe, 4 on vve_slow (3 s probe, softdep
#                         nvme): bind time, "was unbound", no nvme probe
#                         line, every kmsg line; then one probe by hand
#   vmtest.case=deadline  vve_hang (never returns), vve_late (returns ~15 s
#                         after the deadline), one on vfio-pci; bind must
#                         return by the deadline; nvme loaded afterwards
#                         takes nothing; the late record shows in status
#   vmtest.late=BDF       (deadline) the device on vve_late
# shellcheck source-path=SCRIPTDIR
# shellcheck source=init-common.sh
. /lib/vmtest/init-common.sh

arg() { # arg NAME: value of vmtest.NAME= on the command line
    read -r _cmdline </proc/cmdline
    for _w in $_cmdline; do
        case $_w in "vmtest.$1="*) echo "${_w#*=}" ;; esac
    done
}
kmsg() { dmesg | sed 's/^\[[^]]*\] //' | grep "$1" | while read -r l; do say "kmsg $l"; done; }
records() { for f in /run/vfio-variant/devices/*.json; do [ -e "$f" ] && say "record $(tr -d '\n' <"$f")"; done; }
status() { vfio-variant status 2>&1 | while read -r l; do say "status $1$l"; done; }
# the stuck probe holds the device lock: device_shutdown (poweroff) would
# wait for it; reboot at once (QEMU runs with -no-reboot: it exits)
end() {
    trap - EXIT
    say "END fails=$VMTEST_FAILS"
    echo b >/proc/sysrq-trigger
    sleep 5
}

t0=$(now_cs)
vfio-variant bind
rc=$?
say "bind rc=$rc ms=$(elapsed_ms "$t0")"
case $(arg case) in
many)
    # one probe of vve_slow by hand: what a single device costs
    b=$(arg one)
    echo "$b" >"/sys/bus/pci/devices/$b/driver/unbind"
    t1=$(now_cs)
    echo "$b" >/sys/bus/pci/drivers_probe
    say "one probe ms=$(elapsed_ms "$t1") drv=$(drv "$b")"
    list_devices
    [ -d /sys/module/nvme ] && say "module nvme loaded"
    kmsg 'vfio-variant: '
    say "kmsg-count $(dmesg | grep -c 'vfio-variant: ')"
    kmsg 'nvme nvme'
    status ""
    end
    ;;
deadline)
    # the process the initramfs waited for has exited (the shell got its
    # status above); its workers still in a probe are left behind
    # shellcheck disable=SC2009 # the guest's busybox may lack pgrep; ps it is
    ps -o pid,stat,args 2>/dev/null | grep '[v]fio-variant' | while read -r l; do say "ps $l"; done ||
        ps | grep '[v]fio-variant' | while read -r l; do say "ps $l"; done
    list_devices
    records
    status "early "
    # the native driver, loaded after us, must take none of them
    modprobe nvme
    sleep 3
    list_devices | sed 's/^/after-nvme /'
    for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/vendor" 2>/dev/null)" = 0x1b36 ] && [ "$(cat "$d/device" 2>/dev/null)" = 0x0010 ] &&
            say "after-nvme dev ${d##*/} drv=$(drv "${d##*/}") override=$(ovr "${d##*/}")"
    done
    late=$(arg late)
    i=0
    while [ $i -lt 60 ] && grep -q '"result": "probing"' "/run/vfio-variant/devices/$late.json" 2>/dev/null; do
        sleep 1
        i=$((i + 1))
    done
    say "late after $(elapsed_ms "$t0") ms since bind started"
    records
    status "late "
    kmsg 'vfio-variant: '
    kmsg 'nvme nvme'
    kmsg 'vve: '
    end
    ;;
*)
    say "FAIL unknown vmtest.case"
    end
    ;;
esac
