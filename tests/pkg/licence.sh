#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pkg/licence.sh — the project's licence: COPYING holds the GPL-2.0
# text, debian/copyright names GPL-2.0-or-later for the project's files and
# still names the statically linked libkmod and musl, and every file the
# project wrote carries "SPDX-License-Identifier: GPL-2.0-or-later" in its
# first five lines (Markdown: its first or last five). The files that cannot
# carry one are named below, each with its reason; nothing else is spared.
# A self-check first shows that the scan fails on a file without the line.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO" || exit 1
export CHECK_PREFIX="licence: "
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"

SPDX='SPDX-License-Identifier: GPL-2.0-or-later'

# exempt FILE: the reason FILE cannot carry an SPDX line, or nothing
exempt() {
	case $1 in
	COPYING) echo "the licence text itself, verbatim" ;;
	debian/changelog) echo "dpkg-parsechangelog format: the first line is the version entry" ;;
	debian/source/format) echo "a one-line format name read by dpkg-source" ;;
	debian/copyright) echo "DEP-5: states the licence in its own License: fields (checked below)" ;;
	tests/fuzz/corpus/*) echo "fuzz inputs: the bytes are the test; a comment would change them" ;;
	esac
}

# has_spdx FILE: the SPDX line is where it belongs
has_spdx() {
	case $1 in
	*.md) { head -n 5 "$1"; tail -n 5 "$1"; } | grep -qF "$SPDX" ;;
	*) head -n 5 "$1" | grep -qF "$SPDX" ;;
	esac
}

# scan: every tracked or new (not ignored) file of the work tree in $PWD;
# prints the files that lack the line, returns 1 if any does
scan() {
	local f bad=0
	while IFS= read -r f; do
		[ -f "$f" ] || continue
		[ -n "$(exempt "$f")" ] && continue
		if ! has_spdx "$f"; then
			echo "$f"
			bad=1
		fi
	done < <(git ls-files --cached --others --exclude-standard)
	return "$bad"
}

# self-check: a scratch repository with one file with and one without
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
(
	cd "$T" && git init -q . &&
		printf '/* %s */\nint x;\n' "$SPDX" >good.c &&
		printf 'int y;\n' >bad.c &&
		printf '#!/bin/sh\n# %s\n' "$SPDX" >good.sh
) >/dev/null 2>&1
if out=$(cd "$T" && scan); then
	fail "self-check: the scan passed a scratch tree with a file lacking the line"
elif [ "$out" = bad.c ]; then
	pass "self-check: the scan names exactly the file without the line (bad.c)"
else
	fail "self-check: the scan named '$out', expected bad.c"
fi

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	skip "not a git work tree: the file list comes from git ls-files"
	check_exit "licence"
fi

if missing=$(scan); then
	pass "every file the project wrote carries '$SPDX' ($(git ls-files --cached --others --exclude-standard | wc -l) files, exemptions named)"
else
	fail "files without '$SPDX' in their first 5 lines:"
	printf '    %s\n' "$missing"
fi

# every exemption names a file that exists (a stale entry would spare a new file)
for f in COPYING debian/changelog debian/source/format debian/copyright tests/fuzz/corpus; do
	why=$(exempt "$f")
	[ -d "$f" ] && why=$(exempt "$f/x")
	if [ -e "$f" ]; then
		pass "exemption '$f' is a real path ($why)"
	else
		fail "exemption '$f' names nothing: drop it from the list"
	fi
done

check "COPYING is the GNU GPL version 2" \
	grep -qF 'Version 2, June 1991' COPYING
check "COPYING is the whole text (terms and conditions through 'END OF TERMS')" \
	grep -qF 'END OF TERMS AND CONDITIONS' COPYING

# debian/copyright: DEP-5, the project's files under GPL-2.0-or-later
cr=debian/copyright
check "debian/copyright is DEP-5 (Format: line)" \
	grep -q '^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' "$cr"
if awk '/^Files: \*$/{f=1;next} f&&/^License:/{print $2; exit}' "$cr" | grep -qx 'GPL-2.0-or-later'; then
	pass "debian/copyright: 'Files: *' is GPL-2.0-or-later"
else
	fail "debian/copyright: 'Files: *' does not say License: GPL-2.0-or-later"
fi
check "debian/copyright has the GPL-2.0-or-later licence paragraph" \
	grep -qx 'License: GPL-2.0-or-later' "$cr"
check "debian/copyright still names the static libkmod (LGPL-2.1+) and musl (MIT)" \
	bash -c "grep -q '^License: LGPL-2.1+' $cr && grep -q '^License: MIT' $cr && grep -q libkmod $cr && grep -q musl $cr"
if grep -qi 'unlicensed' "$cr"; then
	fail "debian/copyright still says 'unlicensed'"
else
	pass "debian/copyright no longer says 'unlicensed'"
fi
check "README has a Licence section naming GPL-2.0-or-later" \
	bash -c "sed -n '/^## Licence/,/^## /p' README.md | grep -q 'GPL-2.0-or-later'"

check_exit "licence"
