#!/bin/sh
# Runs inside the test VM (see scripts/torture/run.sh): the module loaded
# and unloaded again and again while IPsec traffic runs, namespaces with
# IPsec are made and destroyed, and CPU 1 goes offline and back.
#
# Kernel command line:
#   xda.mode=auto|force     the mode of every load
#   xda.seconds=N           how long the torture runs [600]
#   xda.flowcache=0|1       the kernel has the xfrm flow cache (before
#                           4.14): the final counts are read once it is
#                           flushed (see scripts/e2e/scenario.sh)
#
# Namespaces:
#   t1 t2, t3 t4   two ESP pairs (IPv4 and IPv6) over veth, each pinging
#                  its peer with `ping -c 1` in a loop
#   hub            the far end of every churned namespace
#   (unnamed)      made by churn worker W (1, 2) with `unshare -n`: a veth
#                  to the hub and ESP for both families, pinged once each
#                  way, destroyed as its process ends
#   (unnamed)      made the same way by the module cycler before every
#                  insmod and rmmod, and destroyed (its process killed) at
#                  the moment insmod or rmmod starts
#
# Baseline and end (what "back to baseline" means):
#   The baseline is read with the module loaded, before any traffic, once
#   every count has settled.  On the stock kernel (mode=force) the module
#   keeps every count continuous across each load and unload (the
#   kernel's private storage is left untouched while ours is installed),
#   so after the traffic has stopped, IPsec is flushed and every entry is
#   freed, each count must equal its baseline whatever happened in
#   between: a single update lost in one of the hand-overs under traffic
#   shows.  On the affected kernel a count means nothing while the module
#   is unloaded (namespaces share the slots again), and every load seeds
#   a namespace leaving shared storage at 0; entries alive at that moment
#   are subtracted again when they are freed.  So the end is the same on
#   both kernels: everything stops and settles, the module is reloaded
#   with nothing alive (on stock a further continuity check, on the
#   affected kernel the new reference point), a last round of traffic and
#   churn runs with the module in place, IPsec is flushed and the counts
#   settle; then every surviving namespace (init_net, t1..t4, hub) must be
#   back at its baseline.  The drift before the reload is printed too.
#
# Output: torture-vm: cycles=N netns_churned=N hotplug=N pings=OK/TOTAL
#         drift=D load_failures=N ... unload_stalls=N
# and the results (KTAP): every count back at its baseline, every insmod
# and rmmod made, none waiting behind a stalled dismantling, every ping
# answered, and kmemleak (where the kernel has it) finds nothing.
# takes: xfrm_dst_acct.ko nschurn.c scripts/torture/ipsec.sh
# shows: ^torture(-vm)?: .*(progress|baseline|before the reload|final|drift|FAILED|failed|cycles=)
. /lib/xda/scenario-lib.sh
. /lib/xda/ipsec.sh
KO=$LIB/xfrm_dst_acct.ko
RUN=/run/torture
CPU1=/sys/devices/system/cpu/cpu1/online
SURVIVORS="init t1 t2 t3 t4 hub"
SUBNETS=64	# subnets per churn worker, used in turn

# Seconds, from the CMOS RTC where the kernel has one: it follows the
# host's clock, while the guest's jiffies fall behind when the TCG host is
# busy.  The torture's length is meant in the host's time.
now() {
	if [ -r /sys/class/rtc/rtc0/since_epoch ]; then
		cat /sys/class/rtc/rtc0/since_epoch
	else
		cut -d. -f1 /proc/uptime
	fi
}

say() {
	echo "torture: [$(cut -d' ' -f1 /proc/uptime)s] $*"
}

die() {
	say "FAILED: $*"
	exit 1
}

stopping() {
	[ -e $RUN/stop ]
}

# Counters live in files, one writer each.  No command substitution or
# exec on the hot paths: under TCG a fork and an exec cost a lot.
bump() {	# bump FILE [N]: add N (1) to the number in FILE
	n=0
	[ -e "$1" ] && read -r n <"$1"
	echo $((n + ${2:-1})) >"$1"
}

