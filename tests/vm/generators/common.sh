# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Host-side helpers shared by tests/vm/test_dracut.sh and tests/vm/test_initramfs_tools.sh
# (sourced after tests/vm/lib.sh).

# The device set and the rule every generator test boots with.
# shellcheck disable=SC2034  # used by the sourcing scripts
{
    GEN_DEVICES=gpu,nvme,e1000e,nic
    GEN_IDS=1002:5159,8086:293e,1b36:0010,1af4:1041
    # The native drivers of those devices (and of the unlisted e1000e),
    # loaded early in every image: modules-load.d, rd.driver.pre=,
    # /etc/initramfs-tools/modules. The binder must still come first.
    GEN_NATIVES=nvme,snd_hda_intel,e1000e,virtio_net
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
        gen_fail "kernel 6.12 fetch/build (tests/vm/fetch/fetch-612.sh)"
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
# (grep reads all: with pipefail, grep -q quitting early could fail the
# pipeline by SIGPIPE on a long log.)
gen_line() {
    vm_lines "$1" | grep -E -- "$2" >/dev/null
}
# gen_expect LOG ERE DESCRIPTION
gen_expect() {
    if gen_line "$1" "$2"; then gen_pass "$3"; else gen_fail "$3 (no VMTEST line matches /$2/)"; fi
}

# gen_acme_ko OUT: a DKMS-style variant module, acme-passthru.ko, whose name
# says nothing of VFIO: only its vfio_pci: alias (vendor 0xaced, no device
# here) makes it one. A .modinfo-only object: depmod indexes it and the
# generators copy it; nothing loads it.
gen_acme_ko() {
    local src
    src=$(mktemp "${TMPDIR:-/tmp}/acme.XXXXXX.c") || return 1
    printf '%s\n' '__attribute__((section(".modinfo"), used)) static const char m[] =' \
        '"alias=vfio_pci:v0000ACEDd00000001sv*sd*bc*sc*i*\0name=acme_passthru\0license=GPL\0depends=\0";' >"$src"
    mkdir -p "$(dirname "$1")"
    gcc -c -o "$1" "$src"
    local rc=$?
    rm -f "$src"
    return "$rc"
}

# gen_refute LOG ERE DESCRIPTION: no VMTEST line matches ERE.
gen_refute() {
    local bad
    if bad=$(vm_lines "$1" | grep -E -- "$2"); then gen_fail "$3 (${bad%%$'\n'*})"; else gen_pass "$3"; fi
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
    gen_expect "$log" '^kmsg 0000:01:00\.0 \[1002:5159\]: bound to vfio-pci .*was unbound' \
        "binary: GPU bound while still driverless (before any native)"
    gen_expect "$log" '^kmsg 0000:00:06\.0 \[1b36:0010\]: bound to vfio-pci .*was unbound' \
        "binary: NVMe bound while still driverless (before the early nvme)"
    gen_expect "$log" '^kmsg 0000:01:00\.1 \[8086:293e\]: bound to vfio-pci .*was unbound' \
        "binary: HDA bound while still driverless (before the early snd_hda_intel)"
    gen_expect "$log" '^kmsg 0000:00:08\.0 \[1af4:1041\]: bound to virtio_vfio_pci .*was virtio-pci' \
        "binary: virtio-net taken from built-in virtio-pci (unbind path)"
}

# gen_no_native_probes LOG: no native driver logged a probe of a listed
# device (the kernel log lines the guest's vvtest_natives reported), while
# the unlisted e1000e's probe line is there (the capture works).
gen_no_native_probes() {
    local log=$1
    gen_expect "$log" '^dmesg e1000e 0000:00:07\.0' "dmesg: the unlisted e1000e's probe line is captured"
    gen_refute "$log" '^dmesg nvme nvme[0-9]+: pci function 0000:00:06\.0' "dmesg: no nvme probe of the listed NVMe 00:06.0"
    gen_refute "$log" '^dmesg snd_hda_intel 0000:01:00\.1' "dmesg: no snd_hda_intel line for the listed HDA 01:00.1"
    gen_refute "$log" '^dmesg radeon 0000:01:00\.0' "dmesg: no radeon line for the listed GPU 01:00.0"
    gen_refute "$log" '^dmesg virtio_net virtio' "dmesg: no virtio_net line (its device left virtio-pci first)"
}

# gen_natives_took LOG WHAT: the control: natives took the listed devices
# (the binder's "was nvme"/"was snd_hda_intel", or it did not run at all and
# they stayed there) and the nvme probe line is in the kernel log, so the
# assertions above can fail.
gen_natives_took() {
    local log=$1 what=$2
    gen_expect "$log" '^dmesg nvme nvme[0-9]+: pci function 0000:00:06\.0' "control ($what): nvme probed the listed NVMe (the probe check can fail)"
    case $what in
        *disable*)
            gen_expect "$log" '^settled dev 0000:00:06\.0 1b36:0010 drv=nvme$|^premount dev 0000:00:06\.0 1b36:0010 drv=nvme$' \
                "control ($what): NVMe stays on nvme"
            gen_expect "$log" '^(settled|premount) dev 0000:01:00\.1 8086:293e drv=snd_hda_intel$' \
                "control ($what): HDA stays on snd_hda_intel"
            ;;
        *)
            gen_expect "$log" '^kmsg 0000:00:06\.0 \[1b36:0010\]: bound to vfio-pci .*was nvme' \
                "control ($what): the binder found the NVMe on nvme (\"was nvme\", the kmsg check can fail)"
            gen_expect "$log" '^kmsg 0000:01:00\.1 \[8086:293e\]: bound to vfio-pci .*was snd_hda_intel' \
                "control ($what): the binder found the HDA on snd_hda_intel"
            ;;
    esac
}

