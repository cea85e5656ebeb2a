#!/bin/sh
# Runs inside the test VM (see scripts/run-plan.sh): the KUnit suites
# against real namespaces, some made before the module is loaded and some
# after.
# needs: CONFIG_KUNIT
# takes: xfrm_dst_acct.ko xfrm_dst_acct_test.ko
# shows: ^(affected|mode)=
#
# Kernel command line:
#   xda.mode=auto|force|off   the module's mode
#   xda.expect=yes|no|reported  whether the kernel must be found
#                             affected; "reported": whatever the module
#                             reports (a kernel nobody can judge beforehand)
#   xda.path=pre_exit|exit_batch  the namespace-exit path it must take
. /lib/xda/scenario-lib.sh
MOD=/lib/xda

show() {
	echo "--- /proc/net/xfrm_dst_acct in $1"
	$IP netns exec "$1" cat /proc/net/xfrm_dst_acct
}

mode=$(arg mode)
expect=$(arg expect)
echo "kunit-scenario: mode=$mode expect_affected=$expect"

# Two namespaces in use before the module is loaded.
$IP netns add before1
$IP netns add before2
$IP -n before1 link set lo up

insmod $MOD/xfrm_dst_acct.ko mode="$mode" || exit 1
echo "affected=$(cat /sys/module/xfrm_dst_acct/parameters/affected)"
path=$(arg path)
[ -n "$path" ] && check "the module took the $path path" logged "namespace exit: $path"
[ "$expect" = reported ] && expect=$(cat /sys/module/xfrm_dst_acct/parameters/affected)
echo "mode=$(cat /sys/module/xfrm_dst_acct/parameters/mode)"

# One made after the load, and one held only by a process, which the
# suites destroy while its dst entries are still being freed.
$IP netns add after1
unshare -n sleep 600 &
victim=$!
sleep 1

show before1
show after1
# The suites read their expectations from this file (see the test source).
printf 'expect_affected=%s\nvictim_pid=%s\n' "$expect" "$victim" \
	>/run/xfrm_dst_acct_test.conf
insmod $MOD/xfrm_dst_acct_test.ko || exit 1
show before2

rmmod xfrm_dst_acct_test || exit 1
rmmod xfrm_dst_acct || exit 1
test ! -e /proc/net/xfrm_dst_acct || exit 1
for ns in before1 before2 after1; do
	$IP netns del $ns
done
echo "kunit-scenario: done"
