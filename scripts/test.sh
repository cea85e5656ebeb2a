#!/bin/bash
# make test: the KUnit suites on the stock and the affected-model test
# kernels, and the DKMS round trip against Debian's headers.
#
# Usage: scripts/test.sh
#
# Each kernel is built once from Debian's linux-source-6.1 and cached (see
# scripts/kernel/build.sh).  Each run boots a VM that makes namespaces,
# loads the module in one mode and then the KUnit module (see
# scripts/vm/kunit-scenario.sh); its console log must hold no kernel report.
#
# Runs (kernel, mode, whether the module must find the kernel affected):
#   stock    auto   no    the kernel's own storage is left in place
#   stock    force  no    the module's storage on a fixed kernel
#   affected off    yes   the defect: real namespaces leak into each other
#   affected auto   yes   the repair
#
# scripts/vm/interface-scenario.sh tries the parameters, /proc and the
# gc_thresh policy as an operator would, bad input included.
#
# Then scripts/teeth.sh takes the fix apart one piece at a time and
# requires the cases guarding each piece to fail on the affected kernel.
#
# Then the debug kernel (scripts/torture/debug-suites.sh --kunit affected):
# the affected model built with KASAN, lockdep, kmemleak and debug objects
# runs the KUnit suites with mode=off and mode=auto, each followed by a
# kmemleak scan; first, the kernel's own leaking sample module must make
# the log check fail, so a leak cannot go unseen.  (`make debug` adds the
# stock debug kernel and the e2e scenario.)
#
# Then the operator's side: the DKMS round trip, the Debian package (build,
# lintian, install, purge) and the status tool's suite (scripts/status/);
# and the seed's IPsec scenario, `make e2e --short` (scripts/e2e/run.sh:
# Debian's kernel with the dkms-built module, stock, and the affected model
# without the repair, with it, and loaded while the traffic runs).
#
# Ends with the line "N passed, N failed": every KUnit case, plus one
# check per run (clean console log), per mutation, per round trip, and
# every check of the suites it runs.
#
# Environment:
#   XDA_CACHE      cache of kernels and sources (default /var/cache/xfrm-dst-acct)
#   XDA_SKIP_DKMS  1: leave out the DKMS round trip
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
XDA_CACHE=${XDA_CACHE:-/var/cache/xfrm-dst-acct}
export XDA_CACHE
WORK=$(mktemp -d /tmp/xda-test.XXXXXX)
RUNS="stock:auto:no stock:force:no affected:off:yes affected:auto:yes"

passed=0
failed=0
skipped=0
summary=()

count() {	# count NAME OK|FAIL
	if [ "$2" = OK ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	summary+=("$(printf '%-44s %s' "$1" "$2")")
}

# build_modules VARIANT KDIR: both modules, built outside the work tree.
build_modules() {
	local dir=$WORK/build-$1

	mkdir -p "$dir"
	cp -r "$ROOT/Kbuild" "$ROOT/src" "$ROOT/include" "$ROOT/kunit" "$dir/"
	make -s -C "$2" M="$dir" W=1 modules >"$dir/build.log" 2>&1 || {
		cat "$dir/build.log"
		return 1
	}
	if grep -q 'warning:' "$dir/build.log"; then
		cat "$dir/build.log"
		return 1
	fi
}

# run_kunit VARIANT MODE EXPECT IMAGE
run_kunit() {
	local name="$1/$2" log=$WORK/$1-$2.log line

	echo "== KUnit on the $1 kernel, mode=$2"
	"$ROOT/scripts/vm/run.sh" "$4" "$WORK/kunit-$1.cpio.gz" "$log" \
		"xda.mode=$2" "xda.expect=$3" >/dev/null
	grep -E '^(affected|mode)=|^family|^ipv[46] ' "$log" | sort -u | sed 's/^/   /'
	if "$ROOT/scripts/vm/check-log.sh" "$log"; then
		count "$name: console log free of kernel reports" OK
	else
		count "$name: console log free of kernel reports" FAIL
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
	summary+=("$(printf '%-44s %s' "$name: KUnit" "${line#kunit: }")")
}

# run_checks VARIANT IMAGE: the interface scenario, one count per check.
run_checks() {
	local log=$WORK/$1-interface.log line

	echo "== interfaces and bad input on the $1 kernel"
	"$ROOT/scripts/vm/mkinitramfs.sh" "$WORK/interface-$1.cpio.gz" \
		"$ROOT/scripts/vm/interface-scenario.sh" \
		"$WORK/build-$1/xfrm_dst_acct.ko" >/dev/null
	"$ROOT/scripts/vm/run.sh" "$2" "$WORK/interface-$1.cpio.gz" "$log" >/dev/null
	if "$ROOT/scripts/vm/check-log.sh" "$log"; then
		count "$1/interface: console log free of kernel reports" OK
	else
		count "$1/interface: console log free of kernel reports" FAIL
	fi
	grep -E '^check: |^    ' "$log" | sed 's/^/   /'
	while read -r line; do
		line=${line#check: }
		case "$line" in
		*": ok") count "$1/interface: ${line%: ok}" OK ;;
		*) count "$1/interface: ${line%: FAIL}" FAIL ;;
		esac
	done < <(grep -E '^check: ' "$log")
	grep -q '^interface: ' "$log" || count "$1/interface: scenario finished" FAIL
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
	grep -E '^e2e: kernel=|^kunit: |kmemleak: |catches|FAIL|^[0-9]+ passed' "$log" | tail -n 20 | sed 's/^/   /'
	read -r p _ f _ <<<"${line//,/}"
	passed=$((passed + p))
	failed=$((failed + f))
	summary+=("$(printf '%-44s %s' "$name" "$line")")
}

# run_teeth KDIR: the suites must fail when the fix is taken apart.
run_teeth() {
	local line

	echo "== teeth: the fix taken apart piece by piece, on the affected kernel"
	while read -r line; do
		echo "   $line"
		case "$line" in
		*": ok "*) count "${line%%: ok *}" OK ;;
		teeth:*) count "${line%%: FAIL*}" FAIL ;;
		esac
	done < <("$ROOT/scripts/teeth.sh" "$1" "$WORK")
}

