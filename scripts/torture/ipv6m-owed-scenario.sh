#!/bin/sh
# Runs inside the test VM (see scripts/run-plan.sh, plan ipv6m), on a kernel with
# IPv6 built as a module, the module built for the .exit path
# (XDA_NETNS_EXIT=exit_batch) and mode=force: a namespace is dismantled
# while another is made, and an attach is owed.
#
# With .exit, a dying namespace stays on the module's list until the
# module's own exit, which runs after xfrm6's (ipv6.ko registered after
# the module), and since 4.15 namespaces are made while others are
# dismantled.  xfrm6's exit destroys the namespace's IPv6 counter; an
# attach that runs in between (the owed one, retried as a namespace is
# made) must not give that counter storage again.
#
#   1. a and b exist; xfrm_dst_acct (mode=force), the exit witness and the
#      KUnit module (for its fail_nth_storage_alloc; no case runs) load;
#   2. ipv6.ko loads; the attach of the IPv6 counters in use fails for want
#      of memory, and is owed;
#   3. the witness holds every namespace exit for 3 s between xfrm6's exit
#      and the module's; a is deleted and, once the witness has counted it
#      in (its exit is held), c is made, which retries the owed attach;
#   4. the witness must find no destroyed counter given storage again.
# needs: CONFIG_IPV6=m CONFIG_KUNIT
# takes: xfrm_dst_acct.ko xfrm_dst_acct_test.ko xfrm_dst_acct_exit_watch.ko ipv6.ko
# loads later: ipv6
# path: exit_batch
. /lib/xda/scenario-lib.sh
TEST=/sys/module/xfrm_dst_acct_test/parameters

echo "ipv6m-owed: kernel $(uname -r)"
$IP netns add a
$IP netns add b
check "loads with mode=force" insmod $LIB/xfrm_dst_acct.ko mode=force
check "the exit witness loads" insmod $LIB/xfrm_dst_acct_exit_watch.ko
echo 'cases=none' >/run/xfrm_dst_acct_test.conf
check "KUnit module loads for its parameters" insmod $LIB/xfrm_dst_acct_test.ko

echo 1 >$TEST/fail_nth_storage_alloc
check "ipv6.ko loads after xfrm_dst_acct" insmod $LIB/ipv6.ko
# The module takes the IPv6 copies in from a work item.
sleep 2
check "the attach of the IPv6 counters in use failed and is owed" \
	logged "out of memory; namespaces made before keep the kernel's storage"
check "IPv6 counters keep the kernel's storage meanwhile" state_is kernel ipv6 init a b

echo 3000 >$WATCH/hold_ms
before=$(cat $WATCH/namespaces_dismantled)
$IP netns del a
# a's exits run in the background: the late IPv6 ops', xfrm6's, then the
# witness's, which counts a in and holds it.
check "the witness holds the dying namespace" dismantled $((before + 1))
check "a namespace is made while another is dismantled" $IP netns add c
# The hold ends; the module's own exit for a runs.
sleep 3
echo "taken_after_destroy=$(cat $WATCH/taken_after_destroy)" \
	"destroyed_while_owned=$(cat $WATCH/destroyed_while_owned)"
check "no destroyed counter given storage again" \
	test "$(cat $WATCH/taken_after_destroy)" = 0
check "no counter destroyed while the module owned its storage" \
	test "$(cat $WATCH/destroyed_while_owned)" = 0
check "the owed attach was made" state_is own ipv6 init b c
echo 0 >$WATCH/hold_ms

rmmod xfrm_dst_acct_test
check "the exit witness unloads" rmmod xfrm_dst_acct_exit_watch
check "unloads" rmmod xfrm_dst_acct
$IP netns del b
$IP netns del c
echo "ipv6m-owed: $failures failures"
[ "$failures" -eq 0 ]
