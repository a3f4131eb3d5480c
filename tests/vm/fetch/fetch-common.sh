# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Shared helpers for tests/vm/fetch-*.sh. Sourced, not executed.
#
# Everything lands in the git-ignored cache $VM_CACHE (default
# <repo>/.cache/vm). Debian packages are fetched with a PRIVATE apt
# configuration (own sources.list, lists and archives dirs, no dpkg status):
# the system's apt sources are never read or changed. Each .deb is pinned by
# exact version and its sha256 is checked against the pin recorded in the
# calling script (apt itself checks it against the signed index too).
#
# Steps are idempotent: a stamp file holds the "key" (pins, recipe version) a
# step was done with; a step whose stamp matches is skipped.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VM_REPO=$(cd "$VM_DIR/../.." && pwd)
VM_CACHE=${VM_CACHE:-$VM_REPO/.cache/vm}
# env.sh records absolute paths: those of the cache itself, not of the
# worktree whose .cache links to it (a removed worktree's path would break
# every later run that shares the cache).
mkdir -p "$VM_CACHE" && VM_CACHE=$(cd -P "$VM_CACHE" && pwd)
VM_DEBS=$VM_CACHE/debs
# shellcheck source=../../../tools/private-apt.sh
. "$VM_REPO/tools/private-apt.sh"
# The Debian mirror: $VM_MIRROR, else the one the host's apt already uses.
[[ -n ${VM_MIRROR:-} ]] || VM_MIRROR=$(private_apt_mirror)

fc_log() { printf '[%s %3ss] %s\n' "${FC_TAG:-vm}" "$SECONDS" "$*" >&2; }
fc_die() { printf '[%s] ERROR: %s\n' "${FC_TAG:-vm}" "$*" >&2; exit 1; }

# fc_need CMD...: fail naming the Debian package that provides a missing CMD.
fc_need() {
    local cmd pkg
    for cmd in "$@"; do
        command -v "$cmd" >/dev/null 2>&1 && continue
        case $cmd in
            apt-get) pkg=apt ;;
            dpkg-deb) pkg=dpkg ;;
            xz) pkg=xz-utils ;;
            depmod | modprobe) pkg=kmod ;;
            strip) pkg=binutils ;;
            flock | mountpoint | mount) pkg="util-linux mount" ;;
            chroot) pkg=coreutils ;;
            x86_64-linux-gnu-gcc-*) pkg=gcc-${cmd##*-} ;;
            aarch64-linux-gnu-gcc-*) pkg=gcc-${cmd##*-}-aarch64-linux-gnu ;;
            qemu-system-aarch64) pkg=qemu-system-arm ;;
            qemu-aarch64-static) pkg=qemu-user-static ;;
            *) pkg=$cmd ;;
        esac
        fc_die "'$cmd' not found: apt-get install $pkg"
    done
}

# fc_lock NAME: hold an exclusive lock for the rest of the script, so two
# runs of the same fetch script never work on one cache dir at once.
fc_lock() {
    mkdir -p "$VM_CACHE"
    exec 9>"$VM_CACHE/.$1.lock"
    flock 9
}

# Stamps -------------------------------------------------------------------
fc_stamp_ok() { [[ -f $1 && "$(cat "$1")" == "$2" ]]; }
fc_stamp_set() { printf '%s\n' "$2" >"$1"; }

# Private apt ----------------------------------------------------------------
# fc_apt_init NAME "SUITE" [ARCH]: sets FC_APT (an array: apt-get with
# options) for a private apt tree in $VM_CACHE/apt-NAME using one suite of
# $VM_MIRROR. ARCH (e.g. arm64): that architecture's packages only (the
# private config's APT::Architecture; the host's dpkg architectures are not
# touched).
fc_apt_init() {
    local name=$1 suite=$2 arch=${3:-}
    FC_APT_DIR=$VM_CACHE/apt-$name
    private_apt_init "$FC_APT_DIR" "$suite" "$VM_MIRROR" "$arch" || fc_die "cannot write $FC_APT_DIR"
    FC_APT=("${PRIVATE_APT[@]}")
    FC_APT_UPDATED=
}

fc_apt_update() {
    [[ -n $FC_APT_UPDATED ]] && return 0
    fc_log "apt-get update (private: $(cut -d' ' -f3- "$FC_APT_DIR/sources.list"))"
    [[ -n $VM_MIRROR ]] || fc_die "no Debian mirror in the host's apt configuration: set VM_MIRROR"
    "${FC_APT[@]}" update >&2 || fc_die "apt-get update failed (mirror $VM_MIRROR)"
    FC_APT_UPDATED=1
}

