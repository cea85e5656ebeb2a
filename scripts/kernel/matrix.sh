#!/bin/bash
# The build matrix of `make check`: the module, and the KUnit modules where
# the kernel has CONFIG_KUNIT, built with W=1 against kernel trees
# configured the ways a host's kernel may be, from Debian's
# linux-source-6.1 and linux-source-6.12.
#
# Usage: scripts/kernel/matrix.sh [-s DIR] [KERNEL-NAME...]
#        -s DIR   the module source to build (default: this checkout)
#        KERNEL-NAME  only these configurations, e.g. 6.1-unload-n
#
# Prints one line per configuration, after the lines it counted:
#     build: kernel=6.1 config=NAME warnings=N
# N counts compiler warnings and errors, modpost's own findings and every
# symbol the module needs that the kernel source exports nowhere; a build
# that fails counts at least 1.  The last line is the time taken.  Exit
# status 0 when every N is 0.
#
# Each configuration is tinyconfig + test.config + its fragments (the
# table below), merged and checked as scripts/kernel/build.sh does: an
# option that olddefconfig drops fails the configuration.  The tree gets
# `make modules_prepare` only; no kernel is built.
#
# Without a kernel build there is no Module.symvers, so modpost cannot
# know what the kernel exports: it is run with KBUILD_MODPOST_WARN=1, its
# "undefined!" warnings are not counted, and each such symbol is looked up
# instead in the EXPORT_SYMBOL*() lines of the tree's source.  A symbol
# exported nowhere counts; one exported only by code this configuration
# does not build is not caught here (the VM tests on full kernels load
# the module).  A symbol the configuration does not declare is already a
# compiler error (-Werror=implicit-function-declaration).
#
# Environment:
#   XDA_CACHE   cache root (default /var/cache/xfrm-dst-acct)
#
# Cache layout (key = short hash of the source package version, the
# fragments and the functions that prepare a tree):
#   $XDA_CACHE/matrix/<kernel>-<name>-<key>/
#       out/        O= tree of the pristine source (build.sh's
#                   $XDA_CACHE/src/linux-source-<kernel>), modules_prepare'd
#       prepare.log every make step
#       .complete   written last; without it the tree is prepared again
#   $XDA_CACHE/matrix/exports-<kernel>-<version>   exported symbol names
set -u

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
XDA_CACHE=${XDA_CACHE:-/var/cache/xfrm-dst-acct}
MATRIX_CACHE=$XDA_CACHE/matrix

# One configuration a line: kernel, name, then its fragments (files in
# scripts/kernel/), merged in that order after test.config.
MATRIX=(
	"6.1  test"
	"6.1  unload-n              ipv6m.config matrix/unload-n.config"
	"6.1  smp-n                 matrix/smp-n.config"
	"6.1  ipv6-n                matrix/ipv6-n.config"
	"6.1  ipv6-m                ipv6m.config"
	"6.1  proc-fs-n             matrix/proc-fs-n.config"
	"6.12 test"
	"6.12 rt                    rt.config"
	"6.12 preempt-no-tasks-rcu  matrix/preempt-no-tasks-rcu.config"
)

VARIANT=matrix

log() {
	echo "matrix.sh: [$VARIANT] $*" >&2
}

die() {
	echo "matrix.sh: [$VARIANT] error: $*" >&2
	exit 1
}

# Take build.sh's functions without running it: it ends by calling main,
# and its cache key hashes its own text, so it is left as it is.
load_build_sh() {
	local fn
	for fn in ensure_pristine_source wanted_config verify_config; do
		eval "$(sed -n "/^$fn() {\$/,/^}\$/p" "$SCRIPT_DIR/build.sh")"
		declare -F "$fn" >/dev/null || die "build.sh has no $fn()"
	done
}

# The variables build.sh's functions use, for linux-source-RELEASE.
# shellcheck disable=SC2034 # SRC_TARBALL: ensure_pristine_source()
select_source() {
	SRC_PACKAGE=linux-source-$1
	SRC_TARBALL=/usr/src/$SRC_PACKAGE.tar.xz
	PRISTINE=$XDA_CACHE/src/$SRC_PACKAGE
}

