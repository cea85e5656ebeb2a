#!/bin/bash
# Build (or reuse) a small test kernel from Debian's linux-source-6.1, or
# linux-source-6.12.
#
# Usage: scripts/kernel/build.sh BASE[-EXTRA]...
#        BASE: stock|affected   EXTRA: debug|ipv6m|612|preempt|rt
#        e.g. stock, affected, stock-debug, affected-debug, affected-ipv6m,
#        stock-612-preempt, stock-612-rt
#
# The last line of stdout is the kernel output directory (the O= dir).  It
# is what out-of-tree module builds need as KDIR:
#     make -C "$KDIR" M=/path/to/module modules
# and holds the image at $KDIR/arch/x86/boot/bzImage.  Progress goes to
# stderr; the full make output goes to <cache dir>/build.log.
#
# Variants:
#   stock     the Debian source as shipped.
#   affected  the same source edited by make-affected-model.sh (per-netns
#             xfrm dst_ops share one percpu counter, as on 2.6.37 .. 4.3
#             without the fix).
# Each extra adds a config fragment after test.config:
#   -debug    debug.config: KASAN, lockdep, kmemleak, debug objects,
#             DEBUG_LIST, SLUB_DEBUG, fault injection (failslab,
#             fail_page_alloc) and debugfs.  Takes about three times as
#             long to build and runs several times slower.
#   -ipv6m    ipv6m.config: IPv6 (and esp6) built as modules, in
#             $KDIR/net/ipv6/, to load before or after xfrm_dst_acct.
#   -612      from linux-source-6.12 (stock only; installed on demand)
#   -preempt  preempt.config: CONFIG_PREEMPT (with TASKS_RCU)
#   -rt       rt.config: CONFIG_PREEMPT_RT and DEBUG_ATOMIC_SLEEP
#
# Environment:
#   XDA_CACHE              cache root (default /var/cache/xfrm-dst-acct)
#   XDA_AFFECTED_GC_LIMIT  1 (default) or 0: restore the pre-4.14 "xfrm dst
#                          allocation fails above 2*gc_thresh" rule in the
#                          affected variant.
#
# Cache layout (key = short hash of every input, see cache_key()):
#   $XDA_CACHE/src/linux-source-6.1/     pristine source, never modified
#   $XDA_CACHE/kernels/<variant>-<key>/
#       src/        private source copy; O= builds need it to stay here
#       out/        O= directory: .config, Module.symvers, bzImage
#       build.log   full output of every make step
#       info        what was built (variant, package version, release)
#       .complete   written last; without it the directory is rebuilt
#
# A build is never moved after it is made: an O= tree records absolute
# paths to its source, so atomicity comes from the .complete marker (written
# by rename) and a lock that serialises concurrent builds of the same key.
set -eu

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)
FRAGMENT=$SCRIPT_DIR/test.config
# The fragments of this variant, in the order they are merged (main()).
FRAGMENTS=()
MODEL_SCRIPT=$SCRIPT_DIR/make-affected-model.sh

XDA_CACHE=${XDA_CACHE:-/var/cache/xfrm-dst-acct}
XDA_AFFECTED_GC_LIMIT=${XDA_AFFECTED_GC_LIMIT:-1}
# The source release, 6.1 unless the variant has -612 (main()).
SRC_RELEASE=6.1

log() {
	echo "build.sh: [$VARIANT] $*" >&2
}

die() {
	echo "build.sh: [$VARIANT] error: $*" >&2
	exit 1
}

usage() {
	echo "usage: $0 stock|affected[-debug][-ipv6m]" >&2
	exit 2
}

# Short hash over everything that changes the resulting kernel.
cache_key() {
	local pkg_version
	pkg_version=$(dpkg-query -W -f='${Version}' "$SRC_PACKAGE")
	{
		echo "package=$SRC_PACKAGE $pkg_version"
		echo "variant=$VARIANT"
		for fragment in "${FRAGMENTS[@]}"; do
			echo "fragment=$(basename "$fragment")"
			sha256sum <"$fragment"
		done
		# The scripts without their comments: a comment changes no kernel.
		grep -v '^[[:space:]]*#' "${BASH_SOURCE[0]}" | sha256sum
		if [ "$BASE" = affected ]; then
			echo "gc_limit=$XDA_AFFECTED_GC_LIMIT"
			grep -v '^[[:space:]]*#' "$MODEL_SCRIPT" | sha256sum
		fi
	} | sha256sum | cut -c1-12
}

