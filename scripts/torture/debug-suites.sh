#!/bin/bash
# The KUnit suites and the e2e scenario on the debug test kernels, each
# run ending with a kmemleak scan.
#
# Usage: scripts/torture/debug-suites.sh [--kunit|--e2e] [KERNEL...]
#        KERNEL=/boot/vmlinuz-R MODULES=/lib/modules/R [BUILD=DIR] \
#            scripts/torture/debug-suites.sh [--kunit|--e2e]
#        KERNEL: stock|affected (default: both), run on KERNEL-debug; or
#        any kernel named as in scripts/vm/kernel.sh that has KASAN,
#        kmemleak and KUnit (a kernel without them is refused at once,
#        with the options it lacks)
#        --kunit: the KUnit runs only, no e2e (what make test runs)
#        --e2e: the e2e runs only
#
# Runs, as in scripts/test.sh (kernel, mode, expected verdict):
#   stock-debug    auto   no       stock-debug    force  no
#   affected-debug off    yes      affected-debug auto   yes
#   any other      auto   what the module reports (nobody can say
#                         beforehand whether that kernel is affected)
# Each boots scripts/vm/kunit-scenario.sh followed by a kmemleak check
# (scripts/torture/kmemleak.sh, booted with kmemleak.verbose=1), and
# counts as passed only if every KUnit case passed, kmemleak found
# nothing and scripts/vm/check-log.sh finds no report in the console log.
#
# Then the e2e scenario (scripts/e2e/scenario.sh) with mode=force on
# stock-debug, auto and hot on affected-debug, lighter than make e2e (see
# E2E_ARGS below), each with the same three checks plus: every count back
# at its baseline, every ping and connection made.
#
# First, once per kernel, a self-test of the harness: the kernel's own
# leaking module (samples/kmemleak/kmemleak-test.ko) is loaded and
# unloaded, and check-log.sh must catch the kmemleak report it causes.
#
# Output as scripts/test.sh counts it: one "kunit: passed=N failed=N
# skipped=N" line per KUnit run, then a row per check ("<name>  OK|FAIL")
# and "N passed, N failed".
#
# Environment: XDA_DEBUG_WORK keeps the logs there; XDA_VM_MEM and
# XDA_VM_TIMEOUT as in scripts/vm/run.sh (defaults 2048 MiB, 1800 s).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/vm/kernel.sh
. "$ROOT/scripts/vm/kernel.sh"
WORK=$(driver_work "${XDA_DEBUG_WORK:-}" debug) || exit 1
export XDA_VM_MEM=${XDA_VM_MEM:-2048}
export XDA_VM_TIMEOUT=${XDA_VM_TIMEOUT:-1800}
# kunit_runs: the KUnit runs (MODE:EXPECT) on the kernel in use.
kunit_runs() {
	case $K_NAME in
	stock-debug | stock-*-debug) echo "auto:no force:no" ;;
	affected-debug | affected-*-debug) echo "off:yes auto:yes" ;;
	*) echo "auto:reported" ;;
	esac
}

# e2e_runs: the e2e runs (MODE) on the kernel in use.
e2e_runs() {
	case $K_NAME in
	stock-debug | stock-*-debug) echo force ;;
	affected-debug | affected-*-debug) echo "auto hot" ;;
	*) echo auto ;;
	esac
}

# debug_lacks: what the kernel in use lacks of a debug kernel's options
# and of the scenarios' (kernel_lacks).
debug_lacks() {
	kernel_lacks "$ROOT/scripts/vm/kunit-scenario.sh" "$ROOT/scripts/e2e/scenario.sh" \
		<(echo "# needs: CONFIG_KASAN CONFIG_DEBUG_KMEMLEAK CONFIG_PROVE_LOCKING")
}

