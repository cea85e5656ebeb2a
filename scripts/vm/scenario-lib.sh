#!/bin/sh
# What every scenario script needs inside the test VM; mkinitramfs.sh puts
# it in every initramfs as /lib/xda/scenario-lib.sh.  Busybox sh.
IP=/usr/sbin/ip
LIB=/lib/xda
failures=0

arg() {	# arg NAME [DEFAULT]: xda.NAME from the kernel command line
	v=$(sed -n "s/.*xda\.$1=\([a-z0-9_]*\).*/\1/p" /proc/cmdline)
	echo "${v:-${2:-}}"
}

# check WHAT COMMAND...: one line "check: WHAT: ok|FAIL", with COMMAND's
# output under a failure; counts failures.
check() {
	what=$1
	shift
	if "$@" >/tmp/check.out 2>&1; then
		echo "check: $what: ok"
	else
		echo "check: $what: FAIL"
		sed 's/^/    /' /tmp/check.out
		failures=$((failures + 1))
	fi
}

view() {	# view NS: /proc/net/xfrm_dst_acct as namespace NS ("init") sees it
	if [ "$1" = init ]; then
		cat /proc/net/xfrm_dst_acct
	else
		$IP netns exec "$1" cat /proc/net/xfrm_dst_acct
	fi
}

# column_is COLUMN WANT FAMILY NS...: in each namespace, /proc's COLUMN
# (3 count_exact, 5 state) of FAMILY ("ipv4", "ipv6", or "any" for both
# lines) is WANT.
column_is() {
	col=$1 want=$2 fam=$3
	shift 3
	for ns in "$@"; do
		got=$(view "$ns" | awk -v c="$col" -v f="$fam" \
			'NR > 1 && (f == "any" || $1 == f) { print $c }' | sort -u)
		echo "$ns $fam: $got"
		[ "$got" = "$want" ] || return 1
	done
}

state_is() {	# state_is STATE FAMILY NS...
	column_is 5 "$@"
}

count_is() {	# count_is N FAMILY NS...: count_exact
	column_is 3 "$@"
}
