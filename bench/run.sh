#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/run.sh — every benchmark, one after the other (they would disturb
# each other's timings if run together):
#   bench/scale.sh   plan --json vs the floor at 64, 1024, 4096 functions
#   bench/compare.sh before/after: a base commit's binary and this one beside
#                    the floor on the DGX-like tree (4,116 functions, 4,096 listed)
#   bench/udev.sh    one udev event (bind --device) at 20, 1024, 4116 functions
#   bench/vm.sh      binder vs driverctl vs an Arch-wiki script, real kernel
#   bench/size.sh    the binary, and what each initramfs integration adds
#
#   bash bench/run.sh
#
# Needs root (the VM boot's initramfs device nodes, mkinitramfs in a private
# mount namespace), network on the first run (kernel, driverctl, bash-static;
# cached in .cache/), hyperfine (`apt-get install hyperfine`, else a
# date +%s%N loop), valgrind, qemu-system-x86, dracut-core, initramfs-tools,
# zstd (tools/deps.sh installs all but hyperfine).
# `make` runs once; every part measures a snapshot of that build.
# Writes the three Markdown tables to stdout and to .cache/bench/results.md;
# bench/README.md holds a copy from one run. Exit 1 if any part failed.
set -uo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$BENCH_CACHE/bin"
RESULTS=$BENCH_CACHE/results.md
# One build for every part: a snapshot of it, and the revision it came from.
bench_build_binary
BENCH_REV=$(bench_revision)
cp "$BENCH_BIN" "$BENCH_CACHE/bin/vfio-variant"
cp "$BENCH_BIN.unstripped" "$BENCH_CACHE/bin/vfio-variant.unstripped"
export BENCH_BIN=$BENCH_CACHE/bin/vfio-variant BENCH_BIN_FIXED=1 BENCH_REV
{
	rc=0
	printf '## vfio-variant benchmarks (%s, %s, host %s, %s cpus)\n\n' \
		"$(date -u +%Y-%m-%dT%H:%MZ)" "$(bench_revision)" "$(uname -r)" "$(nproc)"
	for part in scale compare udev vm size; do
		if ! bash "$BENCH_REPO/bench/$part.sh"; then
			printf '\n**bench/%s.sh failed** (see its messages above)\n' "$part"
			rc=1
		fi
		printf '\n'
	done
	exit "$rc"
} | tee "$RESULTS"
exit "${PIPESTATUS[0]}"
