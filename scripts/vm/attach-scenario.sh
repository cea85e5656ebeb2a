#!/bin/sh
# Runs inside the test VM (see scripts/run-plan.sh), on the affected kernel:
# the module loaded at boot, when init_net is the only namespace and so
# nobody can tell yet whether the kernel is affected, and the attach that
# the first namespace made later triggers failing for want of memory.
# Namespaces made before must get their own storage as a later one is
# made, as the module's warning promises.  One result per check
# (scenario-lib.sh: KTAP on ttyS1, "check: <what>: ok|FAIL" on the console).
# The storage allocation is failed through the KUnit module's parameter
# (loaded with cases=none, so that none of its cases runs).
# needs: CONFIG_KUNIT
# takes: xfrm_dst_acct.ko xfrm_dst_acct_test.ko
. /lib/xda/scenario-lib.sh
PARAMS=/sys/module/xfrm_dst_acct/parameters

check "loads with only init_net" insmod $LIB/xfrm_dst_acct.ko mode=auto
check "affected=unknown while init_net is the only namespace" \
	test "$(cat $PARAMS/affected)" = unknown
echo 'cases=none' >/run/xfrm_dst_acct_test.conf
check "KUnit module loads for its parameters" insmod $LIB/xfrm_dst_acct_test.ko
# The first namespace: its two counters are allocated first (1, 2), then
# init_net's (3, 4) as the kernel is found affected.
echo 3 >/sys/module/xfrm_dst_acct_test/parameters/fail_nth_storage_alloc
check "the first namespace is made" $IP netns add first
check "affected=yes" test "$(cat $PARAMS/affected)" = yes
check "the failed attach is reported" logged "out of memory; namespaces made before keep the kernel's storage until the next one is created"
check "the first namespace has its own storage" state_is own any first
check "init_net kept the kernel's storage" state_is shared any init
check "the second namespace is made" $IP netns add second
check "init_net has its own storage once the next namespace is made" state_is own any init first second
check "no storage left allocated but installed ones" \
	test "$(cat /sys/module/xfrm_dst_acct_test/parameters/storage_outstanding)" = 6
rmmod xfrm_dst_acct_test
check "unloads" rmmod xfrm_dst_acct
$IP netns del first
$IP netns del second
# (Their dismantling runs in the background; let it end.)
sleep 2

# mode=force loaded with init_net alone: its seed must follow the verdict
# (shared storage: from zero), so it waits for the verdict as auto does.
check "loads with only init_net, mode=force" insmod $LIB/xfrm_dst_acct.ko mode=force
check "mode=force keeps the kernel's storage until the kernel is judged" \
	state_is kernel any init
check "the third namespace is made" $IP netns add third
check "affected=yes, mode=force" test "$(cat $PARAMS/affected)" = yes
check "mode=force owns every namespace's storage once judged" state_is own any init third
check "init_net's storage was seeded as shared storage is: from zero" \
	sh -c "dmesg | grep 'own storage installed in' | tail -n 1 | grep 'installed in 2 counters.*; 2 left shared storage'"
check "unloads (mode=force)" rmmod xfrm_dst_acct
$IP netns del third
echo "attach: $failures failures"
[ "$failures" -eq 0 ]
