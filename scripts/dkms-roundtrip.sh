#!/bin/bash
# The DKMS round trip an operator makes, against Debian's linux-headers-amd64:
# dkms add, build, install, status says installed, then remove, and
# nothing left behind.  Needs root (it installs into /usr/src and
# /lib/modules).
#
# Usage: scripts/dkms-roundtrip.sh [KERNELRELEASE]
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NAME=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' "$ROOT/dkms.conf")
VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$ROOT/dkms.conf")
SRC=/usr/src/$NAME-$VERSION

fail() {
	echo "dkms-roundtrip: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || fail "must run as root"
kver=${1:-$(basename "$(ls -d /usr/src/linux-headers-*-amd64 | sort -V | tail -n 1)" | sed 's/^linux-headers-//')}
[ -e "/lib/modules/$kver/build" ] || fail "no headers for $kver (apt-get install linux-headers-amd64)"

# Start from nothing, whatever an earlier run left.
dkms remove "$NAME/$VERSION" --all >/dev/null 2>&1 || true
rm -rf "$SRC"
"$ROOT/scripts/module-sources.sh" "$SRC"

dkms add "$NAME/$VERSION"
dkms build "$NAME/$VERSION" -k "$kver"
dkms install "$NAME/$VERSION" -k "$kver"
status=$(dkms status "$NAME/$VERSION" -k "$kver")
echo "dkms status: $status"
case "$status" in
*": installed"*) ;;
*) fail "not installed" ;;
esac

ko=$(modinfo -k "$kver" -n xfrm_dst_acct)
echo "installed module: $ko"
[ "$(modinfo -F version "$ko")" = "$VERSION" ] ||
	fail "module version $(modinfo -F version "$ko") is not dkms.conf's $VERSION"
modinfo -F parm "$ko" | sed 's/^/  parm: /'

dkms remove "$NAME/$VERSION" --all
rm -rf "$SRC"
[ -z "$(dkms status "$NAME")" ] || fail "dkms still lists $NAME"
! modinfo -k "$kver" -n xfrm_dst_acct >/dev/null 2>&1 ||
	fail "the module is still installed"
echo "dkms-roundtrip: ok ($NAME $VERSION on $kver)"
