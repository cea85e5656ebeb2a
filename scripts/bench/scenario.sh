#!/bin/sh
# Runs inside the test VM (see scripts/bench/run.sh): the measurements of
# `make bench` on one kernel.  Prints "bench-*: key=value ..." lines that
# run.sh reads from the console log; it never judges a figure.
#
# Kernel command line (defaults in brackets):
#   xda.bench=stock|affected   which part to run [stock]
#     stock:    hot path (without the module, and with it in
#               mode=force), accuracy, namespace churn with and without
#               mode=auto
#     affected: memory at 1000 namespaces, namespace churn with and
#               without mode=auto, ESP pings with and without mode=auto,
#               load cost at each namespace count of xda.nets
#     window:   only the load cost, in mode xda.lmode, at each count of
#               xda.nets (booted with possible_cpus=N: the stop window
#               at several possible-CPU counts)
#   xda.rounds=N [8]    hot path rounds (without and with the module)
#   xda.ms=N [1000]     milliseconds per hot path measurement
#   xda.churn=N [20]    namespaces per churn measurement
#   xda.crounds=N [14]  churn rounds (with and without the module in each)
#   xda.nets=N,N,.. [1,10,100,1000,4000]   namespace counts for load cost
#   xda.lrounds=N [5]   loads at each namespace count
#   xda.lmode=auto|force [auto]  mode of those loads (window only)
#   xda.erounds=N [14]  ping rounds (with and without the module in each)
#   xda.esecs=N [1]     seconds of pings per measurement
#   xda.memnets=N [1000]  namespaces for the memory figure
#
# /lib/xda holds xfrm_dst_acct.ko, xda_bench.ko and nsbench.
IP=/usr/sbin/ip
LIB=/lib/xda
NSB=$LIB/nsbench
KO=$LIB/xfrm_dst_acct.ko
PARAMS=/sys/module/xda_bench/parameters

arg() {	# arg NAME DEFAULT: xda.NAME from the kernel command line
	v=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^xda\.$1=\([a-z0-9,]*\)$/\1/p")
	echo "${v:-$2}"
}

say() {
	echo "scenario: [$(cut -d' ' -f1 /proc/uptime)s] $*"
}

die() {
	say "FAILED: $*"
	exit 1
}

odd() {
	[ $(($1 % 2)) -eq 1 ]
}

# nsbench's line without its "nsbench: what" head.
fields() {
	sed 's/^nsbench: [a-z-]* //'
}

# Functions that may fail set globals rather than print, so that they
# run in this shell and die ends the scenario.

# bench_run NS COMMAND: one xda_bench measurement in namespace NS; its
# fields in RESULT.
bench_run() {
	$IP netns exec "$1" sh -c "echo '$2' >$PARAMS/run" || die "xda_bench: $2"
	RESULT=$(sed 's/^xda_bench: [a-z]* //' $PARAMS/result)
}

ms_of() {
	echo "$1" | sed -n 's/.* ms=\([0-9.]*\) .*/\1/p'
}

# load MODE: insmod xfrm_dst_acct.ko, timed (ms in LOAD_MS); the
# module's own log lines are left in /tmp/load.log.
load() {
	dmesg -c >/dev/null
	out=$($NSB insmod $KO "mode=$1") || die "insmod mode=$1: $out"
	dmesg >/tmp/load.log
	LOAD_MS=$(ms_of "$out")
}

unload() {	# rmmod, timed (ms in UNLOAD_MS)
	out=$($NSB rmmod xfrm_dst_acct) || die "rmmod: $out"
	UNLOAD_MS=$(ms_of "$out")
}

# "counters=N stop_us=X shared=N" from the module's last log line at load
# (how many counters got own storage, how long the CPUs were held, how
# many of them left shared storage; "?" where the module does not say).
stop_fields() {
	line=$(grep 'own storage installed in' /tmp/load.log | tail -n 1)
	c=$(echo "$line" | sed -n 's/.* installed in \([0-9]*\) counters.*/\1/p')
	us=$(echo "$line" | sed -n 's/.* CPUs held for \([0-9]*\) us.*/\1/p')
	left=$(echo "$line" | sed -n 's/.* us; \([0-9]*\) left shared.*/\1/p')
	echo "counters=${c:-0} stop_us=${us:-0} shared=${left:-?}"
}

