# shellcheck shell=bash disable=SC2034 # the arrays are read by the callers
# Host side of the end-to-end scenario, shared by run.sh and demo.sh.
#
# Sourced, not run.  The caller sets:
#   ROOT   the repository
#   WORK   a scratch directory (kept on failure by the callers)
# and may set E2E_ARGS (extra kernel arguments for every boot, e.g.
# "xda.waves=2").
#
# Kernels (see prepare_kernel):
#   stock     scripts/kernel/build.sh stock, module built with make -C
#   affected  scripts/kernel/build.sh affected (pre-4.14 2*gc_thresh rule
#             included), module built with make -C
#   debian    Debian's own linux-image-<release>-amd64 for the installed
#             linux-headers-amd64, unpacked under $XDA_CACHE/debian (never
#             installed on this host); the module built by dkms against
#             those headers in a private dkms tree, and loaded in the VM
#             by kmod's modprobe from a depmod'd module tree
#
# Each boot writes $WORK/<kernel>-<mode>.log (console) and leaves its
# results in the associative arrays described at boot_scenario().

XDA_CACHE=${XDA_CACHE:-/var/cache/xfrm-dst-acct}
export XDA_CACHE

# gc_thresh for every namespace, both families.  The seed's rule: the
# kernel refuses new xfrm dst entries once a namespace's count passes
# 2 * gc_thresh, so gc_thresh must leave 2 * gc_thresh above the most
# entries that can really be alive, and close to it so that a drifting
# count reaches it soon.  On the old kernels that bound was the flow cache,
# 4096 * CPUs.  6.1 has no flow cache: the bound is what the scenario
# keeps alive in one namespace and family: at most 150 connections it
# opened + 150 it accepted + up to 150 routes of SYN-ACKs sent (each freed
# only after an RCU grace period) + a few pings, about 460.  2 * 256 = 512
# is above that (the highest true count seen in our runs is 336), and a
# count that drifted by +212 during a hold, or +512 between waves, passes
# it.
E2E_GC_THRESH=${E2E_GC_THRESH:-256}
# Waves of connections per run (scenario.sh: xda.waves); the module is
# loaded during wave E2E_HOTWAVE under mode=hot.
E2E_WAVES=${E2E_WAVES:-6}
E2E_HOTWAVE=${E2E_HOTWAVE:-3}

# Modules (names or aliases) Debian's kernel needs for the scenario; the
# initramfs gets them and everything they depend on.
# echainiv and seqiv seed their salt from the default "stdrng" (drbg,
# which needs jitterentropy and sha512): modules on Debian, loaded on
# demand by the kernel through /sbin/modprobe.
DEBIAN_MODULES=(veth xfrm_user esp4 esp6 authenc echainiv seqiv gcm ctr
	ghash-generic "crypto-rfc4106(gcm(aes))" "crypto-gcm(aes)"
	"crypto-cbc(aes)" "crypto-hmac(sha256)" "crypto-aes" "crypto-sha256"
	crypto-stdrng crypto-jitterentropy_rng crypto-sha512)

e2e_log() {
	echo "e2e: $*" >&2
}

e2e_die() {
	echo "e2e: error: $*" >&2
	exit 1
}

# Seconds since the epoch with tenths.
e2e_now() {
	date +%s.%1N
}

e2e_since() {
	awk -v a="$1" -v b="$(e2e_now)" 'BEGIN { printf "%.0f", b - a }'
}

build_holdconn() {
	[ -x "$WORK/holdconn" ] && return 0
	gcc -static -O2 -Wall -Wextra -Werror -o "$WORK/holdconn" \
		"$ROOT/scripts/e2e/holdconn.c" || e2e_die "holdconn does not build"
}

# build_module_kbuild KDIR OUT: the module against a test kernel, in a
# copy of the sources (never in the repository).
build_module_kbuild() {
	local dir=$2/src
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -r "$ROOT/Kbuild" "$ROOT/src" "$ROOT/include" "$ROOT/kunit" "$dir/"
	make -s -C "$1" M="$dir" modules >"$2/module-build.log" 2>&1 || {
		cat "$2/module-build.log" >&2
		e2e_die "the module does not build against $1"
	}
	cp "$dir/xfrm_dst_acct.ko" "$2/xfrm_dst_acct.ko"
}

