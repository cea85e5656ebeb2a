#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make rpm: build xfrm-dst-acct-dkms-<version>-1.noarch.rpm into out/ with
# rpmbuild from Debian's rpm package, then run rpmlint on it.
#
# Usage: scripts/rpm/build.sh
#
# The version is dkms.conf's PACKAGE_VERSION.  The spec is
# scripts/rpm/xfrm-dst-acct-dkms.spec; its tarball is put together in a
# temporary directory from
#   Makefile Kbuild dkms.conf src/ include/ kunit/   the DKMS source
#   scripts/xfrm-dst-acct-status                     -> /usr/sbin
#   scripts/man/*.4 *.8                              -> the manuals
#   scripts/deb/xfrm-dst-acct.conf                   -> /etc/modprobe.d
# and the spec's changelog is dated as the last commit, which is also
# SOURCE_DATE_EPOCH: the same tree gives the same package.
#
# EL7's rpm 4.11 must read the package: the payload compressor must be
# gzip or xz, and every rpmlib() feature the package requires must be
# one that rpm 4.11 has.
#
# rpmlint runs with scripts/rpm/rpmlint.toml (what EL and Fedora's own
# configuration sets, and why each remaining warning is there).
#
# Exit status 1 when the build fails, a check fails or rpmlint reports
# an error; the rpmlint report is printed either way.
#
# Environment:
#   XDA_OUT   output directory (default: out/ in the repository)
set -eu

# shellcheck source=scripts/package-lib.sh
. "$(dirname "$0")/../package-lib.sh"
RPM=$PKG-$VERSION-1.noarch.rpm
SPEC=$ROOT/scripts/rpm/$PKG.spec
BUILD_DEPS=(rpm rpmlint)
# rpmlib() features rpm 4.11 provides (rpm --showrc of rpm 4.11.3).
RPMLIB_411="BuiltinLuaScripts CompressedFileNames ConcurrentAccess
	ExplicitPackageProvide FileCaps FileDigests HeaderLoadSortsTags
	PartialHardlinkSets PayloadFilesHavePrefix PayloadIsBzip2 PayloadIsLzma
	PayloadIsXz ScriptletExpansion ScriptletInterpreterArgs TildeInVersions
	VersionedDependencies"

# tarball DIR: the spec's Source0 in DIR/SOURCES, files in name order,
# owned by root and dated SOURCE_DATE_EPOCH.
tarball() {
	local top=$1 src=$1/$NAME-$VERSION
	mkdir -p "$src/scripts/deb" "$src/scripts/man" "$top/SOURCES"
	"$ROOT/scripts/module-sources.sh" "$src"
	cp "$ROOT/scripts/xfrm-dst-acct-status" "$src/scripts/"
	cp "$ROOT"/scripts/man/*.[48] "$src/scripts/man/"
	cp "$ROOT/scripts/deb/xfrm-dst-acct.conf" "$src/scripts/deb/"
	# Build products of a tree that was built in place stay out.
	find "$src" \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o \
		-name '*.mod.c' -o -name '.*.cmd' -o -name 'Module.symvers' -o \
		-name 'modules.order' \) -delete
	tar -C "$top" --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime="@$SOURCE_DATE_EPOCH" -cf - "$NAME-$VERSION" |
		gzip -n -9 >"$top/SOURCES/$NAME-$VERSION.tar.gz"
	rm -rf "$src"
}

# check_rpm RPM: what rpm 4.11 needs, and the files in their places.
check_rpm() {
	local rpm=$1 comp feature req
	comp=$(rpm -qp --qf '%{PAYLOADCOMPRESSOR}\n' "$rpm")
	echo "rpm/build.sh: payload compressor: $comp"
	case $comp in
	gzip|xz) ;;
	*) die "payload compressor $comp: rpm 4.11 needs gzip or xz" ;;
	esac
	rpm -qp --qf '[%{FILEDIGESTALGO}]\n' "$rpm" | grep -qx 8 ||
		die "file digests are not sha256"
	for req in $(rpm -qp --requires "$rpm" | sed -n 's/^rpmlib(\([A-Za-z0-9]*\)).*/\1/p'); do
		for feature in $RPMLIB_411; do
			[ "$req" = "$feature" ] && continue 2
		done
		die "requires rpmlib($req), which rpm 4.11 does not have"
	done
	rpm -qp --requires "$rpm" | grep -E '^\(|\bif\b|\bwith\b' &&
		die "rich (boolean) dependencies"
	echo "rpm/build.sh: requires: $(rpm -qp --requires "$rpm" | sort -u | tr '\n' ' ')"
	rpm -qp --qf '[  %{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]' "$rpm"
	rpm -qpc "$rpm" | grep -qx /etc/modprobe.d/xfrm-dst-acct.conf ||
		die "/etc/modprobe.d/xfrm-dst-acct.conf is not a config file"
	for f in /usr/src/$NAME-$VERSION/dkms.conf /usr/sbin/xfrm-dst-acct-status \
		/usr/share/man/man4/xfrm_dst_acct.4.gz \
		/usr/share/man/man8/xfrm-dst-acct-status.8.gz; do
		rpm -qpl "$rpm" | grep -q "^$f" || die "no $f in the package"
	done
}

main() {
	local top log rc
	package_build_start rpm "${BUILD_DEPS[@]}"
	top=$WORK_DIR
	tarball "$top"
	mkdir -p "$top/SPECS"
	sed -e "s/@VERSION@/$VERSION/g" -e "s/@MAINTAINER@/$MAINTAINER/g" \
		-e "s/@DATE@/$(LC_ALL=C date -u -d "@$SOURCE_DATE_EPOCH" '+%a %b %d %Y')/" \
		"$SPEC" >"$top/SPECS/$PKG.spec"
	log=$top/build.log
	echo "rpm/build.sh: building $RPM"
	if ! rpmbuild -bb --define "_topdir $top" \
		--define '_buildhost reproducible' \
		--define 'use_source_date_epoch_as_buildtime 1' \
		--define 'clamp_mtime_to_source_date_epoch 1' \
		"$top/SPECS/$PKG.spec" >"$log" 2>&1; then
		cat "$log"
		die "rpmbuild failed"
	fi
	[ -f "$top/RPMS/noarch/$RPM" ] || { cat "$log"; die "no $RPM"; }
	mkdir -p "$OUT"
	cp "$top/RPMS/noarch/$RPM" "$OUT/$RPM"
	echo "rpm/build.sh: $OUT/$RPM"
	rpm -qip "$OUT/$RPM" | sed -n 's/^\(Name\|Version\|Release\|Architecture\|License\|Size\) *:/  \1:/p'
	check_rpm "$OUT/$RPM"

	echo "rpm/build.sh: rpmlint $RPM"
	rc=0
	rpmlint -c "$ROOT/scripts/rpm/rpmlint.toml" "$OUT/$RPM" >"$top/rpmlint.out" 2>&1 || rc=$?
	sed 's/^/  /' "$top/rpmlint.out"
	grep -q ' 0 errors' "$top/rpmlint.out" || die "rpmlint reports errors"
	echo "rpm/build.sh: rpmlint: no errors (exit $rc)"
}

main "$@"
