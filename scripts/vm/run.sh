#!/bin/bash
# Boot a test kernel with an initramfs in QEMU (TCG) and wait for the end.
#
# Usage: scripts/vm/run.sh KERNEL_IMAGE INITRAMFS LOGFILE [KERNEL_ARG...]
#
# The serial console (kernel log and scenario output, CR stripped) goes to
# LOGFILE; the second serial port (ttyS1), where the scenarios write their
# results in KTAP (scenario-lib.sh), to LOGFILE.results.  Exit status is 0
# only if the VM ended by itself and the log has
# "XDA-SCENARIO-END rc=0" (see mkinitramfs.sh).  Kernel reports in the log
# are not judged here: run check-log.sh on LOGFILE for that.
#
# Environment:
#   XDA_VM_CPUS     number of CPUs (default 2)
#   XDA_VM_MEM      guest memory in MiB (default 1024)
#   XDA_VM_TIMEOUT  seconds before the VM is killed (default 600)
#   XDA_VM_VERBOSE  1: also copy the console to stdout while it runs
#
# KVM is never used: on this machine -enable-kvm hangs.  With TCG a test
# kernel boots in a few seconds.
set -eu

XDA_VM_CPUS=${XDA_VM_CPUS:-2}
XDA_VM_MEM=${XDA_VM_MEM:-1024}
XDA_VM_TIMEOUT=${XDA_VM_TIMEOUT:-600}
XDA_VM_VERBOSE=${XDA_VM_VERBOSE:-0}

# panic=-1: reboot at once on panic, which ends the VM (-no-reboot).
# Reports (WARN, oops) must stay visible, so there is no oops=panic.
# no5lvl: 4-level paging.  QEMU's "-cpu max" offers LA57, and 6.1's
# identify_cpu() clears the boot CPU's feature bits for a moment; an
# interrupt then makes KASAN misjudge a 5-level direct-map address as a
# wild access (seen twice in about a hundred debug-kernel boots, at ~4 s,
# before any module is loaded).
BASE_CMDLINE="console=ttyS0 panic=-1 loglevel=7 no5lvl"

usage() {
	echo "usage: $0 KERNEL_IMAGE INITRAMFS LOGFILE [KERNEL_ARG...]" >&2
	exit 2
}

# Run QEMU under timeout; console on stdout.  Returns timeout's status.
#
# One socket per CPU: the test kernel has no ACPI and finds CPUs in the
# BIOS MP table, where SeaBIOS lists only the first CPU of each socket.
# QEMU's plain `-smp 2` means one socket with two cores, which would boot
# with a single CPU.
run_qemu() {
	local kernel=$1 initrd=$2 cmdline=$3
	timeout --kill-after=10 "$XDA_VM_TIMEOUT" \
		qemu-system-x86_64 \
		-machine pc -accel tcg -cpu max \
		-smp "$XDA_VM_CPUS,sockets=$XDA_VM_CPUS,cores=1,threads=1" \
		-m "$XDA_VM_MEM" \
		-nographic -no-reboot \
		-serial mon:stdio -serial "file:$RESULTS_FILE" \
		-net none \
		-kernel "$kernel" -initrd "$initrd" \
		-append "$cmdline" \
		</dev/null
}

main() {
	[ $# -ge 3 ] || usage
	local kernel=$1 initrd=$2 log=$3 rc start elapsed
	shift 3
	local cmdline="$BASE_CMDLINE${*:+ $*}"
	[ -f "$kernel" ] || { echo "run.sh: $kernel: no such file" >&2; exit 2; }
	[ -f "$initrd" ] || { echo "run.sh: $initrd: no such file" >&2; exit 2; }

	RESULTS_FILE=$log.results
	rm -f "$RESULTS_FILE"
	start=$SECONDS
	if [ "$XDA_VM_VERBOSE" = 1 ]; then
		run_qemu "$kernel" "$initrd" "$cmdline" 2>&1 | sed -u 's/\r$//' | tee "$log"
	else
		run_qemu "$kernel" "$initrd" "$cmdline" 2>&1 | sed -u 's/\r$//' >"$log"
	fi
	rc=${PIPESTATUS[0]}
	elapsed=$((SECONDS - start))

	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "run.sh: VM timed out after ${XDA_VM_TIMEOUT}s (log: $log)" >&2
		exit 1
	fi
	if [ "$rc" -ne 0 ]; then
		echo "run.sh: qemu exited with status $rc after ${elapsed}s (log: $log)" >&2
		exit 1
	fi
	if ! grep -aqE 'XDA-SCENARIO-END rc=0([^0-9]|$)' "$log"; then
		echo "run.sh: scenario failed or did not finish after ${elapsed}s:" \
			"$(grep -a 'XDA-SCENARIO-END' "$log" || echo 'no XDA-SCENARIO-END line')" \
			"(log: $log)" >&2
		exit 1
	fi
	echo "run.sh: VM finished in ${elapsed}s, scenario rc=0 (log: $log)" >&2
}

main "$@"
