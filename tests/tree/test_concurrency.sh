#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# binary: dynamic
# Tree tests: many `bind --device` at once, as udev runs them for a burst of
# new VFs, through the fake kernel (tests/fakekernel) whose module loads
# spend a while "coming" (/sys/module/M there, initstate coming, no driver
# yet) like a real finit_module. Every device must end up bound and every
# one must have its record in `status --json`.
#   VV_BURST (default 48) devices, VV_ROUNDS (default 3) fresh rounds.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lib.sh
. tests/tree/lib.sh
# shellcheck source=assert.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT
DRIVERS="vfio_pci:vfio-pci,virtio_vfio_pci:virtio_vfio_pci"
# shellcheck source=fake.sh
. tests/tree/fake.sh
N=${VV_BURST:-48}
# the burst runs through VV_WRAP (qemu-aarch64-static for the arm64 build)
# except valgrind: 48 valgrinds at once would take minutes on 2 cores
BURST_WRAP=$VV_WRAP
[[ $BURST_WRAP == valgrind* ]] && BURST_WRAP=
ROUNDS=${VV_ROUNDS:-3}


# burst: N binds started at once; their exit codes in $R.rc.*
burst() {
	local i bdf
	for ((i = 0; i < N; i++)); do
		printf -v bdf '0000:%02x:00.0' $((i + 1))
		(
			# udev's events arrive spread out, not in one instant
			sleep "$(printf '%d.%03d' $((i * 50 / 1000)) $((i * 50 % 1000)))"
			rc=0
			# shellcheck disable=SC2086 # BURST_WRAP is a command prefix
			LD_PRELOAD=$SHIM VV_FAKE_ROOT=$R VV_FAKE_DRIVERS=$DRIVERS VV_FAKE_COMING_MS=300 \
				$BURST_WRAP "$VV_BIN" --root "$R" --kver "$KVER" bind --device "$bdf" >"$R.out.$i" 2>&1 || rc=$?
			echo "$rc" >"$R.rc.$i"
		) &
	done
	wait
}

for ((round = 1; round <= ROUNDS; round++)); do
	new_root "vfio_variant.ids=1af4:1041"
	mkdir -p "$R/dev" && : >"$R/dev/kmsg"
	for ((i = 0; i < N; i++)); do
		printf -v bdf '0000:%02x:00.0' $((i + 1))
		mk_pci "$R" "$bdf" 1af4 1041 0x020000 group=$((i + 1)) driver=virtio-pci
	done
	burst
	bad_rc=0 unbound=() ok=0
	for ((i = 0; i < N; i++)); do
		[ "$(cat "$R.rc.$i" 2>/dev/null)" = 0 ] || bad_rc=$((bad_rc + 1))
		printf -v bdf '0000:%02x:00.0' $((i + 1))
		if [ "$(drv "$bdf")" = virtio_vfio_pci ]; then ok=$((ok + 1)); else unbound+=("$bdf:$(drv "$bdf")"); fi
	done
	check "round $round: all $N binds exit 0" test "$bad_rc" = 0
	if ((bad_rc)); then
		fail "round $round: devices bound (not judged: $bad_rc binds did not exit 0)"
	elif ((${#unbound[@]} == 0)); then
		pass "round $round: all $N devices bound to virtio_vfio_pci"
	else
		fail "round $round: $ok of $N bound; not: ${unbound[*]:0:6} ($(grep -h 'vfio-variant' "$R".out.* | grep -v 'bound to\|done in' | head -n 3))"
	fi
	vv 0 status --json
	jq_ok "round $round: status --json has all $N records, each bound" "[.[] | select(.result == \"bound\" and .driver == \"virtio_vfio_pci\")] | length == $N"
	recs=$(find "$R/run/vfio-variant/devices" -name '*.json' ! -name '.*' 2>/dev/null | wc -l)
	leftovers=$(find "$R/run/vfio-variant" -name '.*' 2>/dev/null | wc -l)
	check "round $round: $N record files ($recs), no temp file left behind ($leftovers)" test "$bad_rc" = 0 -a "$recs" = "$N" -a "$leftovers" = 0
done

# a record is never half-written: readers during a burst parse every file
new_root "vfio_variant.ids=1af4:1041"
for ((i = 0; i < N; i++)); do
	printf -v bdf '0000:%02x:00.0' $((i + 1))
	mk_pci "$R" "$bdf" 1af4 1041 0x020000 group=$((i + 1)) driver=virtio-pci
done
burst &
bp=$!
torn=0 reads=0
while kill -0 "$bp" 2>/dev/null; do
	for f in "$R"/run/vfio-variant/devices/*.json; do
		[ -e "$f" ] || continue
		reads=$((reads + 1))
		jq -e .bdf "$f" >/dev/null 2>&1 || torn=$((torn + 1))
	done
done
wait "$bp"
bad_rc=0
for ((i = 0; i < N; i++)); do
	[ "$(cat "$R.rc.$i" 2>/dev/null)" = 0 ] || bad_rc=$((bad_rc + 1))
done
check "readers during a burst: $reads reads, none torn ($torn); every bind exit 0 ($bad_rc not)" test "$bad_rc" = 0 -a "$reads" -gt 0 -a "$torn" = 0

tree_exit
