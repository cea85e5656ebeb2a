#!/bin/bash
# The IPv6-module hazard (docs: design.md, section 3, hazard 6): on a
# kernel with IPv6 built as a module, load ipv6.ko before and after
# xfrm_dst_acct and check what every namespace's ipv6 line says, that IPv6
# counts follow IPsec traffic, and that the KUnit suites pass on both
# families.
#
# Usage: scripts/torture/ipv6m.sh [KERNEL...]
#        KERNEL=/boot/vmlinuz-R MODULES=/lib/modules/R [BUILD=DIR] \
#            scripts/torture/ipv6m.sh
#        KERNEL: a kernel named as in scripts/vm/kernel.sh with IPv6 built
#        as a module and KUnit (default: affected-ipv6m-debug
#        stock-ipv6m-debug); a kernel without them is refused at once
#
# Runs per kernel: order=before and order=after (ipv6.ko loaded before /
# after xfrm_dst_acct), each by both namespace-exit paths (pre_exit, and
# exit_batch as kernels before 5.3 take it, XDA_NETNS_EXIT=exit_batch),
# mode=auto on affected kernels, mode=force on stock ones and on a kernel
# named by its trees (see scripts/torture/ipv6m-scenario.sh).  There,
# ipv6.ko and esp6.ko come from its modules tree, and /init loads at boot
# none of the modules that need ipv6.  On stock, exit_batch and
# order=after is the case of 4.4 .. 5.2 kernels where ipv6's xfrm6 exit
# (dst_entries_destroy()) runs before the module's .exit: a namespace is
# destroyed, and the console log and kmemleak must stay clean.
# Then one race with the late IPv6 operations per kernel (run_race):
# stock, .exit path: an owed attach retried while a dying namespace's IPv6
# counter is destroyed (ipv6m-owed-scenario.sh); affected: ipv6.ko loaded
# with init_net alone (ipv6m-alone-scenario.sh).
# Then, on the default kernels, scripts/teeth.sh ipv6m takes those two
# fixes apart (the late ops' exit; installing counters in use only with
# every CPU held) and requires the checks guarding them to fail.
# Prints every check and
#   ipv6m: kernel=<k> path=<p> order=<o> mode=<m> checks=<ok>/<n> kunit=<passed>/<total> reports=<n>
# and exits 1 if anything failed.
#
# Environment: XDA_IPV6M_WORK keeps the logs there; XDA_IPV6M_PATHS and
# XDA_IPV6M_ORDERS run only some of the paths and orders (scripts/teeth.sh);
# XDA_VM_MEM, XDA_VM_TIMEOUT as in scripts/vm/run.sh (defaults 2048 MiB,
# 1800 s).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/vm/kernel.sh
. "$ROOT/scripts/vm/kernel.sh"
WORK=$(driver_work "${XDA_IPV6M_WORK:-}" ipv6m) || exit 1
export XDA_VM_MEM=${XDA_VM_MEM:-2048}
export XDA_VM_TIMEOUT=${XDA_VM_TIMEOUT:-1800}
PATHS=${XDA_IPV6M_PATHS:-pre_exit exit_batch}
ORDERS=${XDA_IPV6M_ORDERS:-before after}
# The scenarios load ipv6.ko themselves (scripts/vm/kernel.sh).
export KERNEL_LOADS_LATER=ipv6

# ipv6_module NAME DIR: NAME.ko of net/ipv6 for the kernel in use, in DIR.
ipv6_module() {
	if [ -n "$K_MODULES" ]; then
		kernel_tree_module "$1" "$2"
	else
		cp "$K_BUILD/net/ipv6/$1.ko" "$2/"
	fi
}

SCENARIOS=("$ROOT"/scripts/torture/ipv6m-*scenario.sh)

# results_tally LOG: sets total and ok (passed or skipped) from the
# scenario's results (kernel_results).
results_tally() {
	local results
	results=$(kernel_results "$1") || results=
	total=$(grep -c . <<<"$results")
	ok=$(grep -cE '^(PASS|SKIP) ' <<<"$results")
}

