#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The RPM's round trip on this Debian machine, as on an EL host, with
# Debian's rpm against this machine's dkms and Debian's linux-headers-amd64:
#
#   rpm -i --nodeps out/xfrm-dst-acct-dkms-<version>-1.noarch.rpm
#     (its %post adds the module to dkms, builds and installs it)
#   dkms status: built and installed for the headers' kernel
#   modinfo of the installed module: its version is the package's
#   xfrm-dst-acct-status --help; man -w finds both manuals
#   rpm -U --replacepkgs: still installed (%posttrans adds it again after
#     the old package's %preun removed it)
#   rpm -e (its %preun runs dkms remove --all); then nothing is left: no
#   /usr/src directory, no DKMS tree entry, no installed .ko, no tool, no
#   manuals, no config file, no package in the rpm database
#
# Usage: scripts/rpm/roundtrip.sh        (as root; builds the .rpm if absent)
#
# --nodeps: dkms, gawk, util-linux, coreutils and kmod are Debian
# packages, which rpm does not know.  --force-debian: Debian's rpm
# refuses to install packages without it.  The rpm database is
# /var/lib/rpm (--dbpath; Debian's rpm defaults to ~/.rpmdb).
#
# Nothing is loaded into the running kernel.  Refuses to start, and
# touches nothing, when any of the module's files are present that are
# not this package's from an earlier run: the .deb round trip
# (scripts/deb/roundtrip.sh) or scripts/dkms-roundtrip.sh running now,
# or another installation.
set -eu

# shellcheck source=scripts/package-lib.sh
. "$(dirname "$0")/../package-lib.sh"
RPMFILE=$OUT/$PKG-$VERSION-1.noarch.rpm
DBPATH=/var/lib/rpm

rpmq() {
	rpm --dbpath "$DBPATH" "$@"
}

installed() {
	rpmq -q "$PKG" >/dev/null 2>&1
}

deb_installed() {
	dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>/dev/null | grep -q '^[^u]'
}

# Whatever of the package is left on the system, one line each.
leftovers() {
	package_files_left
	ls "$CONFFILE".rpm* 2>/dev/null
	installed && echo "rpm: $(rpmq -q "$PKG")"
	deb_installed && echo "dpkg: $PKG (the .deb round trip's package)"
	true
}

main() {
	local kver out
	[ "$(id -u)" -eq 0 ] || fail "must run as root"
	command -v rpm >/dev/null || fail "no rpm (make rpm installs it)"
	kver=$(package_headers_release)
	[ -f "$RPMFILE" ] || "$ROOT/scripts/rpm/build.sh" || fail "make rpm failed"

	# A clean start: an earlier run's package goes (only when rpm owns
	# the files: not while the .deb is installed); anything else is not ours.
	if installed && ! deb_installed; then
		echo "rpm/roundtrip: erasing the package left by an earlier run"
		rpmq -e "$PKG" >/dev/null 2>&1 || true
	fi
	out=$(leftovers)
	[ -z "$out" ] || fail "not a clean start (the .deb round trip, or another installation?):"$'\n'"$out"

	echo "rpm/roundtrip: rpm -i --nodeps $(basename "$RPMFILE") (database $DBPATH, headers: $kver)"
	out=$(rpmq -i --nodeps --force-debian "$RPMFILE" 2>&1) || {
		echo "$out"
		fail "rpm -i failed"
	}
	echo "$out" | sed 's/^/  /'
	installed || fail "$PKG is not in the rpm database"
	ok "rpm -i: $(rpmq -q "$PKG")"

	package_dkms_installed "$kver" "dkms: built and installed for $kver by %post"
	package_installed_checks "$kver"

	[ -f "$CONFFILE" ] || fail "$CONFFILE missing"
	rpmq -qc "$PKG" | grep -qx "$CONFFILE" || fail "$CONFFILE is not a %config file"
	[ "$(rpmq -q --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$PKG" |
		sed -n "s| $CONFFILE\$||p")" = cn ] || fail "$CONFFILE is not %config(noreplace)"
	grep -q '^#options xfrm_dst_acct mode=auto$' "$CONFFILE" ||
		fail "$CONFFILE: no commented options line"
	ok "$CONFFILE is %config(noreplace), commented out"

	# A reinstall (as an upgrade that keeps PACKAGE_VERSION): the old
	# package's %preun removes the module after the new one's %post;
	# %posttrans must add and build it again.
	echo "rpm/roundtrip: rpm -U --replacepkgs (%preun after %post, then %posttrans)"
	out=$(rpmq -U --replacepkgs --nodeps --force-debian "$RPMFILE" 2>&1) || {
		echo "$out"
		fail "rpm -U --replacepkgs failed"
	}
	echo "$out" | sed 's/^/  /'
	package_dkms_installed "$kver" "reinstalled: still built and installed for $kver"

	echo "rpm/roundtrip: rpm -e $PKG"
	out=$(rpmq -e "$PKG" 2>&1) || {
		echo "$out"
		fail "rpm -e failed"
	}
	echo "$out" | sed -n '/Deleting\|[Rr]emov\|rror/p' | sed 's/^/  /'
	out=$(leftovers)
	[ -z "$out" ] || fail "left behind after rpm -e:"$'\n'"$out"
	ok "erased: nothing left (source, DKMS tree, .ko, tool, manuals, config file, rpm database entry)"
	echo "rpm/roundtrip: $STEPS steps passed ($PKG $VERSION on $kver)"
}

main "$@"