# Unpack (or install and unpack) the source once, under a lock.
pristine_source() {
	mkdir -p "$XDA_CACHE/src"
	(
		flock 8
		ensure_pristine_source
	) 8>"$PRISTINE.lock"
}

tree_key() {
	local fragment
	{
		echo "package=$SRC_PACKAGE $(dpkg-query -W -f='${Version}' "$SRC_PACKAGE")"
		for fragment in "${FRAGMENTS[@]}"; do
			echo "fragment=$(basename "$fragment")"
			sha256sum <"$fragment"
		done
		declare -f tmake configure_tree prepare_tree wanted_config verify_config
	} | sha256sum | cut -c1-12
}

# tmake TARGET...: make in the tree, output appended to its log.
tmake() {
	nice -n 10 make -j2 -C "$PRISTINE" O="$BUILD_DIR/out" ARCH=x86 "$@" \
		>>"$BUILD_DIR/prepare.log" 2>&1 ||
		die "make $* failed (log: $BUILD_DIR/prepare.log)"
}

configure_tree() {
	tmake tinyconfig
	"$PRISTINE/scripts/kconfig/merge_config.sh" -m -O "$BUILD_DIR/out" \
		"$BUILD_DIR/out/.config" "${FRAGMENTS[@]}" \
		>>"$BUILD_DIR/prepare.log" 2>&1 || die "merge_config.sh failed"
	tmake olddefconfig
	verify_config
}

# prepare_tree: BUILD_DIR made (or found) and modules_prepare'd; prints
# "prepared" or "cached".  One preparer per key; a second one waits.
prepare_tree() {
	mkdir -p "$MATRIX_CACHE"
	exec 9>"$BUILD_DIR.lock"
	flock 9
	if [ -f "$BUILD_DIR/.complete" ]; then
		echo cached
		return 0
	fi
	log "preparing $BUILD_DIR"
	rm -rf "$BUILD_DIR"
	mkdir -p "$BUILD_DIR/out"
	: >"$BUILD_DIR/prepare.log"
	configure_tree
	tmake modules_prepare
	echo "$BUILD_DIR/out" >"$BUILD_DIR/.complete.tmp"
	mv "$BUILD_DIR/.complete.tmp" "$BUILD_DIR/.complete"
	echo prepared
}

# The names every EXPORT_SYMBOL*() of the pristine source exports, one a
# line; a name pasted together in a macro, EXPORT_SYMBOL(get_random_ ##
# type), is its prefix and a '*' (prefixes under 4 characters, such as
# "x ##", are left out).
exports_file() {
	local version file
	version=$(dpkg-query -W -f='${Version}' "$SRC_PACKAGE")
	file=$MATRIX_CACHE/exports-$SRC_RELEASE-$version
	if [ ! -f "$file" ]; then
		mkdir -p "$MATRIX_CACHE"
		grep -rhoE --include='*.[chS]' \
			'EXPORT_(PER_CPU_)?SYMBOL[A-Z_]*\( *[A-Za-z0-9_]+( *##)?' \
			"$PRISTINE" | sed -e 's/.*( *//' -e 's/ *##$/*/' |
			grep -vxE '.{1,3}\*' | sort -u >"$file.tmp" &&
			mv "$file.tmp" "$file"
	fi
	echo "$file"
}

# exported EXPORTS SYMBOL: true when the list has it, or a prefix of it.
exported() {
	awk -v sym="$2" '/\*$/ { if (index(sym, substr($0, 1, length($0) - 1)) == 1) found = 1; next }
		$0 == sym { found = 1 } END { exit !found }' "$1"
}