main() {
	local variant kdir image run mode expect start=$SECONDS

	"$ROOT/scripts/deps.sh" || exit 1
	for variant in stock affected; do
		echo "== test kernel: $variant"
		kdir=$("$ROOT/scripts/kernel/build.sh" "$variant" | tail -n 1)
		if [ ! -f "$kdir/arch/x86/boot/bzImage" ]; then
			count "$variant: kernel builds" FAIL
			continue
		fi
		if ! build_modules "$variant" "$kdir"; then
			count "$variant: modules build with W=1, no warning" FAIL
			continue
		fi
		count "$variant: modules build with W=1, no warning" OK
		"$ROOT/scripts/vm/mkinitramfs.sh" "$WORK/kunit-$variant.cpio.gz" \
			"$ROOT/scripts/vm/kunit-scenario.sh" \
			"$WORK/build-$variant/xfrm_dst_acct.ko" \
			"$WORK/build-$variant/kunit/xfrm_dst_acct_test.ko" >/dev/null
		image=$kdir/arch/x86/boot/bzImage
		for run in $RUNS; do
			IFS=: read -r v mode expect <<<"$run"
			[ "$v" = "$variant" ] && run_kunit "$variant" "$mode" "$expect" "$image"
		done
		[ "$variant" = stock ] && run_checks "$variant" "$image"
		[ "$variant" = affected ] && run_teeth "$kdir"
	done

	run_suite debug "$ROOT/scripts/torture/debug-suites.sh" --kunit affected

	if [ "${XDA_SKIP_DKMS:-0}" != 1 ]; then
		echo "== DKMS round trip against Debian's headers"
		if "$ROOT/scripts/dkms-roundtrip.sh" >"$WORK/dkms.log" 2>&1; then
			count "dkms: add, build, install, status, remove" OK
		else
			cat "$WORK/dkms.log"
			count "dkms: add, build, install, status, remove" FAIL
		fi
		grep -E '^dkms status|^dkms-roundtrip' "$WORK/dkms.log" | sed 's/^/   /'
		echo "== Debian package: build, lintian, install, purge"
		if "$ROOT/scripts/deb/build.sh" >"$WORK/deb.log" 2>&1 &&
		   "$ROOT/scripts/deb/roundtrip.sh" >>"$WORK/deb.log" 2>&1; then
			count "deb: make deb, lintian, install, purge" OK
		else
			cat "$WORK/deb.log"
			count "deb: make deb, lintian, install, purge" FAIL
		fi
		grep -E 'lintian|roundtrip:' "$WORK/deb.log" | sed 's/^/   /'
	fi
	run_suite status "$ROOT/scripts/status/test.sh"
	run_suite e2e "$ROOT/scripts/e2e/run.sh" --short

	echo
	echo "== Summary"
	printf '   %s\n' "${summary[@]}"
	echo "   (skipped: $skipped; took $((SECONDS - start)) s)"
	rm -rf "$WORK"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

main "$@"
