#!/bin/sh
# Runs inside the test VM (see scripts/run-plan.sh, plan ipv6m), on the affected
# model with IPv6 built as a module, mode=auto: ipv6.ko loaded after the
# module while init_net is the only namespace.
#
# Nothing can be judged then: the verdict on IPv6 comes from the first
# namespace made afterwards, whose IPv6 copy ipv6.ko sets up after the
# module's .init, so the module's late IPv6 .init judges it.  That verdict
# must repair init_net's IPv6 counter too, as the first namespace's
# verdict repairs init_net's IPv4 counter.
# needs: CONFIG_IPV6=m CONFIG_KUNIT
# takes: xfrm_dst_acct.ko xfrm_dst_acct_test.ko xfrm_dst_acct_exit_watch.ko ipv6.ko
# loads later: ipv6
# path: pre_exit
. /lib/xda/scenario-lib.sh
PARAMS=/sys/module/xfrm_dst_acct/parameters

echo "ipv6m-alone: kernel $(uname -r)"
check "loads with only init_net" insmod $LIB/xfrm_dst_acct.ko mode=auto
check "ipv6.ko loads after xfrm_dst_acct" insmod $LIB/ipv6.ko
# The module takes the IPv6 copies in from a work item.
sleep 2
check "affected=unknown while init_net is the only namespace" \
	test "$(cat $PARAMS/affected)" = unknown
check "the first namespace is made" $IP netns add first
check "affected=yes" test "$(cat $PARAMS/affected)" = yes
check "IPv4: init_net and the first namespace own their storage" \
	state_is own ipv4 init first
check "IPv6: init_net and the first namespace own their storage" \
	state_is own ipv6 init first
check "unloads" rmmod xfrm_dst_acct
$IP netns del first
echo "ipv6m-alone: $failures failures"
[ "$failures" -eq 0 ]
