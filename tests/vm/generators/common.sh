# shellcheck shell=bash
# Host-side helpers shared by tests/vm/dracut.sh and tests/vm/initramfs-tools.sh
# (sourced after tests/vm/lib.sh).

# The device set and the rule every generator test boots with.
# shellcheck disable=SC2034  # used by the sourcing scripts
{
    GEN_DEVICES=gpu,nvme,e1000e,nic
    GEN_IDS=1002:5159,8086:293e,1b36:0010,1af4:1041
}

# gen_preflight CMD PACKAGE: the generator CMD, our binary $BIN and the 6.12
# kernel are there (fetched and built if needed); else one FAIL and status 1.
gen_preflight() {
    if ! command -v "$1" >/dev/null; then
        gen_fail "$1 not installed (apt-get install $2)"
        return 1
    fi
    if [[ ! -x $BIN ]]; then
        gen_fail "no binary $BIN (make)"
        return 1
    fi
    vm_kernel 6.12 || {
        gen_fail "kernel 6.12 fetch/build (tests/vm/fetch-612.sh)"
        return 1
    }
}

# gen_pass / gen_fail: tests/lib/check.sh's, named for $GEN_NAME
gen_pass() { pass "$GEN_NAME: $*"; }
gen_fail() { fail "$GEN_NAME: $*"; }
# gen_check DESCRIPTION CMD...
gen_check() {
    local d=$1
    shift
    if "$@"; then gen_pass "$d"; else gen_fail "$d"; fi
}
# gen_line LOG ERE: some VMTEST line matches ERE.
gen_line() {
    vm_lines "$1" | grep -qE -- "$2"
}
# gen_expect LOG ERE DESCRIPTION
gen_expect() {
    if gen_line "$1" "$2"; then gen_pass "$3"; else gen_fail "$3 (no VMTEST line matches /$2/)"; fi
}

# gen_drivers LOG STAGE: the listed devices are on their VFIO drivers, the
# unlisted e1000e on e1000e.
gen_drivers() {
    local log=$1 s=$2
    gen_expect "$log" "^$s dev 0000:01:00\\.0 1002:5159 drv=vfio-pci\$" "$s: GPU 1002:5159 on vfio-pci"
    gen_expect "$log" "^$s dev 0000:01:00\\.1 8086:293e drv=vfio-pci\$" "$s: HDMI audio 8086:293e on vfio-pci"
    gen_expect "$log" "^$s dev 0000:00:06\\.0 1b36:0010 drv=vfio-pci\$" "$s: NVMe 1b36:0010 on vfio-pci"
    gen_expect "$log" "^$s dev 0000:00:08\\.0 1af4:1041 drv=virtio_vfio_pci\$" "$s: virtio-net 1af4:1041 on the variant virtio_vfio_pci"
    gen_expect "$log" "^$s dev 0000:00:07\\.0 8086:10d3 drv=e1000e\$" "$s: unlisted e1000e autoloaded by udev and bound"
}

# gen_bound_before_natives LOG: the binary's own log says it found the
# modular devices without a driver (it ran before udev loaded the natives)
# and moved the built-in virtio-pci's device.
gen_bound_before_natives() {
    local log=$1
    gen_expect "$log" '^kmsg 0000:00:06\.0 \[1b36:0010\]: bound to vfio-pci .*was unbound' \
        "binary: NVMe bound while still driverless (before udev)"
    gen_expect "$log" '^kmsg 0000:01:00\.1 \[8086:293e\]: bound to vfio-pci .*was unbound' \
        "binary: HDA bound while still driverless (before udev)"
    gen_expect "$log" '^kmsg 0000:00:08\.0 \[1af4:1041\]: bound to virtio_vfio_pci .*was virtio-pci' \
        "binary: virtio-net taken from built-in virtio-pci (unbind path)"
}

# gen_clean LOG: reached the end marker, no kernel oops/panic.
gen_clean() {
    local log=$1 bad
    gen_expect "$log" '^END$' "guest reached the report and powered off"
    if bad=$(tr -d '\r' <"$log" | grep -E -m1 'Oops|BUG:|Kernel panic|Call Trace:|general protection fault'); then
        gen_fail "kernel log clean ($bad)"
    else
        gen_pass "kernel log clean"
    fi
}

# gen_dracut_boot IMG FLAVOUR LOG: boot a dracut image (once more if TCG
# panicked before userspace) and assert what every dracut version must
# show: our pre-udev hook ran before systemd-udevd, with the listed devices
# already on VFIO and the e1000e still driverless; udev's natives after us.
gen_dracut_boot() {
    local img=$1 fl=$2 log=$3 tmo=180
    local append="quiet root=/dev/vvtest-none rd.shell=0 rd.vfio_variant.ids=$GEN_IDS"
    # systemd under TCG: 55-90 s alone, up to twice that with other guests.
    [[ $fl == systemd ]] && tmo=360
    vm_boot "$VM_KERNEL" "$img" "$append" "$GEN_DEVICES" "$log" "$tmo"
    if ! grep -q 'VMTEST:' "$log" && grep -q 'Kernel panic' "$log"; then
        echo "boot ($fl): guest kernel panicked before userspace after ${VM_BOOT_SECONDS}s; retrying once"
        cp "$log" "$log.panic"
        vm_boot "$VM_KERNEL" "$img" "$append" "$GEN_DEVICES" "$log" "$tmo"
    fi
    echo "boot ($fl): ${VM_BOOT_SECONDS}s wall"
    gen_expect "$log" '^pre-udev udevd=no state=yes' "pre-udev: hook ran before systemd-udevd started"
    if [[ $fl == systemd ]]; then
        gen_expect "$log" '^pre-udev .* systemd=1$' "pre-udev: ran from dracut-pre-udev.service (systemd flavour)"
    fi
    gen_expect "$log" '^pre-udev dev 0000:00:06\.0 1b36:0010 drv=vfio-pci$' "pre-udev: NVMe already on vfio-pci"
    gen_expect "$log" '^pre-udev dev 0000:00:07\.0 8086:10d3 drv=none$' "pre-udev: e1000e not yet bound (udev not run)"
    gen_drivers "$log" settled
    gen_bound_before_natives "$log"
    gen_clean "$log"
}