# --- Debian's own kernel ------------------------------------------------

# The release of the newest installed linux-headers-*-amd64.
debian_release() {
	local dir
	dir=$(find /usr/src -maxdepth 1 -name 'linux-headers-*-amd64' | sort -V | tail -n 1)
	[ -n "$dir" ] || e2e_die "no /usr/src/linux-headers-*-amd64 (apt-get install linux-headers-amd64)"
	basename "$dir" | sed 's/^linux-headers-//'
}

# fetch_debian_image RELEASE: unpack linux-image-RELEASE (the version of
# the installed headers) once; prints the unpacked root.
fetch_debian_image() {
	local rel=$1 version dest tmp
	version=$(dpkg-query -W -f='${Version}' "linux-headers-$rel")
	dest=$XDA_CACHE/debian/linux-image-$rel-$version
	mkdir -p "$XDA_CACHE/debian"
	# One download at a time; a second run waits, then reuses it.
	exec 8>"$XDA_CACHE/debian/.lock"
	flock 8
	if [ ! -f "$dest/.complete" ]; then
		e2e_log "debian: downloading linux-image-$rel $version"
		rm -rf "$dest"
		mkdir -p "$dest"
		tmp=$(mktemp -d "$XDA_CACHE/debian/.download.XXXXXX")
		# apt drops privileges to _apt for the download when it can.
		chown _apt "$tmp" 2>/dev/null || true
		(cd "$tmp" && apt-get download -q "linux-image-$rel=$version") >&2 ||
			e2e_die "apt-get download linux-image-$rel=$version failed"
		dpkg-deb -x "$tmp"/linux-image-"$rel"_*.deb "$dest/root"
		rm -rf "$tmp"
		# Module dependency files are made by the package's postinst,
		# which never runs here.
		depmod -b "$dest/root" "$rel"
		touch "$dest/.complete"
	fi
	exec 8>&-
	echo "$dest/root"
}

# dkms_build RELEASE OUT: dkms add + build against Debian's headers, in a
# private dkms tree so that the host's dkms state is never touched.
dkms_build() {
	local rel=$1 out=$2 name version ko
	name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' "$ROOT/dkms.conf")
	version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$ROOT/dkms.conf")
	rm -rf "$out/dkms"
	mkdir -p "$out/dkms/source/$name-$version" "$out/dkms/tree"
	cp -r "$ROOT/dkms.conf" "$ROOT/Makefile" "$ROOT/Kbuild" "$ROOT/src" \
		"$ROOT/include" "$ROOT/kunit" "$out/dkms/source/$name-$version/"
	{
		dkms add -m "$name" -v "$version" \
			--sourcetree "$out/dkms/source" --dkmstree "$out/dkms/tree" &&
		dkms build -m "$name" -v "$version" -k "$rel" \
			--sourcetree "$out/dkms/source" --dkmstree "$out/dkms/tree"
	} >"$out/dkms.log" 2>&1 || {
		cat "$out/dkms.log" >&2
		e2e_die "dkms build against $rel failed"
	}
	ko=$out/dkms/tree/$name/$version/$rel/x86_64/module/xfrm_dst_acct.ko
	[ -f "$ko" ] || e2e_die "dkms built no $ko"
	echo "$ko"
}

# copy_binary BINARY STAGING: a dynamic binary and its libraries.
copy_binary() {
	local lib
	install -D -m 0755 "$(readlink -f "$1")" "$2$1"
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
		while read -r lib; do
			install -D -m 0755 "$(readlink -f "$lib")" "$2$lib"
		done
}