# hold N: N more namespaces, held by a background nsbench until
# release; nsbench's fields in HOLD_LINE.
HOLDERS=
HELD=0
NHOLD=0
hold() {
	NHOLD=$((NHOLD + 1))
	ready=/tmp/ready.$NHOLD
	$NSB hold "$1" "$ready" >/tmp/hold.out &
	HOLDERS="$HOLDERS $!"
	while [ ! -e "$ready" ]; do
		kill -0 $! 2>/dev/null || die "nsbench hold $1"
		usleep 20000
	done
	HELD=$((HELD + $1))
	HOLD_LINE=$(fields </tmp/hold.out)
}

# release: end every holder and wait until their namespaces have been
# dismantled; nsbench's fields (the time that took) in RELEASE_LINE.
release() {
	base=$(($(cat $PARAMS/nets) - HELD))
	# shellcheck disable=SC2086 # a list of pids
	kill $HOLDERS
	# shellcheck disable=SC2086
	wait $HOLDERS 2>/dev/null
	HOLDERS=
	HELD=0
	RELEASE_LINE=$($NSB settle "$base" | fields)
}

meminfo() {	# meminfo FIELD: its value in kB
	sed -n "s/^$1: *\([0-9]*\) kB/\1/p" /proc/meminfo
}

slab_objs() {	# slab_objs CACHE: "active_objs objsize" from /proc/slabinfo
	awk -v c="$1" '$1 == c { print $2, $4 }' /proc/slabinfo
}

mem_snapshot() {	# mem_snapshot WHEN N
	# Freed objects go back after a grace period; let those settle first.
	echo settle >$PARAMS/run
	sleep 1
	cp /proc/slabinfo "/tmp/slabinfo.$1"
	# shellcheck disable=SC2046 # two words from each
	set -- "$1" "$2" $(slab_objs kmalloc-192) $(slab_objs proc_dir_entry)
	echo "bench-mem: when=$1 n=$2 percpu_kb=$(meminfo Percpu)" \
		"slab_kb=$(meminfo Slab) sunreclaim_kb=$(meminfo SUnreclaim)" \
		"memfree_kb=$(meminfo MemFree)" \
		"kmalloc192_objs=${3:-0} pde_objs=${5:-0} pde_size=${6:-0}"
}

proc_state() {	# proc_state NS: the owner of each family's storage
	# shellcheck disable=SC2016 # awk's fields
	$IP netns exec "$1" awk 'NR > 1 { printf "%s=%s ", $1, $5 }' \
		/proc/net/xfrm_dst_acct
}

# --- stock kernel -------------------------------------------------------

hot() {	# hot ROUND STATE: one and both CPUs
	for c in 1 2; do
		bench_run hot "hot $c $MS"
		echo "bench-hot: round=$1 state=$2 $RESULT"
	done
}

hot_module() {	# hot_module ROUND: with the module's storage (mode=force)
	load force
	echo "bench-hotload: round=$1 insmod_ms=$LOAD_MS $(stop_fields) $(proc_state hot)"
	hot "$1" module
	unload
}

# Rounds alternate the order (kernel then module, module then kernel) so
# that drift of the host's load hits both alike; within each measurement
# xda_bench also interleaves its variants (see xda_bench.c).
hot_path() {
	say "hot path: $ROUNDS rounds of $MS ms per measurement"
	$IP netns add hot
	r=1
	while [ $r -le "$ROUNDS" ]; do
		if odd $r; then
			hot $r kernel
			hot_module $r
		else
			hot_module $r
			hot $r kernel
		fi
		r=$((r + 1))
	done
}