# The kernel's leaking sample module must make a run fail.
selftest_kmemleak() {	# selftest_kmemleak: on the kernel in use
	local dir=$WORK/$K_NAME ko=$K_BUILD/samples/kmemleak/kmemleak-test.ko log
	log=$dir/kmemleak-selftest.log
	if [ -n "$K_MODULES" ]; then
		# A kernel named by its trees: the sample, if built, is a module
		# of its modules tree (possibly compressed).
		kernel_tree_module kmemleak-test "$dir" || {
			echo "   (no kmemleak-test.ko in $K_MODULES: the harness's self-test is not run)"
			return
		}
		ko=$dir/kmemleak-test.ko
	fi
	[ -f "$ko" ] || { count "$K_NAME: kmemleak-test.ko built" FAIL; return; }
	cat >"$dir/selftest.sh" <<'EOF'
#!/bin/sh
. /lib/xda/kmemleak.sh
insmod /lib/xda/kmemleak-test.ko
rmmod kmemleak_test
kmemleak_check
# Clear the reports so that nothing else is blamed (for the record only).
echo clear >/sys/kernel/debug/kmemleak
exit 0
EOF
	kernel_initramfs "$dir/selftest.cpio.gz" "$dir/selftest.sh" \
		"$ko" "$ROOT/scripts/torture/kmemleak.sh"
	kernel_boot "$dir/selftest.cpio.gz" "$log" kmemleak.verbose=1
	grep -a '^kmemleak: ' "$log" | sed 's/^/   /'
	if [ "$BOOT_REPORTS" != 0 ] && grep -q 'unreferenced object 0x' "$log.check"; then
		count "$K_NAME: check-log.sh catches a kmemleak report" OK
	else
		count "$K_NAME: check-log.sh catches a kmemleak report" FAIL
	fi
}

# counts_clean NAME LOG: the two checks every debug run makes.
counts_clean() {
	if [ "$BOOT_REPORTS" = 0 ]; then
		count "$1: console log free of kernel reports" OK
	else
		head -n 60 "$2.check" | sed 's/^/   /'
		count "$1: console log free of kernel reports" FAIL
	fi
	if grep -aq '^kmemleak: 0 unreferenced objects' "$2"; then
		count "$1: kmemleak finds nothing" OK
	else
		count "$1: kmemleak finds nothing" FAIL
	fi
}

run_kunit() {	# run_kunit MODE EXPECT: on the kernel in use
	local name="$K_NAME/$1" dir=$WORK/$K_NAME log line
	log=$dir/kunit-$1.log
	echo "== KUnit on the $K_NAME kernel, mode=$1"
	kernel_boot "$dir/kunit.cpio.gz" "$log" "xda.mode=$1" "xda.expect=$2" kmemleak.verbose=1 ||
		sed 's/^/   /' "$log.run"
	echo "   VM ran ${BOOT_SECONDS}s; $(grep -a '^kmemleak: ' "$log" || echo 'kmemleak: no result')"
	counts_clean "$name" "$log"
	"$ROOT/scripts/vm/ktap.sh" "$log" >"$log.kunit" 2>&1
	grep -E '\[(FAILED|CRASHED)\]' "$log.kunit" | sed 's/^/   /'
	line=$(grep '^kunit:' "$log.kunit" || echo "kunit: passed=0 failed=1 skipped=0")
	echo "$line"
	set -- $(echo "$line" | sed 's/[a-z:]*=/ /g; s/kunit://')
	passed=$((passed + $1))
	failed=$((failed + $2))
}

# The e2e scenario (scripts/e2e/scenario.sh, run inside the VM as
# scripts/e2e/run.sh does) on the debug kernel, followed by a kmemleak
# check.  Clean runs only: every namespace's count back at its baseline,
# every ping and connection made, every namespace's storage as expected.
# Lighter traffic than make e2e (XDA_DEBUG_E2E_ARGS): the debug kernel is
# there to find memory and locking errors, and runs several times slower.
E2E_ARGS=${XDA_DEBUG_E2E_ARGS:-xda.waves=2 xda.hotwave=2 xda.conns=20 xda.gc=200}

