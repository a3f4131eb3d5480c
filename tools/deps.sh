#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tools/deps.sh — make sure the tools the build and the tests need are here.
# It looks for the COMMANDS (and a few files), never at dpkg's database: a
# host that has them, however installed, is left alone and apt is not run.
# When something is missing it installs the Debian packages that provide it
# (apt-get; root or sudo), or, on a host without apt, names what is missing
# and how to get it, and exits 1.
#   tools/deps.sh               build + every test (both architectures)
#   tools/deps.sh build         only what `make` needs
#   tools/deps.sh build arm64   only what `make ARCH=arm64` needs (cross)
# Environment (the Makefile passes them): KMOD_SRC, KMOD_SRC_DEFAULT,
# MUSL_ARM64_DIR, MUSL_ARM64_DEFAULT_DIR, ARM64_CROSS.
set -eu

mode=${1:-all}
cross=${2:-}
cd "$(dirname "$0")/.."

# "what:package" pairs; what is a command, or an absolute path (a file).
build_needs="make:make cc:gcc musl-gcc:musl-tools ar:binutils strip:binutils
sed:sed tar:tar xz:xz-utils sha256sum:coreutils /usr/include/linux/vfio.h:linux-libc-dev"
arm64_needs="${ARM64_CROSS:-aarch64-linux-gnu-}gcc:gcc-aarch64-linux-gnu
${ARM64_CROSS:-aarch64-linux-gnu-}strip:binutils-aarch64-linux-gnu
/usr/aarch64-linux-gnu/include/linux/vfio.h:linux-libc-dev-arm64-cross"
# the aarch64 glibc build for the fake kernel (make arm64-test-build)
arm64_test_needs="/usr/aarch64-linux-gnu/include/stdio.h:libc6-dev-arm64-cross"
test_needs="/usr/include/libkmod.h:libkmod-dev depmod:kmod jq:jq valgrind:valgrind
shellcheck:shellcheck clang:clang
/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev
qemu-system-x86_64:qemu-system-x86 qemu-system-aarch64:qemu-system-arm
qemu-aarch64-static:qemu-user-static busybox:busybox-static cpio:cpio zstd:zstd
dracut:dracut-core mkinitramfs:initramfs-tools man:man-db groff:groff-base
mmdebstrap:mmdebstrap bc:bc flex:flex bison:bison /usr/include/libelf.h:libelf-dev
/usr/include/openssl/ssl.h:libssl-dev pahole:dwarves flock:util-linux file:file
dpkg-deb:dpkg dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian
pkg-config:pkgconf fakeroot:fakeroot bsdtar:libarchive-tools
rpmbuild:rpm rpmlint:rpmlint
/usr/lib/systemd/boot/efi/linuxx64.efi.stub:systemd-boot-efi
/usr/share/OVMF/OVMF_CODE_4M.fd:ovmf"

case $mode in
build)
	want=$build_needs
	[ "$cross" = arm64 ] && want="$want $arm64_needs"
	;;
all) want="$build_needs $arm64_needs $arm64_test_needs $test_needs" ;;
*)
	echo "usage: tools/deps.sh [build [arm64]]" >&2
	exit 2
	;;
esac

# have WHAT: the command is on PATH, or the file exists
have() {
	case $1 in
	/*) [ -e "$1" ] ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}

missing_what=""
missing_pkgs=""
for pair in $want; do
	what=${pair%%:*}
	pkg=${pair#*:}
	have "$what" && continue
	missing_what="$missing_what $what"
	case " $missing_pkgs " in
	*" $pkg "*) ;;
	*) missing_pkgs="$missing_pkgs $pkg" ;;
	esac
done

# Sources the build downloads when they are not cached: without apt, say
# which override takes an existing tree instead.
notes=""
if ! have apt-get; then
	kmod_src=${KMOD_SRC:-${KMOD_SRC_DEFAULT:-.cache/kmod-34.2}}
	if [ ! -f "$kmod_src/libkmod/libkmod.c" ] &&
		! { [ -n "${DEBIAN_MIRROR:-}" ] && { have curl || have wget; }; }; then
		notes="$notes
  kmod source: not in $kmod_src, and no apt to find a Debian mirror;
    unpack kmod >= 34 (https://git.kernel.org/pub/scm/utils/kernel/kmod/kmod.git)
    and give it: make KMOD_SRC=DIR (or DEBIAN_MIRROR=URL with curl or wget)"
	fi
	if [ "$cross" = arm64 ] || [ "$mode" = all ]; then
		musl=${MUSL_ARM64_DIR:-${MUSL_ARM64_DEFAULT_DIR:-.cache/musl-arm64-1.2.3-1}}
		if [ ! -f "$musl/lib/libc.a" ]; then
			notes="$notes
  musl for arm64: not in $musl and no apt to fetch Debian's musl-dev:arm64;
    give an aarch64 musl prefix (include/, lib/libc.a, lib/crt1.o, e.g. musl's
    ./configure --target=aarch64 --prefix=DIR && make install): make ARCH=arm64 MUSL_ARM64_DIR=DIR"
		fi
	fi
fi

[ -z "$missing_what" ] && [ -z "$notes" ] && exit 0

if [ -n "$missing_what" ] && have apt-get; then
	echo "deps: missing:$missing_what; installing (Debian):$missing_pkgs"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing_pkgs >/dev/null
	exit 0
fi

{
	echo "deps: this host has no apt-get: install these yourself, then run make again"
	for pair in $want; do
		what=${pair%%:*}
		case " $missing_what " in
		*" $what "*) echo "  missing: $what (Debian package ${pair#*:})" ;;
		esac
	done
	[ -z "$notes" ] || echo "${notes#?}"
} >&2
exit 1
