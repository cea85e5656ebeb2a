#!/bin/bash
# make test: the KUnit suites on the stock and the affected-model test
# kernels, by both namespace-exit paths, the interface checks, the teeth,
# the debug kernel, the operator's side (DKMS, the Debian package, the
# status tool) and the seed's IPsec scenario, Debian's own kernels
# included.
#
# Usage: scripts/test.sh [--newer]
#        KERNEL=/boot/vmlinuz-R MODULES=/lib/modules/R [BUILD=DIR] scripts/test.sh
#
# Each test kernel is built once from Debian's linux-source-6.1 and cached
# (see scripts/kernel/build.sh).  Each KUnit run boots a VM that makes
# namespaces, loads the module in one mode and then the KUnit module (see
# scripts/vm/kunit-scenario.sh); its console log must hold no kernel
# report.
#
# KUnit runs (kernel, mode, whether the module must find the kernel
# affected, namespace-exit path):
#   stock    auto   no    pre_exit    the kernel's own storage is left in place
#   stock    force  no    pre_exit    the module's storage on a fixed kernel
#   affected off    yes   pre_exit    the defect: real namespaces leak into each other
#   affected auto   yes   pre_exit    the repair
#   stock    force  no    exit_batch  the path of kernels before 5.3
#   affected auto   yes   exit_batch  (.exit and .exit_batch), built for 6.1
#                                     with XDA_NETNS_EXIT=exit_batch
#
# scripts/vm/interface-scenario.sh tries the parameters, /proc and the
# gc_thresh policy as an operator would, bad input included (stock
# kernel); scripts/vm/attach-scenario.sh loads the module with init_net
# alone and fails the attach of namespaces in use as the first namespace
# is made (affected kernel).
#
# Then scripts/teeth.sh takes the fix apart one piece at a time and
# requires the KUnit cases or scenario checks guarding each piece to fail
# on the affected kernel (--newer: the pieces that guard against preempted
# adders, on the 6.12 PREEMPT kernel).
#
# Then the debug kernel (scripts/torture/debug-suites.sh --kunit affected):
# the affected model built with KASAN, lockdep, kmemleak and debug objects
# runs the KUnit suites with mode=off and mode=auto, each followed by a
# kmemleak scan; first, the kernel's own leaking sample module must make
# the log check fail, so a leak cannot go unseen.  (`make debug` adds the
# stock debug kernel and the e2e scenario.)
#
# Then the operator's side: the DKMS round trip, the Debian package (build,
# lintian, install, purge), the RPM (build, rpmlint, rpm -i, rpm -e) and
# the status tool's suite (scripts/status/);
# the seed's IPsec scenario, `make e2e SHORT=1` (stock, the affected model
# without the repair, with it, and loaded while the traffic runs, and
# Debian's 6.12 image); and Debian's 6.1 image given the way an operator
# gives a kernel, `KERNEL=... MODULES=... scripts/e2e/run.sh`.
#
# With KERNEL= (and MODULES=), everything that kernel can run: the KUnit
# suites if it has KUnit, the interface checks and the e2e scenario
# (mode=off, auto and hot).
#
# --newer (make newer): the 6.12 test kernels, CONFIG_PREEMPT and
# PREEMPT_RT (scripts/kernel/build.sh stock-612-preempt, stock-612-rt):
# the KUnit suites by both paths, mode=force, and the e2e scenario; and
# Debian's 6.12 and 6.12-rt images through dkms, mode=auto and force.
#
# Ends with the line "N passed, N failed": every KUnit case, plus one
# check per run (clean console log), per mutation, per round trip, and
# every check of the suites it runs.
#
# Environment:
#   XDA_CACHE      cache of kernels and sources (default /var/cache/xfrm-dst-acct)
#   XDA_SKIP_DKMS  1: leave out the DKMS, .deb and .rpm round trips
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/vm/kernel.sh
. "$ROOT/scripts/vm/kernel.sh"
WORK=$(mktemp -d /tmp/xda-test.XXXXXX)
KUNIT_RUNS="stock:auto:no:pre_exit stock:force:no:pre_exit
	affected:off:yes:pre_exit affected:auto:yes:pre_exit
	stock:force:no:exit_batch affected:auto:yes:exit_batch
	stock-612-preempt:force:no:pre_exit stock-612-preempt:force:no:exit_batch
	stock-612-rt:force:no:pre_exit stock-612-rt:force:no:exit_batch"
NEWER_E2E="stock-612-preempt:force stock-612-rt:force debian-6.12:auto
	debian-6.12:force debian-6.12-rt:auto debian-6.12-rt:force"


