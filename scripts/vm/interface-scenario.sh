#!/bin/sh
# Runs inside the test VM (see scripts/run-plan.sh): the module's interfaces as
# an operator meets them.  Bad input must give a clear error and change
# nothing; the gc_thresh policy must apply to every namespace and be undone
# on unload.  One result per check (scenario-lib.sh: KTAP on ttyS1, and
# "check: <what>: ok|FAIL" on the console).
# takes: xfrm_dst_acct.ko
. /lib/xda/scenario-lib.sh
KO=$LIB/xfrm_dst_acct.ko
PARAMS=/sys/module/xfrm_dst_acct/parameters

loaded() {
	test -d /sys/module/xfrm_dst_acct
}

not_loaded() {
	! loaded && test ! -e /proc/net/xfrm_dst_acct
}

# insmod must fail with EINVAL and the kernel log must name the value.
refused() {	# refused EXPECTED_LOG_TEXT PARAM...
	text=$1
	shift
	dmesg -c >/dev/null
	if insmod $KO "$@" 2>/tmp/insmod.err; then
		rmmod xfrm_dst_acct
		return 1
	fi
	cat /tmp/insmod.err
	dmesg | grep -F "$text" && not_loaded
}

gc4() {	# gc4 NAMESPACE: its xfrm4_gc_thresh
	$IP netns exec "$1" cat /proc/sys/net/ipv4/xfrm4_gc_thresh
}

gc6() {
	$IP netns exec "$1" cat /proc/sys/net/ipv6/xfrm6_gc_thresh
}

# No kernel address (or anything like one) in what the module shows.
no_addresses() {
	! grep -qiE '(0x)?ffff[0-9a-f]{8,}' "$@"
}

$IP netns add a
$IP netns add b
echo 1000 >/tmp/v && $IP netns exec a sh -c 'cat /tmp/v >/proc/sys/net/ipv4/xfrm4_gc_thresh'
# Before the xfrm sysctls were made per namespace (3.4 registers
# xfrm4_gc_thresh for init_net alone), every namespace reads and writes
# init_net's value: a's 1000 shows in init_net.
shared_sysctl=
[ "$(cat /proc/sys/net/ipv4/xfrm4_gc_thresh)" = 1000 ] &&
	shared_sysctl="xfrm4_gc_thresh is init_net's in every namespace on this kernel, and b's 5000 was written to it last"

echo "== bad input"
for bad in fast AUTO "" "auto,force" 1; do
	check "mode='$bad' refused" refused "invalid mode '$bad'" mode="$bad"
done
check "affected=yes refused" refused "'affected' is read-only" affected=yes
check "raise_gc_thresh=maybe refused" refused "raise_gc_thresh" \
	raise_gc_thresh=maybe
check "gc_thresh untouched after refusals" test "$(gc4 a)" = 1000

echo "== load with the gc_thresh policy"
check "loads with mode=auto raise_gc_thresh=1" \
	insmod $KO mode=auto raise_gc_thresh=1
check "loading twice refused" sh -c "! insmod $KO"
check "parameters are read-only" sh -c "! echo force >$PARAMS/mode && test \"\$(cat $PARAMS/mode)\" = auto"
check "affected is read-only" sh -c "! echo no >$PARAMS/affected"
check "gc_thresh raised in a namespace made before" test "$(gc4 a)" = 2147483647
check "gc_thresh raised for IPv6 too" test "$(gc6 a)" = 2147483647
check "gc_thresh raised in init_net" test "$(cat /proc/sys/net/ipv4/xfrm4_gc_thresh)" = 2147483647
$IP netns add c
check "gc_thresh raised in a namespace made after" test "$(gc4 c)" = 2147483647
echo 5000 >/tmp/v && $IP netns exec b sh -c 'cat /tmp/v >/proc/sys/net/ipv4/xfrm4_gc_thresh'

echo "== /proc/net/xfrm_dst_acct"
check "/proc file refuses writes" sh -c '! echo x >/proc/net/xfrm_dst_acct'
check "/proc file is mode 0444" sh -c 'ls -l /proc/net/xfrm_dst_acct | grep -q "^-r--r--r--"'
check "/proc shows two families" sh -c 'test $(grep -cE "^ipv[46] " /proc/net/xfrm_dst_acct) = 2'
$IP netns exec a cat /proc/net/xfrm_dst_acct >/tmp/proc.a
check "each namespace sees its own figures" sh -c "$IP netns exec b cat /proc/net/xfrm_dst_acct | grep -q '^ipv4 .* 5000 '"
# An unprivileged user: the initramfs is root's alone until opened up.
grep -q '^nobody:' /etc/passwd 2>/dev/null ||
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
chmod a+rx / /bin /bin/busybox
check "an unprivileged user in another namespace reads only its figures" sh -c \
	"$IP netns exec b su nobody -c 'id -u; cat /proc/net/xfrm_dst_acct' | grep -q '^ipv4 .* 5000 '"
if [ -e /proc/self/ns/user ]; then
	check "an unprivileged user namespace reads its own figures" sh -c \
		"unshare -U -n cat /proc/net/xfrm_dst_acct | grep -q '^ipv4 .* 2147483647 '"
else
	skip "an unprivileged user namespace reads its own figures" "no user namespaces in this kernel"
fi
dmesg >/tmp/dmesg.txt
cat /sys/module/xfrm_dst_acct/parameters/* >/tmp/params.txt
check "no kernel address in /proc, parameters or log" \
	no_addresses /tmp/proc.a /tmp/params.txt /tmp/dmesg.txt

echo "== unload"
check "unloads" rmmod xfrm_dst_acct
if [ -z "$shared_sysctl" ]; then
	check "gc_thresh put back where untouched" test "$(gc4 a)" = 1000
	check "gc_thresh put back in init_net" test "$(cat /proc/sys/net/ipv4/xfrm4_gc_thresh)" = 32768
else
	skip "gc_thresh put back where untouched" "$shared_sysctl"
	skip "gc_thresh put back in init_net" "$shared_sysctl"
fi
check "gc_thresh left alone where an administrator set it" test "$(gc4 b)" = 5000
check "nothing left after unload" not_loaded

echo "== rmmod while namespaces are being created"
insmod $KO mode=force
i=0
while [ $i -lt 40 ]; do unshare -n true; i=$((i + 1)); done &
churn=$!
sleep 1
check "rmmod during namespace churn" rmmod xfrm_dst_acct
wait $churn
check "namespaces still made after unload" unshare -n true

echo "interface: $failures failures"
[ "$failures" -eq 0 ]
