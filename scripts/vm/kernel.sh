# shellcheck shell=bash disable=SC2034 # the K_* and BOOT_* variables are read by the callers
# The harness's library: it names a kernel, builds the module for it,
# makes the initramfs, boots it, reads the results and keeps the tally.
# Sourced, not run; the caller sets ROOT (the repository).  The runner
# (scripts/run-plan.sh) and the drivers that present their own figures
# (demo, bench, torture, the status suite, the teeth) use it.
#
# kernel_use NAME names a kernel:
#   stock, affected       test kernels built from Debian's linux-source-6.1
#                         (scripts/kernel/build.sh), with -debug, -ipv6m or
#                         both (stock-debug, affected-ipv6m-debug, ...);
#                         stock-612-preempt, stock-612-rt from 6.12
#   debian                Debian's linux-image for the installed
#                         linux-headers-amd64, unpacked (never installed)
#   debian-6.12[-rt]      Debian's newest 6.12 image (PREEMPT_RT flavour)
#   user                  KERNEL=image MODULES=lib/modules/R [BUILD=tree]
# and sets K_NAME (the release for a kernel named by its trees), K_IMAGE,
# K_MODULES ("" for the test kernels), K_BUILD, K_RELEASE, K_DKMS (1: dkms
# builds the module, as an operator's host does), K_ARGS (kernel
# arguments) and what it has, 1 or 0: K_KUNIT, K_FLOWCACHE (before 4.14),
# K_DEBUG (KASAN), K_PRE_EXIT (5.3), K_PLT32 (a loader that knows
# R_X86_64_PLT32, 4.16).
#
# Environment: XDA_CACHE (kernels and sources, default
# /var/cache/xfrm-dst-acct), XDA_KEEP (keep every log in this directory),
# XDA_MODULE_SRC (build the module from this copy), XDA_BOOT_ARGS (kernel
# arguments added to every boot); XDA_VM_* as in scripts/vm/run.sh.

XDA_CACHE=${XDA_CACHE:-/var/cache/xfrm-dst-acct}
export XDA_CACHE

# Kernel modules (names or aliases) that the scenarios use, where the
# kernel has them as modules: each one the kernel's tree has goes into the
# initramfs with its dependencies, and /init loads it.  Crypto templates
# are also loaded on demand through /sbin/modprobe, by aliases that older
# kernels spell differently, so the modules are named too.  Before 5.2 the
# transport mode is a module of its own; echainiv exists since 4.2;
# echainiv and seqiv seed their salt from "stdrng".
KERNEL_SCENARIO_MODULES=(veth xfrm_user esp4 esp6 xfrm4_mode_transport
	xfrm6_mode_transport authenc echainiv seqiv gcm ctr ghash-generic
	cbc hmac aes_generic sha256_generic
	"crypto-rfc4106(gcm(aes))" "crypto-gcm(aes)" "crypto-cbc(aes)"
	"crypto-hmac(sha256)" crypto-aes crypto-sha256 crypto-stdrng
	crypto-jitterentropy_rng crypto-sha512)

kernel_die() {
	echo "kernel.sh: error: $*" >&2
	exit 1
}

kernel_log() {
	echo "kernel.sh: $*" >&2
}

# --- the tally and the work directory --------------------------------------

# count NAME OK|FAIL|SKIP [REASON]: one test's outcome.  Every outcome is
# also a KTAP line in TALLY_KTAP (a caller run by the runner writes to the
# runner's XDA_KTAP: one result channel for the VMs and the host steps).
passed=0
failed=0
skipped=0
FAILURES=()
TALLY_KTAP=${XDA_KTAP:-}
unset XDA_KTAP
count() {
	local n=$((passed + failed + skipped + 1)) line
	case $2 in
	OK) passed=$((passed + 1)); line="ok $n $1" ;;
	SKIP) skipped=$((skipped + 1)); line="ok $n $1 # SKIP ${3:-}" ;;
	*) failed=$((failed + 1)); line="not ok $n $1"; FAILURES+=("$1") ;;
	esac
	if [ -n "$TALLY_KTAP" ]; then
		[ "$n" = 1 ] && echo "KTAP version 1" >"$TALLY_KTAP"
		echo "$line" >>"$TALLY_KTAP"
	fi
	[ "$2" = OK ] || echo "   $2  $1${3:+ ($3)}"
}

