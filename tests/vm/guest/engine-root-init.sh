#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /sbin/init of the root file system tests/vm/test_engine_systemd.sh boots
# into: dracut's systemd initramfs ran vfio-variant-initrd.service (one
# probe stuck far past vfio_variant.timeout, one ending long after it) and
# switched root to this. Reports, as VMTEST lines:
#   root-init uptime=S           when the initramfs handed over
#   ps PID STAT ARGS tasks=S,D   the binder left behind (alive) and the
#                                state of each of its threads (a probe
#                                stuck in the kernel: D)
#   record {...}                 /run/vfio-variant/devices/*.json (the
#                                initramfs's /run, moved here by systemd)
#   dev ...                      the PCI devices
#   kmsg [T] ...                 the binder's and systemd's lines about it
#   late-wait uptime=S result=R  after waiting for the late record
# then reboots at once (QEMU runs with -no-reboot: it exits); the stuck
# probe would hold a poweroff's device shutdown.
#   vmtest.late=BDF              the device whose probe ends late
# shellcheck source-path=SCRIPTDIR
# shellcheck source=init-common.sh
. /lib/vmtest/init-common.sh
# init-common mounted a fresh tmpfs over /run: the initramfs's /run, moved
# here by systemd's switch_root (the records, the locks), is beneath it
umount /run

up() { cut -d' ' -f1 /proc/uptime; }
arg() { # arg NAME: value of vmtest.NAME= on the command line
    read -r _cmdline </proc/cmdline
    for _w in $_cmdline; do
        case $_w in "vmtest.$1="*) echo "${_w#*=}" ;; esac
    done
}
records() { for f in /run/vfio-variant/devices/*.json; do [ -e "$f" ] && say "record $(tr -d '\n' <"$f")"; done; }
workers() {
    # shellcheck disable=SC2009 # busybox: no pgrep
    ps -o pid,stat,args 2>/dev/null | grep '[v]fio-variant' | while read -r l; do
        _t=
        for _s in /proc/"${l%% *}"/task/*/stat; do
            [ -r "$_s" ] || continue
            read -r _st <"$_s"
            _st=${_st##*) }
            _t="$_t${_t:+,}${_st%% *}"
        done
        say "ps $1$l tasks=$_t"
    done
}
kmsg() { dmesg | grep -E "$1" | while read -r l; do say "kmsg $l"; done; }
result() { sed -n 's/.*"result": "\([a-z]*\)".*/\1/p' "/run/vfio-variant/devices/$1.json" 2>/dev/null; }

say "root-init uptime=$(up)"
late=$(arg late)
say "late-at-root-init result=$(result "$late")"
workers ""
records
list_devices
kmsg 'vfio-variant|Switching root|switch_root|initrd-switch-root|vve: '
# the late probe's worker writes its record here, after switch_root
i=0
while [ $i -lt 400 ] && [ "$(result "$late")" = probing ]; do
    sleep 1
    i=$((i + 1))
done
say "late-wait uptime=$(up) result=$(result "$late")"
records
workers "after "
kmsg 'vfio-variant: .*late result'
/usr/sbin/vfio-variant status 2>&1 | while read -r l; do say "status $l"; done
trap - EXIT
say "END"
echo b >/proc/sysrq-trigger
sleep 5
