#!/bin/bash
# make bench: what the module costs, measured in the QEMU test VM.
#
# Usage: scripts/bench/run.sh
#        KERNEL=/boot/vmlinuz-R MODULES=/lib/modules/R scripts/bench/run.sh
#
# Boots VMs (2 vCPUs, TCG), one after the other:
#   stock kernel     hot path, accuracy, namespace churn (scenario.sh)
#   affected kernel  memory, namespace churn, ESP pings, load cost
#   then the stop window at several possible-CPU counts (possible_cpus=N
#   on the kernel command line; 2 CPUs stay online): one VM per count on
#   the affected kernel (mode=auto: counters leave shared storage), then
#   one per count on the stock kernel (mode=force: they leave private
#   storage, whose slots are summed over every possible CPU)
# With KERNEL= (a kernel named as in scripts/vm/kernel.sh), all on it.
# then prints a table and one line:
#   bench: hotpath_ratio=<r> atomic_vs_percpu=<r> stop_ns_per_netns=<n>
#          stop_ns_per_netns_pcpu64=<n> pcpu64_ratio=<r>
#          insmod_ms_1000=<n> netns_ratio=<r> bytes_per_netns=<n>
#          e2e_ratio=<r> max_fast_error=<n>
# Figures only: nothing here fails because of a time.  It fails when a
# build fails, a scenario does not finish, or a console log holds a
# kernel report.
#
# Absolute times under TCG mean little and the host may be busy: every
# comparison is made within one VM boot, in rounds that alternate the
# order of the two variants, and reported as the median of the ratios of
# each round (see report.py).
#
# The guest cannot calibrate its TSC under TCG and would fall back to a
# clock that moves in 4 ms steps, so the host's TSC rate (which TCG passes
# through) is given on the kernel command line.  With that rate known, the
# boot-time check of the timer interrupt waits only a few ticks of real
# time and fails when the host is busy (a panic: "IO-APIC + timer doesn't
# work"), so it is skipped (no_timer_check).
#
# Environment (defaults in brackets; docs/PERFORMANCE.md says more):
#   XDA_KEEP          keep logs and builds here [removed at the end]
#   XDA_BENCH_ROUNDS, XDA_BENCH_MS  hot path rounds [8], ms each [1000]
#   XDA_BENCH_NETS    namespace counts for the load cost [1,10,100,1000,4000]
#   XDA_BENCH_MEM     affected VM memory in MiB [3072]
#   XDA_BENCH_PCPUS   possible-CPU counts for the stop window [2,16,64]
#                     (at most the kernel's NR_CPUS, 64 in the test kernels)
#   XDA_BENCH_WNETS, XDA_BENCH_WMEM  its namespace counts [1000,4000] and
#                     VM memory [3072]: 4000 namespaces at 64 possible CPUs
#                     take about 1.6 GiB
#   XDA_BENCH_QUICK   1: few short rounds (a check of the bench itself)
set -eu

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=$ROOT/scripts/bench
# shellcheck source=scripts/vm/kernel.sh
. "$ROOT/scripts/vm/kernel.sh"

if [ "${XDA_BENCH_QUICK:-0}" = 1 ]; then
	ARGS="xda.rounds=2 xda.ms=300 xda.crounds=2 xda.churn=10 xda.lrounds=2 xda.erounds=2 xda.esecs=1"
	ARGS="$ARGS xda.nets=${XDA_BENCH_NETS:-1,10,100,1000}"
	WARGS="xda.lrounds=2 xda.nets=${XDA_BENCH_WNETS:-100,1000}"
else
	ARGS="xda.rounds=${XDA_BENCH_ROUNDS:-8} xda.ms=${XDA_BENCH_MS:-1000}"
	ARGS="$ARGS xda.nets=${XDA_BENCH_NETS:-1,10,100,1000,4000}"
	WARGS="xda.nets=${XDA_BENCH_WNETS:-1000,4000}"
fi
PCPUS=${XDA_BENCH_PCPUS:-2,16,64}

log() {
	echo "bench/run.sh: $*" >&2
}

die() {
	echo "bench/run.sh: error: $*" >&2
	exit 1
}

if [ -n "${XDA_KEEP:-}" ]; then
	WORK=$XDA_KEEP
	mkdir -p "$WORK"
else
	WORK=$(mktemp -d /tmp/xda-bench.XXXXXX)
	trap 'rm -rf "$WORK"' EXIT
fi

declare -A KERNELS
WINDOW_LOGS=()

# build_module ROLE: xfrm_dst_acct.ko for the kernel in use, as
# the runner builds it (W=1), with debug info kept only to read the
# size of its per-namespace state; the VM gets a copy without it.
build_module() {
	mkdir -p "$WORK/vm-$1"
	kernel_build_module "$WORK/build-$1" KCFLAGS=-g || return 1
	strip --strip-debug -o "$WORK/vm-$1/xfrm_dst_acct.ko" "$K_KO"
}

# build_bench ROLE: xda_bench.ko, in a copy, for the kernel in use.
build_bench() {
	local dir=$WORK/bench-$1

	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$BENCH/Kbuild" "$BENCH/xda_bench.c" "$dir/"
	make -s -C "$K_BUILD" M="$dir" W=1 modules >"$dir/build.log" 2>&1 ||
		{ cat "$dir/build.log"; return 1; }
	if grep -q 'warning:' "$dir/build.log"; then
		cat "$dir/build.log"
		return 1
	fi
	cp "$dir/xda_bench.ko" "$WORK/vm-$1/"
	kernel_fix_relocations "$WORK/vm-$1/xda_bench.ko"
}