# count_results NAME LOG: count "NAME: WHAT" for every result of a run
# (scripts/vm/results.py: the scenario's KTAP channel and KUnit's
# suites).  None at all is a failure.
count_results() {
	local status what n=0 kunit
	kunit=$(kernel_kunit_py) || { count "$1: kunit.py" FAIL; return; }
	while read -r status what; do
		n=$((n + 1))
		case $status in
		PASS) count "$1: $what" OK ;;
		SKIP) count "$1: ${what%% # *}" SKIP "${what#* # }" ;;
		*) count "$1: $what" FAIL ;;
		esac
	done < <(python3 "$ROOT/scripts/vm/results.py" "$kunit" "$2")
	[ $n -gt 0 ] || count "$1: results (none in ${2##*/}.results or its KUnit output)" FAIL
}

# work_start NAME: WORK, the caller's work directory (XDA_KEEP, or a new
# one); work_end: the closing lines, and WORK removed only if everything
# passed and XDA_KEEP is not set.  Returns 0 only if nothing failed.
work_start() {
	WORK=${XDA_KEEP:-$(mktemp -d "/tmp/xda-$1.XXXXXX")}
	mkdir -p "$WORK" && WORK=$(cd "$WORK" && pwd)
	TALLY_KTAP=${TALLY_KTAP:-$WORK/results.ktap}
	WORK_STARTED=$SECONDS
}

work_end() {
	local n
	[ -n "$TALLY_KTAP" ] && [ -f "$TALLY_KTAP" ] &&
		echo "1..$((passed + failed + skipped))" >>"$TALLY_KTAP"
	if [ "$failed" -gt 0 ]; then
		echo "failed:"
		for n in "${FAILURES[@]}"; do echo "   $n"; done
	fi
	if [ "$failed" -eq 0 ] && [ -z "${XDA_KEEP:-}" ]; then
		rm -rf "$WORK"
	else
		echo "logs kept: $WORK"
	fi
	echo "took $((SECONDS - WORK_STARTED)) s"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}

# --- what a kernel has -------------------------------------------------------

