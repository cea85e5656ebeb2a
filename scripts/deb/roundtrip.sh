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

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${XDA_DEB_OUT:-$ROOT/out}
NAME=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' "$ROOT/dkms.conf")
VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$ROOT/dkms.conf")
PKG=$NAME-dkms
DEB=$OUT/${PKG}_${VERSION}_all.deb
MODULE=xfrm_dst_acct
CONFFILE=/etc/modprobe.d/xfrm-dst-acct.conf
TOOL=/usr/sbin/xfrm-dst-acct-status
SRC=/usr/src/$NAME-$VERSION
STEPS=0

fail() {
	echo "deb/roundtrip: FAIL: $*" >&2
	exit 1
}

ok() {
	STEPS=$((STEPS + 1))
	echo "deb/roundtrip: ok: $*"
}

installed() {
	dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>/dev/null | grep -q '^ii'
}

# Whatever of the package is left on the system, one line each.
leftovers() {
	[ -e "$SRC" ] && echo "$SRC"
	[ -e "/var/lib/dkms/$NAME" ] && echo "/var/lib/dkms/$NAME"
	dkms status "$NAME" 2>/dev/null | sed 's/^/dkms status: /'
	find /lib/modules -name "$MODULE.ko*" 2>/dev/null
	[ -e "$TOOL" ] && echo "$TOOL"
	[ -e "$CONFFILE" ] && echo "$CONFFILE"
	find /usr/share/man -name 'xfrm_dst_acct.4*' -o -name 'xfrm-dst-acct-status.8*' 2>/dev/null
	[ -e "/usr/share/doc/$PKG" ] && echo "/usr/share/doc/$PKG"
	dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$PKG" 2>/dev/null |
		grep -v '^un ' | sed 's/^/dpkg: /'
	true
}

main() {
	local kver status ko man out
	[ "$(id -u)" -eq 0 ] || fail "must run as root"
	kver=$(basename "$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)")
	kver=${kver#linux-headers-}
	[ -n "$kver" ] && [ -e "/lib/modules/$kver/build" ] ||
		fail "no Debian headers (apt-get install linux-headers-amd64)"
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

	status=$(dkms status -m "$NAME" -v "$VERSION" -k "$kver")
	echo "  dkms status: $status"
	case $status in
	*": installed"*) ok "dkms: built and installed for $kver" ;;
	*) fail "dkms status for $kver: '$status'" ;;
	esac
	ko=$(modinfo -k "$kver" -n "$MODULE") || fail "modinfo finds no $MODULE for $kver"
	[ "$(modinfo -F version "$ko")" = "$VERSION" ] ||
		fail "$ko has version $(modinfo -F version "$ko"), not $VERSION"
	ok "installed module $ko, version $VERSION"
	for f in description author license; do
		[ -n "$(modinfo -F "$f" "$ko")" ] || fail "modinfo: no $f"
		echo "  $f: $(modinfo -F "$f" "$ko")"
	done
	# "name:description (type)": every parameter has a description.
	modinfo -F parm "$ko" | sed 's/^/  parm: /'
	modinfo -F parm "$ko" | grep -v '^[a-z_0-9]*:.' && fail "modinfo: a parameter without description"
	ok "modinfo: description, author, license, a description for every parameter"

	[ -x "$TOOL" ] || fail "$TOOL missing"
	out=$("$TOOL" --help) || fail "$TOOL --help failed"
	[ "${out#Usage: }" != "$out" ] || fail "$TOOL --help: no usage text"
	echo "$out" | head -n 3 | sed 's/^/  /'
	ok "xfrm-dst-acct-status --help"

	for man in "$MODULE" xfrm-dst-acct-status; do
		out=$(man -w "$man") || fail "man -w $man finds nothing"
		echo "  man -w $man: $out"
		man "$man" 2>&1 >/dev/null | grep . && fail "man $man: warnings"
		[ "$(MANWIDTH=80 man "$man" 2>/dev/null | wc -l)" -gt 20 ] ||
			fail "man $man: no text"
	done
	ok "man -w and man find and format both manuals"

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
