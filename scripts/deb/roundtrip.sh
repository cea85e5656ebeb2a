#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The package's round trip, as an operator makes it, against Debian's
# linux-headers-amd64 on this machine:
#
#   apt-get install ./out/xfrm-dst-acct-dkms_<version>_all.deb
#   dkms status: built and installed for the headers' kernel
#   modinfo of the installed module: its version is the package's
#   xfrm-dst-acct-status --help; man -w finds both manuals
#   apt-get purge; then nothing is left: no /usr/src directory, no DKMS
#   tree entry, no installed .ko, no tool, no manuals, no conffile
#
# Usage: scripts/deb/roundtrip.sh        (as root; builds the .deb if absent)
#
# Nothing is loaded into the running kernel.  Refuses to start when the
# module's DKMS source is already present without the package (another
# installation, or scripts/dkms-roundtrip.sh running now): it would be
# overwritten.
set -eu

# shellcheck source=scripts/package-lib.sh
. "$(dirname "$0")/../package-lib.sh"
DEB=$OUT/${PKG}_${VERSION}_all.deb

installed() {
	dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>/dev/null | grep -q '^ii'
}

# Whatever of the package is left on the system, one line each.
leftovers() {
	package_files_left
	[ -e "/usr/share/doc/$PKG" ] && echo "/usr/share/doc/$PKG"
	dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$PKG" 2>/dev/null |
		grep -v '^un ' | sed 's/^/dpkg: /'
	true
}

main() {
	local kver out
	[ "$(id -u)" -eq 0 ] || fail "must run as root"
	kver=$(package_headers_release)
	[ -f "$DEB" ] || "$ROOT/scripts/deb/build.sh" || fail "make deb failed"

	# A clean start: an earlier run's package goes; anything else is not ours.
	if installed; then
		echo "deb/roundtrip: purging the package left by an earlier run"
		apt-get purge -y -q "$PKG" >/dev/null
	fi
	out=$(leftovers)
	[ -z "$out" ] || fail "not a clean start (another installation?):"$'\n'"$out"

	echo "deb/roundtrip: apt-get install $DEB (headers: $kver)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$DEB" 2>&1 |
		sed -n '/^Setting up\|^Loading\|^Building for\|^Building initial\|^Done\|^Module build\|^Error\|^E:\|error/p' |
		sed 's/^/  /'
	installed || fail "$PKG is not installed"
	ok "apt-get install ./$(basename "$DEB")"

	package_dkms_installed "$kver" "dkms: built and installed for $kver"
	package_installed_checks "$kver"

	[ -f "$CONFFILE" ] || fail "$CONFFILE missing"
	dpkg-query -W -f='${Conffiles}\n' "$PKG" | grep -q " $CONFFILE " ||
		fail "$CONFFILE is not a conffile"
	grep -q '^#options xfrm_dst_acct mode=auto$' "$CONFFILE" ||
		fail "$CONFFILE: no commented options line"
	ok "$CONFFILE is a conffile, commented out"

	echo "deb/roundtrip: apt-get purge $PKG"
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$PKG" 2>&1 |
		sed -n '/^Removing\|^Purging\|^Deleting\|module\|^E:/p' | sed 's/^/  /'
	out=$(leftovers)
	[ -z "$out" ] || fail "left behind after purge:"$'\n'"$out"
	ok "purged: nothing left (source, DKMS tree, .ko, tool, manuals, conffile)"
	echo "deb/roundtrip: $STEPS steps passed ($PKG $VERSION on $kver)"
}

main "$@"
