#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# binary: dynamic
# Tree tests of the bind engine (binder/bind.c): hold first, probes in
# threads of one forked child, collected until vfio_variant.timeout, the outcomes
# fallback/probing/timeout, late records, the per-device lock and kmsg's
# per-file rate limit, through the fake kernel (tests/fakekernel). The fake
# kernel's slow probe is a userspace sleep that ends with the process: a
# deadline held by threads alone would pass here. Only the VM suite
# (tests/vm/test_engine.sh, an uninterruptible msleep in a real probe)
# proves the deadline.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lib.sh
. tests/tree/lib.sh
# shellcheck source=assert.sh
. tests/tree/assert.sh
trap cleanup_roots EXIT
# shellcheck source=fake.sh
. tests/tree/fake.sh

state_all() { cat "$R"/run/vfio-variant/devices/*.json 2>/dev/null | jq -s 'sort_by(.bdf)'; }
state_ok() { json_ok "$1" "$(state_all)" "$2"; }
rec_result() { jq -r .result "$R/run/vfio-variant/devices/$1.json" 2>/dev/null; }
# virtio_root N CMDLINE: N listed virtio-net devices on virtio-pci
virtio_root() {
	local i bdf
	new_root "vfio_variant.ids=1af4:1041 $2"
	mkdir -p "$R/dev" && : >"$R/dev/kmsg"
	for ((i = 0; i < $1; i++)); do
		printf -v bdf '0000:%02x:00.0' $((i + 1))
		mk_pci "$R" "$bdf" 1af4 1041 0x020000 group=$((i + 1)) driver=virtio-pci
	done
}

# --- hold first -------------------------------------------------------------------
virtio_root 3 ""
LOG=$R.writes
VV_FAKE_LOG=$LOG kb 0 bind
holds "hold first: all 3 bound" test "$(drv 0000:01:00.0)$(drv 0000:02:00.0)$(drv 0000:03:00.0)" = virtio_vfio_pcivirtio_vfio_pcivirtio_vfio_pci
first_real=$(grep -n '^driver_override virtio_vfio_pci' "$LOG" | head -n1 | cut -d: -f1)
last_hold=$(grep -n '^driver_override vfio-variant-hold' "$LOG" | tail -n1 | cut -d: -f1)
holds "hold first: every device got vfio-variant-hold (3) before the first real name (line ${first_real:-none} > ${last_hold:-none})" \
	test "$(grep -c '^driver_override vfio-variant-hold' "$LOG")" = 3 -a "${first_real:-0}" -gt "${last_hold:-99}"
file_has "hold first: kmsg says was virtio-pci" "$R/dev/kmsg" "0000:03:00.0 [1af4:1041]: bound to virtio_vfio_pci (module virtio_vfio_pci, was virtio-pci)"

# a held device (fallback=none, variant missing) gets the holding string, not a driver's name
virtio_root 1 "vfio_variant.fallback=none vfio_variant.ids=8086:10d3=not_a_module"
FAKE_DRIVERS="vfio_pci:vfio-pci" FAULT=load:virtio_vfio_pci:ENOEXEC kb 0 bind
holds "held: driver_override is vfio-variant-hold" test "$(ovr 0000:01:00.0)" = vfio-variant-hold
holds "held: no driver" test "$(drv 0000:01:00.0)" = none
state_ok "held: recorded held" '.[0].result == "held"'

# --- probes in parallel -------------------------------------------------------------
virtio_root 4 ""
LOG=$R.writes
VV_FAKE_LOG=$LOG FAULT=slowprobe:virtio_vfio_pci:1500 kb 0 bind
state_ok "4 slow probes: all bound" '[.[] | select(.result == "bound")] | length == 4'
starts=$(grep -c '^probe-start' "$LOG") first_end=$(grep -n '^probe-end' "$LOG" | head -n1 | cut -d: -f1)
last_start=$(grep -n '^probe-start' "$LOG" | tail -n1 | cut -d: -f1)
holds "4 slow probes ran concurrently: all 4 started (${starts:-0}) before the first ended (line ${last_start:-none} < ${first_end:-none})" \
	test "$starts" = 4 -a "${last_start:-99}" -lt "${first_end:-0}"
err_has "4 slow probes: summary" "4 bound, 0 unchanged"
n=$(grep -c 'bound to virtio_vfio_pci' "$ERR")
holds "4 slow probes: the probe threads' 'bound to' lines reach the binder's stderr ($n)" test "$n" = 4

# --- the deadline: a stuck probe is left behind; its record comes late -----------------
# (the probes run until the test opens their gate, at most 120 s; 4 s
# leave the probe threads time to reach their drivers_probe write under
# valgrind, which runs one thread at a time, on a loaded host)
virtio_root 2 "vfio_variant.timeout=4"
export VV_FAKE_PROBE_GATE=$R.gate
FAULT=slowprobe:virtio_vfio_pci:120000 kb 1 bind --strict
holds "stuck probes: bind returned while they still ran (records say probing)" \
	test "$(rec_result 0000:01:00.0)$(rec_result 0000:02:00.0)" = probingprobing
err_has "stuck probe: named" "0000:01:00.0 [1af4:1041]: still probing virtio_vfio_pci at vfio_variant.timeout: left behind"
err_has "stuck probes: summary counts them" ", 2 probing"
state_ok "stuck probes: recorded probing, the probing driver as driver" '[.[] | select(.result == "probing" and .driver == "virtio_vfio_pci")] | length == 2'
holds "stuck probe: driver_override names the variant (no other driver can take it)" test "$(ovr 0000:01:00.0)" = virtio_vfio_pci
kb 0 status --json
jq_ok "status --json: probing" '[.[] | select(.result == "probing")] | length == 2'
# other writers meanwhile (a 60 s deadline of their own): told at once, nothing changed
kb 0 --cmdline "vfio_variant.ids=1af4:1041 vfio_variant.timeout=60" bind --device 0000:02:00.0
err_has "bind --device during the stuck probe: says so, at once" "0000:02:00.0: a probe an earlier vfio-variant bind left behind is still running"
kb 1 --cmdline "vfio_variant.ids=1af4:1041 vfio_variant.timeout=60" release 0000:02:00.0
err_has "release during the stuck probe: refused" "0000:02:00.0: refused: a probe a vfio-variant bind left behind is still running"
holds "release during the stuck probe: override untouched, record still probing" \
	test "$(ovr 0000:02:00.0):$(rec_result 0000:02:00.0)" = virtio_vfio_pci:probing
: >"$VV_FAKE_PROBE_GATE"
unset VV_FAKE_PROBE_GATE
# until neither record says probing (a binary that wrote none has nothing
# to wait for); at most 30 s
for ((i = 0; i < 300; i++)); do
	[[ "$(rec_result 0000:01:00.0)$(rec_result 0000:02:00.0)" == *probing* ]] || break
	sleep 0.1
done
state_ok "late records: both bound when the probes returned, said late" '[.[] | select(.result == "bound" and (.why | test("recorded late")))] | length == 2'
file_has "late record: kmsg line" "$R/dev/kmsg" "0000:01:00.0: late result after vfio_variant.timeout: bound on virtio_vfio_pci"

# --- a probe left behind holds none of the caller's pipes ------------------------------
# $(vfio-variant bind 2>&1) reads stdout and stderr to their end (as a parent
# waiting on the pipes does): it must come back at the deadline, while the
# stuck probe still runs (the test opens its gate 60 s later)
virtio_root 1 "vfio_variant.timeout=2"
export VV_FAKE_PROBE_GATE=$R.gate
# (its sleep is killed with it, and it holds none of this suite's output:
# a reader of that output, like the meta-test's $(...), would wait for it)
(
	trap 'kill "$s" 2>/dev/null; exit 0' TERM
	sleep 60 &
	s=$!
	wait "$s" && : >"$VV_FAKE_PROBE_GATE"
) </dev/null >/dev/null 2>&1 &
gate_pid=$!
# valgrind keeps its own copy of stderr (its log) in every process, forked
# children too: its log goes to a file here
PIPE_WRAP=$VV_WRAP
[[ $PIPE_WRAP == valgrind* ]] && PIPE_WRAP="$VV_WRAP --log-file=$R.valgrind.%p"
# shellcheck disable=SC2086 # PIPE_WRAP is a command prefix
piped=$(env LD_PRELOAD="$SHIM" VV_FAKE_ROOT="$R" VV_FAKE_DRIVERS="$DRIVERS" \
	VV_FAULT=slowprobe:virtio_vfio_pci:120000 $PIPE_WRAP "$VV_BIN" --root "$R" --kver "$KVER" bind 2>&1
echo "rc=$?")
at_return=$(rec_result 0000:01:00.0)
prc=$(sed -n 's/^rc=\([0-9]*\)$/\1/p' <<<"$piped")
prc=${prc:-1}
# every check below needs the run's own exit 0 (a wrapper that ran the
# binary and then failed, as a sanitizer error would, passes none)
check "\$(bind 2>&1) with a stuck probe: exit 0 (${prc:-?}), returned while it still ran (record: ${at_return:-none})" \
	test "$prc" = 0 -a "$at_return" = probing
check "\$(bind 2>&1): exit 0, the deadline's line came through the pipe" \
	grep -qzE 'still probing virtio_vfio_pci at vfio_variant.timeout.*rc=0\s*$' <<<"$piped"
: >"$VV_FAKE_PROBE_GATE"
kill "$gate_pid" 2>/dev/null
unset VV_FAKE_PROBE_GATE
for ((i = 0; i < 300 && prc == 0; i++)); do
	[ "$(rec_result 0000:01:00.0)" = bound ] && break
	sleep 0.1
done
check "\$(bind 2>&1): exit 0, and the thread left behind still recorded its late result (stderr gone)" \
	test "$prc" = 0 -a "$(rec_result 0000:01:00.0)" = bound
n=$(grep -cF "0000:01:00.0: late result after vfio_variant.timeout: bound on virtio_vfio_pci" "$R/dev/kmsg")
check "\$(bind 2>&1): exit 0, and the late result's kmsg line (${n:-0})" test "$prc" = 0 -a "${n:-0}" -ge 1

# --- the deadline holds during the module load too ------------------------------------
# (a module's init, or a native driver it pulls in probing other devices,
# stuck in the kernel: the load runs until the test opens the gate, at most
# 120 s; the device is already held)
virtio_root 1 "vfio_variant.timeout=3"
export VV_FAKE_PROBE_GATE=$R.gate
LOG=$R.loads
VV_FAKE_LOG=$LOG FAULT=slowload:virtio_vfio_pci:120 kb 0 bind
holds "stuck load: bind returned while the load still ran (load-start, no load-end)" \
	test "$(grep -c '^load-' "$LOG")" = 1 -a "$(grep -c '^load-start virtio_vfio_pci' "$LOG")" = 1
err_has "stuck load: named" "0000:01:00.0: loading virtio_vfio_pci was still running at vfio_variant.timeout"
state_ok "stuck load: recorded timeout (held, never probed)" '.[0].result == "timeout"'
holds "stuck load: held by the holding override, on no driver" test "$(ovr 0000:01:00.0):$(drv 0000:01:00.0)" = vfio-variant-hold:none
: >"$VV_FAKE_PROBE_GATE"
unset VV_FAKE_PROBE_GATE
for ((i = 0; i < 300; i++)); do
	grep -qF "the module loads returned after vfio_variant.timeout" "$R/dev/kmsg" && break
	sleep 0.1
done
file_has "stuck load: kmsg says when the load returned late" "$R/dev/kmsg" "the module loads returned after vfio_variant.timeout; the devices they were for stay held (timeout)"
kb 0 bind
err_has "stuck load: the next bind binds it" "0000:01:00.0 [1af4:1041]: bound to virtio_vfio_pci"
holds "stuck load: the next bind binds it (driver link)" test "$(drv 0000:01:00.0)" = virtio_vfio_pci

# --- truthful outcomes: fallback -------------------------------------------------------
virtio_root 1 ""
FAULT=noprobe:virtio_vfio_pci kb 1 bind --strict
holds "variant probe fails: on generic vfio-pci" test "$(drv 0000:01:00.0)" = vfio-pci
err_has "variant probe fails: summary says fallback" ", 1 fallback"
state_ok "variant probe fails: recorded fallback with the reason" '.[0].result == "fallback" and (.[0].why | test("binding virtio_vfio_pci failed"))'
kb 0 status --json
jq_ok "status --json: fallback" '.[0].result == "fallback"'
# the variant missing from the image: plan falls back, bind says so
virtio_root 1 ""
FAKE_DRIVERS="vfio_pci:vfio-pci" kb 1 bind --strict
holds "variant missing: on generic vfio-pci" test "$(drv 0000:01:00.0)" = vfio-pci
err_has "variant missing: loudly, not 'bound'" "registered no PCI driver"
state_ok "variant missing: recorded fallback" '.[0].result == "fallback"'
kb 0 bind
err_has "a plain run exits 0 (no --strict) and counts fallback" ", 1 fallback"

# --- every line reaches kmsg: 12 devices under a 10-lines-per-open-file limit ---------
virtio_root 12 ""
VV_FAKE_KMSG_LIMIT=10 kb 0 bind
n=$(grep -c 'bound to virtio_vfio_pci' "$R/dev/kmsg")
holds "kmsg: all 12 'bound to' lines there ($n) though each open file takes 10" test "$n" = 12
file_has "kmsg: the summary line there" "$R/dev/kmsg" "12 bound, 0 unchanged"

# --- one device, one writer: release and bind --device at once, 20 times ----------------
# through VV_WRAP (qemu-aarch64-static for the arm64 build), except valgrind:
# 40 valgrind runs take minutes
RACE_WRAP=$VV_WRAP
[[ $RACE_WRAP == valgrind* ]] && RACE_WRAP=
bad=0
for ((round = 0; round < 20; round++)); do
	virtio_root 1 ""
	# shellcheck disable=SC2086 # RACE_WRAP is a command prefix
	LD_PRELOAD=$SHIM VV_FAKE_ROOT=$R VV_FAKE_DRIVERS=$DRIVERS VV_FAKE_NATIVE=1af4_1041:virtio-pci \
		$RACE_WRAP "$VV_BIN" --root "$R" --kver "$KVER" bind >/dev/null 2>&1
	pids=()
	for cmd in "release 0000:01:00.0" "bind --device 0000:01:00.0"; do
		# shellcheck disable=SC2086 # cmd is a word list, RACE_WRAP a command prefix
		LD_PRELOAD=$SHIM VV_FAKE_ROOT=$R VV_FAKE_DRIVERS=$DRIVERS VV_FAKE_NATIVE=1af4_1041:virtio-pci \
			VV_FAULT=slowprobe:virtio_vfio_pci:200,slowprobe:virtio-pci:200 \
			$RACE_WRAP "$VV_BIN" --root "$R" --kver "$KVER" $cmd >/dev/null 2>&1 &
		pids+=($!)
	done
	# each exit status is one of the documented ones (0-3): a crash, or an
	# error exit like valgrind's 99, is a failed round whatever the record says
	for pid in "${pids[@]}"; do
		rc=0
		wait "$pid" || rc=$?
		((rc <= 3)) || { bad=$((bad + 1)) && echo "round $round: a run exited $rc"; }
	done
	res=$(rec_result 0000:01:00.0) d=$(drv 0000:01:00.0)
	case $res:$d in
	bound:virtio_vfio_pci | unchanged:virtio_vfio_pci | released:virtio-pci | released:none) ;;
	*) bad=$((bad + 1)) && echo "round $round: record $res, device on $d" ;;
	esac
done
check "release + bind --device at once, 20 rounds: every run exited as documented and the record always agrees with the device ($bad bad)" test "$bad" = 0
# (after rounds whose exit statuses were all looked at)
holds "the lock files live in run/vfio-variant/lock" test "$bad" = 0 -a -e "$R/run/vfio-variant/lock/0000:01:00.0"

tree_exit
