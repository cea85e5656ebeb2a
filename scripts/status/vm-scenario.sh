#!/bin/sh
# Runs inside the test VM (see scripts/status/test.sh): xfrm-dst-acct-status
# against the real /proc files of five network namespaces.
#
#   init   the VM's own namespace (pid 1, "init")
#   red    named (/run/netns/red), no process in it: read through nsenter
#   blue   named, holds the TCP listeners of an ESP transport-mode pair
#   peer   held only by a process ("tail"), the other end of the ESP pair,
#          holds the TCP clients
#   idle   held only by a process ("sleep")
#
# After the module is loaded, three IPv4 and one IPv6 TCP connections are
# opened between peer and blue and stay open, so each side has cached xfrm
# bundles and non-zero counts.
#
# Every output the host checks is printed between
#   XDA-OUT-BEGIN <name>
#   |<stdout line>          (one per line of the tool's stdout)
#   !<stderr line>          (one per line of its stderr)
#   XDA-OUT-END <name> rc=<exit status>
# The kernel's console level is lowered while the tool runs so that its
# messages cannot split those lines; the whole kernel log is printed at the
# end (XDA-DMESG-BEGIN/END) for check-log.sh.
#
# Kernel command line: xda.mode=auto|force|off (the module's mode).
#
# Files in /lib/xda: xfrm_dst_acct.ko, xfrm-dst-acct-status, and Debian's
# dash, mawk, ls, sort, cat, readlink, stat, nsenter, id, uname, grep:
# the tool runs once under busybox and once under dash with only those
# on its PATH.
# shellcheck disable=SC1091 # scripts/vm/scenario-lib.sh, in the initramfs
. /lib/xda/scenario-lib.sh
IP=/usr/sbin/ip	# (also set there; said here for shellcheck)
L=/lib/xda
TOOL=$L/xfrm-dst-acct-status
KEY=0x0123456789abcdef0123456789abcdef01234567

# out NAME COMMAND...: run COMMAND and print its output between markers.
out() {
	o_name=$1
	shift
	"$@" >/tmp/out.txt 2>/tmp/err.txt
	o_rc=$?
	echo "XDA-OUT-BEGIN $o_name"
	sed 's/^/|/' /tmp/out.txt
	sed 's/^/!/' /tmp/err.txt
	echo "XDA-OUT-END $o_name rc=$o_rc"
}

# The tool under busybox sh with busybox's applets.
bb() {
	sh "$TOOL" "$@"
}

# The tool under dash with Debian's tools (GNU coreutils, mawk, util-linux).
gnu() {
	PATH=/tmp/gnu /tmp/gnu/dash "$TOOL" "$@"
}

setup_gnu() {
	mkdir -p /tmp/gnu
	for t in dash ls sort cat readlink stat nsenter id uname grep; do
		ln -s "$L/$t" "/tmp/gnu/$t"
	done
	ln -s "$L/mawk" /tmp/gnu/awk
}

sa() {	# sa RUN SRC DST SPI
	$1 $IP xfrm state add src "$2" dst "$3" proto esp spi "$4" \
		mode transport aead 'rfc4106(gcm(aes))' $KEY 128
}

policies() {	# policies RUN LOCAL PEER
	$1 $IP xfrm policy add src "$2" dst "$3" dir out \
		tmpl src "$2" dst "$3" proto esp mode transport
	$1 $IP xfrm policy add src "$3" dst "$2" dir in \
		tmpl src "$3" dst "$2" proto esp mode transport
}

