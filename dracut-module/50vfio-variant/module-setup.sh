#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# dracut module "vfio-variant": hands the PCI devices listed by
# rd.vfio_variant.* / vfio_variant.* or /etc/vfio-variant.conf to their best
# VFIO driver (a variant such as mlx5_vfio_pci, else vfio-pci) before any
# native driver can take them. All logic is in the binary; this file only
# puts the binary, its config and the VFIO modules into the image and runs
# it first:
#   systemd flavour (dracut's systemd module): from its own unit,
#     vfio-variant-initrd.service (wanted by sysinit.target, ordered before
#     systemd-modules-load, systemd-udevd, systemd-udev-trigger and
#     dracut-cmdline), so natives in modules-load.d, rd.driver.pre= and
#     force_drivers find the devices already overridden. No hook then.
#   shell flavour (init.sh): a cmdline hook at priority 00, before the
#     cmdline hook 01 (parse-kernel.sh) modprobes rd.driver.pre= /
#     force_drivers — in 90kernel-modules on dracut 059, in 80base on
#     dracut-ng — and long before udev starts.
#
# The directory is 50vfio-variant: dracut-ng reserves 50-59 for modules
# shipped outside dracut (its docs warn against 90-99, its own range).
# Packages and `make install` remove a left-over 90vfio-variant (its name
# up to 0.1): two modules of one name confuse dracut.
#
# Not included by default: dracut -a vfio-variant, or
#   add_dracutmodules+=" vfio-variant "  in /etc/dracut.conf.d/*.conf
# Environment: VFIO_VARIANT_BIN  the binary to install (default: the first of
#   /usr/sbin/vfio-variant, /usr/bin/vfio-variant, vfio-variant on PATH); it
#   lands at /usr/sbin/vfio-variant in the image.
#   VFIO_VARIANT_RULES  the udev rule file to install (default: the host's
#   90-vfio-variant.rules); it lands as 90-vfio-variant.rules in the image.
#   VFIO_VARIANT_UNIT  the initrd unit (default: vfio-variant-initrd.service
#   next to this file, else in the host's systemd unit directory).
#   VFIO_VARIANT_PREFLIGHT=off  skip the pre-flight (`vfio-variant plan
#   --preflight`), which otherwise fails the build when the image would
#   claim the disk holding / or /boot of this host.

# The binary to install: VFIO_VARIANT_BIN, else the default paths, else PATH
# (a make install PREFIX=/usr/local or a hand-copied binary). Prints nothing
# and fails when there is none.
vfio_variant_bin() {
    local b
    if [[ ${VFIO_VARIANT_BIN:-} ]]; then
        printf '%s\n' "$VFIO_VARIANT_BIN"
        [[ -x $VFIO_VARIANT_BIN ]]
        return
    fi
    for b in /usr/sbin/vfio-variant /usr/bin/vfio-variant; do
        if [[ -x $b ]]; then
            printf '%s\n' "$b"
            return 0
        fi
    done
    b=$(command -v vfio-variant 2>/dev/null) && [[ -x $b ]] && printf '%s\n' "$b"
}

# Where vfio_variant_bin looked, for the error message.
vfio_variant_looked() {
    if [[ ${VFIO_VARIANT_BIN:-} ]]; then
        printf 'VFIO_VARIANT_BIN=%s (not an executable)' "$VFIO_VARIANT_BIN"
    else
        printf '/usr/sbin/vfio-variant, /usr/bin/vfio-variant and PATH=%s' "$PATH"
    fi
}

# The initrd unit to install, or nothing.
vfio_variant_unit() {
    local u
    # shellcheck disable=SC2154  # moddir and systemdsystemunitdir are set by dracut
    for u in ${VFIO_VARIANT_UNIT:+"$VFIO_VARIANT_UNIT"} "$moddir/vfio-variant-initrd.service" \
        "${systemdsystemunitdir:-/usr/lib/systemd/system}/vfio-variant-initrd.service"; do
        if [[ -f $u ]]; then
            printf '%s\n' "$u"
            return 0
        fi
    done
    return 1
}