prepare_e2e() {	# prepare_e2e: the initramfs, in $WORK/<kernel>/e2e.cpio.gz
	local dir=$WORK/$K_NAME
	gcc -static -O2 -Wall -o "$dir/holdconn" "$ROOT/scripts/e2e/holdconn.c" || return 1
	# /scenario.sh must be the e2e scenario's entry point: it runs its own
	# steps as `sh /scenario.sh STEP ...`.
	cat >"$dir/e2e-wrapper.sh" <<'EOF2'
#!/bin/sh
# scripts/e2e/scenario.sh, then a kmemleak check (scripts/torture/debug-suites.sh)
[ $# -gt 0 ] && exec sh /lib/xda/scenario.sh "$@"
sh /lib/xda/scenario.sh
rc=$?
. /lib/xda/kmemleak.sh
kmemleak_check || rc=1
exit $rc
EOF2
	kernel_initramfs "$dir/e2e.cpio.gz" "$dir/e2e-wrapper.sh" \
		"$ROOT/scripts/e2e/scenario.sh" "$dir/holdconn" "$dir/build/xfrm_dst_acct.ko" \
		"$ROOT/scripts/torture/kmemleak.sh"
}

run_e2e() {	# run_e2e MODE: on the kernel in use
	local name="$K_NAME/e2e-$1" dir=$WORK/$K_NAME log state=own round=1 bad
	log=$dir/e2e-$1.log
	[ "$1" = hot ] && round=2
	echo "== e2e on the $K_NAME kernel, mode=$1 ($E2E_ARGS)"
	# shellcheck disable=SC2086 # a list of kernel arguments
	kernel_boot "$dir/e2e.cpio.gz" "$log" "xda.mode=$1" xda.loader=insmod \
		xda.flowcache="$K_FLOWCACHE" $E2E_ARGS kmemleak.verbose=1 ||
		sed 's/^/   /' "$log.run"
	echo "   VM ran ${BOOT_SECONDS}s; $(grep -a '^kmemleak: ' "$log" || echo 'kmemleak: no result')"
	grep -a "^e2e-ns: round=$round " "$log" | sed 's/^e2e-ns: /   /'
	# mode=auto leaves a kernel it finds not affected as it is.
	[ "$1" = auto ] && grep -aq '^e2e-module: affected=no' "$log" && state=kernel
	counts_clean "$name" "$log"
	bad=$(grep -a "^e2e-ns: round=$round " "$log" | awk -v state=$state '
		{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		  n++
		  split(f["pings"], p, "/"); split(f["connects"], c, "/")
		  if (f["drift"] != 0 || f["state"] != state || p[1] != p[2] || p[2] == 0 ||
		      c[1] != c[2] || c[2] == 0) print f["ns"] "/" f["family"] }
		END { if (n < 8) print "only " n + 0 " namespace lines" }')
	if [ -z "$bad" ]; then
		count "$name: every count back at its baseline, every ping and connection made" OK
	else
		count "$name: every count back at its baseline, every ping and connection made ($bad)" FAIL
	fi
}

main() {
	local kernels=() base run mode expect dir lacks built e2e=1 kunit=1
	for base in "$@"; do
		case $base in
		--kunit) e2e=0 ;;
		--e2e) kunit=0 ;;
		*) kernels+=("$base") ;;
		esac
	done
	[ ${#kernels[@]} -eq 0 ] && read -r -a kernels <<<"$(kernels_to_run stock affected)"
	"$ROOT/scripts/deps.sh" || exit 1
	for base in "${kernels[@]}"; do
		case $base in
		stock | affected) base=$base-debug ;;
		esac
		echo "== debug kernel: $base"
		kernel_use "$base"
		echo "   $(kernel_summary)"
		dir=$WORK/$K_NAME
		mkdir -p "$dir"
		lacks=$(debug_lacks)
		if [ -n "$lacks" ]; then
			echo "debug-suites: $K_NAME is not a debug kernel: these runs need $lacks." \
				"make e2e and make test run on any kernel." >&2
			exit 2
		fi
		# (dkms, as an operator builds it, on a kernel named by its trees)
		built="modules build with W=1, no warning"
		[ "$K_DKMS" = 1 ] && built="modules build (dkms)"
		if ! kernel_build_module "$dir/build"; then
			count "$K_NAME: $built" FAIL
			continue
		fi
		count "$K_NAME: $built" OK
		selftest_kmemleak
		{
			cat "$ROOT/scripts/vm/kunit-scenario.sh"
			echo
			echo "# Appended by scripts/torture/debug-suites.sh"
			echo ". /lib/xda/kmemleak.sh"
			echo "kmemleak_check"
		} >"$dir/kunit-scenario.sh"
		kernel_initramfs "$dir/kunit.cpio.gz" "$dir/kunit-scenario.sh" \
			"$dir/build/xfrm_dst_acct.ko" "$dir/build/kunit/xfrm_dst_acct_test.ko" \
			"$ROOT/scripts/torture/kmemleak.sh"
		if [ $kunit = 1 ]; then
			for run in $(kunit_runs); do
				IFS=: read -r mode expect <<<"$run"
				run_kunit "$mode" "$expect"
			done
		fi
		[ $e2e = 1 ] || continue
		prepare_e2e || { count "$K_NAME: e2e initramfs" FAIL; continue; }
		for mode in $(e2e_runs); do
			run_e2e "$mode"
		done
	done
	echo
	printf '   %s\n' "${summary[@]}"
	echo "$passed passed, $failed failed"
	if [ "$failed" -eq 0 ] && [ -z "${XDA_DEBUG_WORK:-}" ]; then
		rm -rf "$WORK"
	else
		echo "(logs: $WORK)"
	fi
	[ "$failed" -eq 0 ]
}

main "$@"
