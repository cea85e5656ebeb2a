#!/bin/bash
# make torture: the module loaded and unloaded under IPsec traffic,
# namespace churn and CPU hotplug, on the debug test kernel and on the
# plain one, for the stock kernel and the affected model.
#
# Usage: scripts/torture/run.sh [MODEL...]
#        MODEL: stock|affected (default: both)
#        KERNEL=/boot/vmlinuz-R MODULES=/lib/modules/R scripts/torture/run.sh
#        (the kernel an operator points at, named as in scripts/vm/kernel.sh:
#        one run of XDA_TORTURE_SECONDS, mode=auto)
#
# Inside each VM (scripts/torture/scenario.sh, which also explains what
# "back to baseline" means across load/unload cycles):
#   - insmod/rmmod cycles of xfrm_dst_acct (mode=force on stock, auto on the
#     affected model; raise_gc_thresh=1 every other load), each started as
#     a namespace with IPsec that was just used is destroyed;
#   - `ping -c 1` over ESP (IPv4 and IPv6) in a loop in 4 namespaces;
#   - namespaces with ESP to a hub made, pinged and destroyed by two
#     workers (scripts/torture/nschurn.c, one exec per namespace);
#   - CPU 1 offline and back, every ~3 s;
#   - /proc/net/xfrm_dst_acct read in every namespace.
# Then everything stops, IPsec is flushed, and every surviving namespace's
# count_exact must be back at its baseline; on the debug kernel kmemleak
# must find nothing; no console log may hold a kernel report.
#
# Two kernels per model, sharing XDA_TORTURE_SECONDS:
#   MODEL-debug  4/5 of the time.  KASAN, lockdep, kmemleak, debug
#                objects... (debug.config): finds memory and locking
#                errors, but runs 5-10 times slower under TCG (namespace
#                creation and module loading above all: kmemleak records a
#                stack trace for every allocation), so it makes far fewer
#                cycles;
#   MODEL        1/5: the plain test kernel, at full speed, with other
#                timings and so other interleavings.
# The runs are lines for scripts/run-plan.sh, which counts what each must
# show (drift 0, no kmemleak report on the debug kernel, no kernel report,
# every ping answered, no failed insmod or rmmod).  Then one line per
# model with the sums, which must reach at least 200 cycles, 1000
# namespaces and 100 hotplug rounds (for XDA_TORTURE_SECONDS=600; scaled
# for other lengths).
#
# Environment:
#   XDA_TORTURE_SECONDS  torture time per model [600], shared by its two
#                        kernels; each VM adds about 1 (plain) to 2
#                        (debug) minutes of boot, set-up and checks
#   XDA_TORTURE_KERNELS  "debug plain" (default), or one of them
#   XDA_VM_MEM, XDA_VM_TIMEOUT  as in scripts/vm/run.sh (defaults here
#                        2048 MiB and the run's torture time + 1500 s)
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/vm/kernel.sh
. "$ROOT/scripts/vm/kernel.sh"
TOTAL_SECONDS=${XDA_TORTURE_SECONDS:-600}
KINDS=${XDA_TORTURE_KERNELS:-debug plain}
export XDA_VM_MEM=${XDA_VM_MEM:-2048}

need() {	# need N: the minimum count N (per 600 s) scaled to TOTAL_SECONDS
	echo $((($1 * TOTAL_SECONDS + 599) / 600))
}

# plan MODEL: its runs, the time shared between its kernels.
plan() {
	local mode=auto n kind seconds name
	[ "$1" = stock ] && mode=force
	n=$(wc -w <<<"$KINDS")
	for kind in $KINDS; do
		seconds=$TOTAL_SECONDS
		if [ "$n" = 2 ]; then
			seconds=$((TOTAL_SECONDS / 5))
			[ "$kind" = debug ] && seconds=$((TOTAL_SECONDS - seconds))
		fi
		name=$1
		[ "$kind" = debug ] && name=$1-debug
		echo "$name $mode pre_exit torture - xda.seconds=$seconds"
	done
}

# sums MODEL: the model's sums over the torture-vm lines of its runs.
sums() {
	local sum what
	for what in cycles:200 netns_churned:1000 hotplug:100; do
		sum=$(cat "$WORK/runs/$1"*-torture-*.log 2>/dev/null | grep -a '^torture-vm: ' |
			sed -n "s/.* ${what%:*}=\([0-9]*\).*/\1/p" | awk '{ n += $1 } END { print n + 0 }')
		echo "torture: model=$1 ${what%:*}=$sum (minimum $(need "${what#*:}"))"
		if [ "$sum" -ge "$(need "${what#*:}")" ]; then
			count "torture: $1: ${what%:*} reach $(need "${what#*:}")" OK
		else
			count "torture: $1: ${what%:*} reach $(need "${what#*:}") ($sum)" FAIL
		fi
	done
}

main() {
	local models=("$@") m kind
	[ ${#models[@]} -eq 0 ] && models=(stock affected)
	for m in "${models[@]}"; do
		case $m in
		stock | affected) ;;
		*) echo "usage: $0 [stock|affected]..." >&2; exit 2 ;;
		esac
	done
	for kind in $KINDS; do
		case $kind in
		debug | plain) ;;
		*) echo "XDA_TORTURE_KERNELS: debug and/or plain" >&2; exit 2 ;;
		esac
	done
	work_start torture
	export XDA_VM_TIMEOUT=${XDA_VM_TIMEOUT:-$((TOTAL_SECONDS + 1500))}
	if [ -n "${KERNEL:-}" ]; then
		echo "user auto - torture reported xda.seconds=$TOTAL_SECONDS"
	else
		for m in "${models[@]}"; do plan "$m"; done
	fi >"$WORK/plan"
	XDA_KTAP=$WORK/runs.log.results XDA_KEEP=$WORK/runs "$ROOT/scripts/run-plan.sh" "$WORK/plan" |
		tee "$WORK/runs.log"
	count_results runs "$WORK/runs.log"
	[ -n "${KERNEL:-}" ] || for m in "${models[@]}"; do sums "$m"; done
	work_end
}

main "$@"
