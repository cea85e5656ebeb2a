# shellcheck shell=bash disable=SC2034 # the names are read by the callers
# What the package scripts share (scripts/deb/, scripts/rpm/): the
# package's names, from dkms.conf and the Debian control file, and the
# checks of a round trip that do not depend on the package manager.
# Sourced, as "$(dirname "$0")/../package-lib.sh": sets ROOT (the
# repository), PREFIX (the caller's name in messages, e.g. deb/roundtrip)
# and OUT, where the packages go (XDA_OUT, default out/).

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PREFIX=$(basename "$(dirname "$0")")/$(basename "$0" .sh)
OUT=${XDA_OUT:-$ROOT/out}
WORK_DIR=
NAME=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' "$ROOT/dkms.conf")
VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$ROOT/dkms.conf")
PKG=$NAME-dkms
MAINTAINER=$(sed -n 's/^Maintainer: //p' "$ROOT/scripts/deb/debian/control")
MODULE=xfrm_dst_acct
CONFFILE=/etc/modprobe.d/xfrm-dst-acct.conf
TOOL=/usr/sbin/xfrm-dst-acct-status
SRC=/usr/src/$NAME-$VERSION
STEPS=0

die() {
	echo "$PREFIX: $*" >&2
	exit 1
}

# fail WHAT, ok WHAT: a round trip's failed step (it stops there), or a
# step passed.
fail() {
	die "FAIL: $*"
}

ok() {
	STEPS=$((STEPS + 1))
	echo "$PREFIX: ok: $*"
}

# package_build_start KIND PACKAGE...: a package build's start: the
# Debian packages it needs (scripts/deps.sh), DATE and SOURCE_DATE_EPOCH
# from the last commit (the same tree gives the same package), and
# WORK_DIR, removed on exit.
package_build_start() {
	local kind=$1
	shift
	[ -n "$VERSION" ] || die "no PACKAGE_VERSION in dkms.conf"
	"$ROOT/scripts/deps.sh" "$@" >&2 || exit 1
	DATE=$(git -C "$ROOT" log -1 --format=%aD 2>/dev/null || true)
	[ -n "$DATE" ] || DATE=$(date -R)
	export SOURCE_DATE_EPOCH
	SOURCE_DATE_EPOCH=$(date -d "$DATE" +%s)
	WORK_DIR=$(mktemp -d "/tmp/xda-$kind.XXXXXX")
	trap 'rm -rf "$WORK_DIR"' EXIT
}

# package_files_left: what of the module's installation is on the system,
# one line each, whichever package manager put it there.
package_files_left() {
	[ -e "$SRC" ] && echo "$SRC"
	[ -e "/var/lib/dkms/$NAME" ] && echo "/var/lib/dkms/$NAME"
	dkms status "$NAME" 2>/dev/null | sed 's/^/dkms status: /'
	find /lib/modules -name "$MODULE.ko*" 2>/dev/null
	[ -e "$TOOL" ] && echo "$TOOL"
	[ -e "$CONFFILE" ] && echo "$CONFFILE"
	find /usr/share/man -name 'xfrm_dst_acct.4*' -o -name 'xfrm-dst-acct-status.8*' 2>/dev/null
	true
}

# package_headers_release: the release of the newest Debian headers here,
# which the round trips build the module for.
package_headers_release() {
	local kver
	kver=$(basename "$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)")
	kver=${kver#linux-headers-}
	[ -n "$kver" ] && [ -e "/lib/modules/$kver/build" ] ||
		fail "no Debian headers (apt-get install linux-headers-amd64)"
	echo "$kver"
}

# package_dkms_installed KVER WHAT: dkms has built and installed the module
# for KVER (WHAT: the step's words).
package_dkms_installed() {
	local status
	status=$(dkms status -m "$NAME" -v "$VERSION" -k "$1")
	echo "  dkms status: $status"
	case $status in
	*": installed"*) ok "$2" ;;
	*) fail "dkms status for $1: '$status'" ;;
	esac
}

# package_installed_checks KVER: what the installed package gives an
# operator: the module for KVER with its version and descriptions, the
# status tool, both manuals.
package_installed_checks() {
	local ko man out f
	ko=$(modinfo -k "$1" -n "$MODULE") || fail "modinfo finds no $MODULE for $1"
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
}