sum() {	# sum NAME: the numbers in $RUN/NAME.* added up
	cat $RUN/$1.* 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

loaded() {
	test -d /sys/module/xfrm_dst_acct
}

# --- namespaces ---------------------------------------------------------

# proc_of NS: NS's /proc/net/xfrm_dst_acct, through a process held in
# it (no exec needed to read it).
proc_of() {
	if [ "$1" = init ]; then
		echo /proc/net/xfrm_dst_acct
	else
		read -r pid <$RUN/anchor.$1
		echo /proc/$pid/net/xfrm_dst_acct
	fi
}

# count_of NS FAMILY: count_exact from NS's /proc/net/xfrm_dst_acct.
count_of() {
	while read -r fam fast exact rest; do
		[ "$fam" = "ipv$2" ] && echo "$exact"
	done <"$(proc_of "$1")"
}

# One line with every survivor's exact counts: "init:4=0,6=0 t1:...".
counts() {
	line=
	for ns in $SURVIVORS; do
		line="$line $ns:4=$(count_of $ns 4),6=$(count_of $ns 6)"
	done
	echo "${line# }"
}

# Wait until the counts are the same three seconds running (at most 90 s):
# xfrm dst entries are freed after an RCU grace period.
settle() {
	prev= same=0 n=0
	while [ $same -lt 3 ] && [ $n -lt 90 ]; do
		sleep 1
		cur=$(counts)
		if [ "$cur" = "$prev" ]; then same=$((same + 1)); else same=0; fi
		prev=$cur
		n=$((n + 1))
	done
	echo "$cur"
}

setup_pairs() {
	for ns in t1 t2 t3 t4 hub; do
		$IP netns add $ns || die "netns add $ns"
		$IP -n $ns link set lo up
		$IP netns exec $ns sleep 1000000 &
		echo $! >$RUN/anchor.$ns
	done
	if [ "$FLOWCACHE" = 1 ]; then
		for ns in t1 t2 t3 t4 hub; do
			$IP -n $ns link add xf0 type veth peer name xf1 || die "xf0 in $ns"
			$IP -n $ns link set xf0 up
		done
	fi
	ipsec_pair t1 t2 10.1.0.1 10.1.0.2 fd00:1::1 fd00:1::2 e12 e21 || die "t1-t2"
	ipsec_pair t3 t4 10.2.0.1 10.2.0.2 fd00:2::1 fd00:2::2 e34 e43 || die "t3-t4"
	# The hub's ends of every churn subnet, set up once: 10.1W.S.1 and
	# fd00:1W:S::1 in the hub, .2 and ::2 in the churned namespace.
	for w in 1 2 3; do
		s=0
		while [ $s -lt $SUBNETS ]; do
			ipsec_lines 4 10.1$w.$s.1 10.1$w.$s.2
			ipsec_lines 6 fd00:1$w:$s::1 fd00:1$w:$s::2
			s=$((s + 1))
		done
	done | $IP -n hub -b - || die "hub IPsec"
}

# churn_one W [hold]: one namespace on worker W's next subnet, made by
# nschurn (see nschurn.c: a veth to the hub, ESP for both families, one
# echo each way to the hub), destroyed as its process ends.  hold: keep it
# alive; its pid is printed once it has been used, and killing that
# process destroys it.
churn_one() {
	s=0
	[ -e $RUN/subnet.$1 ] && read -r s <$RUN/subnet.$1
	echo $(((s + 1) % SUBNETS)) >$RUN/subnet.$1
	if [ -n "${2:-}" ]; then
		rm -f $RUN/ready.$1
		$LIB/nschurn hub "$1" "$s" $RUN/ready.$1 >/dev/console 2>&1 &
		pid=$!
		i=0
		while [ ! -e $RUN/ready.$1 ] && [ $i -lt 300 ]; do
			kill -0 $pid 2>/dev/null || break
			sleep 0.1
			i=$((i + 1))
		done
		[ -e $RUN/ready.$1 ] || { kill $pid 2>/dev/null; churn_count "$1" 4; return 1; }
		churn_count "$1" 0
		echo $pid
	else
		$LIB/nschurn hub "$1" "$s"
		churn_count "$1" $?
	fi
}

churn_count() {	# churn_count W NSCHURN_EXIT_STATUS
	case $2 in
	0 | 1 | 2 | 3)
		bump $RUN/churned.$1
		ok=2
		[ $(($2 & 1)) = 1 ] && ok=$((ok - 1))
		[ $(($2 & 2)) = 2 ] && ok=$((ok - 1))
		bump $RUN/churn_ok.$1 $ok
		bump $RUN/churn_total.$1 2
		return 0 ;;
	*)
		bump $RUN/churn_setup_failed.$1
		return 1 ;;
	esac
}

# --- the loops ------------------------------------------------------------