# kernel_version_at_least MAJOR MINOR: K_RELEASE is MAJOR.MINOR or later.
kernel_version_at_least() {
	local major minor
	major=${K_RELEASE%%.*}
	minor=${K_RELEASE#*.}
	minor=${minor%%[!0-9]*}
	[ "$major" -gt "$1" ] || { [ "$major" -eq "$1" ] && [ "$minor" -ge "$2" ]; }
}

# kernel_config OPTION: its value in the build tree's .config ("" if unset).
kernel_config() {
	sed -n "s/^$1=//p" "$K_BUILD/.config"
}

# kernel_lacks SCENARIO...: what the kernel in use lacks of the options
# the scenarios name on their "# needs:" lines (OPTION: y or m;
# OPTION=VALUE: that value), as "OPTION (here: VALUE), ..."; nothing if
# it lacks none.
kernel_lacks() {
	local want opt val have lacks=()
	for want in $(sed -n 's/^# needs: *//p' "$@" | tr ' ' '\n' | sort -u); do
		opt=${want%%=*}
		val=${want#"$opt"}
		val=${val#=}
		have=$(kernel_config "$opt")
		if [ -z "$have" ] || { [ -n "$val" ] && [ "$have" != "$val" ]; }; then
			lacks+=("$opt${val:+=$val} (here: ${have:-not set})")
		fi
	done
	[ ${#lacks[@]} -eq 0 ] || (IFS=';'; echo "${lacks[*]}") | sed 's/;/, /g'
}

kernel_features() {
	K_KUNIT=$([ -n "$(kernel_config CONFIG_KUNIT)" ] && echo 1 || echo 0)
	K_DEBUG=$([ "$(kernel_config CONFIG_KASAN)" = y ] && echo 1 || echo 0)
	# The flow cache went in 4.14 ("xfrm: remove flow cache").
	K_FLOWCACHE=$(kernel_version_at_least 4 14 && echo 0 || echo 1)
	K_PRE_EXIT=$(kernel_version_at_least 5 3 && echo 1 || echo 0)
	K_PLT32=$(kernel_version_at_least 4 16 && echo 1 || echo 0)
}


# kernel_kunit_py: the kernel's kunit.py, from linux-source-6.1 as the
# test kernels unpack it (XDA_KSRC), or else a tree holding only its
# tools/testing/kunit, taken from the package's tarball once.  (kunit.py
# exits 1 at once unless its path holds tools/testing/kunit.)
kernel_kunit_py() {
	local src=${XDA_KSRC:-$XDA_CACHE/src/linux-source-6.1} tools=$XDA_CACHE/src/kunit-tools tmp
	local py=tools/testing/kunit/kunit.py
	if [ -f "$src/$py" ]; then
		echo "$src/$py"
		return
	fi
	if [ ! -f "$tools/$py" ]; then
		mkdir -p "$XDA_CACHE/src"
		tmp=$(mktemp -d "$XDA_CACHE/src/.kunit.XXXXXX")
		tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$tmp" \
			linux-source-6.1/tools/testing/kunit >&2 || {
			rm -rf "$tmp"
			kernel_log "no kunit.py: /usr/src/linux-source-6.1.tar.xz (run scripts/deps.sh)"
			return 1
		}
		rm -rf "$tools"
		mv "$tmp/linux-source-6.1" "$tools"
		rm -rf "$tmp"
	fi
	echo "$tools/$py"
}

# --- the test kernels -----------------------------------------------------

kernel_use_test() {
	local kdir
	kdir=$("$ROOT/scripts/kernel/build.sh" "$1" | tail -n 1) || kernel_die "$1: the kernel does not build"
	[ -f "$kdir/arch/x86/boot/bzImage" ] || kernel_die "$1: no kernel image in $kdir"
	K_NAME=$1
	K_IMAGE=$kdir/arch/x86/boot/bzImage
	K_MODULES=
	K_BUILD=$kdir
	K_RELEASE=$(cat "$kdir/include/config/kernel.release")
	K_DKMS=0
	K_ARGS=
	kernel_features
}

# --- a kernel named by its image, modules tree and build tree -------------

# kernel_use_tree NAME IMAGE MODULES [BUILD]
kernel_use_tree() {
	local name=$1 image=$2 modules=$3 build=${4:-} rel
	[ -n "$image" ] && [ -r "$image" ] || kernel_die "KERNEL=$image: no readable kernel image"
	[ -n "$modules" ] && [ -d "$modules" ] || kernel_die "MODULES=$modules: no modules tree"
	modules=$(cd "$modules" && pwd -P)
	[ -f "$modules/modules.dep" ] ||
		kernel_die "$modules has no modules.dep (run depmod for that release)"
	build=${build:-$modules/build}
	[ -f "$build/Makefile" ] && [ -f "$build/.config" ] ||
		kernel_die "no build tree at $build (install that release's headers, or give BUILD=)"
	build=$(cd "$build" && pwd -P)
	# The release the headers were made for is UTS_RELEASE; Debian's 6.1
	# headers carry the upstream version in include/config/kernel.release.
	rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$build/include/generated/utsrelease.h" 2>/dev/null)
	[ -n "$rel" ] || kernel_die "$build has no include/generated/utsrelease.h"
	[ "$rel" = "$(basename "$modules")" ] ||
		kernel_die "MODULES is for $(basename "$modules") but the build tree for $rel"
	K_NAME=${name:-$rel}
	K_IMAGE=$image
	K_MODULES=$modules
	K_BUILD=$build
	K_RELEASE=$rel
	K_DKMS=1
	# The mitigations cost TCG dearly (every system call switches page
	# tables) and are irrelevant here; kernels without the option ignore
	# it.
	K_ARGS=mitigations=off
	kernel_features
}

# --- Debian's own kernels -------------------------------------------------

# debian_unpack PACKAGE VERSION RELEASE: unpack a linux-image package
# once; prints the unpacked root.
debian_unpack() {
	local pkg=$1 version=$2 rel=$3 dest tmp
	dest=$XDA_CACHE/debian/$pkg-$version
	mkdir -p "$XDA_CACHE/debian"
	# One download at a time; a second run waits, then reuses it.
	exec 8>"$XDA_CACHE/debian/.lock"
	flock 8
	if [ ! -f "$dest/.complete" ]; then
		kernel_log "downloading $pkg $version"
		rm -rf "$dest"
		mkdir -p "$dest"
		tmp=$(mktemp -d "$XDA_CACHE/debian/.download.XXXXXX")
		# apt drops privileges to _apt for the download when it can.
		chown _apt "$tmp" 2>/dev/null || true
		(cd "$tmp" && apt-get download -q "$pkg=$version") >&2 ||
			kernel_die "apt-get download $pkg=$version failed"
		dpkg-deb -x "$tmp"/*.deb "$dest/root"
		rm -rf "$tmp"
		# Module dependency files are made by the package's postinst,
		# which never runs here.
		depmod -b "$dest/root" "$rel"
		touch "$dest/.complete"
	fi
	exec 8>&-
	echo "$dest/root"
}

# debian_headers RELEASE: install linux-headers-RELEASE if missing (root).
debian_headers() {
	dpkg-query -W -f='${db:Status-Abbrev}' "linux-headers-$1" 2>/dev/null | grep -q '^ii' &&
		return 0
	[ "$(id -u)" -eq 0 ] ||
		kernel_die "linux-headers-$1 missing; as root run: apt-get install linux-headers-$1"
	kernel_log "installing linux-headers-$1"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"linux-headers-$1" >&2 || kernel_die "apt-get install linux-headers-$1 failed"
}

# The newest release of a 6.12 flavour ("amd64" or "rt-amd64") in the archive.
debian_612_release() {
	apt-cache search --names-only "^linux-headers-6\.12\.[0-9]+\+deb12-$1\$" |
		sed -n "s/^linux-headers-\(6\.12\.[0-9]*+deb12-$1\) .*/\1/p" | sort -V | tail -n 1
}

kernel_use_debian() {
	local name=$1 rel pkg root
	case $name in
	debian)
		rel=$(find /usr/src -maxdepth 1 -name 'linux-headers-*-amd64' -printf '%f\n' |
			sed 's/^linux-headers-//' | grep -v '^6\.12\.' | sort -V | tail -n 1)
		[ -n "$rel" ] || kernel_die "no linux-headers-*-amd64 (apt-get install linux-headers-amd64)"
		pkg=linux-image-$rel
		;;
	debian-6.12)
		rel=$(debian_612_release amd64)
		pkg=linux-image-$rel-unsigned
		;;
	debian-6.12-rt)
		rel=$(debian_612_release rt-amd64)
		pkg=linux-image-$rel-unsigned
		;;
	esac
	[ -n "$rel" ] || kernel_die "$name: no such kernel in the archive (apt-get update?)"
	debian_headers "$rel"
	root=$(debian_unpack "$pkg" "$(dpkg-query -W -f='${Version}' "linux-headers-$rel")" "$rel")
	kernel_use_tree "$name" "$root/boot/vmlinuz-$rel" "$root/lib/modules/$rel" \
		"/usr/src/linux-headers-$rel"
}

# kernel_use NAME: see the top of this file.  Naming a kernel again only
# brings back what was found the first time.
declare -A KERNEL_STATE
kernel_use() {
	if [ -n "${KERNEL_STATE[$1]:-}" ]; then
		eval "${KERNEL_STATE[$1]}"
		return
	fi
	case $1 in
	stock | stock-* | affected | affected-*) kernel_use_test "$1" ;;
	debian | debian-6.12 | debian-6.12-rt) kernel_use_debian "$1" ;;
	user) kernel_use_tree "" "${KERNEL:-}" "${MODULES:-}" "${BUILD:-}" ;;
	*) kernel_die "unknown kernel '$1' (stock, affected[-debug][-ipv6m], debian, debian-6.12, debian-6.12-rt, or KERNEL= MODULES=)" ;;
	esac
	KERNEL_STATE[$1]=$(declare -p K_NAME K_IMAGE K_MODULES K_BUILD K_RELEASE K_DKMS \
		K_ARGS K_KUNIT K_FLOWCACHE K_DEBUG K_PRE_EXIT K_PLT32 | sed 's/^declare -[-a-zA-Z]* /declare -g /')
}