# debian_modules_cpio RELEASE IMAGE_ROOT KO OUT: a second initramfs
# archive with /lib/modules/RELEASE (the modules the scenario needs, their
# dependencies, and our module where dkms installs it: updates/dkms),
# depmod'd, and kmod's modprobe.  The kernel unpacks it over the first.
debian_modules_cpio() {
	local rel=$1 image=$2 ko=$3 out=$4 staging mods m path
	staging=$(mktemp -d "$WORK/debian-staging.XXXXXX")
	mods=$staging/lib/modules/$rel
	mkdir -p "$mods/updates/dkms"
	for m in "${DEBIAN_MODULES[@]}"; do
		modprobe -d "$image" -S "$rel" --show-depends "$m" 2>/dev/null |
			awk '$1 == "insmod" { print $2 }'
	done | sort -u | while read -r path; do
		path=${path#"$image"}
		install -D -m 0644 "$image$path" "$staging$path"
	done
	cp "$image/lib/modules/$rel"/modules.{builtin,builtin.modinfo,order} "$mods/"
	install -m 0644 "$ko" "$mods/updates/dkms/"
	depmod -b "$staging" "$rel" || e2e_die "depmod -b failed"
	copy_binary /usr/bin/kmod "$staging"
	mkdir -p "$staging/sbin"
	ln -sf /usr/bin/kmod "$staging/sbin/modprobe"
	(cd "$staging" && find . -print0 | LC_ALL=C sort -z |
		cpio --null --quiet -o -H newc -R 0:0) | gzip -9n >"$out"
	echo "$(find "$mods" -name '*.ko' | wc -l) modules, $(du -sh "$out" | cut -f1)" >"$out.info"
	rm -rf "$staging"
}

# prepare_kernel KERNEL: build or fetch what booting KERNEL needs and set
# KERNEL_IMAGE[KERNEL], KERNEL_ARGS[KERNEL], INITRAMFS[KERNEL], LOADER[KERNEL].
declare -A KERNEL_IMAGE KERNEL_ARGS INITRAMFS LOADER PREPARE_SECONDS
prepare_kernel() {
	local kernel=$1 dir=$WORK/$1 kdir rel image ko start
	[ -n "${INITRAMFS[$kernel]:-}" ] && return 0
	start=$(e2e_now)
	mkdir -p "$dir"
	build_holdconn
	case $kernel in
	stock | affected)
		kdir=$("$ROOT/scripts/kernel/build.sh" "$kernel" | tail -n 1)
		[ -f "$kdir/arch/x86/boot/bzImage" ] || e2e_die "$kernel: no kernel image"
		build_module_kbuild "$kdir" "$dir"
		"$ROOT/scripts/vm/mkinitramfs.sh" "$dir/initramfs.cpio.gz" \
			"$ROOT/scripts/e2e/scenario.sh" "$WORK/holdconn" "$dir/xfrm_dst_acct.ko"
		KERNEL_IMAGE[$kernel]=$kdir/arch/x86/boot/bzImage
		LOADER[$kernel]=insmod
		;;
	debian)
		rel=$(debian_release)
		image=$(fetch_debian_image "$rel")
		ko=$(dkms_build "$rel" "$dir")
		e2e_log "debian: dkms built $(modinfo -F vermagic "$ko" | cut -d' ' -f1)," \
			"signer: $(modinfo -F signer "$ko" || echo none)"
		"$ROOT/scripts/vm/mkinitramfs.sh" "$dir/base.cpio.gz" \
			"$ROOT/scripts/e2e/scenario.sh" "$WORK/holdconn"
		debian_modules_cpio "$rel" "$image" "$ko" "$dir/modules.cpio.gz"
		e2e_log "debian: module tree in the initramfs: $(cat "$dir/modules.cpio.gz.info")"
		# Concatenated archives: the kernel unpacks one after the other.
		cat "$dir/base.cpio.gz" "$dir/modules.cpio.gz" >"$dir/initramfs.cpio.gz"
		KERNEL_IMAGE[$kernel]=$image/boot/vmlinuz-$rel
		LOADER[$kernel]=modprobe
		# Page-table isolation and the other mitigations cost TCG dearly
		# (every syscall switches page tables) and are irrelevant here.
		KERNEL_ARGS[$kernel]=mitigations=off
		;;
	*) e2e_die "unknown kernel $kernel" ;;
	esac
	INITRAMFS[$kernel]=$dir/initramfs.cpio.gz
	PREPARE_SECONDS[$kernel]=$(e2e_since "$start")
	e2e_log "$kernel: ready in ${PREPARE_SECONDS[$kernel]}s"
}