# The ESP transport-mode pair blue <-> peer over a veth, IPv4 and IPv6.
setup_ipsec() {
	IN_BLUE="$IP netns exec blue"
	IN_PEER="nsenter --net=/proc/$PEER/ns/net"
	$IP link add vb type veth peer name vp || return 1
	$IP link set vb netns blue || return 1
	$IP link set vp netns "$PEER" || return 1
	$IP -n blue addr add 10.0.0.2/24 dev vb
	$IP -n blue addr add fd00::2/64 dev vb nodad
	$IP -n blue link set vb up
	$IP -n blue link set lo up
	$IN_PEER $IP addr add 10.0.0.1/24 dev vp
	$IN_PEER $IP addr add fd00::1/64 dev vp nodad
	$IN_PEER $IP link set vp up
	$IN_PEER $IP link set lo up
	for run in "$IN_BLUE" "$IN_PEER"; do
		sa "$run" 10.0.0.1 10.0.0.2 0x101 || return 1
		sa "$run" 10.0.0.2 10.0.0.1 0x102 || return 1
		sa "$run" fd00::1 fd00::2 0x201 || return 1
		sa "$run" fd00::2 fd00::1 0x202 || return 1
	done
	policies "$IN_BLUE" 10.0.0.2 10.0.0.1 || return 1
	policies "$IN_BLUE" fd00::2 fd00::1 || return 1
	policies "$IN_PEER" 10.0.0.1 10.0.0.2 || return 1
	policies "$IN_PEER" fd00::1 fd00::2 || return 1
	$IN_PEER ping -c 1 -W 5 10.0.0.2 >/dev/null || return 1
	$IN_PEER ping -c 1 -W 5 fd00::2 >/dev/null || return 1
}

# TCP connections held open between peer and blue: each socket caches its
# xfrm bundle.  Made after the module is loaded: on an affected kernel the
# module starts each namespace's count from 0, so only entries made after
# the load are counted there.
connect_tcp() {
	for p in 5001 5002 5003 5004; do
		sleep 1000 | $IN_BLUE nc -l -p $p >/dev/null &
	done
	sleep 1
	for p in 5001 5002 5003; do
		sleep 1000 | $IN_PEER nc 10.0.0.2 $p >/dev/null &
	done
	sleep 1000 | $IN_PEER nc fd00::2 5004 >/dev/null &
	sleep 2
	n=$($IN_BLUE netstat -tn | grep -c ESTABLISHED)
	echo "status-scenario: $n TCP connections established in blue"
	[ "$n" -eq 4 ]
}

# The raw /proc files, to compare with the tool's figures.
raw() {
	echo "XDA-RAW-BEGIN $1"
	$2 cat /proc/net/xfrm_dst_acct
	echo "XDA-RAW-END $1"
}

dump_raw() {
	raw init ""
	raw red "$IP netns exec red"
	raw blue "$IP netns exec blue"
	raw peer "nsenter --net=/proc/$PEER/ns/net"
	raw idle "nsenter --net=/proc/$IDLE/ns/net"
}

mode=$(arg mode)
[ -n "$mode" ] || mode=auto
echo "status-scenario: mode=$mode"
setup_gnu

# Kernel messages stay in the ring buffer (printed at the end).
dmesg -n 1

$IP netns add red
$IP netns add blue
$IP -n red link set lo up
unshare -n tail -f /dev/null &
PEER=$!
unshare -n sleep 1000 &
IDLE=$!
sleep 1
setup_ipsec || { echo "status-scenario: IPsec setup failed"; exit 1; }
echo "status-scenario: pids peer=$PEER idle=$IDLE"

out doctor-unloaded bb doctor
out status-unloaded bb
out prometheus-unloaded bb --prometheus

insmod $L/xfrm_dst_acct.ko mode="$mode" || exit 1
echo "status-scenario: module affected=$(cat /sys/module/xfrm_dst_acct/parameters/affected)"
connect_tcp || { echo "status-scenario: TCP connections failed"; exit 1; }

dump_raw
out table bb
out json bb --json
out prometheus bb --prometheus
out table-gnu gnu
out json-gnu gnu --json
out prometheus-gnu gnu --prometheus
out doctor bb doctor
out doctor-gnu gnu doctor

# blue's IPv4 gc_thresh below its count: exit status 1.
$IP netns exec blue sysctl -w net.ipv4.xfrm4_gc_thresh=1 >/dev/null || exit 1
dump_raw
out low-table bb
out low-json bb --json
out low-prometheus bb --prometheus
out low-table-gnu gnu
out low-json-gnu gnu --json
out low-warn-high bb --warn 1000
out low-doctor bb doctor
out low-doctor-gnu gnu doctor
$IP netns exec blue sysctl -w net.ipv4.xfrm4_gc_thresh=32768 >/dev/null || exit 1
out restored bb

out usage-error bb --warn
out help bb --help

rmmod xfrm_dst_acct || exit 1
out gone-table bb
out gone-json bb --json
out gone-prometheus bb --prometheus
out gone-table-gnu gnu

echo "XDA-DMESG-BEGIN"
dmesg
echo "XDA-DMESG-END"
echo "status-scenario: done"
