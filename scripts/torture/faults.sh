#!/bin/bash
# Fault injection on the module's load path and on namespace creation, on
# the debug test kernels.
#
# Usage: scripts/torture/faults.sh [KERNEL...]
#        KERNEL: a kernel named as in scripts/vm/kernel.sh, which must
#        have KUnit and fault injection (default: stock-debug
#        affected-debug; "stock" and "affected" mean their -debug kernels;
#        with KERNEL=, the kernel an operator points at)
#
# Inside the VM (scripts/torture/faults-scenario.sh) the module is loaded
# (mode=force on stock, auto on the affected model) with the KUnit module,
# whose suites run first, then:
#   seam    the module's storage allocation fails (fail_nth_storage_alloc)
#           at the 1st and 2nd allocation of a new namespace;
#   netns   every slab and page allocation of unshare(CLONE_NEWNET) fails
#           in turn (/proc/thread-self/fail-nth, the per-task interface
#           of failslab and fail_page_alloc);
#   insmod  the same for every allocation of finit_module(xfrm_dst_acct.ko).
# After each: ENOMEM (or the kernel tolerated it and the call succeeded),
# no namespace half-attached (every namespace's /proc/net/xfrm_dst_acct as
# before, or absent everywhere after a failed load), the module's storage
# count back where it was; at the end kmemleak finds nothing and the
# console log holds no kernel report.
#
# Prints, per kernel, where the failures were injected (the allocating
# function and two callers, "[ours]" for xfrm_dst_acct's code), then
#   faults: kernel=<k> seam=<n> netns=<n>(ours <n>) insmod=<n>(ours <n>)
#           tolerated=<n> failed_checks=<n> leaks=<n> reports=<n> kunit=<passed>/<total>
# and exits 1 if any check failed.
#
# Environment: XDA_FAULTS_ARGS adds kernel arguments (xda.steps=...,
# xda.faults=all, xda.stride=N: see faults-scenario.sh); XDA_FAULTS_WORK
# keeps the logs there; XDA_VM_MEM,
# XDA_VM_TIMEOUT as in scripts/vm/run.sh (defaults 2048 MiB, 3600 s).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/vm/kernel.sh
. "$ROOT/scripts/vm/kernel.sh"
WORK=$(driver_work "${XDA_FAULTS_WORK:-}" faults) || exit 1
export XDA_VM_MEM=${XDA_VM_MEM:-2048}
export XDA_VM_TIMEOUT=${XDA_VM_TIMEOUT:-3600}

# points LOG STEP: how many failures were injected in STEP, and how many
# of them in our code
points() {
	grep -a "^fault: step=$2 " "$1" | wc -l
}

ours() {
	grep -a "^fault: step=$2 " "$1" | grep -c ' ours=yes '
}