# True when this host lists no device (plan prints an empty JSON array):
# a host-only image then gets every variant (rules may come with the next
# boot's command line).
vfio_variant_none_listed() {
    local out
    # shellcheck disable=SC2154  # srcmods is set by dracut
    out=$("$1" plan --json --moddir "${srcmods%/}" 2>/dev/null) || return 0
    [[ ${out//[[:space:]]/} == "[]" ]]
}

# called by dracut
check() {
    if ! vfio_variant_bin >/dev/null; then
        # a warning: dracut asks every module, wanted or not
        dwarn "vfio-variant: no vfio-variant binary; looked at $(vfio_variant_looked)"
        return 1
    fi
    # only when asked for
    return 255
}

# called by dracut
depends() {
    # Nothing: cmdline hooks run in every shell-flavour image (base's
    # init.sh, after it mounted /proc, /sys, /dev and /run); in the systemd
    # flavour systemd mounts them before any unit starts.
    return 0
}

# called by dracut
installkernel() {
    local bin mods=""
    if ! bin=$(vfio_variant_bin); then
        derror "vfio-variant: no vfio-variant binary; looked at $(vfio_variant_looked)"
        return 1
    fi
    # The binary names the modules (with their dependencies): host-only
    # images the vfio core and the drivers it plans for this host's listed
    # devices; generic ones (or a host listing nothing) the core and every
    # module with a vfio_pci: alias (in-tree variants, DKMS and out-of-tree
    # ones under updates/ or extra/, whatever their names).
    # hostonly='' for instmods: hostonly mode keeps only modules loaded on
    # the host or matching its devices' modaliases, and no device modalias
    # matches a vfio_pci: alias.
    # shellcheck disable=SC2154  # hostonly and srcmods are set by dracut
    if [[ $hostonly ]] && ! vfio_variant_none_listed "$bin"; then
        mods=$("$bin" modules --moddir "${srcmods%/}") || mods=""
    fi
    if [[ -z $mods ]]; then
        if ! mods=$("$bin" modules --all --moddir "${srcmods%/}") || [[ -z $mods ]]; then
            derror "vfio-variant: '$bin modules --all --moddir ${srcmods%/}' failed: no VFIO modules for the image"
            return 1
        fi
    fi
    # shellcheck disable=SC2086  # one module name per word
    hostonly='' instmods $mods
}

# dracut ignores what install() returns (only installkernel's failure
# stops the build): an image that must not be built ends dracut here.
vfio_variant_fatal() {
    dfatal "$1"
    exit 1
}

# called by dracut
install() {
    local bin unit rc=0
    if ! bin=$(vfio_variant_bin); then
        derror "vfio-variant: no vfio-variant binary; looked at $(vfio_variant_looked)"
        return 1
    fi
    # The pre-flight: inside the initramfs nothing is mounted, so the rules
    # must not list the disk holding / or /boot of this host; the binary
    # names it. VFIO_VARIANT_PREFLIGHT=off: build anyway.
    # Without /sys/bus/pci (a chroot or container building an image) there
    # is no running host whose disks the check could protect: skipped.
    if [[ ${VFIO_VARIANT_PREFLIGHT:-on} != off && -d /sys/bus/pci ]]; then
        "$bin" plan --preflight ${srcmods:+--moddir "${srcmods%/}"} >/dev/null || rc=$?
        if ((rc == 1)); then
            vfio_variant_fatal "vfio-variant: pre-flight failed: the image would claim the disk holding / or /boot (see above); narrow the rule, or build with VFIO_VARIANT_PREFLIGHT=off if you mean it"
        elif ((rc != 0)); then
            dwarn "vfio-variant: pre-flight check could not run ('$bin plan --preflight' exited $rc)"
        fi
    fi
    inst_binary "$bin" /usr/sbin/vfio-variant || return 1
    inst_multiple -o /etc/vfio-variant.conf /etc/vfio-variant.d/*.conf
    if dracut_module_included systemd; then
        # systemd-modules-load and dracut-pre-udev.service race: our own
        # unit, ordered before both, and no hook (the binder runs once).
        if ! unit=$(vfio_variant_unit); then
            vfio_variant_fatal "vfio-variant: vfio-variant-initrd.service not found (looked at ${VFIO_VARIANT_UNIT:+$VFIO_VARIANT_UNIT, }$moddir and ${systemdsystemunitdir:-/usr/lib/systemd/system}): the image would have no binder"
        fi
        inst_simple "$unit" "${systemdsystemunitdir:?}/vfio-variant-initrd.service" || return 1
        mkdir -p "${initdir:?}$systemdsystemunitdir/sysinit.target.wants"
        ln_r "$systemdsystemunitdir/vfio-variant-initrd.service" \
            "$systemdsystemunitdir/sysinit.target.wants/vfio-variant-initrd.service"
    else
        # cmdline 00: before parse-kernel.sh's cmdline 01 (rd.driver.pre=;
        # 90kernel-modules on dracut 059, 80base on dracut-ng).
        # shellcheck disable=SC2154  # moddir is set by dracut
        inst_hook cmdline 00 "$moddir/vfio-variant-hook.sh"
    fi
    # The udev rule: devices that appear while the initramfs runs (hotplug,
    # SR-IOV VFs created by a later hook) reach the binary too.
    if [[ ${VFIO_VARIANT_RULES:-} ]]; then
        inst_simple "$VFIO_VARIANT_RULES" "${udevrulesdir:-/usr/lib/udev/rules.d}/90-vfio-variant.rules"
    else
        inst_rules 90-vfio-variant.rules
    fi
}
