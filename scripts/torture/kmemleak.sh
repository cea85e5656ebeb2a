#!/bin/sh
# kmemleak helpers, sourced by the scenarios of the debug kernels inside
# the test VM.  Boot with kmemleak.verbose=1 so that every object a scan
# finds is also printed on the console ("unreferenced object 0x..."),
# which scripts/vm/check-log.sh reports.

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