run_kernel() {	# run_kernel KERNEL
	local variant mode=auto expect=reported dir log reports kunit lacks why=()
	kernel_use "$1"
	variant=$K_NAME
	case $variant in
	affected*) expect=yes ;;
	stock*) mode=force expect=no ;;
	esac
	dir=$WORK/$variant
	log=$dir/console.log
	mkdir -p "$dir"

	echo "== fault injection on the $variant kernel, mode=$mode" >&2
	echo "   $(kernel_summary)" >&2
	lacks=$(kernel_lacks "$ROOT/scripts/torture/faults-scenario.sh")
	[ -z "$lacks" ] || {
		echo "faults: kernel=$variant: not run: the scenario needs $lacks"
		return 1
	}
	kernel_build_module "$dir/build" || {
		echo "faults: kernel=$variant: modules did not build"
		return 1
	}
	gcc -O2 -Wall -o "$dir/faultcall" "$ROOT/scripts/torture/faultcall.c" || return 1
	kernel_initramfs "$dir/initramfs.cpio.gz" \
		"$ROOT/scripts/torture/faults-scenario.sh" "$dir/build/xfrm_dst_acct.ko" \
		"$dir/build/kunit/xfrm_dst_acct_test.ko" "$dir/faultcall" \
		"$ROOT/scripts/torture/kmemleak.sh"
	# shellcheck disable=SC2086 # a list of kernel arguments
	kernel_boot "$dir/initramfs.cpio.gz" "$log" "xda.mode=$mode" "xda.expect=$expect" \
		kmemleak.verbose=1 ${XDA_FAULTS_ARGS:-}
	[ "$BOOT_OK" = 1 ] || why+=("the scenario did not finish cleanly")
	echo "   VM ran ${BOOT_SECONDS}s" >&2

	# Where the failures were injected, most frequent first.
	grep -a '^fault: ' "$log" | sed -n 's/^fault: step=\([a-z]*\) .* kind=\([^ ]*\) site=\(.*\) ours=\([a-z?]*\) check=.*/\1 \2 \3 ours=\4/p' |
		sort | uniq -c | sort -k2,2 -k1,1nr >"$dir/points.txt"
	sed 's/^/   /' "$dir/points.txt" >&2
	grep -a '^fault: .* check=' "$log" | grep -v ' check=ok$' | sed 's/^/   FAILED CHECK: /' >&2
	# Our pernet operations are the last subsystem ones, so the ops_init()
	# allocation just before the first one made by our .init is our
	# net_generic() data (the stack cannot tell whose ops_init it is).
	# The log lists the points from the last allocation down.
	grep -a '^fault: step=netns ' "$log" | awk '
		/ ours=yes / { seen = 1; next }
		seen && / site=ops_init</ { print "   (netns: the ops_init() failure at " $3 " is our net_generic() data)"; exit }' >&2
	grep -aE '^faults: ' "$log" | sed 's/^/   /' >&2

	reports=$BOOT_REPORTS
	[ "$reports" = 0 ] || { head -n 80 "$log.check" >&2; why+=("kernel reports in the log"); }
	"$ROOT/scripts/vm/ktap.sh" "$log" >"$dir/kunit.txt" 2>&1
	kunit=$(sed -n 's/^kunit: passed=\([0-9]*\) failed=\([0-9]*\) skipped=\([0-9]*\).*/\1 \2 \3/p' "$dir/kunit.txt")
	set -- ${kunit:-0 1 0}
	[ "$2" = 0 ] || why+=("KUnit cases failed")

	local failed leaks
	failed=$(sed -n 's/^faults: done failed_checks=\([0-9]*\).*/\1/p' "$log")
	leaks=$(sed -n 's/^faults: done .*leaks=\([0-9]*\).*/\1/p' "$log")
	echo "faults: kernel=$variant seam=$(points "$log" seam)" \
		"netns=$(points "$log" netns)(ours $(ours "$log" netns))" \
		"insmod=$(points "$log" insmod)(ours $(ours "$log" insmod))" \
		"tolerated=$(grep -ac '^fault: .* result=ok ' "$log")" \
		"failed_checks=${failed:-?} leaks=${leaks:-?} reports=$reports kunit=$1/$(($1 + $2 + $3))"
	[ "${failed:-1}" = 0 ] || why+=("checks failed after injected failures")
	[ "${leaks:-1}" = 0 ] || why+=("kmemleak found leaks")
	if [ ${#why[@]} -ne 0 ]; then
		printf '   FAIL: %s\n' "${why[@]}" >&2
		echo "   log: $log" >&2
		return 1
	fi
}

main() {
	local k kernels=()
	"$ROOT/scripts/deps.sh" || exit 1
	[ $# -gt 0 ] || set -- $(kernels_to_run stock-debug affected-debug)
	for k in "$@"; do
		case $k in
		stock | affected) k=$k-debug ;;
		esac
		kernels+=("$k")
	done
	kernels_each run_kernel "${kernels[@]}"
	driver_exit $? "${XDA_FAULTS_WORK:-}"
}

main "$@"