# Unpack the source tarball once; extraction goes to a temporary
# directory that is renamed, so a half-extracted tree is never used.
# linux-source-6.1 comes with scripts/deps.sh; 6.12 is installed here
# when first needed.
ensure_pristine_source() {
	local tmp
	[ -f "$PRISTINE/Makefile" ] && return 0
	if [ ! -f "$SRC_TARBALL" ] && [ "$SRC_PACKAGE" != linux-source-6.1 ]; then
		[ "$(id -u)" -eq 0 ] || die "$SRC_PACKAGE missing; as root run: apt-get install $SRC_PACKAGE"
		log "installing $SRC_PACKAGE"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"$SRC_PACKAGE" >&2 || die "apt-get install $SRC_PACKAGE failed"
	fi
	[ -f "$SRC_TARBALL" ] || die "$SRC_TARBALL missing (run scripts/deps.sh)"
	log "extracting $SRC_TARBALL"
	mkdir -p "$XDA_CACHE/src"
	tmp=$(mktemp -d "$XDA_CACHE/src/.extract.XXXXXX")
	tar -xJf "$SRC_TARBALL" -C "$tmp"
	[ -f "$tmp/$SRC_PACKAGE/Makefile" ] || die "unexpected tarball layout"
	mv "$tmp/$SRC_PACKAGE" "$PRISTINE"
	rmdir "$tmp"
}

# kmake TARGET...: make in the O= directory, output appended to the log;
# on failure show the end of the log and stop.
kmake() {
	if ! make -C "$BUILD_DIR/src" O="$BUILD_DIR/out" ARCH=x86 "$@" \
		>>"$BUILD_DIR/build.log" 2>&1; then
		tail -n 30 "$BUILD_DIR/build.log" >&2
		die "make $* failed (full log: $BUILD_DIR/build.log)"
	fi
}

# The settings the fragments ask for, one "CONFIG_X=y|m|n" a line; a
# later fragment overrides an earlier one, as in merge_config.sh.
wanted_config() {
	sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*=[ym]\)$/\1/p' \
		-e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1=n/p' "${FRAGMENTS[@]}" |
		awk -F= '{ if (!($1 in v)) order[n++] = $1; v[$1] = $2 }
			END { for (i = 0; i < n; i++) print order[i] "=" v[order[i]] }'
}

# Every setting of the fragments must survive olddefconfig, which silently
# drops options whose dependencies are not met.
verify_config() {
	local option value have missing=()
	while IFS='=' read -r option value; do
		have=$(sed -n "s/^$option=\(.*\)$/\1/p" "$BUILD_DIR/out/.config")
		[ "$value" = n ] && [ -z "$have" ] && continue
		[ "$have" = "$value" ] || missing+=("$option=$value")
	done < <(wanted_config)
	if [ "${#missing[@]}" -ne 0 ]; then
		for option in "${missing[@]}"; do
			echo "  wanted $option: $(grep -E "(^|# )${option%=*}[= ]" "$BUILD_DIR/out/.config" ||
				echo 'not in .config (dependency missing)')" >&2
		done
		die "options from $(basename -a "${FRAGMENTS[@]}" | paste -sd+) not as wanted (see above)"
	fi
}

configure() {
	local src=$BUILD_DIR/src out=$BUILD_DIR/out
	log "configuring: tinyconfig + $(basename -a "${FRAGMENTS[@]}" | paste -sd' ')"
	kmake tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
		"${FRAGMENTS[@]}" >>"$BUILD_DIR/build.log" 2>&1
	# The variant name in `uname -r` tells logs which kernel ran.
	"$src/scripts/config" --file "$out/.config" \
		--set-str LOCALVERSION "-xda-$VARIANT" --disable LOCALVERSION_AUTO
	kmake olddefconfig
	verify_config
}