# build_modules PATH: both modules for the kernel in use, in
# $WORK/build-<kernel>-<path>, with the initramfs of the KUnit runs.
build_modules() {
	local dir=$WORK/build-$K_NAME-$1 args=()
	[ "$1" = exit_batch ] && args=(XDA_NETNS_EXIT=exit_batch)
	if kernel_build_module "$dir" "${args[@]}"; then
		count "$K_NAME: modules build ($1 path), no warning" OK
	else
		count "$K_NAME: modules build ($1 path), no warning" FAIL
		return 1
	fi
	[ "$K_KUNIT" = 1 ] || return 0
	kernel_initramfs "$dir/kunit.cpio.gz" "$ROOT/scripts/vm/kunit-scenario.sh" \
		"$dir/xfrm_dst_acct.ko" "$dir/kunit/xfrm_dst_acct_test.ko"
}

# run_kunit MODE EXPECT PATH: the KUnit suites on the kernel in use.
run_kunit() {
	local name="$K_NAME/$1/$3" log=$WORK/$K_NAME-$1-$3.log line seen
	echo "== KUnit on the $K_NAME kernel, mode=$1, namespace exit: $3"
	kernel_boot "$WORK/build-$K_NAME-$3/kunit.cpio.gz" "$log" "xda.mode=$1" "xda.expect=$2"
	grep -aE '^(affected|mode)=|^family|^ipv[46] ' "$log" | sort -u | sed 's/^/   /'
	if [ "$BOOT_REPORTS" = 0 ]; then
		count "$name: console log free of kernel reports" OK
	else
		head -n 60 "$log.check" | sed 's/^/   /'
		count "$name: console log free of kernel reports" FAIL
	fi
	# The module says which path it took.
	seen=$(sed -n 's/.*xfrm_dst_acct: version .*namespace exit: \([a-z_]*\).*/\1/p' "$log" | head -n 1)
	if [ "$seen" = "$3" ]; then
		count "$name: the module took the $3 path" OK
	else
		count "$name: the module took the $3 path (it says: ${seen:-nothing})" FAIL
	fi
	"$ROOT/scripts/vm/ktap.sh" "$log" >"$log.kunit" 2>&1
	sed -n 's/^\[[0-9:]*\] //p' "$log.kunit" | grep -E 'PASSED|FAILED|SKIPPED|CRASHED|Testing complete' |
		grep -v '^=' | sed 's/^/   /'
	line=$(grep '^kunit:' "$log.kunit" || echo "kunit: passed=0 failed=1 skipped=0")
	echo "   $name $line"
	set -- $(echo "$line" | sed 's/[a-z:]*=/ /g; s/kunit://')
	passed=$((passed + $1))
	failed=$((failed + $2))
	skipped=$((skipped + $3))
	summary+=("$(printf '%-58s %s' "$name: KUnit" "${line#kunit: }")")
}

# run_checks NAME FILE...: scripts/vm/NAME-scenario.sh on the kernel in
# use, with the modules built for it and FILEs; one count per check.
run_checks() {
	local name=$1 log=$WORK/$K_NAME-$1.log dir=$WORK/build-$K_NAME-pre_exit line
	shift
	[ -d "$dir" ] || dir=$WORK/build-$K_NAME-exit_batch
	echo "== $name checks on the $K_NAME kernel"
	kernel_initramfs "$WORK/$name-$K_NAME.cpio.gz" "$ROOT/scripts/vm/$name-scenario.sh" \
		"$dir/xfrm_dst_acct.ko" "$@"
	kernel_boot "$WORK/$name-$K_NAME.cpio.gz" "$log"
	if [ "$BOOT_REPORTS" = 0 ]; then
		count "$K_NAME/$name: console log free of kernel reports" OK
	else
		head -n 60 "$log.check" | sed 's/^/   /'
		count "$K_NAME/$name: console log free of kernel reports" FAIL
	fi
	grep -E '^check: |^    ' "$log" | sed 's/^/   /'
	count_results "$K_NAME/$name" "$log"
	grep -q "^$name: " "$log" || count "$K_NAME/$name: scenario finished" FAIL
}

# run_suite NAME COMMAND...: a suite that ends with "N passed, N failed".
run_suite() {
	local name=$1 log=$WORK/$1.log line p f

	shift
	echo "== $name: $*"
	"$@" >"$log" 2>&1
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		tail -n 40 "$log"
		count "$name: suite finished" FAIL
		return
	fi
	grep -E '^e2e: kernel=|^kunit: |kmemleak: |catches|FAIL|^[0-9]+ passed' "$log" | tail -n 24 | sed 's/^/   /'
	read -r p _ f _ <<<"${line//,/}"
	passed=$((passed + p))
	failed=$((failed + f))
	summary+=("$(printf '%-58s %s' "$name" "$line")")
}

# run_operator NAME WHAT PATTERN SCRIPT...: an operator's step on this
# machine (as root), its scripts one after the other; one count, and the
# log's lines matching PATTERN.
run_operator() {
	local name=$1 what=$2 pattern=$3 log=$WORK/$1.log script status=OK

	shift 3
	echo "== $name: $what"
	: >"$log"
	for script in "$@"; do
		"$script" >>"$log" 2>&1 || { status=FAIL; break; }
	done
	[ $status = OK ] || cat "$log"
	count "$name: $what" $status
	grep -E "$pattern" "$log" | sed 's/^/   /'
}

# run_teeth SET: the tests must fail when the fix is taken apart (see
# scripts/teeth.sh for the sets).
run_teeth() {
	local line

	echo "== teeth ($1): the fix taken apart piece by piece"
	while read -r line; do
		echo "   $line"
		case "$line" in
		*": ok "*) count "${line%%: ok *}" OK ;;
		teeth:*) count "${line%%: FAIL*}" FAIL ;;
		esac
	done < <("$ROOT/scripts/teeth.sh" "$1" "$WORK")
}

