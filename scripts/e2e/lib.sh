# shellcheck shell=bash disable=SC2034 # the arrays are read by the callers
# Host side of the end-to-end scenario, shared by run.sh and demo.sh.
#
# Sourced, not run.  The caller sets:
#   ROOT   the repository
#   WORK   a scratch directory (kept on failure by the callers)
# and may set E2E_ARGS (extra kernel arguments for every boot, e.g.
# "xda.waves=2").
#
# Kernels are named as scripts/vm/kernel.sh names them: the test kernels
# (module built with make -C, loaded by insmod), Debian's and an
# operator's own (KERNEL=, MODULES=: module built by dkms against the
# kernel's headers and loaded by modprobe from its modules tree).
#
# Each boot writes $WORK/<kernel>-<mode>.log (console) and leaves its
# results in the associative arrays described at boot_scenario().

# shellcheck source=scripts/vm/kernel.sh
. "$ROOT/scripts/vm/kernel.sh"

# gc_thresh for every namespace, both families, by the seed's rule: the
# kernel refuses new xfrm dst entries once a namespace's count passes
# 2 * gc_thresh, so gc_thresh must leave 2 * gc_thresh above the most
# entries that can really be alive, and close to it so that a drifting
# count reaches it soon.
#   Without a flow cache (4.14 and later) the bound is what the scenario
#   keeps alive in one namespace and family: at most 150 connections it
#   opened + 150 it accepted + up to 150 routes of SYN-ACKs sent (each
#   freed only after an RCU grace period) + a few pings, about 460.
#   2 * 256 = 512 is above that (the highest true count seen in our runs
#   is 336), and a count that drifted by +212 during a hold, or +512
#   between waves, passes it.
#   With a flow cache (before 4.14) every cached flow holds a bundle, up
#   to 4096 per CPU, on top of the bundles the sockets hold: gc_thresh =
#   256 + 4096 * CPUs / 2 (4352 on the VM's 2 CPUs).
# E2E_GC_THRESH overrides both.
E2E_GC_THRESH=${E2E_GC_THRESH:-}
E2E_VM_CPUS=${XDA_VM_CPUS:-2}
# Waves of connections per run (scenario.sh: xda.waves); the module is
# loaded during wave E2E_HOTWAVE under mode=hot.
E2E_WAVES=${E2E_WAVES:-6}
E2E_HOTWAVE=${E2E_HOTWAVE:-3}

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

# e2e_gc_thresh: the gc_thresh for the kernel in use (see above).
e2e_gc_thresh() {
	if [ -n "$E2E_GC_THRESH" ]; then
		echo "$E2E_GC_THRESH"
	elif [ "$K_FLOWCACHE" = 1 ]; then
		echo $((256 + 4096 * E2E_VM_CPUS / 2))
	else
		echo 256
	fi
}

# e2e_gc_reason: why, in a few words.
e2e_gc_reason() {
	if [ -n "$E2E_GC_THRESH" ]; then
		echo "E2E_GC_THRESH"
	elif [ "$K_FLOWCACHE" = 1 ]; then
		echo "flow cache: 2*gc_thresh >= 4096 per CPU * $E2E_VM_CPUS CPUs + 512"
	else
		echo "no flow cache: 2*gc_thresh >= 512, above the ~460 the scenario holds"
	fi
}

build_holdconn() {
	[ -x "$WORK/holdconn" ] && return 0
	gcc -static -O2 -Wall -Wextra -Werror -o "$WORK/holdconn" \
		"$ROOT/scripts/e2e/holdconn.c" || e2e_die "holdconn does not build"
}