accuracy() {
	say "accuracy: both CPUs allocating and freeing"
	for state in kernel module; do
		[ $state = module ] && load force
		for i in 1 2; do
			bench_run hot "accuracy 1000"
			echo "bench-acc: state=$state $RESULT"
		done
	done
	unload
	$IP netns del hot
}

# --- both kernels -------------------------------------------------------

churn_one() {	# churn_one KERNEL ROUND STATE
	[ "$3" = module ] && load auto
	line=$($NSB churn "$CHURN") || die "nsbench churn: $line"
	echo "bench-churn: kernel=$1 round=$2 state=$3 $(echo "$line" | fields)"
	# One namespace at a time: the latency of a whole life, where any
	# cost per dismantled batch is not shared.
	for i in 1 2 3 4 5; do
		line=$($NSB churn 1) || die "nsbench churn: $line"
		echo "bench-churn1: kernel=$1 round=$2 state=$3 $(echo "$line" | fields)"
	done
	[ "$3" = module ] && unload
	return 0
}

# Short rounds, each with and without the module in alternating order;
# one namespace is held meanwhile, so that the module finds out at load
# whether the kernel is affected (as it would on a host in use) rather
# than when the first namespace of the round is made.
churn() {	# churn KERNEL
	say "namespace churn: $CROUNDS rounds of $CHURN namespaces"
	hold 1
	r=1
	while [ $r -le "$CROUNDS" ]; do
		if odd $r; then
			churn_one "$1" $r none
			churn_one "$1" $r module
		else
			churn_one "$1" $r module
			churn_one "$1" $r none
		fi
		r=$((r + 1))
	done
	release
}

# --- affected kernel ----------------------------------------------------

memory() {
	say "memory: first load with $MEMNETS namespaces"
	hold "$MEMNETS"
	echo "bench-hold: $HOLD_LINE"
	mem_snapshot before "$MEMNETS"
	load auto
	mem_snapshot after "$MEMNETS"
	# Every slab cache whose objects grew or shrank by more than 100.
	# shellcheck disable=SC2016 # awk's fields
	awk 'NR == FNR { objs[$1] = $2; next }
	     $1 in objs && ($2 - objs[$1] > 100 || objs[$1] - $2 > 100) {
		printf "bench-slab: cache=%s objs=%+d objsize=%d\n", $1, $2 - objs[$1], $4
	     }' /tmp/slabinfo.before /tmp/slabinfo.after
	echo "bench-memload: n=$MEMNETS insmod_ms=$LOAD_MS $(stop_fields)"
	unload
	release
	echo "bench-teardown: n=$MEMNETS $RELEASE_LINE"
}

ENC="enc cbc(aes) 0x000102030405060708090a0b0c0d0e0f"
AUTH="auth hmac(sha256) 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

# Two namespaces joined by a veth pair, ESP in transport mode both ways.
ipsec_setup() {
	$IP netns add ea || die "netns add"
	$IP netns add eb || die "netns add"
	$IP -n ea link set lo up
	$IP -n eb link set lo up
	$IP -n ea link add va type veth peer name vb netns eb || die "veth"
	$IP -n ea addr add 10.77.0.1/24 dev va
	$IP -n eb addr add 10.77.0.2/24 dev vb
	$IP -n ea link set va up
	$IP -n eb link set vb up
	for ns in ea eb; do
		# shellcheck disable=SC2086 # the algorithms are lists of words
		$IP -n $ns xfrm state add src 10.77.0.1 dst 10.77.0.2 proto esp \
			spi 0x1001 mode transport $ENC $AUTH || die "xfrm state"
		# shellcheck disable=SC2086
		$IP -n $ns xfrm state add src 10.77.0.2 dst 10.77.0.1 proto esp \
			spi 0x1002 mode transport $ENC $AUTH || die "xfrm state"
	done
	for p in "ea 10.77.0.1 10.77.0.2" "eb 10.77.0.2 10.77.0.1"; do
		# shellcheck disable=SC2086 # namespace and two addresses
		set -- $p
		$IP -n "$1" xfrm policy add src "$2" dst "$3" dir out \
			tmpl src "$2" dst "$3" proto esp mode transport || die "xfrm policy"
		$IP -n "$1" xfrm policy add src "$3" dst "$2" dir in \
			tmpl src "$3" dst "$2" proto esp mode transport || die "xfrm policy"
	done
	$IP netns exec ea ping -c 1 -W 2 10.77.0.2 >/dev/null || die "no ESP ping"
}