# gen_unit_order LOG: systemd flavour: the guest's unit timestamps
# ("unit NAME InactiveExitTimestampMonotonic=.. ActiveEnterTimestampMonotonic=..")
# show vfio-variant-initrd.service active before systemd-modules-load,
# systemd-udevd and dracut-cmdline started, and the binder ran once.
gen_unit_order() {
    local log=$1 ours u start
    ours=$(vm_lines "$log" | sed -n 's/^unit vfio-variant-initrd\.service .*ActiveEnterTimestampMonotonic=\([0-9]*\).*/\1/p')
    if [[ -z $ours || $ours == 0 ]]; then
        gen_fail "unit order: vfio-variant-initrd.service ran (no ActiveEnter timestamp: $(vm_lines "$log" | grep '^unit ' | tr '\n' ' '))"
        return
    fi
    gen_pass "unit order: vfio-variant-initrd.service ran (active at ${ours} us)"
    for u in systemd-modules-load.service systemd-udevd.service dracut-cmdline.service; do
        start=$(vm_lines "$log" | sed -n "s/^unit ${u//./\\.} .*InactiveExitTimestampMonotonic=\\([0-9]*\\).*/\\1/p")
        if [[ -z $start || $start == 0 ]]; then
            gen_pass "unit order: $u did not start in this boot (nothing to order)"
        elif ((ours <= start)); then
            gen_pass "unit order: vfio-variant-initrd.service done ($ours us) before $u started ($start us)"
        else
            gen_fail "unit order: vfio-variant-initrd.service done ($ours us) after $u started ($start us)"
        fi
    done
    gen_check "unit order: the binder ran once (one \"bound to\" line for the NVMe)" \
        test "$(vm_lines "$log" | grep -c '^kmsg 0000:00:06\.0 \[1b36:0010\]: bound to')" = 1
}

# gen_clean LOG: reached the end marker, no kernel oops/panic.
gen_clean() {
    local log=$1 bad
    gen_expect "$log" '^END$' "guest reached the report and powered off"
    if bad=$(tr -d '\r' <"$log" | grep -E 'Oops|BUG:|Kernel panic|Call Trace:|general protection fault'); then
        gen_fail "kernel log clean (${bad%%$'\n'*})"
    else
        gen_pass "kernel log clean"
    fi
}

# gen_dracut_boot IMG FLAVOUR LOG [APPEND]: boot a dracut image (once more
# if TCG panicked before userspace) with the natives on rd.driver.pre= (and
# in the image's modules-load.d) and assert what every dracut version must
# show: the binder ran before any of them (shell: cmdline hook 00, before
# parse-kernel.sh's cmdline 01 — 90kernel-modules on dracut 059, 80base on
# dracut-ng; systemd: its unit before
# systemd-modules-load), the listed devices on VFIO, no native probe of them.
gen_dracut_boot() {
    local img=$1 fl=$2 log=$3 tmo=180
    local append="quiet root=/dev/vvtest-none rd.shell=0 rd.vfio_variant.ids=$GEN_IDS rd.driver.pre=$GEN_NATIVES ${4:-}"
    # systemd under TCG: 55-90 s alone, up to twice that with other guests.
    [[ $fl == systemd ]] && tmo=360
    vm_boot "$VM_KERNEL" "$img" "$append" "$GEN_DEVICES" "$log" "$tmo"
    echo "boot ($fl): ${VM_BOOT_SECONDS}s wall"
    vm_lines "$log" | grep -E '^kmsg ' | sed 's/^/    /'
}