# prepare_kernel KERNEL: build what booting KERNEL needs and set
# INITRAMFS[KERNEL], LOADER[KERNEL], GC[KERNEL], FLOWCACHE[KERNEL] and
# PREPARE_SECONDS[KERNEL].
declare -A INITRAMFS LOADER GC FLOWCACHE PREPARE_SECONDS SHOWN_AS
prepare_kernel() {
	local kernel=$1 dir=$WORK/$1 start
	[ -n "${INITRAMFS[$kernel]:-}" ] && return 0
	start=$(e2e_now)
	mkdir -p "$dir"
	build_holdconn
	kernel_use "$kernel"
	e2e_log "$(kernel_summary)"
	kernel_build_module "$dir" || e2e_die "the module does not build for $kernel"
	kernel_initramfs "$dir/initramfs.cpio.gz" "$ROOT/scripts/e2e/scenario.sh" \
		"$WORK/holdconn" "$K_KO"
	# Where the kernel has a modules tree, the module is where dkms
	# installs it and is loaded as an operator loads it.
	LOADER[$kernel]=insmod
	[ -n "$K_MODULES" ] && LOADER[$kernel]=modprobe
	# What the output calls it: the release of a kernel named by its trees.
	SHOWN_AS[$kernel]=$K_NAME
	GC[$kernel]=$(e2e_gc_thresh)
	FLOWCACHE[$kernel]=$K_FLOWCACHE
	INITRAMFS[$kernel]=$dir/initramfs.cpio.gz
	PREPARE_SECONDS[$kernel]=$(e2e_since "$start")
	e2e_log "$kernel: ready in ${PREPARE_SECONDS[$kernel]}s; gc_thresh=${GC[$kernel]} ($(e2e_gc_reason))"
}

# boot_scenario KERNEL MODE: one VM run of scenario.sh.  Sets, for the
# run "KERNEL:MODE":
#   RUN_LOG[run]          console log
#   RUN_OK[run]           1 if the VM ended with scenario rc=0
#   RUN_CLEAN_LOG[run]    1 if check-log.sh found no kernel report
#   RUN_SECONDS[run]      wall time of the boot
#   RUN_AFFECTED[run]     the module's "affected" parameter (or -)
#   RUN_TEARDOWN[run]     how the teardown ended (scenario.sh: e2e-teardown)
# and leaves the per-namespace lines in $WORK/KERNEL-MODE.ns (see
# scenario.sh: "e2e-ns: round=R ns=... ").
declare -A RUN_LOG RUN_OK RUN_CLEAN_LOG RUN_SECONDS RUN_AFFECTED RUN_TEARDOWN
boot_scenario() {
	local kernel=$1 mode=$2 run=$1:$2 log=$WORK/$1-$2.log
	prepare_kernel "$kernel"
	kernel_use "$kernel"
	e2e_log "$run: booting (console: $log)"
	# shellcheck disable=SC2086 # E2E_ARGS is a list of kernel arguments
	XDA_VM_TIMEOUT=${XDA_VM_TIMEOUT:-420} kernel_boot "${INITRAMFS[$kernel]}" "$log" \
		xda.mode="$mode" xda.loader="${LOADER[$kernel]}" \
		xda.gc="${GC[$kernel]}" xda.flowcache="${FLOWCACHE[$kernel]}" \
		xda.waves="$E2E_WAVES" xda.hotwave="$E2E_HOTWAVE" ${E2E_ARGS:-}
	RUN_OK[$run]=$BOOT_OK
	RUN_CLEAN_LOG[$run]=$([ "$BOOT_REPORTS" = 0 ] && echo 1 || echo 0)
	[ "$BOOT_REPORTS" = 0 ] || cat "$log.check" >&2
	[ "$BOOT_OK" = 1 ] || cat "$log.run" >&2
	RUN_SECONDS[$run]=$BOOT_SECONDS
	RUN_LOG[$run]=$log
	RUN_AFFECTED[$run]=$(sed -n 's/^e2e-module: affected=\([a-z]*\).*/\1/p' "$log" | head -n 1)
	RUN_AFFECTED[$run]=${RUN_AFFECTED[$run]:--}
	RUN_TEARDOWN[$run]=$(sed -n 's/^e2e-teardown: //p' "$log" | tail -n 1)
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
# CONNS_OK CONNS_TOTAL MAX_DRIFT STATES ENOBUFS" over the namespaces of one
# family; MAX_DRIFT is the largest |drift| ("-" without the module),
# STATES the distinct owner states, ENOBUFS the pings and connects refused
# for want of an xfrm dst.
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
			enobufs += f["ping_enobufs"] + f["connect_enobufs"]
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
				print "0 0 0 0 0 - - 0"
				exit
			}
			printf "%d %d %d %d %d %s %s %d\n", n, pok, ptot, cok, ctot,
				nodrift ? "-" : max + 0, states, enobufs
		}'
}