esp_packets() {	# ESP packets sent by ea so far
	$IP -n ea -s xfrm state list src 10.77.0.1 dst 10.77.0.2 |
		sed -n 's/.* \([0-9]*\)(packets).*/\1/p' | head -n 1
}

e2e_one() {	# e2e_one ROUND STATE
	[ "$2" = module ] && load auto
	state=$(proc_state ea 2>/dev/null)
	before=$(esp_packets)
	line=$($IP netns exec ea $NSB repeat "$ESECS" ping -c 1 -W 1 10.77.0.2) ||
		die "nsbench repeat: $line"
	echo "bench-e2e: round=$1 state=$2 $(echo "$line" | fields)" \
		"esp_packets=$(($(esp_packets) - before)) ${state:-ipv4=none}"
	[ "$2" = module ] && unload
	return 0
}

e2e() {
	say "end to end: ping -c 1 over ESP, $EROUNDS rounds of $ESECS s"
	ipsec_setup
	r=1
	while [ $r -le "$EROUNDS" ]; do
		if odd $r; then
			e2e_one $r none
			e2e_one $r module
		else
			e2e_one $r module
			e2e_one $r none
		fi
		r=$((r + 1))
	done
	$IP netns del ea
	$IP netns del eb
}

load_cost() {	# load_cost MODE
	say "load cost with $NETS namespaces, mode=$1"
	for n in $(echo "$NETS" | tr ',' ' '); do
		[ "$n" -gt "$HELD" ] || continue
		hold $((n - HELD))
		echo "bench-hold: $HOLD_LINE memfree_kb=$(meminfo MemFree)" \
			"percpu_kb=$(meminfo Percpu)"
		echo walk >$PARAMS/run || die "xda_bench: walk"
		echo "bench-walk: n=$n $(sed 's/^xda_bench: walk //' $PARAMS/result)"
		i=1
		while [ $i -le "$LROUNDS" ]; do
			load "$1"
			line="n=$n mode=$1 round=$i insmod_ms=$LOAD_MS $(stop_fields)"
			unload
			echo "bench-load: $line rmmod_ms=$UNLOAD_MS memfree_kb=$(meminfo MemFree)"
			i=$((i + 1))
		done
	done
}

main() {
	KERNEL=$(arg bench stock)
	ROUNDS=$(arg rounds 8)
	MS=$(arg ms 1000)
	CHURN=$(arg churn 20)
	CROUNDS=$(arg crounds 14)
	NETS=$(arg nets 1,10,100,1000,4000)
	LROUNDS=$(arg lrounds 5)
	EROUNDS=$(arg erounds 14)
	ESECS=$(arg esecs 1)
	MEMNETS=$(arg memnets 1000)

	echo "bench-info: kernel=$KERNEL release=$(uname -r)" \
		"possible=$(cat /sys/devices/system/cpu/possible)" \
		"online=$(cat /sys/devices/system/cpu/online)" \
		"clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)" \
		"memtotal_kb=$(meminfo MemTotal)"
	insmod $LIB/xda_bench.ko || die "insmod xda_bench.ko"
	case $KERNEL in
	stock)
		hot_path
		accuracy
		churn stock
		;;
	affected)
		memory
		churn affected
		e2e
		load_cost auto
		;;
	window)
		load_cost "$(arg lmode auto)"
		;;
	*)
		die "xda.bench=$KERNEL: expected stock, affected or window"
		;;
	esac
	say "done"
}

main
