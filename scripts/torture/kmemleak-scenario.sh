#!/bin/sh
# Runs inside the test VM (see scripts/run-plan.sh), on a kernel with
# kmemleak: the harness's self-test.  The kernel's own leaking sample
# module (samples/kmemleak/kmemleak-test.ko) is loaded and unloaded, and
# scripts/vm/check-log.sh must catch the kmemleak report it causes, so a
# leak cannot go unseen.
# needs: CONFIG_DEBUG_KMEMLEAK CONFIG_DEBUG_KMEMLEAK_TEST=m
# takes: kmemleak-test.ko
# report: unreferenced object 0x
# shows: ^kmemleak:
. /lib/xda/scenario-lib.sh

check "kmemleak-test.ko loads" insmod $LIB/kmemleak-test.ko
check "kmemleak-test.ko unloads" rmmod kmemleak_test
kmemleak_check
# Clear the reports so that nothing else is blamed (for the record only).
echo clear >$KMEMLEAK
exit 0