# ping_loop NS PEER4 PEER6 PHASE: `ping -c 1` each family in turn, paced
# so that the churn gets its share of the CPUs.
ping_loop() {
	ok=0 total=0
	while ! stopping; do
		for peer in "$2" "$3"; do
			if ping -c 1 -W 5 "$peer" >/dev/null 2>&1; then
				ok=$((ok + 1))
			else
				say "ping $peer from $1 failed"
			fi
			total=$((total + 1))
		done
		echo "$ok $total" >$RUN/pings.$1.$4
		sleep 1
	done
}

churn_loop() {	# churn_loop W
	while ! stopping; do
		churn_one "$1" || sleep 1
	done
}

hotplug_loop() {
	[ -w $CPU1 ] || { say "no CPU hotplug"; return; }
	while ! stopping; do
		echo 0 >$CPU1 || say "cpu1 offline failed"
		sleep 0.3
		echo 1 >$CPU1 || say "cpu1 online failed"
		bump $RUN/hotplug
		# (every ~3 s: enough rounds, and CPU left for the other loops)
		sleep 2.5
	done
}

# The module's /proc file read in every namespace while it comes and goes.
reader_loop() {
	files=
	for ns in $SURVIVORS; do
		files="$files $(proc_of $ns)"
	done
	while ! stopping; do
		for f in $files; do
			while read -r line; do :; done <$f
		done 2>/dev/null
		sleep 0.5
	done
}

load() {	# load [PARAM...]
	insmod $KO mode="$MODE" "$@" || {
		bump $RUN/load_failures
		say "insmod failed"
		return 1
	}
}

# rmmod is given 60 s (rmmod_bounded); should a namespace's dismantling
# stall, the torture stops and says what the kernel is waiting for.
unload() {
	rmmod_bounded 60 && return 0
	if [ "$RMMOD_WAITING" = 1 ]; then
		say "rmmod still waiting after 60s: $RMMOD_STALL"
		bump $RUN/unload_stalls
		touch $RUN/stop
	else
		bump $RUN/load_failures
		say "rmmod failed"
	fi
	return 1
}

# Namespaces for the cycler to destroy: up to two kept ready, each used
# (IPsec set up, pinged) and held by a process whose pid is in victims/.
victim_loop() {
	mkdir -p $RUN/victims
	while ! stopping; do
		set -- $RUN/victims/*
		if [ ! -e "$1" ] || [ $# -lt 2 ]; then
			pid=$(churn_one 3 hold) && touch $RUN/victims/$pid
		else
			sleep 0.2
		fi
	done
	for f in $RUN/victims/*; do
		[ -e "$f" ] && kill "${f##*/}"
	done
}

# kill_victim: destroy a ready namespace (its last process killed: it is
# dismantled by the kernel's cleanup work while we go on).
kill_victim() {
	for f in $RUN/victims/*; do
		[ -e "$f" ] || return 0
		rm -f "$f"
		kill "${f##*/}" && bump $RUN/victims_killed
		return 0
	done
}

# Each load and unload starts as a namespace that has just been used is
# destroyed.
cycle_loop() {
	n=0
	while ! stopping; do
		kill_victim
		if [ $((n % 2)) = 1 ]; then load raise_gc_thresh=1; else load; fi
		sleep 0.$((n % 5))
		kill_victim
		unload
		n=$((n + 1))
		echo $n >$RUN/cycles
	done
}

# --- main ------------------------------------------------------------------

# With a flow cache (before 4.14), bundles live as long as their cache
# entry: drop them all, so that counts are read with nothing alive.
drop_flow_caches() {
	[ "$FLOWCACHE" = 1 ] || return 0
	for ns in t1 t2 t3 t4 hub; do
		flow_cache_drop $ns || die "flow cache of $ns"
	done
}

drift_of() {	# drift_of BASELINE_LINE FINAL_LINE: sum of |final - baseline|
	echo "$1 $2" | tr ' ' '\n' | awk -F'[:=,]' '
		NF == 5 { if ($1 in b) { d += abs($3 - b[$1 ",4"]) + abs($5 - b[$1 ",6"]) }
			  else { b[$1] = 1; b[$1 ",4"] = $3; b[$1 ",6"] = $5 } }
		function abs(x) { return x < 0 ? -x : x }
		END { print d + 0 }'
}

