#!/bin/sh
# Runs inside the test VM (see scripts/run-plan.sh, plan ipv6m), on a kernel with
# IPv6 built as a module (build.sh variants *-ipv6m): xfrm_dst_acct with
# ipv6.ko loaded before it or after it.
#
# Kernel command line:
#   xda.mode=auto|force    the module's mode
#   xda.expect=yes|no|reported  whether the kernel must be found
#                          affected ("reported": whatever the module says,
#                          for a kernel named by its trees, with mode=force)
#   xda.order=before|after ipv6.ko loaded before or after xfrm_dst_acct
#
# Namespaces a and b exist before either module; c is made once both are
# loaded.  Checked, one result each (scenario-lib.sh):
#   - before ipv6 is loaded (order=after): every ipv6 line is "absent";
#     once it is, the IPv6 counters of init, a and b, which are in use, get
#     their storage in one stop_machine() (the module logs "own storage
#     installed in 3 counters");
#   - once both are loaded: every namespace's ipv6 line is "own" (affected
#     kernel, mode=auto; any kernel, mode=force), including c;
#   - IPv6 ESP traffic between a and b: the counts follow the traffic and
#     are back at 0 once it is flushed;
#   - the KUnit suites, on both families (their results are parsed by the
#     host), then namespaces dismantled and both modules' state unloaded;
#   - when a namespace is dismantled, no counter is destroyed by the
#     kernel while the module owns its storage (the witness
#     kunit/xfrm_dst_acct_exit_watch.c, loaded between xfrm_dst_acct and
#     ipv6.ko).
# needs: CONFIG_IPV6=m CONFIG_KUNIT
# takes: xfrm_dst_acct.ko xfrm_dst_acct_test.ko xfrm_dst_acct_exit_watch.ko
# takes: ipv6.ko esp6.ko scripts/torture/ipsec.sh
# loads later: ipv6
# shows: ^affected=
. /lib/xda/scenario-lib.sh
KO=$LIB/xfrm_dst_acct.ko
. $LIB/ipsec.sh

show() {
	for ns in "$@"; do
		echo "--- /proc/net/xfrm_dst_acct in $ns"
		view $ns | sed 's/^/    /'
	done
}

# installed_live N: the (N+1)th "own storage installed" line of the
# kernel log is about the three IPv6 counters in use.
installed_live() {
	dmesg | grep 'own storage installed in' | sed -n "$(($1 + 1))p" >/tmp/installed
	cat /tmp/installed
	grep -q 'installed in 3 counters' /tmp/installed
}

none_destroyed() {
	echo "destroyed_while_owned=$(cat $WATCH/destroyed_while_owned)"
	[ "$(cat $WATCH/destroyed_while_owned)" = 0 ]
}

load_ipv6() {
	insmod $LIB/ipv6.ko || return
	# A kernel whose modules tree is in the initramfs: esp6 and what it
	# needs from there (not loaded at boot: "# loads later" above).
	if [ -f "/lib/modules/$(uname -r)/modules.dep" ]; then
		modprobe esp6
	else
		insmod $LIB/esp6.ko
	fi
	# The module takes the new IPv6 copies in from a work item.
	sleep 2
}

# Ping a and b over ESP, both families, N times each way.
traffic() {
	i=0
	while [ $i -lt "$1" ]; do
		$IP netns exec a ping -c 1 -W 5 fd00:1::2 >/dev/null || echo "ping6 a->b failed"
		$IP netns exec b ping -c 1 -W 5 fd00:1::1 >/dev/null || echo "ping6 b->a failed"
		$IP netns exec a ping -c 1 -W 5 10.1.0.2 >/dev/null || echo "ping a->b failed"
		i=$((i + 1))
	done
}

settle() {
	prev= same=0 n=0
	while [ $same -lt 3 ] && [ $n -lt 60 ]; do
		sleep 1
		cur=$(show a b c)
		if [ "$cur" = "$prev" ]; then same=$((same + 1)); else same=0; fi
		prev=$cur
		n=$((n + 1))
	done
}

main() {
	mode=$(arg mode)
	expect=$(arg expect)
	order=$(arg order)
	own=own
	[ "$mode" = auto ] && [ "$expect" = no ] && own=kernel
	echo "ipv6m: kernel $(uname -r) mode=$mode expect_affected=$expect ipv6 loaded $order xfrm_dst_acct"
	kmemleak_mount

	[ "$order" = before ] && load_ipv6
	$IP netns add a
	$IP netns add b
	check "loads with mode=$mode" insmod $KO mode="$mode"
	[ "$expect" = reported ] && expect=$(cat /sys/module/xfrm_dst_acct/parameters/affected)
	# Its namespace exit runs after those of ipv6.ko loaded later.
	check "the exit witness loads" insmod $LIB/xfrm_dst_acct_exit_watch.ko
	if [ "$order" = after ]; then
		show init a
		check "without ipv6.ko every ipv6 line is 'absent'" state_is absent ipv6 init a b
		check "ipv4 lines are '$own' meanwhile" state_is $own ipv4 init a b
		installs=$(dmesg | grep -c 'own storage installed in')
		check "ipv6.ko and esp6.ko load after xfrm_dst_acct" load_ipv6
		[ "$own" = own ] &&
			check "IPv6 counters in use get their storage with every CPU held" \
				installed_live "$installs"
	fi
	echo "affected=$(cat /sys/module/xfrm_dst_acct/parameters/affected)"
	$IP netns add c
	show init a c
	check "affected=$expect" test "$(cat /sys/module/xfrm_dst_acct/parameters/affected)" = "$expect"
	check "ipv6 lines of namespaces made before ipv6.ko: '$own'" state_is $own ipv6 init a b
	check "ipv6 line of a namespace made after both: '$own'" state_is $own ipv6 c
	check "ipv4 lines: '$own'" state_is $own ipv4 init a b c

	ipsec_pair a b 10.1.0.1 10.1.0.2 fd00:1::1 fd00:1::2 eab eba
	traffic 20 >/tmp/traffic.out 2>&1
	check "IPv6 and IPv4 ESP pings between a and b" sh -c '! grep . /tmp/traffic.out'
	ipsec_flush a
	ipsec_flush b
	settle
	show a b
	check "IPv6 counts back at 0 after the traffic" count_is 0 ipv6 a b c
	check "IPv4 counts back at 0 after the traffic" count_is 0 ipv4 a b c

	# A namespace whose IPv6 storage the module took in is dismantled:
	# xfrm6's exit (ipv6.ko loaded after the module) must not find the
	# module's storage in the counter it destroys.  Before the KUnit
	# suites, which register the module's operations again (after
	# ipv6's, so that their exit would run first).
	before=$(cat $WATCH/namespaces_dismantled)
	$IP netns del a
	check "the witness sees the namespace dismantled" dismantled $((before + 1))
	check "no counter destroyed while the module owned its storage" none_destroyed

	# The KUnit suites, as in kunit-scenario.sh.
	unshare -n sleep 600 &
	victim=$!
	sleep 1
	printf 'expect_affected=%s\nvictim_pid=%s\n' "$expect" "$victim" \
		>/run/xfrm_dst_acct_test.conf
	check "KUnit module loads" insmod $LIB/xfrm_dst_acct_test.ko
	rmmod xfrm_dst_acct_test

	check "the exit witness unloads" rmmod xfrm_dst_acct_exit_watch
	check "unloads" rmmod xfrm_dst_acct
	$IP netns del b
	$IP netns del c
	kill $victim 2>/dev/null
	kmemleak_result
	echo "ipv6m: $failures failures"
	[ "$failures" -eq 0 ]
}

main