# gen_dracut_assert LOG FLAVOUR: the assertions of a good boot.
gen_dracut_assert() {
    local log=$1 fl=$2
    gen_expect "$log" '^pre-udev udevd=no state=yes' "pre-udev: the binder had run before systemd-udevd started"
    gen_expect "$log" '^pre-udev dev 0000:00:06\.0 1b36:0010 drv=vfio-pci$' "pre-udev: NVMe already on vfio-pci"
    if [[ $fl == systemd ]]; then
        gen_expect "$log" '^pre-udev .* systemd=1$' "pre-udev: vvtest's hook ran from dracut-pre-udev.service (systemd flavour)"
        gen_unit_order "$log"
    else
        gen_expect "$log" '^pre-udev dev 0000:00:07\.0 8086:10d3 drv=e1000e$' \
            "pre-udev: the unlisted e1000e already on e1000e (rd.driver.pre= was modprobed at cmdline 01, after the binder)"
    fi
    gen_drivers "$log" settled
    gen_bound_before_natives "$log"
    gen_no_native_probes "$log"
    gen_clean "$log"
}

# gen_dracut_image_order LIST: the image has the binder where it must run:
# shell: cmdline/00 hook before 90kernel-modules' cmdline/01 parse-kernel
# (rd.driver.pre=), no pre-udev hook; systemd: the unit in
# sysinit.target.wants, no hook.
gen_dracut_image_order() {
    local list=$1 fl=$2
    if [[ $fl == systemd ]]; then
        gen_check "image ($fl): vfio-variant-initrd.service" grep -qE 'lib/systemd/system/vfio-variant-initrd\.service$' "$list"
        gen_check "image ($fl): linked in sysinit.target.wants" \
            grep -qE 'sysinit\.target\.wants/vfio-variant-initrd\.service -> ' "$list"
        gen_check "image ($fl): no vfio-variant hook (runs once, from the unit)" \
            test "$(grep -cE 'hooks/.*vfio-variant' "$list")" = 0
        gen_check "image ($fl): systemd-modules-load.service" grep -qE 'systemd-modules-load\.service$' "$list"
        gen_check "image ($fl): the natives in modules-load.d" grep -qE 'etc/modules-load\.d/vvtest-natives\.conf$' "$list"
    else
        gen_check "image ($fl): cmdline hook 00-vfio-variant-hook.sh" grep -qE 'hooks/cmdline/00-vfio-variant-hook\.sh$' "$list"
        gen_check "image ($fl): the cmdline hook 01-parse-kernel.sh (rd.driver.pre=; 90kernel-modules on dracut 059, 80base on dracut-ng)" \
            grep -qE 'hooks/cmdline/01-parse-kernel\.sh$' "$list"
        gen_check "image ($fl): no pre-udev vfio-variant hook" test "$(grep -cE 'hooks/pre-udev/.*vfio-variant' "$list")" = 0
        gen_check "image ($fl): no vfio-variant unit" test "$(grep -c 'vfio-variant-initrd' "$list")" = 0
    fi
}

# gen_before ROOT UNIT: ROOT's unit dir has UNIT and our unit's Before= names it.
gen_before() {
    [[ -f $1/usr/lib/systemd/system/$2 ]] &&
        sed -n 's/^Before=//p' "$1/usr/lib/systemd/system/vfio-variant-initrd.service" | tr ' ' '\n' | grep -xF "$2" >/dev/null
}

# gen_unit_verify ROOT: systemd-analyze verify --root on the unpacked
# image's units: ours loads, and every unit its Before= names that matters
# is in the image.
gen_unit_verify() {
    local root=$1 out others u
    if ! command -v systemd-analyze >/dev/null; then
        skip "$GEN_NAME: systemd-analyze verify (not installed)"
        return 0
    fi
    out=$(systemd-analyze verify --man=no --root="$root" vfio-variant-initrd.service 2>&1)
    # The host's systemd-analyze may be older than the image's systemd:
    # unknown keys in the image's own units are reported, not failures.
    others=$(grep -v 'vfio-variant' <<<"$out")
    out=$(grep 'vfio-variant' <<<"$out")
    [[ -n $others ]] && echo "systemd-analyze verify: $(wc -l <<<"$others") line(s) about the image's other units (host systemd $(systemd-analyze --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')), e.g.: $(head -n 1 <<<"$others")"
    if [[ -z $out ]]; then
        gen_pass "image (systemd): systemd-analyze verify --root vfio-variant-initrd.service: clean"
    else
        gen_fail "image (systemd): systemd-analyze verify --root vfio-variant-initrd.service: $(echo "$out" | head -n 3 | tr '\n' ' ')"
    fi
    for u in systemd-modules-load.service systemd-udevd.service systemd-udev-trigger.service dracut-cmdline.service dracut-pre-udev.service; do
        gen_check "image (systemd): $u is in the image and named in our Before=" gen_before "$root" "$u"
    done
    gen_check "image (systemd): ExecStart=/usr/sbin/vfio-variant exists in the image" test -x "$root/usr/sbin/vfio-variant"
}
