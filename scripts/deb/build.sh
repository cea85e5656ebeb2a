#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make deb: build xfrm-dst-acct-dkms_<version>_all.deb into out/ with
# debhelper and dh-dkms from the Debian archive, then run lintian on it.
#
# Usage: scripts/deb/build.sh
#
# The version is dkms.conf's PACKAGE_VERSION.  The repository keeps its
# own layout, so debian/ is not in it: the package's source tree is put
# together in a temporary directory from
#   Makefile Kbuild dkms.conf src/ include/ kunit/   the DKMS source
#   scripts/xfrm-dst-acct-status                     -> /usr/sbin
#   scripts/man/*.4 *.8                              -> the manuals
#   scripts/deb/xfrm-dst-acct.conf                   -> /etc/modprobe.d
#   scripts/deb/debian/                              -> debian/
# and debian/changelog is written for the version (dated as the last
# commit, so the same tree gives the same package).
#
# Exit status 1 when the build fails or lintian reports an error; the
# lintian report is printed either way (warnings and info tags included).
#
# Environment:
#   XDA_OUT   output directory (default: out/ in the repository)
set -eu

# shellcheck source=scripts/package-lib.sh
. "$(dirname "$0")/../package-lib.sh"
DEB=${PKG}_${VERSION}_all.deb
BUILD_DEPS=(build-essential debhelper dh-dkms dpkg-dev lintian groff-base man-db)

# The manuals must name the version being packaged and format without a
# single warning (groff -ww, and man --warnings as lintian runs it).
check_manuals() {
	local man msgs
	for man in "$ROOT"/scripts/man/*.[48]; do
		grep -q "^\.TH .* \"$NAME $VERSION\" " "$man" ||
			die "$man: .TH does not name $NAME $VERSION"
		msgs=$( { groff -ww -z -man -t "$man" &&
			LC_ALL=C.UTF-8 man --warnings=w -E UTF-8 -l -Tutf8 -Z "$man" >/dev/null; } 2>&1)
		[ -z "$msgs" ] || die "$man: warnings:"$'\n'"$msgs"
	done
	echo "deb/build.sh: manuals: no groff or man warning"
}

# What dpkg 1.17 and dkms 2.2 (Ubuntu 14.04, Debian 8) need: control
# fields they know, both members compressed with gzip (dpkg reads
# control.tar.xz from 1.17.6 on), and no dependency on dkms 3.
check_old_hosts() {	# check_old_hosts DEB
	local deb=$1 members fields depends
	members=$(ar t "$deb" | tr '\n' ' ')
	[ "$members" = "debian-binary control.tar.gz data.tar.gz " ] ||
		die "members are not debian-binary, control.tar.gz, data.tar.gz: $members"
	fields=$(dpkg-deb -f "$deb" | sed -n 's/^\([A-Za-z-]*\):.*/\1/p' | tr '\n' ' ')
	for f in $fields; do
		case $f in
		Package|Source|Version|Architecture|Maintainer|Installed-Size|\
		Depends|Recommends|Section|Priority|Description) ;;
		*) die "control field $f: not checked against dpkg 1.17" ;;
		esac
	done
	depends=$(dpkg-deb -f "$deb" Depends)
	case $depends in
	*"dkms (>= 3"*) die "Depends asks for dkms 3: $depends" ;;
	esac
	echo "deb/build.sh: members: $members(gzip, as dpkg 1.17.5 reads them)"
	echo "deb/build.sh: control fields: $fields"
	echo "deb/build.sh: Depends: $depends (dkms 2.2 of Ubuntu 14.04 and Debian 8 has common.postinst)"
}

assemble() {	# assemble DIR
	local dir=$1 f
	mkdir -p "$dir/scripts/deb" "$dir/scripts/man"
	"$ROOT/scripts/module-sources.sh" "$dir"
	cp "$ROOT/scripts/xfrm-dst-acct-status" "$dir/scripts/"
	cp "$ROOT"/scripts/man/*.[48] "$dir/scripts/man/"
	cp "$ROOT/scripts/deb/xfrm-dst-acct.conf" "$dir/scripts/deb/"
	cp -r "$ROOT/scripts/deb/debian" "$dir/debian"
	for f in "$dir"/debian/*.install; do
		sed -i "s/@VERSION@/$VERSION/g" "$f"
	done
	# Build products of a tree that was built in place stay out.
	find "$dir" \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o \
		-name '*.mod.c' -o -name '.*.cmd' -o -name 'Module.symvers' -o \
		-name 'modules.order' \) -delete
	cat >"$dir/debian/changelog" <<EOF
$NAME ($VERSION) unstable; urgency=medium

  * Release $VERSION.

 -- $MAINTAINER  $DATE
EOF
}

main() {
	local src log rc
	package_build_start deb "${BUILD_DEPS[@]}"
	check_manuals
	local work=$WORK_DIR
	src=$work/$NAME-$VERSION
	assemble "$src"
	log=$work/build.log
	echo "deb/build.sh: building $DEB"
	if ! (cd "$src" && dpkg-buildpackage -b -us -uc) >"$log" 2>&1; then
		cat "$log"
		die "dpkg-buildpackage failed"
	fi
	[ -f "$work/$DEB" ] || { cat "$log"; die "no $DEB"; }
	mkdir -p "$OUT"
	cp "$work/$DEB" "$OUT/$DEB"
	echo "deb/build.sh: $OUT/$DEB"
	dpkg-deb --info "$OUT/$DEB" | sed -n 's/^ \(Package\|Version\|Architecture\|Depends\|Recommends\|Installed-Size\):/  \1:/p'
	dpkg-deb --contents "$OUT/$DEB" | awk '{ print "  " $NF }'
	check_old_hosts "$OUT/$DEB"

	echo "deb/build.sh: lintian $DEB"
	rc=0
	lintian --display-info --fail-on error "$OUT/$DEB" >"$work/lintian.out" 2>&1 || rc=$?
	sed 's/^/  /' "$work/lintian.out"
	[ -s "$work/lintian.out" ] || echo "  (no tags)"
	[ $rc -eq 0 ] || die "lintian reports errors"
	echo "deb/build.sh: lintian: no errors"
}

main "$@"
