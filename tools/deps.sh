#!/bin/bash
# tools/deps.sh — install the Debian packages the build and the tests need,
# if any is missing. Needs root (or sudo) only when something is missing.
#   tools/deps.sh          build + every test
#   tools/deps.sh build    only what `make` needs
set -eu

build_pkgs="make gcc musl-tools libkmod-dev xz-utils"
test_pkgs="kmod jq valgrind shellcheck clang libclang-rt-14-dev qemu-system-x86
busybox-static cpio zstd dracut-core initramfs-tools man-db groff-base
mmdebstrap bc flex bison libelf-dev libssl-dev dwarves util-linux
debhelper lintian pkgconf fakeroot dpkg-dev"

want=$build_pkgs
[ "${1:-}" = build ] || want="$want $test_pkgs"

missing=""
for p in $want; do
	dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