compile() {
	local jobs
	jobs=$(nproc)
	log "compiling bzImage and modules with -j$jobs (log: $BUILD_DIR/build.log)"
	kmake -j"$jobs" bzImage modules
	kmake modules_prepare
	[ -f "$BUILD_DIR/out/arch/x86/boot/bzImage" ] || die "no bzImage"
	[ -f "$BUILD_DIR/out/Module.symvers" ] || die "no Module.symvers"
}

write_info() {
	local release
	release=$(cat "$BUILD_DIR/out/include/config/kernel.release")
	{
		echo "variant=$VARIANT"
		echo "fragments=$(basename -a "${FRAGMENTS[@]}" | paste -sd' ')"
		echo "package=$SRC_PACKAGE $(dpkg-query -W -f='${Version}' "$SRC_PACKAGE")"
		[ "$BASE" = affected ] && echo "gc_limit=$XDA_AFFECTED_GC_LIMIT"
		echo "kernelrelease=$release"
		echo "bzImage=$BUILD_DIR/out/arch/x86/boot/bzImage"
		echo "kdir=$BUILD_DIR/out"
		echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) seconds=$SECONDS"
	} >"$BUILD_DIR/info"
}

build() {
	local model_args=()
	rm -rf "$BUILD_DIR"
	mkdir -p "$BUILD_DIR/out"
	: >"$BUILD_DIR/build.log"
	log "copying source to $BUILD_DIR/src"
	cp -a "$PRISTINE" "$BUILD_DIR/src"
	if [ "$BASE" = affected ]; then
		[ "$XDA_AFFECTED_GC_LIMIT" = 0 ] && model_args=(--no-gc-limit)
		log "applying make-affected-model.sh ${model_args[*]}"
		"$MODEL_SCRIPT" "${model_args[@]}" "$BUILD_DIR/src" >>"$BUILD_DIR/build.log" 2>&1 ||
			die "make-affected-model.sh failed (see $BUILD_DIR/build.log)"
	fi
	configure
	compile
	write_info
	# The marker is the commit point: create it elsewhere, then rename.
	echo "$BUILD_DIR/out" >"$BUILD_DIR/.complete.tmp"
	mv "$BUILD_DIR/.complete.tmp" "$BUILD_DIR/.complete"
	log "built in ${SECONDS}s"
}

main() {
	[ $# -eq 1 ] || usage
	VARIANT=$1
	BASE=${VARIANT%%-*}
	case $BASE in
	stock | affected) ;;
	*) usage ;;
	esac
	FRAGMENTS=("$FRAGMENT")
	local extras=${VARIANT#"$BASE"} extra
	for extra in ${extras//-/ }; do
		case $extra in
		debug | ipv6m | preempt | rt) FRAGMENTS+=("$SCRIPT_DIR/$extra.config") ;;
		612) SRC_RELEASE=6.12 ;;
		*) usage ;;
		esac
	done
	[ "$SRC_RELEASE" = 6.1 ] || [ "$BASE" = stock ] ||
		die "the affected model is made from linux-source-6.1 only"
	SRC_PACKAGE=linux-source-$SRC_RELEASE
	SRC_TARBALL=/usr/src/$SRC_PACKAGE.tar.xz
	PRISTINE=$XDA_CACHE/src/$SRC_PACKAGE
	case $XDA_AFFECTED_GC_LIMIT in
	0 | 1) ;;
	*) die "XDA_AFFECTED_GC_LIMIT must be 0 or 1" ;;
	esac

	"$REPO_DIR/scripts/deps.sh"
	ensure_pristine_source

	BUILD_DIR=$XDA_CACHE/kernels/$VARIANT-$(cache_key)
	mkdir -p "$XDA_CACHE/kernels"
	# One builder per key; a second caller waits and then reuses the result.
	exec 9>"$BUILD_DIR.lock"
	flock 9

	if [ -f "$BUILD_DIR/.complete" ]; then
		log "cached: $BUILD_DIR"
	else
		build
	fi
	echo "$BUILD_DIR/out"
}

main "$@"