# fc_fetch PKG VERSION SHA256: make sure $VM_DEBS/PKG_VERSION.deb exists and
# matches SHA256; sets FC_DEB to its path. Downloads with the private apt
# (call fc_apt_init first; the index is updated at most once per run).
# shellcheck disable=SC2034 # FC_DEB is read by the sourcing script
# fc_fetch_pins VERSION "PKG SHA256"...: fc_fetch each pin; the global
# associative array DEB maps each package to its verified .deb.
fc_fetch_pins() {
    local ver=$1 pin pkg sum
    shift
    declare -gA DEB=()
    for pin in "$@"; do
        read -r pkg sum <<<"$pin"
        fc_fetch "$pkg" "$ver" "$sum"
        DEB[$pkg]=$FC_DEB
    done
}

fc_fetch() {
    local pkg=$1 ver=$2 sum=$3 out tmp got
    out=$VM_DEBS/${pkg}_${ver}.deb
    mkdir -p "$VM_DEBS"
    if [[ -f $out ]]; then
        got=$(sha256sum "$out" | cut -d' ' -f1)
        if [[ $got == "$sum" ]]; then
            FC_DEB=$out
            return 0
        fi
        fc_log "cached $out has sha256 $got, want $sum: fetching again"
        rm -f "$out"
    fi
    fc_apt_update
    tmp=$(mktemp -d "$VM_DEBS/.dl.XXXXXX")
    fc_log "download $pkg=$ver"
    if ! (cd "$tmp" && "${FC_APT[@]}" download "$pkg=$ver" >&2); then
        rm -rf "$tmp"
        fc_die "apt-get download $pkg=$ver failed (no longer on the mirror? see apt-cache policy in $VM_CACHE)"
    fi
    local f
    for f in "$tmp"/*.deb; do :; done
    [[ -f $f ]] || { rm -rf "$tmp"; fc_die "no .deb downloaded for $pkg=$ver"; }
    got=$(sha256sum "$f" | cut -d' ' -f1)
    if [[ $got != "$sum" ]]; then
        rm -rf "$tmp"
        fc_die "sha256 mismatch for $pkg=$ver: got $got, pinned $sum"
    fi
    mv "$f" "$out"
    rm -rf "$tmp"
    FC_DEB=$out
}

# fc_extract_source DEB SERIES DEST [DIR]: extract only
# drivers/vfio/pci/DIR/*.[ch] (DIR: virtio, the default, or e.g. nvgrace-gpu)
# from linux-source-SERIES's tarball into DEST (no 150 MB tree on disk).
fc_extract_source() {
    local deb=$1 series=$2 dest=$3 sub=${4:-virtio}
    mkdir -p "$dest"
    # xz -T0: the tarball has many blocks, threaded decompression is ~3x
    # faster. pipefail is off here: a tar that stops at the end-of-archive
    # marker leaves its writer with SIGPIPE; the result is checked instead.
    (
        set +o pipefail
        dpkg-deb --fsys-tarfile "$deb" |
            tar -xO "./usr/src/linux-source-$series.tar.xz" |
            xz -dc -T0 |
            tar -x -C "$dest" --strip-components=5 --wildcards \
                "linux-source-$series/drivers/vfio/pci/$sub/*.[ch]"
    ) || fc_die "extracting drivers/vfio/pci/$sub from $deb failed"
    compgen -G "$dest/main.c" >/dev/null || fc_die "no drivers/vfio/pci/$sub/main.c in $deb"
}

# fc_install_module KO MODDIR: compress like Debian's modules (xz, crc32
# check, 1 MiB dictionary) into MODDIR/updates/KO.xz. Strip debug info first
# (as Debian's INSTALL_MOD_STRIP=1 does), with the toolchain that built it.
fc_install_module() {
    local ko=$1 moddir=$2 name
    name=$(basename "$ko")
    mkdir -p "$moddir/updates"
    rm -f "$moddir/updates/$name" "$moddir/updates/$name.xz"
    xz --check=crc32 --lzma2=dict=1MiB -c "$ko" >"$moddir/updates/$name.xz"
}

# fc_check_alias ROOT KVER: the upstream variant's alias must be indexed.
fc_check_alias() {
    local root=$1 kver=$2 want
    want='alias vfio_pci:v00001AF4d00001041sv*sd*bc*sc*i* virtio_vfio_pci'
    grep -qxF "$want" "$root/lib/modules/$kver/modules.alias" ||
        fc_die "modules.alias lacks: $want"
    fc_log "ok: $want"
}

# fc_write_env FILE VAR=VALUE...: a sourceable file describing the kernel.
fc_write_env() {
    local file=$1 kv
    shift
    {
        echo "# generated by tests/vm/$(basename "$0"); source it"
        for kv in "$@"; do
            printf '%s=%q\n' "${kv%%=*}" "${kv#*=}"
        done
    } >"$file.tmp"
    mv "$file.tmp" "$file"
}
