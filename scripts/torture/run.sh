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
# One line per kernel:
#   torture: kernel=<k> cycles=<n> netns_churned=<n> hotplug=<n>
#            pings=<ok>/<total> drift=<d> leaks=<n> reports=<n>
# and one per model with the sums, which must reach at least 200 cycles,
# 1000 namespaces and 100 hotplug rounds (for XDA_TORTURE_SECONDS=600;
# scaled for other lengths).  Each kernel's run must have drift 0, leaks 0
# (debug), reports 0, every ping answered and no failed insmod or rmmod.
#
# Environment:
#   XDA_TORTURE_SECONDS  torture time per model [600], shared by its two
#                        kernels; each VM adds about 1 (plain) to 2
#                        (debug) minutes of boot, set-up and checks
#   XDA_TORTURE_KERNELS  "debug plain" (default), or one of them
#   XDA_TORTURE_WORK     keep logs here (default: a temporary directory,
#                        removed unless a run failed)
#   XDA_VM_MEM, XDA_VM_TIMEOUT  as in scripts/vm/run.sh (defaults here
#                        2048 MiB and the run's torture time + 1500 s)
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/vm/kernel.sh
. "$ROOT/scripts/vm/kernel.sh"
TOTAL_SECONDS=${XDA_TORTURE_SECONDS:-600}
KINDS=${XDA_TORTURE_KERNELS:-debug plain}
WORK=$(driver_work "${XDA_TORTURE_WORK:-}" torture) || exit 1
export XDA_VM_MEM=${XDA_VM_MEM:-2048}

# need N: the minimum count N (per 600 s) scaled to TOTAL_SECONDS
need() {
	echo $((($1 * TOTAL_SECONDS + 599) / 600))
}

# field LINE NAME: the value of NAME=... in LINE
field() {
	sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"
}

# run_kernel KERNEL MODE SECONDS: prints the summary line; returns 1 if
# the run failed.  Leaves the VM's torture-vm line in $WORK/KERNEL/result.
run_kernel() {
	local name=$1 mode=$2 seconds=$3 dir log line reports why=()
	kernel_use "$name"
	dir=$WORK/$name
	log=$dir/console.log
	mkdir -p "$dir"

	echo "== torture on the $K_NAME kernel, mode=$mode, ${seconds}s" >&2
	echo "   $(kernel_summary)" >&2
	kernel_build_module "$dir/build" || {
		echo "torture: kernel=$K_NAME: module did not build"
		return 1
	}
	# Static: one exec per churned namespace, no dynamic loader.
	gcc -static -O2 -Wall -o "$dir/nschurn" "$ROOT/scripts/torture/nschurn.c" || return 1
	kernel_initramfs "$dir/initramfs.cpio.gz" \
		"$ROOT/scripts/torture/scenario.sh" "$dir/build/xfrm_dst_acct.ko" "$dir/nschurn" \
		"$ROOT/scripts/torture/ipsec.sh" "$ROOT/scripts/torture/kmemleak.sh"
	XDA_VM_TIMEOUT=${XDA_VM_TIMEOUT:-$((seconds + 1500))} \
		kernel_boot "$dir/initramfs.cpio.gz" "$log" "xda.mode=$mode" \
		"xda.seconds=$seconds" "xda.flowcache=$K_FLOWCACHE" kmemleak.verbose=1
	[ "$BOOT_OK" = 1 ] || why+=("the scenario did not finish cleanly")
	echo "   VM ran ${BOOT_SECONDS}s; $(grep -a 'torture: .*progress' "$log" | tail -n 1)" >&2
	grep -aE '^torture: .*(baseline|before the reload|final|drift|FAILED|failed)' "$log" | sed 's/^/   /' >&2

	reports=$BOOT_REPORTS
	[ "$reports" = 0 ] || { head -n 60 "$log.check" >&2; why+=("kernel reports in the log"); }
	line=$(grep -a '^torture-vm: ' "$log" | tail -n 1)
	line=${line#torture-vm: }
	echo "$line" >"$dir/result"
	echo "torture: kernel=$K_NAME cycles=$(field "$line" cycles)" \
		"netns_churned=$(field "$line" netns_churned) hotplug=$(field "$line" hotplug)" \
		"pings=$(field "$line" pings) drift=$(field "$line" drift)" \
		"leaks=$(field "$line" leaks) reports=${reports:-?}"

	[ -n "$line" ] || why+=("no torture-vm line")
	[ "$(field "$line" drift)" = 0 ] || why+=("counts not back at their baseline")
	case $K_DEBUG:$(field "$line" leaks) in
	1:0 | 0:-) ;;
	*) why+=("kmemleak found leaks (or did not run)") ;;
	esac
	[ "$(field "$line" load_failures)" = 0 ] || why+=("insmod or rmmod failed")
	[ "$(field "$line" unload_stalls)" = 0 ] ||
		why+=("rmmod waited behind a stalled namespace dismantling")
	local pings ok
	pings=$(field "$line" pings)
	ok=${pings%/*}
	[ -n "$ok" ] && [ "$ok" = "${pings#*/}" ] && [ "$ok" -gt 0 ] || why+=("pings failed")
	if [ "${#why[@]}" -ne 0 ]; then
		printf '   FAIL: %s\n' "${why[@]}" >&2
		echo "   log: $log" >&2
		return 1
	fi
}