# sizeof(struct xda_net), from the module's debug information.
xda_net_size() {
	readelf --debug-dump=info "$WORK/build-stock/xfrm_dst_acct.ko" 2>/dev/null |
		awk '/DW_AT_name.*: xda_net$/ { found = 1; next }
		     found && /DW_AT_byte_size/ { print $NF; exit }
		     found && /DW_AT_name/ { found = 0 }'
}

# bench_vm ROLE MEM NAME ARG...: boot the scenario, with the kernel
# arguments ARG..., on ROLE's kernel; the console log is $WORK/NAME.log.
bench_vm() {
	local role=$1 mem=$2 name=$3

	shift 3
	log "$name VM (${mem} MiB) on the ${KERNELS[$role]} kernel"
	kernel_use "${KERNELS[$role]}"
	kernel_initramfs "$WORK/$name.cpio.gz" "$BENCH/scenario.sh" \
		"$WORK/vm-$role/xfrm_dst_acct.ko" "$WORK/vm-$role/xda_bench.ko" \
		"$WORK/nsbench"
	XDA_VM_MEM=$mem XDA_VM_TIMEOUT=${XDA_VM_TIMEOUT:-1800} \
		kernel_boot "$WORK/$name.cpio.gz" "$WORK/$name.log" \
		tsc_early_khz="$TSC_KHZ" tsc=reliable no_timer_check "$@" || true
	if [ "$BOOT_OK" != 1 ]; then
		grep -a -E '^(bench-|scenario:)' "$WORK/$name.log" | tail -n 20 >&2
		die "$name VM failed"
	fi
	[ "$BOOT_REPORTS" = 0 ] || { cat "$WORK/$name.log.check" >&2; die "kernel report in $name VM"; }
	log "$name VM took $BOOT_SECONDS s"
}

# run_window ROLE MODE CPUS: the load cost alone, in mode MODE, with CPUS
# possible CPUs; the console log is $WORK/window-ROLE-CPUS.log.  It goes
# into the report only if the guest had 0-(CPUS-1) possible.
run_window() {
	local nr possible

	kernel_use "${KERNELS[$1]}"
	nr=$(kernel_config CONFIG_NR_CPUS)
	if [ -n "$nr" ] && [ "$3" -gt "$nr" ]; then
		log "window-$1-$3: skipped, the kernel has NR_CPUS=$nr"
		return 0
	fi
	# shellcheck disable=SC2086 # WARGS is a list of kernel arguments
	bench_vm "$1" "${XDA_BENCH_WMEM:-3072}" "window-$1-$3" \
		xda.bench=window xda.lmode="$2" possible_cpus="$3" $WARGS
	possible=$(sed -n 's/^bench-info: .* possible=\([^ ]*\) .*/\1/p' "$WORK/window-$1-$3.log")
	if [ "$possible" != "0-$(($3 - 1))" ]; then
		log "window-$1-$3: the guest had possible CPUs '$possible'; left out"
		return 0
	fi
	WINDOW_LOGS+=("$WORK/window-$1-$3.log")
}

main() {
	local start=$SECONDS variant size machine load cpus

	[ $# -eq 0 ] || { echo "usage: $0 (no arguments; XDA_BENCH_* set its sizes)" >&2; exit 2; }
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	"$ROOT/scripts/deps.sh" >&2 || exit 1
	gcc -O2 -Wall -Wextra -static -o "$WORK/nsbench" "$BENCH/nsbench.c" ||
		die "nsbench does not build"
	TSC_KHZ=$("$WORK/nsbench" tsc-khz)
	for variant in stock affected; do
		KERNELS[$variant]=$variant
		[ -n "${KERNEL:-}" ] && KERNELS[$variant]=user
		kernel_use "${KERNELS[$variant]}"
		build_module "$variant" || die "module does not build ($variant)"
		build_bench "$variant" || die "xda_bench does not build ($variant)"
	done
	size=$(xda_net_size)

	# shellcheck disable=SC2086 # ARGS is a list of kernel arguments
	bench_vm stock 1024 stock xda.bench=stock $ARGS
	# shellcheck disable=SC2086
	bench_vm affected "${XDA_BENCH_MEM:-3072}" affected xda.bench=affected $ARGS
	# The affected kernel's boots one after the other, so that the ratio
	# between two CPU counts compares boots close in time.
	for cpus in $(echo "$PCPUS" | tr ',' ' '); do
		run_window affected auto "$cpus"
	done
	for cpus in $(echo "$PCPUS" | tr ',' ' '); do
		run_window stock force "$cpus"
	done

	machine="host: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1),"
	machine="$machine $(nproc) CPUs, $(uname -r), load average $load at the start;"
	machine="$machine $(qemu-system-x86_64 --version | head -n 1 | sed 's/ (.*//'), TCG, 2 vCPUs;"
	machine="$machine TSC $TSC_KHZ kHz"
	echo
	python3 "$BENCH/report.py" "$WORK/stock.log" "$WORK/affected.log" \
		"${WINDOW_LOGS[@]}" --xda-net-size "${size:-0}" --machine "$machine" |
		tee "$WORK/report.txt"
	log "took $((SECONDS - start)) s${XDA_KEEP:+ (logs in $WORK)}"
}

main "$@"
