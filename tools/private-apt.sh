# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# tools/private-apt.sh — the one private apt configuration every fetcher
# uses (tools/fetch-musl-arm64.sh, tests/vm/fetch/fetch-common.sh): its own
# sources.list, lists and archives below a cache directory, no dpkg status,
# optionally one foreign architecture. The host's apt sources and dpkg
# architectures are never changed. Source it, then:
#   private_apt_mirror                 prints the Debian mirror the host's
#                                      apt already uses (read only), or ""
#   private_apt_init DIR SUITE MIRROR [ARCH]
#                                      writes DIR/sources.list and sets the
#                                      array PRIVATE_APT: apt-get with every
#                                      option (use "${PRIVATE_APT[@]}" update)
# The mirror reachable here may serve a frozen snapshot whose Release files
# are past their Valid-Until: signatures are still checked, only the expiry
# is not (the host's apt.conf.d does the same).

private_apt_mirror() {
	# shellcheck disable=SC2016 # $(REPO_URI) is apt's format, not the shell's
	apt-get indextargets --format '$(REPO_URI)' 'Label: Debian' 2>/dev/null | sed -n '1s:/*$::p'
}

private_apt_init() {
	local dir=$1 suite=$2 mirror=$3 arch=${4:-} archopt=
	mkdir -p "$dir/lists/partial" "$dir/archives/partial" || return
	[[ -n $arch ]] && archopt="arch=$arch "
	printf 'deb [%ssigned-by=%s] %s %s main\n' "$archopt" \
		/usr/share/keyrings/debian-archive-keyring.gpg "$mirror" "$suite" >"$dir/sources.list" || return
	PRIVATE_APT=(apt-get -q
		-o "Dir::Etc::SourceList=$dir/sources.list"
		-o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$dir/lists"
		-o "Dir::Cache::archives=$dir/archives"
		-o Dir::State::status=/dev/null
		-o Dir::Cache::pkgcache=
		-o Dir::Cache::srcpkgcache=
		-o APT::Sandbox::User=root
		-o Acquire::Check-Valid-Until=false)
	[[ -z $arch ]] || PRIVATE_APT+=(-o "APT::Architecture=$arch" -o "APT::Architectures=$arch")
}
