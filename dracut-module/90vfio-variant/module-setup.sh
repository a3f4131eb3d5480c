#!/bin/bash
# shellcheck shell=bash
# dracut module "vfio-variant": hands the PCI devices listed by
# rd.vfio_variant.* / vfio_variant.* or /etc/vfio-variant.conf to their best
# VFIO driver (a variant such as mlx5_vfio_pci, else vfio-pci) before udev
# lets the native drivers take them. All logic is in the binary; this file
# only puts the binary, its config and the VFIO modules into the image and
# runs it from a pre-udev hook.
#
# Not included by default: dracut -a vfio-variant, or
#   add_dracutmodules+=" vfio-variant "  in /etc/dracut.conf.d/*.conf
# Environment: VFIO_VARIANT_BIN  the binary to install (default
#   /usr/sbin/vfio-variant); it lands at /usr/sbin/vfio-variant in the image.
#   VFIO_VARIANT_RULES  the udev rule file to install (default: the host's
#   90-vfio-variant.rules); it lands as 90-vfio-variant.rules in the image.

vfio_variant_bin() {
    printf '%s\n' "${VFIO_VARIANT_BIN:-/usr/sbin/vfio-variant}"
}

# Module names the binary would use for the devices listed on this host
# ("module" of each entry of `plan --json`, one per line; nothing when no
# device is listed or the binary cannot tell).
vfio_variant_planned_modules() {
    # shellcheck disable=SC2154  # kernel is set by dracut
    "$(vfio_variant_bin)" plan --json --kver "$kernel" 2>/dev/null |
        sed -n -e 's/, "candidates": .*//' \
            -e 's/.*"module": "\([A-Za-z0-9_-]*\)".*/\1/p' | sort -u
}

# called by dracut
check() {
    require_binaries "$(vfio_variant_bin)" || return 1
    # only when asked for
    return 255
}

# called by dracut
depends() {
    # Nothing: pre-udev hooks run in every dracut image (base's init.sh or
    # dracut-systemd's dracut-pre-udev.service), and /proc, /sys, /dev and
    # /run are mounted by then in both.
    return 0
}

# called by dracut
installkernel() {
    local mods=""
    # hostonly='': the host need not have these loaded (hostonly mode keeps
    # only modules loaded on the host or matching its devices' modaliases, and
    # no device modalias matches a vfio_pci: alias).
    hostonly='' instmods vfio vfio_pci vfio_iommu_type1
    if [[ $hostonly ]]; then
        mods=$(vfio_variant_planned_modules)
    fi
    if [[ $mods ]]; then
        # shellcheck disable=SC2086  # one module name per word
        hostonly='' instmods $mods
    else
        # Every variant: in-tree (drivers/vfio/pci under kernel/, extra/,
        # updates/) and any other module with a vfio_pci: alias (DKMS or
        # out-of-tree variants elsewhere under updates/ or extra/).
        hostonly='' instmods '=drivers/vfio/pci'
        mods=$(sed -n 's/^alias vfio_pci:[^ ]* \([^ ]*\)$/\1/p' \
            "${srcmods:?}/modules.alias" 2>/dev/null | sort -u)
        # shellcheck disable=SC2086
        [[ $mods ]] && hostonly='' instmods $mods
    fi
    return 0
}

# called by dracut
install() {
    inst_binary "$(vfio_variant_bin)" /usr/sbin/vfio-variant
    inst_multiple -o /etc/vfio-variant.conf /etc/vfio-variant.d/*.conf
    # shellcheck disable=SC2154  # moddir is set by dracut
    inst_hook pre-udev 00 "$moddir/vfio-variant-hook.sh"
    # The udev rule: devices that appear while the initramfs runs (hotplug,
    # SR-IOV VFs created by a later hook) reach the binary too.
    if [[ ${VFIO_VARIANT_RULES:-} ]]; then
        inst_simple "$VFIO_VARIANT_RULES" "${udevrulesdir:-/usr/lib/udev/rules.d}/90-vfio-variant.rules"
    else
        inst_rules 90-vfio-variant.rules
    fi
}