# boot_scenario KERNEL MODE: one VM run of scenario.sh.  Sets, for the
# run "KERNEL:MODE":
#   RUN_LOG[run]          console log
#   RUN_OK[run]           1 if the VM ended with scenario rc=0
#   RUN_CLEAN_LOG[run]    1 if check-log.sh found no kernel report
#   RUN_SECONDS[run]      wall time of the boot
#   RUN_AFFECTED[run]     the module's "affected" parameter (or -)
# and leaves the per-namespace lines in $WORK/KERNEL-MODE.ns (see
# scenario.sh: "e2e-ns: round=R ns=... ").
declare -A RUN_LOG RUN_OK RUN_CLEAN_LOG RUN_SECONDS RUN_AFFECTED
boot_scenario() {
	local kernel=$1 mode=$2 run=$1:$2 log=$WORK/$1-$2.log start
	prepare_kernel "$kernel"
	e2e_log "$run: booting (console: $log)"
	start=$(e2e_now)
	RUN_OK[$run]=1
	# shellcheck disable=SC2086 # E2E_ARGS is a list of kernel arguments
	XDA_VM_TIMEOUT=${XDA_VM_TIMEOUT:-420} "$ROOT/scripts/vm/run.sh" \
		"${KERNEL_IMAGE[$kernel]}" "${INITRAMFS[$kernel]}" "$log" \
		xda.mode="$mode" xda.loader="${LOADER[$kernel]}" \
		xda.gc="$E2E_GC_THRESH" xda.waves="$E2E_WAVES" xda.hotwave="$E2E_HOTWAVE" \
		${KERNEL_ARGS[$kernel]:-} ${E2E_ARGS:-} ||
		RUN_OK[$run]=0
	RUN_SECONDS[$run]=$(e2e_since "$start")
	RUN_LOG[$run]=$log
	if "$ROOT/scripts/vm/check-log.sh" "$log" >"$log.check" 2>&1; then
		RUN_CLEAN_LOG[$run]=1
	else
		RUN_CLEAN_LOG[$run]=0
		cat "$log.check" >&2
	fi
	RUN_AFFECTED[$run]=$(sed -n 's/^e2e-module: affected=\([a-z]*\).*/\1/p' "$log" | head -n 1)
	RUN_AFFECTED[$run]=${RUN_AFFECTED[$run]:--}
	grep -a '^e2e-ns: ' "$log" >"$WORK/$kernel-$mode.ns" || true
	e2e_log "$run: VM ran ${RUN_SECONDS[$run]}s"
}

# ns_lines KERNEL MODE: the per-namespace lines of the round that counts
# (round 2 under mode=hot: the traffic after the load).
ns_lines() {
	local round=1
	[ "$2" = hot ] && round=2
	grep "round=$round " "$WORK/$1-$2.ns" || true
}

# family_summary KERNEL MODE FAMILY: "NETNS PINGS_OK PINGS_TOTAL
# CONNS_OK CONNS_TOTAL MAX_DRIFT STATES" over the namespaces of one family;
# MAX_DRIFT is the largest |drift| ("-" without the module), STATES the
# distinct owner states.
family_summary() {
	ns_lines "$1" "$2" | awk -v fam="$3" '
		{
			for (i = 2; i <= NF; i++) {
				split($i, kv, "=")
				f[kv[1]] = kv[2]
			}
			if (f["family"] != fam)
				next
			n++
			split(f["pings"], p, "/"); pok += p[1]; ptot += p[2]
			split(f["connects"], c, "/"); cok += c[1]; ctot += c[2]
			if (f["drift"] == "-")
				nodrift = 1
			else {
				d = f["drift"] < 0 ? -f["drift"] : f["drift"]
				if (d > max)
					max = d
			}
			if (!(f["state"] in seen)) {
				seen[f["state"]] = 1
				states = states (states == "" ? "" : ",") f["state"]
			}
		}
		END {
			if (n == 0) {
				print "0 0 0 0 0 - -"
				exit
			}
			printf "%d %d %d %d %d %s %s\n", n, pok, ptot, cok, ctot,
				nodrift ? "-" : max + 0, states
		}'
}
