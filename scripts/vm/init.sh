#!/bin/sh
# PID 1 of the xfrm-dst-acct test VM (scripts/vm/mkinitramfs.sh puts it in
# every initramfs as /init).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root

mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
# `ip netns add` bind-mounts namespace files here (/var/run -> /run).
mkdir -p /run/netns
/usr/sbin/ip link set lo up
# A kernel with a modules tree in the initramfs (scripts/vm/kernel.sh):
# load the modules the scenarios use that it has as modules.
preload=/lib/modules/$(uname -r)/xda-preload
if [ -s "$preload" ]; then
	# shellcheck disable=SC2046 # one module name per line
	modprobe -a $(cat "$preload") || echo "init: modprobe -a $(tr '\n' ' ' <"$preload")failed"
fi

echo "XDA-SCENARIO-BEGIN"
sh /scenario.sh
rc=$?
# xda.kmemleak=1: a kmemleak scan closes the run (scenario-lib.sh).
if grep -q 'xda\.kmemleak=1' /proc/cmdline; then
	# shellcheck source=scripts/vm/scenario-lib.sh
	. /lib/xda/scenario-lib.sh
	kmemleak_result
	[ "$failures" = 0 ] || rc=1
fi
echo "XDA-SCENARIO-END rc=$rc"
# The plan that closes the results on ttyS1 (scenario-lib.sh: result).
[ -f /tmp/xda-ktap ] && echo "1..$(cat /tmp/xda-ktap)" >/dev/ttyS1

sync
# The test kernel has no ACPI, so power-off would only halt the CPUs;
# QEMU runs with -no-reboot and exits on reboot instead.
reboot -f
# Never let PID 1 exit: that is a kernel panic, not a clean end.
while :; do sleep 60; done