# --- building the module for it -------------------------------------------

# kernel_module_sources DEST: what the module is built from (dkms.conf,
# the Makefiles and the sources, KUnit's included), from XDA_MODULE_SRC or
# the repository, copied into DEST.
kernel_module_sources() {
	"$ROOT/scripts/module-sources.sh" "$1" "${XDA_MODULE_SRC:-$ROOT}"
}

# kernel_build_module DIR [MAKE_ARG...]: xfrm_dst_acct.ko in DIR, and
# kunit/xfrm_dst_acct_test.ko where the kernel has KUnit, built from a
# copy of the sources (XDA_MODULE_SRC, default the repository).  On a test
# kernel it is a W=1 build (MAKE_ARGs added) that must print no warning
# (XDA_WARNINGS_OK=1: may); on a kernel named by its trees, dkms builds it
# as an operator would, against K_BUILD.  Then, for a loader older than
# 4.16, see plt32.py.  The build log is DIR/build.log; sets K_KO to the
# module.
kernel_build_module() {
	local dir=$1 ko
	shift
	rm -rf "$dir/src"
	kernel_module_sources "$dir/src"
	if [ "$K_DKMS" = 1 ]; then
		ko=$(kernel_dkms_build "$dir") || return 1
		# dkms installs only the module; the KUnit one is built beside it.
		if [ "$K_KUNIT" = 1 ]; then
			make -s -C "$K_BUILD" M="$dir/src" modules >>"$dir/build.log" 2>&1 || {
				cat "$dir/build.log" >&2
				return 1
			}
		fi
	else
		make -s -C "$K_BUILD" M="$dir/src" W=1 "$@" modules >"$dir/build.log" 2>&1 &&
			{ [ "${XDA_WARNINGS_OK:-0}" = 1 ] || ! grep -q 'warning:' "$dir/build.log"; } || {
			cat "$dir/build.log" >&2
			return 1
		}
		ko=$dir/src/xfrm_dst_acct.ko
	fi
	cp "$ko" "$dir/xfrm_dst_acct.ko"
	K_KO=$dir/xfrm_dst_acct.ko
	if [ -f "$dir/src/kunit/xfrm_dst_acct_test.ko" ]; then
		mkdir -p "$dir/kunit"
		cp "$dir/src/kunit/"*.ko "$dir/kunit/"
	fi
	kernel_fix_relocations "$dir"/*.ko "$dir"/kunit/*.ko
}

# kernel_fix_relocations KO...: R_X86_64_PLT32 as R_X86_64_PC32 where the
# kernel's module loader predates 4.16 (see scripts/vm/plt32.py).
kernel_fix_relocations() {
	local ko
	[ "$K_PLT32" = 1 ] && return 0
	for ko in "$@"; do
		if [ -f "$ko" ]; then
			python3 "$ROOT/scripts/vm/plt32.py" "$ko" >&2
		fi
	done
}

# kernel_ko_copy KO DEST: KO (.ko, or .ko.xz, .ko.zst, .ko.gz as a
# kernel's modules tree may hold it) uncompressed at DEST.
kernel_ko_copy() {
	case $1 in
	*.xz) xz -dc "$1" >"$2" ;;
	*.zst) zstd -q -dc "$1" >"$2" ;;
	*.gz) gzip -dc "$1" >"$2" ;;
	*.ko) cp "$1" "$2" ;;
	*) return 1 ;;
	esac
}

# kernel_tree_module NAME DIR: the kernel's own module NAME, from its
# modules tree, uncompressed in DIR/NAME.ko (loadable by its loader).
kernel_tree_module() {
	kernel_ko_copy "$(find "$K_MODULES/kernel" -name "$1.ko*" | head -n 1)" "$2/$1.ko" &&
		kernel_fix_relocations "$2/$1.ko"
}

# kernel_dkms_build DIR: dkms add + build in a private dkms tree, so that
# the host's dkms state is never touched; prints the built module.
kernel_dkms_build() {
	local dir=$1 name version ko
	name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' "$ROOT/dkms.conf")
	version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$ROOT/dkms.conf")
	rm -rf "$dir/dkms"
	mkdir -p "$dir/dkms/source" "$dir/dkms/tree"
	cp -r "$dir/src" "$dir/dkms/source/$name-$version"
	{
		dkms add -m "$name" -v "$version" \
			--sourcetree "$dir/dkms/source" --dkmstree "$dir/dkms/tree" &&
		dkms build -m "$name" -v "$version" -k "$K_RELEASE" \
			--kernelsourcedir "$K_BUILD" \
			--sourcetree "$dir/dkms/source" --dkmstree "$dir/dkms/tree"
	} >"$dir/build.log" 2>&1 || {
		cat "$dir/build.log" >&2
		kernel_log "dkms build against $K_BUILD failed"
		return 1
	}
	ko=$dir/dkms/tree/$name/$version/$K_RELEASE/x86_64/module/xfrm_dst_acct.ko
	# Compressed where the kernel compresses its modules (Debian's 6.12).
	kernel_ko_copy "$(ls "$ko"* 2>/dev/null | head -n 1)" "$dir/dkms/xfrm_dst_acct.ko" ||
		{ kernel_log "dkms built no $ko"; return 1; }
	ko=$dir/dkms/xfrm_dst_acct.ko
	kernel_log "$K_NAME: dkms built $(modinfo -F vermagic "$ko" | cut -d' ' -f1)," \
		"signer: $(modinfo -F signer "$ko" || echo none)"
	echo "$ko"
}

# --- the initramfs ---------------------------------------------------------

# kernel_modules_cpio OUT: for a kernel with a modules tree, a second
# archive with /lib/modules/RELEASE holding the scenario modules it has
# (with their dependencies, listed in xda-preload for /init to load,
# except those that need a module of KERNEL_LOADS_LATER, an extended
# regular expression of module names that the scenario loads itself), the
# module where dkms installs it (updates/dkms, for modprobe), depmod's
# files, and kmod's modprobe.  The kernel unpacks it over the first.
kernel_modules_cpio() {
	local out=$1 staging mods m path root deps
	root=${K_MODULES%/lib/modules/*}
	[ "$root/lib/modules/$K_RELEASE" = "$K_MODULES" ] ||
		kernel_die "$K_MODULES: expected a path ending in lib/modules/$K_RELEASE"
	staging=$(mktemp -d "${TMPDIR:-/tmp}/xda-modules.XXXXXX")
	mods=$staging/lib/modules/$K_RELEASE
	mkdir -p "$mods/updates/dkms"
	for m in "${KERNEL_SCENARIO_MODULES[@]}"; do
		deps=$(modprobe -d "$root" -S "$K_RELEASE" --show-depends "$m" 2>/dev/null) ||
			continue
		deps=$(echo "$deps" | awk '$1 == "insmod" { print $2 }')
		echo "$deps"
		# Not loaded at boot: what needs a module the scenario loads itself.
		if [ -z "${KERNEL_LOADS_LATER:-}" ] ||
			! echo "$deps" | grep -Eq "/($KERNEL_LOADS_LATER)\.ko"; then
			echo "$m" >>"$staging/preload"
		fi
	done | sort -u | grep . | while read -r path; do
		install -D -m 0644 "$path" "$staging${path#"$root"}"
	done
	# (modules.builtin.modinfo exists since 5.2; depmod asks for it.)
	: >"$mods/modules.builtin.modinfo"
	for m in modules.builtin modules.builtin.modinfo modules.order; do
		if [ -f "$K_MODULES/$m" ]; then
			cp "$K_MODULES/$m" "$mods/"
		fi
	done
	if [ -n "${K_KO:-}" ]; then
		install -m 0644 "$K_KO" "$mods/updates/dkms/"
	fi
	mv "$staging/preload" "$mods/xda-preload" 2>/dev/null || : >"$mods/xda-preload"
	# Modules of a kernel built with today's binutils (see plt32.py).
	mapfile -t m < <(find "$mods" -name '*.ko')
	kernel_fix_relocations "${m[@]}" 2>/dev/null
	depmod -b "$staging" "$K_RELEASE" || kernel_die "depmod -b failed"
	install -D -m 0755 "$(readlink -f /usr/bin/kmod)" "$staging/usr/bin/kmod"
	ldd /usr/bin/kmod | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
		while read -r path; do
			install -D -m 0755 "$(readlink -f "$path")" "$staging$path"
		done
	mkdir -p "$staging/sbin"
	ln -sf /usr/bin/kmod "$staging/sbin/modprobe"
	(cd "$staging" && find . -print0 | LC_ALL=C sort -z |
		cpio --null --quiet -o -H newc -R 0:0) | gzip -9n >"$out"
	kernel_log "$K_NAME: modules in the initramfs: $(find "$mods" -name '*.ko*' | wc -l)," \
		"loaded at boot: $(wc -w <"$mods/xda-preload")"
	rm -rf "$staging"
}

# kernel_initramfs OUT SCENARIO [FILE...]: scripts/vm/mkinitramfs.sh's
# archive, followed for a kernel with a modules tree by the modules it
# needs (kernel_modules_cpio).
kernel_initramfs() {
	local out=$1
	shift
	if [ -z "$K_MODULES" ]; then
		"$ROOT/scripts/vm/mkinitramfs.sh" "$out" "$@" >/dev/null
		return
	fi
	"$ROOT/scripts/vm/mkinitramfs.sh" "$out.base" "$@" >/dev/null
	kernel_modules_cpio "$out.modules"
	# Concatenated archives: the kernel unpacks one after the other.
	cat "$out.base" "$out.modules" >"$out"
	rm -f "$out.base" "$out.modules"
}

# --- booting it ------------------------------------------------------------

# kernel_boot INITRAMFS LOG [ARG...]: one VM run of the kernel in use
# (scripts/vm/run.sh, with XDA_BOOT_ARGS), then scripts/vm/check-log.sh
# on its console log.  Sets BOOT_OK (1: the scenario ended with rc=0),
# BOOT_REPORTS (lines with kernel reports; their context is in LOG.check)
# and BOOT_SECONDS.  Returns 0 only if both are clean.
kernel_boot() {
	local initrd=$1 log=$2 start=$SECONDS
	shift 2
	BOOT_OK=1
	# shellcheck disable=SC2086 # lists of kernel arguments
	"$ROOT/scripts/vm/run.sh" "$K_IMAGE" "$initrd" "$log" $K_ARGS "$@" \
		${XDA_BOOT_ARGS:-} 2>"$log.run" || BOOT_OK=0
	BOOT_SECONDS=$((SECONDS - start))
	if "$ROOT/scripts/vm/check-log.sh" "$log" >"$log.check" 2>&1; then
		BOOT_REPORTS=0
	else
		BOOT_REPORTS=$(sed -n 's/^check-log: \([0-9]*\) line.*/\1/p' "$log.check")
		BOOT_REPORTS=${BOOT_REPORTS:-1}
	fi
	[ "$BOOT_OK" = 1 ] && [ "$BOOT_REPORTS" = 0 ]
}
