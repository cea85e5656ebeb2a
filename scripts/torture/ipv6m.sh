#!/bin/bash
# The IPv6-module hazard (docs: design.md, section 3, hazard 6): on a
# kernel with IPv6 built as a module, load ipv6.ko before and after
# xfrm_dst_acct and check what every namespace's ipv6 line says, that IPv6
# counts follow IPsec traffic, and that the KUnit suites pass on both
# families.
#
# Usage: scripts/torture/ipv6m.sh [VARIANT...]
#        VARIANT: a scripts/kernel/build.sh variant with -ipv6m
#        (default: affected-ipv6m-debug; stock-ipv6m-debug also works)
#
# Runs per variant: order=before and order=after (ipv6.ko loaded before /
# after xfrm_dst_acct), mode=auto on affected kernels, mode=force on stock
# ones (see scripts/torture/ipv6m-scenario.sh).  Prints every check and
#   ipv6m: kernel=<k> order=<o> mode=<m> checks=<ok>/<n> kunit=<passed>/<total> reports=<n>
# and exits 1 if anything failed.
#
# Environment: XDA_IPV6M_WORK keeps the logs there; XDA_VM_MEM,
# XDA_VM_TIMEOUT as in scripts/vm/run.sh (defaults 2048 MiB, 1800 s).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${XDA_IPV6M_WORK:-$(mktemp -d /tmp/xda-ipv6m.XXXXXX)}
export XDA_VM_MEM=${XDA_VM_MEM:-2048}
export XDA_VM_TIMEOUT=${XDA_VM_TIMEOUT:-1800}

run_variant() {	# run_variant VARIANT
	local variant=$1 mode=force expect=no dir=$WORK/$1 kdir order log status=0
	local total ok kunit reports
	case $variant in
	affected-*) mode=auto expect=yes ;;
	esac
	mkdir -p "$dir/build"
	echo "== $variant, mode=$mode" >&2
	kdir=$("$ROOT/scripts/kernel/build.sh" "$variant" | tail -n 1)
	[ -f "$kdir/net/ipv6/ipv6.ko" ] || { echo "ipv6m: kernel=$variant: no ipv6.ko"; return 1; }
	cp -r "$ROOT/Kbuild" "$ROOT/src" "$ROOT/include" "$ROOT/kunit" "$dir/build/"
	make -s -C "$kdir" M="$dir/build" W=1 modules >"$dir/build.log" 2>&1 || {
		cat "$dir/build.log" >&2
		echo "ipv6m: kernel=$variant: modules did not build"
		return 1
	}
	"$ROOT/scripts/vm/mkinitramfs.sh" "$dir/initramfs.cpio.gz" \
		"$ROOT/scripts/torture/ipv6m-scenario.sh" "$dir/build/xfrm_dst_acct.ko" \
		"$dir/build/kunit/xfrm_dst_acct_test.ko" "$kdir/net/ipv6/ipv6.ko" \
		"$kdir/net/ipv6/esp6.ko" "$ROOT/scripts/torture/ipsec.sh" \
		"$ROOT/scripts/torture/kmemleak.sh" >/dev/null || return 1
	for order in before after; do
		log=$dir/$order.log
		echo "== $variant: ipv6.ko loaded $order xfrm_dst_acct" >&2
		"$ROOT/scripts/vm/run.sh" "$kdir/arch/x86/boot/bzImage" "$dir/initramfs.cpio.gz" \
			"$log" "xda.mode=$mode" "xda.expect=$expect" "xda.order=$order" \
			kmemleak.verbose=1 >&2 || status=1
		grep -aE '^(check: |    |--- |affected=)' "$log" | sed 's/^/   /' >&2
		total=$(grep -ac '^check: ' "$log")
		ok=$(grep -ac '^check: .*: ok$' "$log")
		[ "$total" -gt 0 ] && [ "$ok" = "$total" ] || status=1
		"$ROOT/scripts/vm/ktap.sh" "$log" >"$log.kunit" 2>&1
		grep -E '\[(FAILED|CRASHED)\]' "$log.kunit" | sed 's/^/   /' >&2
		kunit=$(sed -n 's/^kunit: passed=\([0-9]*\) failed=\([0-9]*\) skipped=\([0-9]*\).*/\1 \2 \3/p' "$log.kunit")
		set -- ${kunit:-0 1 0}
		[ "$2" = 0 ] || status=1
		reports=$("$ROOT/scripts/vm/check-log.sh" "$log" >"$log.check" 2>&1 &&
			echo 0 || sed -n 's/^check-log: \([0-9]*\) line.*/\1/p' "$log.check")
		[ "$reports" = 0 ] || { head -n 80 "$log.check" >&2; status=1; }
		echo "ipv6m: kernel=$variant order=$order mode=$mode checks=$ok/$total" \
			"kunit=$1/$(($1 + $2 + $3)) reports=$reports"
	done
	return $status
}

main() {
	local variants=("$@") v status=0 lines=()
	[ ${#variants[@]} -eq 0 ] && variants=(affected-ipv6m-debug)
	"$ROOT/scripts/deps.sh" || exit 1
	for v in "${variants[@]}"; do
		case $v in
		*-ipv6m*) ;;
		*) echo "usage: $0 [VARIANT-with-ipv6m]..." >&2; exit 2 ;;
		esac
		lines+=("$(run_variant "$v")") || status=1
	done
	echo
	printf '%s\n' "${lines[@]}"
	if [ $status -eq 0 ] && [ -z "${XDA_IPV6M_WORK:-}" ]; then
		rm -rf "$WORK"
	else
		echo "(logs: $WORK)"
	fi
	exit $status
}

main "$@"
