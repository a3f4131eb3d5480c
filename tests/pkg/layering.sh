#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pkg/layering.sh — binder/'s layering rule (binder/README.md): a
# file includes only headers of its own layer or below. Reads the layer
# list from binder/README.md, checks every binder/*.c and *.h against it,
# and that every file has a layer. A self-check first shows that a file
# including a header above its layer fails.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO" || exit 1
export CHECK_PREFIX="layering: "
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"

declare -A LAYER=()
while read -r n names; do
	for f in $names; do LAYER[$f]=${n%:}; done
done < <(sed -n '/^<!-- layers:/,/^$/{/^    [0-9]:/p}' binder/README.md)
check "binder/README.md names the layers" test "${#LAYER[@]}" -gt 10

# violations FILE...: one line per include of a header above the file's layer
violations() {
	local f base inc l
	for f in "$@"; do
		base=${f##*/}
		base=${base%.[ch]}
		l=${LAYER[$base]:-}
		if [ -z "$l" ]; then
			echo "$f: no layer (add it to the layer list in binder/README.md)"
			continue
		fi
		while read -r inc; do
			[ -n "${LAYER[$inc]:-}" ] || { echo "$f: includes $inc.h, which has no layer"; continue; }
			((LAYER[$inc] <= l)) || echo "$f (layer $l) includes $inc.h (layer ${LAYER[$inc]})"
		done < <(sed -n 's/^#include "\([a-z0-9_]*\)\.h".*/\1/p' "$f")
	done
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include "plan.h"\n' >"$tmp/pci.c"
out=$(violations "$tmp/pci.c")
check "self-check: pci.c including plan.h is caught" test -n "$out"

out=$(violations binder/*.c binder/*.h)
if [ -z "$out" ]; then
	pass "every binder/ file includes only its layer and below"
else
	fail "includes above the file's layer:"
	printf '  %s\n' "$out"
fi
check "pci.h does not include rule.h" bash -c '! grep -q "#include \"rule.h\"" binder/pci.h'
check "trust.h does not include rule.h" bash -c '! grep -q "#include \"rule.h\"" binder/trust.h'
check_exit layering.sh
