#!/bin/bash
# make bench: what the module costs, measured in the QEMU test VM.
#
# Usage: scripts/bench/run.sh
#        KERNEL=/boot/vmlinuz-R MODULES=/lib/modules/R scripts/bench/run.sh
#
# Boots two VMs (2 vCPUs, TCG), one after the other:
#   stock kernel     hot path, accuracy, namespace churn (scenario.sh)
#   affected kernel  memory, namespace churn, ESP pings, load cost
# With KERNEL= (a kernel named as in scripts/vm/kernel.sh), both on it.
# then prints a table and one line:
#   bench: hotpath_ratio=<r> atomic_vs_percpu=<r> stop_ns_per_netns=<n>
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
# Environment (defaults in brackets):
#   XDA_CACHE          kernel cache (see scripts/kernel/build.sh)
#   XDA_BENCH_DIR      keep logs and builds here [a temporary directory,
#                      removed at the end]
#   XDA_BENCH_ROUNDS   hot path rounds [8]
#   XDA_BENCH_MS       milliseconds per hot path measurement [1000]
#   XDA_BENCH_NETS     namespace counts for the load cost [1,10,100,1000,4000]
#   XDA_BENCH_MEM      affected VM memory in MiB [3072]; 4000 namespaces
#                      take about 1 GiB
#   XDA_BENCH_QUICK    1: few short rounds, up to 1000 namespaces (a check
#                      of the bench itself, not figures to quote)
set -eu

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=$ROOT/scripts/bench
# shellcheck source=scripts/vm/kernel.sh
. "$ROOT/scripts/vm/kernel.sh"

if [ "${XDA_BENCH_QUICK:-0}" = 1 ]; then
	ARGS="xda.rounds=2 xda.ms=300 xda.crounds=2 xda.churn=10 xda.lrounds=2 xda.erounds=2 xda.esecs=1"
	ARGS="$ARGS xda.nets=${XDA_BENCH_NETS:-1,10,100,1000}"
else
	ARGS="xda.rounds=${XDA_BENCH_ROUNDS:-8} xda.ms=${XDA_BENCH_MS:-1000}"
	ARGS="$ARGS xda.nets=${XDA_BENCH_NETS:-1,10,100,1000,4000}"
fi

log() {
	echo "bench/run.sh: $*" >&2
}

die() {
	echo "bench/run.sh: error: $*" >&2
	exit 1
}

if [ -n "${XDA_BENCH_DIR:-}" ]; then
	WORK=$XDA_BENCH_DIR
	mkdir -p "$WORK"
else
	WORK=$(mktemp -d /tmp/xda-bench.XXXXXX)
	trap 'rm -rf "$WORK"' EXIT
fi

declare -A KERNELS

# build_module ROLE: xfrm_dst_acct.ko for the kernel in use, as
# scripts/test.sh builds it (W=1), with debug info kept only to read the
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

# run_vm ROLE MEM: boot the scenario; the console log is $WORK/ROLE.log.
run_vm() {
	log "$1 VM (${2} MiB) on the ${KERNELS[$1]} kernel"
	kernel_use "${KERNELS[$1]}"
	kernel_initramfs "$WORK/$1.cpio.gz" "$BENCH/scenario.sh" \
		"$WORK/vm-$1/xfrm_dst_acct.ko" "$WORK/vm-$1/xda_bench.ko" \
		"$WORK/nsbench"
	# shellcheck disable=SC2086 # ARGS is a list of kernel arguments
	XDA_VM_MEM=$2 XDA_VM_TIMEOUT=${XDA_VM_TIMEOUT:-1800} \
		kernel_boot "$WORK/$1.cpio.gz" "$WORK/$1.log" \
		xda.bench="$1" tsc_early_khz="$TSC_KHZ" tsc=reliable no_timer_check $ARGS || true
	if [ "$BOOT_OK" != 1 ]; then
		grep -a -E '^(bench-|scenario:)' "$WORK/$1.log" | tail -n 20 >&2
		die "$1 VM failed"
	fi
	[ "$BOOT_REPORTS" = 0 ] || { cat "$WORK/$1.log.check" >&2; die "kernel report in $1 VM"; }
	log "$1 VM took $BOOT_SECONDS s"
}

main() {
	local start=$SECONDS variant size machine load

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

	run_vm stock 1024
	run_vm affected "${XDA_BENCH_MEM:-3072}"

	machine="host: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1),"
	machine="$machine $(nproc) CPUs, $(uname -r), load average $load at the start;"
	machine="$machine $(qemu-system-x86_64 --version | head -n 1 | sed 's/ (.*//'), TCG, 2 vCPUs;"
	machine="$machine TSC $TSC_KHZ kHz"
	echo
	python3 "$BENCH/report.py" "$WORK/stock.log" "$WORK/affected.log" \
		--xda-net-size "${size:-0}" --machine "$machine" | tee "$WORK/report.txt"
	log "took $((SECONDS - start)) s${XDA_BENCH_DIR:+ (logs in $WORK)}"
}

main "$@"