main() {
	MODE=$(arg mode auto)
	SECONDS_=$(arg seconds 600)
	FLOWCACHE=$(arg flowcache 0)
	mkdir -p $RUN
	kmemleak_mount
	clock=uptime
	[ -r /sys/class/rtc/rtc0/since_epoch ] && clock=rtc
	say "kernel $(uname -r), $(nproc) CPUs, mode=$MODE, ${SECONDS_}s by the $clock clock"
	setup_pairs
	load || die "first load"
	say "module: affected=$(cat /sys/module/xfrm_dst_acct/parameters/affected)"
	base=$(settle)
	say "baseline: $base"
	unload || die "first unload"

	end=$(($(now) + SECONDS_))
	phase=torture
	# (wait for these only: the anchors never end)
	loops=
	for spec in "t1 10.1.0.2 fd00:1::2" "t2 10.1.0.1 fd00:1::1" \
		"t3 10.2.0.2 fd00:2::2" "t4 10.2.0.1 fd00:2::1"; do
		set -- $spec
		$IP netns exec $1 sh -c ". /scenario.sh; ping_loop $1 $2 $3 $phase" &
		loops="$loops $!"
	done
	for loop in "churn_loop 1" "churn_loop 2" victim_loop hotplug_loop \
		reader_loop cycle_loop; do
		$loop &
		loops="$loops $!"
	done
	while [ "$(now)" -lt $end ]; do
		sleep 10
		say "progress: cycles=$(cat $RUN/cycles 2>/dev/null)" \
			"churned=$(sum churned)" \
			"hotplug=$(cat $RUN/hotplug 2>/dev/null)" \
			"pings=$(cat $RUN/pings.* 2>/dev/null | awk '{ o += $1; t += $2 } END { print o "/" t }')"
	done
	touch $RUN/stop
	say "stopping"
	wait $loops
	echo 1 >$CPU1 2>/dev/null
	say "torture stopped: everything has ended, CPU 1 online"

	# Before the reload: informative (meaningful on stock only).  With a
	# flow cache nothing is alive once the caches are dropped.
	loaded || load || die "load at the end"
	drop_flow_caches
	cur=$(settle)
	say "before the reload: $cur (drift $(drift_of "$base" "$cur"))"
	unload && load || die "reload at the end"

	# A last round of traffic and churn with the module in place.
	say "last round of traffic with the module in place"
	rm -f $RUN/stop
	phase=last
	loops=
	for spec in "t1 10.1.0.2 fd00:1::2" "t3 10.2.0.2 fd00:2::2"; do
		set -- $spec
		$IP netns exec $1 sh -c ". /scenario.sh; ping_loop $1 $2 $3 $phase" &
		loops="$loops $!"
	done
	churn_loop 1 &
	loops="$loops $!"
	sleep 20
	touch $RUN/stop
	wait $loops
	say "traffic stopped; flushing IPsec"
	for ns in t1 t2 t3 t4 hub; do
		ipsec_flush $ns
	done
	drop_flow_caches
	final=$(settle)
	drift=$(drift_of "$base" "$final")
	say "final:    $final"
	say "drift: $drift"
	unload || die "last unload"
	for ns in t1 t2 t3 t4 hub; do
		read -r pid <$RUN/anchor.$ns
		kill $pid
		$IP netns del $ns
	done

	pings=$(cat $RUN/pings.* | awk '{ o += $1; t += $2 } END { print o "/" t }')
	pings=$((${pings%/*} + $(sum churn_ok)))/$((${pings#*/} + $(sum churn_total)))
	failures=$(cat $RUN/load_failures 2>/dev/null || echo 0)
	stalls=$(cat $RUN/unload_stalls 2>/dev/null || echo 0)
	echo "torture-vm: cycles=$(cat $RUN/cycles 2>/dev/null || echo 0)" \
		"netns_churned=$(sum churned)" \
		"hotplug=$(cat $RUN/hotplug 2>/dev/null || echo 0)" \
		"pings=$pings drift=$drift load_failures=$failures" \
		"victims=$(cat $RUN/victims_killed 2>/dev/null || echo 0)" \
		"unload_stalls=$stalls churn_setup_failed=$(sum churn_setup_failed)"
	check "every count back at its baseline" equal "$drift" 0
	check "every insmod and rmmod made" equal "$failures" 0
	check "no rmmod waited behind a stalled dismantling" equal "$stalls" 0
	check "every ping answered" test "${pings%/*}" = "${pings#*/}" -a "${pings%/*}" -gt 0
	kmemleak_result
}

# Sourced by the ping loops (. /scenario.sh) for its functions only.
if [ "$(basename "$0")" = scenario.sh ]; then
	main
fi