# undefined_symbols DIR: what the modules built in DIR take from the
# kernel (modpost reports only the first few of them).
undefined_symbols() {
	local ko
	for ko in "$1"/*.ko "$1"/kunit/*.ko; do
		[ -f "$ko" ] || continue
		nm -u --format=just-symbols "$ko"
	done | sort -u | comm -23 - <(
		for ko in "$1"/*.ko "$1"/kunit/*.ko; do
			[ -f "$ko" ] && nm --defined-only --format=just-symbols "$ko"
		done | sort -u)
}

# count_findings DIR EXPORTS: print the lines that count, then their number
# (a line printed again for each expansion of a macro counts once).
count_findings() {
	local dir=$1 exports=$2 sym n=0 line
	while IFS= read -r line; do
		echo "$line"
		n=$((n + 1))
	done < <(grep -E 'warning:|error:|(WARNING|ERROR): modpost:' "$dir/log" |
		grep -vE '\] undefined!$|unresolved symbol warnings|Module.symvers is missing' |
		awk '!seen[$0]++')
	for sym in $(undefined_symbols "$dir"); do
		exported "$exports" "$sym" && continue
		echo "undefined: $sym is exported nowhere in $SRC_PACKAGE"
		n=$((n + 1))
	done
	echo "$n"
}

# run_one KERNEL NAME FRAGMENT...: prepare, build, print the build: line.
run_one() {
	local release=$1 name=$2 dir out n rc fragment
	shift 2
	VARIANT=$release-$name
	FRAGMENTS=("$SCRIPT_DIR/test.config")
	for fragment in "$@"; do
		FRAGMENTS+=("$SCRIPT_DIR/$fragment")
	done
	SRC_RELEASE=$release
	select_source "$release"
	dir=$WORK/$release-$name
	mkdir -p "$dir"
	# A tree that cannot be made fails its configuration, not the run.
	if ! (pristine_source && BUILD_DIR=$MATRIX_CACHE/$release-$name-$(tree_key) &&
		prepare_tree >"$dir/state" && echo "$BUILD_DIR/out" >"$dir/tree") \
		2>"$dir/prepare.err"; then
		grep -v '^matrix.sh: .* preparing ' "$dir/prepare.err"
		echo "build: kernel=$release config=$name warnings=1"
		return 1
	fi
	out=$(cat "$dir/tree")
	"$ROOT/scripts/module-sources.sh" "$dir" "$SRC"
	nice -n 10 make -j2 -C "$out" M="$dir" W=1 KBUILD_MODPOST_WARN=1 \
		modules >"$dir/log" 2>&1
	rc=$?
	count_findings "$dir" "$(exports_file)" | sed -e "s|$dir/||" -e "s|$dir|.|" >"$dir/findings"
	n=$(tail -n 1 "$dir/findings")
	sed '$d' "$dir/findings"
	if [ "$rc" -ne 0 ]; then
		grep -E '\*\*\*|Error [0-9]' "$dir/log" | sed -e "s|$dir/||" -e "s|$dir|.|"
		[ "$n" -gt 0 ] || n=1
	fi
	echo "build: kernel=$release config=$name warnings=$n"
	[ "$n" -eq 0 ]
}

main() {
	local entry release name fragments wanted failed=0 prepared=0 total=0
	SRC=$ROOT
	if [ "${1:-}" = -s ]; then
		SRC=$(cd "$2" && pwd) || exit 2
		shift 2
	fi
	wanted=" $* "
	load_build_sh
	WORK=$(mktemp -d /tmp/xda-matrix.XXXXXX)
	SECONDS=0
	for entry in "${MATRIX[@]}"; do
		read -r release name fragments <<<"$entry"
		[ $# -eq 0 ] || [[ $wanted == *" $release-$name "* ]] || continue
		# shellcheck disable=SC2086 # fragments is a list of file names
		run_one "$release" "$name" $fragments || failed=$((failed + 1))
		total=$((total + 1))
		[ "$(cat "$WORK/$release-$name/state" 2>/dev/null)" = prepared ] &&
			prepared=$((prepared + 1))
	done
	echo "matrix: $total configurations, $failed failed, $prepared trees prepared, ${SECONDS}s"
	rm -rf "$WORK"
	[ "$failed" -eq 0 ]
}

main "$@"