# test_kernel NAME: the KUnit runs on one test kernel, both paths.
test_kernel() {
	local run v mode expect path built=
	echo "== test kernel: $1"
	kernel_use "$1"
	echo "   $(kernel_summary)"
	for path in pre_exit exit_batch; do
		build_modules $path && built="$built $path"
	done
	for run in $KUNIT_RUNS; do
		IFS=: read -r v mode expect path <<<"$run"
		[ "$v" = "$1" ] && [ "${built#* "$path"}" != "$built" ] &&
			run_kunit "$mode" "$expect" "$path"
	done
}

# The kernel an operator points at: everything it can run.
test_user_kernel() {
	local path=pre_exit
	kernel_use user
	echo "== $(kernel_summary)"
	[ "$K_PRE_EXIT" = 1 ] || path=exit_batch
	build_modules "$path" || return
	if [ "$K_KUNIT" = 1 ]; then
		# Nobody can say beforehand whether this kernel is affected.
		run_kunit auto reported "$path"
	else
		echo "   (no KUnit in this kernel: the VM scenarios are the proof)"
	fi
	run_checks interface
	run_suite e2e "$ROOT/scripts/e2e/run.sh"
}

# Debian's 6.1 image, given as an operator gives the kernel of a host.
test_debian_as_user() {
	local found

	# (In a subshell: a kernel that cannot be named fails this run only.)
	if ! found=$(kernel_use debian && declare -p K_NAME K_IMAGE K_MODULES K_BUILD); then
		count "e2e-user(debian): Debian's 6.1 image and headers" FAIL
		return
	fi
	eval "$found"
	run_suite "e2e-user($K_NAME)" env KERNEL="$K_IMAGE" MODULES="$K_MODULES" \
		BUILD="$K_BUILD" "$ROOT/scripts/e2e/run.sh" --short user:auto user:force
}

main() {
	local start=$SECONDS

	if [ -n "${KERNEL:-}" ] && [ "${1:-}" = --newer ]; then
		echo "test.sh: make newer runs the 6.12 test kernels it builds; for the kernel" \
			"you name, run make test KERNEL=... MODULES=..." >&2
		exit 2
	fi
	"$ROOT/scripts/deps.sh" || exit 1
	if [ -n "${KERNEL:-}" ]; then
		test_user_kernel
	elif [ "${1:-}" = --newer ]; then
		test_kernel stock-612-preempt
		run_teeth preempt
		test_kernel stock-612-rt
		# shellcheck disable=SC2086 # a list of runs
		run_suite e2e "$ROOT/scripts/e2e/run.sh" $NEWER_E2E
	else
		test_kernel stock
		run_checks interface
		test_kernel affected
		run_checks attach "$WORK/build-affected-pre_exit/kunit/xfrm_dst_acct_test.ko"
		run_teeth affected

		run_suite debug "$ROOT/scripts/torture/debug-suites.sh" --kunit affected

		if [ "${XDA_SKIP_DKMS:-0}" != 1 ]; then
			run_operator dkms "add, build, install, status, remove" \
				'^dkms status|^dkms-roundtrip' "$ROOT/scripts/dkms-roundtrip.sh"
			run_operator deb "make deb, lintian, install, purge" \
				'lintian|roundtrip:' "$ROOT/scripts/deb/build.sh" \
				"$ROOT/scripts/deb/roundtrip.sh"
			run_operator rpm "make rpm, rpmlint, rpm -i, dkms status, rpm -e" \
				'payload compressor|checked;|roundtrip:' "$ROOT/scripts/rpm/build.sh" \
				"$ROOT/scripts/rpm/roundtrip.sh"
		fi
		run_suite status "$ROOT/scripts/status/test.sh"
		run_suite e2e "$ROOT/scripts/e2e/run.sh" --short
		test_debian_as_user
	fi

	echo
	echo "== Summary"
	printf '   %s\n' "${summary[@]}"
	echo "   (skipped: $skipped; took $((SECONDS - start)) s)"
	if [ "$failed" -eq 0 ]; then
		rm -rf "$WORK"
	else
		echo "   (logs kept: $WORK)"
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

main "$@"
