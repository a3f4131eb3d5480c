# shellcheck shell=bash
# tests/tree/assert.sh — assertions for tree tests. Each check prints
# "PASS name" or "FAIL name"; tests/run.sh counts them.
#   VV_BIN   binary under test (default build/vfio-variant)
#   VV_WRAP  command prefix (valgrind ...) or empty

VV_BIN=${VV_BIN:-build/vfio-variant}
VV_WRAP=${VV_WRAP:-}
KVER=${KVER:-6.12.0-test}
export T_FAILED=0
# every root of this script lives below T_BASE, removed by cleanup_roots
T_BASE=$(mktemp -d "${TMPDIR:-/tmp}/vvtree.XXXXXX")

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; T_FAILED=1; }

# check NAME CMD...: the command succeeds
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# vv ARGS...: run the binary on $R; stdout to $OUT, stderr to $ERR, exit to $RC
vv() {
	local rc=0
	# shellcheck disable=SC2086
	$VV_WRAP "$VV_BIN" --root "$R" --kver "$KVER" "$@" >"$OUT" 2>"$ERR" || rc=$?
	RC=$rc
}

# jq_ok NAME FILTER: jq -e FILTER on $OUT holds
jq_ok() {
	if jq -e "$2" "$OUT" >/dev/null 2>&1; then
		pass "$1"
	else
		fail "$1 (jq '$2' on: $(head -c 600 "$OUT"))"
	fi
}

# err_has NAME TEXT: stderr contains TEXT (fixed string)
err_has() {
	if grep -qF -- "$2" "$ERR"; then pass "$1"; else fail "$1 (stderr lacks '$2': $(head -c 600 "$ERR"))"; fi
}
out_has() {
	if grep -qF -- "$2" "$OUT"; then pass "$1"; else fail "$1 (stdout lacks '$2': $(head -c 600 "$OUT"))"; fi
}
rc_is() {
	if [ "$RC" = "$2" ]; then pass "$1"; else fail "$1 (exit $RC, want $2; stderr: $(head -c 400 "$ERR"))"; fi
}

# new_root: fresh $R with the full module tree (built once per script, copied)
new_root() {
	R=$(new_dir)
	OUT=$R.out
	ERR=$R.err
	if [ -z "${T_MODCACHE:-}" ]; then
		T_MODCACHE=$(new_dir)
		mk_modules "$T_MODCACHE" "$KVER" >/dev/null
	fi
	mk_kernel "$R" "$KVER" "${1:-}"
	mkdir -p "$R/lib"
	cp -a "$T_MODCACHE/lib/modules" "$R/lib/"
}

# new_dir: a fresh directory below T_BASE
new_dir() { mktemp -d "$T_BASE/r.XXXXXX"; }

cleanup_roots() {
	rm -rf "$T_BASE"
}
