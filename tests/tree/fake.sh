# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# tests/tree/fake.sh — the binary through the fake kernel (tests/fakekernel,
# an LD_PRELOAD shim that makes the fake /sys react to the bind's writes).
# Sourced after assert.sh by the suites whose header says
# "# binary: dynamic" (tests/run.sh gives those a dynamically linked build).
#   kb WANT ARGS...    assert.sh's vv, through the fake kernel; the shim
#                      reads FAKE_DRIVERS (default $DRIVERS: module:driver
#                      pairs), FAULT, GROUPS_AT_PROBE and VV_FAKE_LOG;
#                      WATCH=TEXT: each open of a path containing TEXT
#                      is logged ("opened PATH") in VV_FAKE_LOG
#   drv BDF, ovr BDF   the device's driver (or "none"), its driver_override
#   kmsg_has NAME TEXT /dev/kmsg of $R contains TEXT
#   VV_SHIM            the shim (default build/test/fakekernel.so)
# A statically linked VV_BIN cannot be reached by the shim: one FAIL, exit 1.

if readelf -h "$VV_BIN" >/dev/null 2>&1 && ! readelf -lW "$VV_BIN" | grep -q 'program interpreter'; then
	fail "VV_BIN=$VV_BIN is statically linked: the fake kernel (LD_PRELOAD) cannot reach it; run ${0##*/} with a dynamically linked build (build/test/vfio-variant or build/test/vfio-variant-plain)"
	exit 1
fi
# VV_SHIM: a shim built for VV_BIN's architecture (tests/run.sh's arm64 run:
# build/arm64/test/fakekernel.so with the aarch64 glibc build, under
# qemu-aarch64-static, which is static itself: LD_PRELOAD reaches only the
# guest's ld.so)
SHIM=${VV_SHIM:-$PWD/build/test/fakekernel.so}
if [ ! -f "$SHIM" ]; then
	fail "no $SHIM (make test-build; arm64: make arm64-test-build)"
	exit 1
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0
DRIVERS=${DRIVERS:-vfio_pci:vfio-pci,virtio_vfio_pci:virtio_vfio_pci,mlx5_vfio_pci:mlx5_vfio_pci}

kb() {
	local code=$1
	shift
	# shellcheck disable=SC2086
	run_binary "$code" "kb $*" env LD_PRELOAD="$SHIM" VV_FAKE_ROOT="$R" VV_FAKE_LOG="${VV_FAKE_LOG:-}" \
		VV_FAKE_DRIVERS="${FAKE_DRIVERS:-$DRIVERS}" VV_FAULT="${FAULT:-}" \
		VV_FAKE_PROBE_GROUPS="${GROUPS_AT_PROBE:-}" VV_FAKE_WATCH="${WATCH:-}" \
		$VV_WRAP "$VV_BIN" --root "$R" --kver "$KVER" "$@"
}
drv() { local l; l=$(readlink "$R/sys/bus/pci/devices/$1/driver") && echo "${l##*/}" || echo none; }
ovr() { cat "$R/sys/bus/pci/devices/$1/driver_override"; }
kmsg_has() { file_has "$1" "$R/dev/kmsg" "$2"; }