run_variant() {	# run_variant KERNEL
	local variant mode=force expect=no dir path paths=$PATHS order log status=0
	local total ok kunit reports
	kernel_use "$1"
	variant=$K_NAME
	case $variant in
	affected-*) mode=auto expect=yes ;;
	stock-*) ;;
	*)
		# dkms builds the module one way: the kernel's own exit path.
		expect=reported
		paths=$([ "$K_PRE_EXIT" = 1 ] && echo pre_exit || echo exit_batch)
		;;
	esac
	echo "== $variant, mode=$mode" >&2
	for path in $paths; do
		dir=$WORK/$variant/$path
		mkdir -p "$dir"
		kernel_build_module "$dir/build" $([ $path = exit_batch ] && echo XDA_NETNS_EXIT=exit_batch) || {
			echo "ipv6m: kernel=$variant path=$path: modules did not build"
			status=1
			continue
		}
		ipv6_module ipv6 "$dir/build" && ipv6_module esp6 "$dir/build" || {
			echo "ipv6m: kernel=$variant: no ipv6.ko or esp6.ko in its modules tree"
			status=1
			continue
		}
		kernel_initramfs "$dir/initramfs.cpio.gz" \
			"$ROOT/scripts/torture/ipv6m-scenario.sh" "$dir/build/xfrm_dst_acct.ko" \
			"$dir/build/kunit/xfrm_dst_acct_test.ko" \
			"$dir/build/kunit/xfrm_dst_acct_exit_watch.ko" "$dir/build/ipv6.ko" \
			"$dir/build/esp6.ko" "$ROOT/scripts/torture/ipsec.sh" \
			"$ROOT/scripts/torture/kmemleak.sh"
		for order in $ORDERS; do
			log=$dir/$order.log
			echo "== $variant, $path: ipv6.ko loaded $order xfrm_dst_acct" >&2
			kernel_boot "$dir/initramfs.cpio.gz" "$log" "xda.mode=$mode" \
				"xda.expect=$expect" "xda.order=$order" kmemleak.verbose=1 || status=1
			grep -aE '^(check: |    |--- |affected=)' "$log" | sed 's/^/   /' >&2
			results_tally "$log"
			[ "$total" -gt 0 ] && [ "$ok" = "$total" ] || status=1
			"$ROOT/scripts/vm/ktap.sh" "$log" >"$log.kunit" 2>&1
			grep -E '\[(FAILED|CRASHED)\]' "$log.kunit" | sed 's/^/   /' >&2
			kunit=$(sed -n 's/^kunit: passed=\([0-9]*\) failed=\([0-9]*\) skipped=\([0-9]*\).*/\1 \2 \3/p' "$log.kunit")
			set -- ${kunit:-0 1 0}
			[ "$2" = 0 ] || status=1
			reports=$BOOT_REPORTS
			[ "$reports" = 0 ] || head -n 80 "$log.check" >&2
			echo "ipv6m: kernel=$variant path=$path order=$order mode=$mode checks=$ok/$total" \
				"kunit=$1/$(($1 + $2 + $3)) reports=$reports"
		done
		run_race "$dir" "$path" "$mode" || status=1
	done
	return $status
}

# run_race DIR PATH MODE: the scenario of this kernel, path and mode that
# races the late IPv6 operations (see the scenarios' headers):
#   owed   mode=force, the .exit path: an owed attach retried while a
#          dying namespace's IPv6 counter is already destroyed
#   alone  mode=auto, pre_exit: ipv6.ko loaded with init_net alone
run_race() {
	local dir=$1 path=$2 mode=$3 race log total ok
	case $mode:$path in
	force:exit_batch) race=owed ;;
	auto:pre_exit) race=alone ;;
	*) return 0 ;;
	esac
	log=$dir/$race.log
	echo "== $K_NAME, $path: $race" >&2
	kernel_initramfs "$dir/$race.cpio.gz" \
		"$ROOT/scripts/torture/ipv6m-$race-scenario.sh" "$dir/build/xfrm_dst_acct.ko" \
		"$dir/build/kunit/xfrm_dst_acct_test.ko" \
		"$dir/build/kunit/xfrm_dst_acct_exit_watch.ko" "$dir/build/ipv6.ko"
	kernel_boot "$dir/$race.cpio.gz" "$log"
	grep -aE '^(check: |    |taken_after)' "$log" | sed 's/^/   /' >&2
	results_tally "$log"
	[ "$BOOT_REPORTS" = 0 ] || head -n 80 "$log.check" >&2
	echo "ipv6m: kernel=$K_NAME path=$path scenario=$race mode=$mode checks=$ok/$total" \
		"reports=$BOOT_REPORTS"
	[ "$total" -gt 0 ] && [ "$ok" = "$total" ] && [ "$BOOT_OK" = 1 ] &&
		[ "$BOOT_REPORTS" = 0 ]
}

main() {
	local status teeth=0 k lacks

	"$ROOT/scripts/deps.sh" || exit 1
	if [ $# -eq 0 ]; then
		set -- $(kernels_to_run affected-ipv6m-debug stock-ipv6m-debug)
		# The test kernels: the fix taken apart too.
		[ -n "${KERNEL:-}${XDA_KERNELS:-}" ] || teeth=1
	fi
	for k in "$@"; do
		kernel_use "$k"
		lacks=$(kernel_lacks "${SCENARIOS[@]}")
		if [ -n "$lacks" ]; then
			echo "ipv6m: $K_NAME cannot run these scenarios: they need $lacks." >&2
			exit 2
		fi
	done
	kernels_each run_variant "$@"
	status=$?
	if [ $teeth = 1 ]; then
		"$ROOT/scripts/teeth.sh" ipv6m "$WORK/teeth" || status=1
	fi
	driver_exit $status "${XDA_IPV6M_WORK:-}"
}

main "$@"
