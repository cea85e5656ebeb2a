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

# The results: one KTAP line per check on the second serial port (ttyS1,
# the file LOG.results on the host, read by the kernel's kunit.py: see
# scripts/vm/results.py), numbered across every script of
# the run (/tmp/xda-ktap holds the count); /init ends the document with
# its plan.  The console gets the same verdicts for the reader.
RESULTS=/dev/ttyS1
[ -c $RESULTS ] || RESULTS=/dev/null

result() {	# result "ok"|"not ok" TEXT
	if [ -f /tmp/xda-ktap ]; then
		n=$(($(cat /tmp/xda-ktap) + 1))
	else
		echo "KTAP version 1" >$RESULTS
		n=1
	fi
	echo $n >/tmp/xda-ktap
	echo "$1 $n $2" >$RESULTS
}

# check WHAT COMMAND...: one result, and the line "check: WHAT: ok|FAIL"
# with COMMAND's output under a failure; counts failures.
check() {
	what=$1
	shift
	if "$@" >/tmp/check.out 2>&1; then
		echo "check: $what: ok"
		result ok "$what"
	else
		echo "check: $what: FAIL"
		sed 's/^/    /' /tmp/check.out
		result "not ok" "$what"
		failures=$((failures + 1))
	fi
}

# skip WHAT REASON: a check this kernel cannot make, and why.
skip() {
	echo "check: $1: skipped ($2)"
	result ok "$1 # SKIP $2"
}

equal() {	# equal SEEN EXPECTED
	echo "seen: $1, expected: $2"
	[ "$1" = "$2" ]
}

logged() {	# logged TEXT: the kernel log holds TEXT
	dmesg | grep -F "$1"
}

# The exit witness (kunit/xfrm_dst_acct_exit_watch.c), where loaded.
WATCH=/sys/module/xfrm_dst_acct_exit_watch/parameters

dismantled() {	# dismantled N: the witness has seen N namespaces go (60 s at most)
	n=0
	while [ "$(cat $WATCH/namespaces_dismantled)" -lt "$1" ] && [ $n -lt 60 ]; do
		sleep 1
		n=$((n + 1))
	done
	echo "dismantled: $(cat $WATCH/namespaces_dismantled) after ${n}s"
	[ "$(cat $WATCH/namespaces_dismantled)" -ge "$1" ]
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

# rmmod_bounded SECONDS: rmmod xfrm_dst_acct, waiting SECONDS at most.
# rmmod waits for namespaces being dismantled (unregister_pernet_subsys()),
# for ever should one stall ("unregister_netdevice: waiting for lo to become
# free").  0: unloaded, after RMMOD_SECONDS; 1: failed, or RMMOD_WAITING=1
# and RMMOD_STALL the kernel's last such message.  (Its variables are
# named rmmod_*: every variable is global, and callers count with n.)
rmmod_bounded() {
	RMMOD_WAITING=0 RMMOD_STALL=
	rmmod xfrm_dst_acct &
	rmmod_pid=$!
	rmmod_tenths=0
	while kill -0 $rmmod_pid 2>/dev/null; do
		if [ $rmmod_tenths -ge $(($1 * 10)) ]; then
			RMMOD_WAITING=1
			RMMOD_STALL=$(dmesg | grep 'unregister_netdevice: waiting' | tail -n 1)
			return 1
		fi
		sleep 0.1
		rmmod_tenths=$((rmmod_tenths + 1))
	done
	RMMOD_SECONDS=$((rmmod_tenths / 10))
	wait $rmmod_pid
}

# kmemleak, on the debug kernels.  Boot with kmemleak.verbose=1 (the
# runner does, on a kernel with KASAN) so that every object a scan finds
# is also printed on the console, where scripts/vm/check-log.sh reports it.
KMEMLEAK=/sys/kernel/debug/kmemleak

kmemleak_mount() {
	[ -d /sys/kernel/debug/tracing ] || [ -e $KMEMLEAK ] ||
		mount -t debugfs none /sys/kernel/debug 2>/dev/null
	[ -e $KMEMLEAK ]
}

# kmemleak_check: two scans (an object must have been unreferenced for 5 s
# to be reported), then prints "kmemleak: N unreferenced objects" and
# every report.  Returns 1 if anything was found; 0 without kmemleak.
kmemleak_check() {
	kmemleak_mount || { echo "kmemleak: not in this kernel"; return 0; }
	sleep 6
	echo scan >$KMEMLEAK
	sleep 6
	echo scan >$KMEMLEAK
	n=$(grep -c '^unreferenced object' $KMEMLEAK)
	echo "kmemleak: $n unreferenced objects"
	[ "$n" = 0 ] && return 0
	cat $KMEMLEAK
	return 1
}

# kmemleak_result: after the scenario, with xda.kmemleak=1 (/init).
kmemleak_result() {
	if kmemleak_mount; then
		check "kmemleak finds nothing" kmemleak_check
	else
		skip "kmemleak finds nothing" "no kmemleak in this kernel (CONFIG_DEBUG_KMEMLEAK)"
	fi
}