# run_model MODEL: both kernels, then the sums; prints the summary lines.
run_model() {
	local model=$1 kind n seconds status=0 cycles=0 churned=0 hotplug=0 line v name mode why=()
	mode=auto
	[ "$model" = stock ] && mode=force
	n=$(wc -w <<<"$KINDS")
	for kind in $KINDS; do
		seconds=$TOTAL_SECONDS
		if [ "$n" = 2 ]; then
			seconds=$((TOTAL_SECONDS / 5))
			[ "$kind" = debug ] && seconds=$((TOTAL_SECONDS - seconds))
		fi
		name=$model
		[ "$kind" = debug ] && name=$model-debug
		run_kernel "$name" "$mode" "$seconds" || why+=("the $kind kernel's run failed")
		line=$(cat "$WORK/$name/result" 2>/dev/null)
		v=$(field "$line" cycles) && cycles=$((cycles + ${v:-0}))
		v=$(field "$line" netns_churned) && churned=$((churned + ${v:-0}))
		v=$(field "$line" hotplug) && hotplug=$((hotplug + ${v:-0}))
	done
	[ "$cycles" -ge "$(need 200)" ] || why+=("cycles $cycles < $(need 200)")
	[ "$churned" -ge "$(need 1000)" ] || why+=("netns_churned $churned < $(need 1000)")
	[ "$hotplug" -ge "$(need 100)" ] || why+=("hotplug $hotplug < $(need 100)")
	echo "torture: model=$model kernels=${KINDS// /+} seconds=$TOTAL_SECONDS cycles=$cycles" \
		"netns_churned=$churned hotplug=$hotplug" \
		"(minimum $(need 200)/$(need 1000)/$(need 100)): $([ ${#why[@]} -eq 0 ] && echo ok || echo "FAIL: ${why[*]}")"
	[ ${#why[@]} -eq 0 ] || status=1
	return $status
}

main() {
	local models=("$@") m status=0 kind
	[ ${#models[@]} -eq 0 ] && models=(stock affected)
	[ -n "${KERNEL:-}" ] && models=(user)
	for m in "${models[@]}"; do
		case $m in
		stock | affected | user) ;;
		*) echo "usage: $0 [stock|affected]..." >&2; exit 2 ;;
		esac
	done
	for kind in $KINDS; do
		case $kind in
		debug | plain) ;;
		*) echo "XDA_TORTURE_KERNELS: debug and/or plain" >&2; exit 2 ;;
		esac
	done
	"$ROOT/scripts/deps.sh" || exit 1
	for m in "${models[@]}"; do
		if [ "$m" = user ]; then
			run_kernel user auto "$TOTAL_SECONDS" >"$WORK/summary-$m" || status=1
		else
			run_model "$m" >"$WORK/summary-$m" || status=1
		fi
	done
	echo
	for m in "${models[@]}"; do
		cat "$WORK/summary-$m"
	done
	driver_exit $status "${XDA_TORTURE_WORK:-}"
}

main "$@"
