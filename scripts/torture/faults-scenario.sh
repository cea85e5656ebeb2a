#!/bin/sh
# Runs inside the test VM (see scripts/run-plan.sh, plan faults): every allocation
# on the module's load path and on the namespace-creation path made to fail
# in turn.
# needs: CONFIG_KUNIT CONFIG_FAILSLAB
# takes: xfrm_dst_acct.ko xfrm_dst_acct_test.ko faultcall.c
# shows: ^faults: (done|point|step)
# timeout: 3600
#
# Kernel command line:
#   xda.mode=auto|force   the module's mode
#   xda.expect=yes|no     whether the kernel must be found affected (for the
#                         KUnit suites, loaded as in kunit-scenario.sh)
#   xda.steps=seam,netns,insmod   the steps to run (default: all three)
#   xda.faults=all        every N instead of the sweep described below
#   xda.stride=N          the sweep's stride over the points far from ours
#
# Steps, each failure followed by the same checks (check_clean):
#   seam    the module's own storage allocation, through the KUnit module's
#           fail_nth_storage_alloc: namespace creation fails on the 1st
#           and on the 2nd (last) allocation;
#   netns   /proc/thread-self/fail-nth on unshare(CLONE_NEWNET): the Nth
#           slab or page allocation of the whole creation fails: every N
#           from the last allocation down to 40 past the lowest one made
#           by the module's code (its pernet operations are the last
#           subsystem ones; only the device ones, loopback and tunnels,
#           come after), then every xda.stride-th (20) of the others;
#           xda.faults=all: every N;
#   insmod  the same on finit_module() of xfrm_dst_acct.ko, module unloaded
#           (the module's init runs last in a load).
# check_clean: the call failed with ENOMEM (or the kernel tolerated the
# failure and the call succeeded); the module is loaded (netns) or absent
# (insmod failed) and then no namespace has /proc/net/xfrm_dst_acct;
# every namespace's /proc/net/xfrm_dst_acct is as before; the module's
# storage count (storage_outstanding) is as before; nothing leaks
# (kmemleak at the end).
#
# Output, one line per injected failure:
#   fault: step=netns nth=N result=ENOMEM kind=failslab site=f<caller<caller ours=no check=ok
# ("ours=yes": the failing allocation was made by xfrm_dst_acct's code) and
#   faults: step=S points=N tolerated=N failed_checks=N
# then where the failures were injected, most frequent first, and
#   faults: done seam=N netns=N(ours N) insmod=N(ours N) tolerated=N failed_checks=N
# The results (KTAP): every check held after the failures, and kmemleak
# found nothing.
. /lib/xda/scenario-lib.sh
KO=$LIB/xfrm_dst_acct.ko
FC=$LIB/faultcall
TP=/sys/module/xfrm_dst_acct_test/parameters
DBG=/sys/kernel/debug
RUN=/run/faults

say() {
	echo "faults: [$(cut -d' ' -f1 /proc/uptime)s] $*"
}

# --- namespaces and what they show --------------------------------------

# The namespaces to watch: init_net and three held by processes.
make_namespaces() {
	mkdir -p $RUN
	for ns in before1 before2; do
		$IP netns add $ns
		$IP netns exec $ns sleep 100000 &
		echo $! >$RUN/$ns.pid
	done
}

make_after() {
	$IP netns add after1
	$IP netns exec after1 sleep 100000 &
	echo $! >$RUN/after1.pid
}

# The module's view of every watched namespace, in $VIEWS (shell builtins
# only: an exec costs a lot on the debug kernel, and this runs after every
# injected failure).
views() {
	VIEWS=
	for ns in init before1 before2 after1; do
		if [ $ns = init ]; then
			f=/proc/net/xfrm_dst_acct
		elif [ -e $RUN/$ns.pid ]; then
			read -r pid <$RUN/$ns.pid
			f=/proc/$pid/net/xfrm_dst_acct
		else
			continue
		fi
		VIEWS="$VIEWS $ns:"
		if [ -e "$f" ]; then
			while read -r fam fast exact gc state rest; do
				[ "$fam" = family ] || VIEWS="$VIEWS$fam,$exact,$state;"
			done <"$f"
		else
			VIEWS="${VIEWS}none;"
		fi
	done
}

# The module's storage count, in $OUTSTANDING.
outstanding() {
	OUTSTANDING=-
	[ -e $TP/storage_outstanding ] && read -r OUTSTANDING <$TP/storage_outstanding
}

# check_clean STEP RESULT OURS: after one injected failure; sets CHECK.
# The call must fail with ENOMEM where the failing allocation is the
# module's own (OURS=yes); elsewhere the kernel's own error is recorded
# (some paths report an allocation failure as EEXIST, ENODEV, ...).
check_clean() {
	CHECK=
	case $2:$3 in
	ok:* | ENOMEM:* | *:no | *:\?) ;;
	*) CHECK="$CHECK errno=$2" ;;
	esac
	views
	if [ "$1" = insmod ] && [ "$2" != ok ]; then
		[ -d /sys/module/xfrm_dst_acct ] && CHECK="$CHECK module-left-loaded"
		[ "$VIEWS" = "$NONE_VIEWS" ] || CHECK="$CHECK half-attached:$VIEWS"
	else
		[ "$VIEWS" = "$BASE_VIEWS" ] || CHECK="$CHECK views-changed:$VIEWS"
		# A namespace that was made after all is dismantled in the
		# background: give it time to free its storage.
		outstanding
		i=0
		while [ "$1" != insmod ] && [ "$OUTSTANDING" != "$BASE_OUTSTANDING" ] &&
			[ $i -lt 100 ]; do
			sleep 0.1
			outstanding
			i=$((i + 1))
		done
		if [ "$1" != insmod ] && [ "$OUTSTANDING" != "$BASE_OUTSTANDING" ]; then
			CHECK="$CHECK storage_outstanding=$OUTSTANDING"
		fi
	fi
	CHECK=${CHECK:-ok}
}

# --- fault injection ----------------------------------------------------

fault_setup() {
	mount -t debugfs none $DBG 2>/dev/null
	for d in failslab fail_page_alloc; do
		[ -d $DBG/$d ] || { say "no $DBG/$d: not a debug kernel"; exit 1; }
		# Count GFP_KERNEL allocations too; order 0 pages too; only
		# fail-nth injects (probability 0); a stack trace each time.
		echo N >$DBG/$d/ignore-gfp-wait
		echo 0 >$DBG/$d/probability
		echo 2 >$DBG/$d/verbose
		# Every injection's notice, none rate limited: the site of
		# each point comes from its stack trace.
		echo 0 >$DBG/$d/verbose_ratelimit_interval_ms
	done
	echo 0 >$DBG/fail_page_alloc/min-order
	echo N >$DBG/fail_page_alloc/ignore-gfp-highmem
	# Console: warnings and worse only; stack dumps (default level) and
	# the injection notices go to the ring buffer, read after each call.
	SAVED_PRINTK=$(cat /proc/sys/kernel/printk | tr '\t' ' ')
	dmesg -c >/dev/null
	echo "5 6 1 7" >/proc/sys/kernel/printk
}

fault_teardown() {
	echo "$SAVED_PRINTK" >/proc/sys/kernel/printk
}

# Read the ring buffer: turn each injection's stack trace into one
# "kind=... site=... ours=..." summary (printed to $RUN/site) and print
# everything else as it is, so check-log.sh still sees any real report.
# An allocation failure warning (page allocation failure, vmalloc error,
# sysctl's "could not get directory ... -12" with its dump_stack()) caused
# by an injection is dropped with its stack trace.
drain_log() {
	dmesg -c | awk -v out=$RUN/site '
	function skip(f) {
		return f ~ /^(dump_stack|fail_dump|should_fail|__should_fail|should_failslab|prepare_alloc_pages|__alloc_pages|alloc_pages|__get_free_pages|get_zeroed_page|slab_pre_alloc_hook|kmem_cache_alloc|__kmem_cache_alloc|kmalloc|__kmalloc|kmemdup|kstrdup|kstrndup|kzalloc|krealloc|__krealloc|kvmalloc|__kvmalloc|kvzalloc|vmalloc|vzalloc|__vmalloc|__get_vm_area|get_vm_area|alloc_vmap_area|allocate_slab|new_slab|___slab_alloc|__slab_alloc|slab_alloc|kmalloc_large|kmalloc_order|__alloc_pages_bulk|alloc_pages_bulk|kvasprintf|kasprintf|kmemleak|kasan|__kasan)/
	}
	/FAULT_INJECTION: forcing a failure/ { inf = 1; kind = ""; n = 0; sites = ""; ours = "no"; next }
	/page allocation failure:|vmalloc error:|sysctl could not get directory: .* -12$/ { drop = 1; next }
	inf && /name [a-z_]*, interval/ { kind = $0; sub(/.*name /, "", kind); sub(/,.*/, "", kind); next }
	(inf || drop) && /<\/TASK>/ {
		if (inf) { printf "kind=%s site=%s ours=%s\n", kind, (sites == "" ? "?" : sites), ours > out }
		inf = 0; drop = 0; next
	}
	inf {
		line = $0; sub(/^\[[ 0-9.]*\] */, "", line)
		if (line ~ /\[xfrm_dst_acct\]/) ours = "yes"
		if (line !~ /^[A-Za-z0-9_.]+\+0x[0-9a-f]+\/0x[0-9a-f]+( \[[a-z0-9_]+\])?$/) next
		f = line; sub(/\+.*/, "", f)
		if (n == 0 && skip(f)) next
		if (n < 3) { sites = sites (n ? "<" : "") f (line ~ /\[xfrm_dst_acct\]/ ? "[ours]" : ""); n++ }
		next
	}
	drop { next }
	/Mem-Info:|^\[[ 0-9.]*\] (active_anon|Node 0|DMA|lowmem_reserve|[0-9]+ total pagecache|Free swap|Total swap|[0-9]+ pages)/ { next }
	{ print }'
}

# inject STEP N CALL...: one call with its Nth allocation failing; prints
# the fault: line; returns 1 once the call made fewer than N allocations.
inject() {
	step=$1 nth=$2
	shift 2
	INJECT_ARGS="$*"
	for try in 1 2; do
		rm -f $RUN/site
		out=$($FC "$nth" "$@")
		drain_log
		set -- $out
		result=${4#result=}
		injected=${5#injected=}
		if [ "$injected" = no ]; then
			# Fewer allocations than N this time (the count varies
			# by a few from one call to the next).
			[ "$result" = ok ] || say "$step: nth=$nth failed with $result without an injection"
			[ "$step" = insmod ] && [ "$result" = ok ] && rmmod xfrm_dst_acct
			site=
			return 1
		fi
		site="kind=? site=? ours=?"
		[ -e $RUN/site ] && read -r site <$RUN/site
		# A failure without a trace: the notice was rate limited (10
		# per 5 s); once more after a pause.  A tolerated one without
		# a trace was __GFP_NOWARN (kmemleak, KASAN and debug-objects
		# metadata: they fall back on their own pools).
		[ "$result" != ok ] && [ "$site" = "kind=? site=? ours=?" ] && [ $try = 1 ] ||
			break
		sleep 5
		# (restore the arguments for the second try)
		set -- $INJECT_ARGS
	done
	case $site in
	*"ours=yes"*) ours=yes ;;
	*"ours=?"*) ours=? ;;
	*) ours=no ;;
	esac
	check_clean "$step" "$result" "$ours"
	[ "$result" = ok ] && TOLERATED=$((TOLERATED + 1))
	[ "$CHECK" = ok ] || FAILED=$((FAILED + 1))
	POINTS=$((POINTS + 1))
	echo "fault: step=$step nth=$nth result=$result $site check=$CHECK" | tee -a $RUN/points
	# insmod that succeeded anyway: unload for the next round.
	[ "$step" = insmod ] && [ "$result" = ok ] && rmmod xfrm_dst_acct
	return 0
}

step_summary() {
	echo "faults: step=$1 points=$POINTS tolerated=$TOLERATED failed_checks=$FAILED"
	TOTAL_FAILED=$((TOTAL_FAILED + FAILED))
	POINTS=0 TOLERATED=0 FAILED=0
}

# --- the steps ------------------------------------------------------------

step_seam() {
	n=1
	while [ $n -le 2 ]; do
		echo $n >$TP/fail_nth_storage_alloc
		out=$($FC 0 netns)
		echo 0 >$TP/fail_nth_storage_alloc
		set -- $out
		result=${4#result=}
		check_clean seam "$result" yes
		[ "$result" = ENOMEM ] || CHECK="$CHECK creation-did-not-fail:$result"
		[ "$CHECK" = ok ] || FAILED=$((FAILED + 1))
		POINTS=$((POINTS + 1))
		echo "fault: step=seam nth=$n result=$result kind=storage site=xda_batch_prepare[ours] ours=yes check=$CHECK" |
			tee -a $RUN/points
		n=$((n + 1))
	done
	# What a user sees.
	echo 1 >$TP/fail_nth_storage_alloc
	say "seam: unshare -n: $(unshare -n true 2>&1 || true)"
	echo 2 >$TP/fail_nth_storage_alloc
	say "seam: ip netns add: $($IP netns add x 2>&1 || true)"
	echo 0 >$TP/fail_nth_storage_alloc
	$IP netns del x 2>/dev/null
	# Two allocations per namespace: with the third armed, creation works.
	echo 3 >$TP/fail_nth_storage_alloc
	unshare -n cat /proc/net/xfrm_dst_acct | sed 's/^/    /'
	echo 0 >$TP/fail_nth_storage_alloc
	check_clean seam ok yes
	[ "$CHECK" = ok ] || { say "seam: after a namespace made and gone: $CHECK"; FAILED=$((FAILED + 1)); }
	step_summary seam
}

# calls STEP CALL...: how many injection points CALL passes (a call with a
# fail-nth too large to be reached); in $CALLS.
calls() {
	step=$1
	shift
	out=$($FC 100000000 "$@")
	drain_log
	set -- $out
	CALLS=${6#calls=}
	say "$step: the call passes $CALLS injection points (${4#result=})"
}

# sweep STEP TOTAL CALL...: inject at N = TOTAL, TOTAL-1, ... down to 40
# points past the lowest one in our code (all of them if none is found;
# 40: kmemleak's own allocations for our percpu storage lie between),
# then every STRIDE-th point of the rest; with xda.faults=all, every N from
# 1 up until the call makes fewer than N allocations.
sweep() {
	step=$1 total=$2
	shift 2
	if [ "$ALL" = all ]; then
		nth=1
		while inject $step $nth "$@"; do
			nth=$((nth + 1))
		done
		return
	fi
	nth=$total seen=0 after=0
	while [ $nth -ge 1 ] && [ $after -lt 40 ]; do
		inject $step $nth "$@"
		case $site in
		*"ours=yes"*) seen=1 after=0 ;;
		*) [ $seen = 1 ] && after=$((after + 1)) ;;
		esac
		nth=$((nth - 1))
	done
	say "$step: every point from $total down to $((nth + 1)); then one in $STRIDE"
	lowest=$nth
	nth=1
	while [ $nth -le $lowest ]; do
		inject $step $nth "$@"
		nth=$((nth + STRIDE))
	done
}

step_netns() {
	calls netns netns
	sweep netns "$CALLS" netns
	# The module still attaches new namespaces.
	unshare -n cat /proc/net/xfrm_dst_acct | sed 's/^/    /'
	step_summary netns
}

step_insmod() {
	rmmod xfrm_dst_acct_test && rmmod xfrm_dst_acct || { say "cannot unload"; exit 1; }
	views
	NONE_VIEWS=$VIEWS
	calls insmod insmod $KO "mode=$MODE"
	rmmod xfrm_dst_acct || { say "insmod: not loaded after counting"; exit 1; }
	sweep insmod "$CALLS" insmod $KO "mode=$MODE"
	insmod $KO "mode=$MODE" || { say "insmod: does not load at the end"; FAILED=$((FAILED + 1)); }
	views
	[ "$VIEWS" = "$BASE_VIEWS" ] || { say "insmod: views differ after the load: $VIEWS"; FAILED=$((FAILED + 1)); }
	step_summary insmod
}

main() {
	MODE=$(arg mode)
	expect=$(arg expect)
	ALL=$(arg faults)
	STRIDE=$(sed -n 's/.*xda\.stride=\([0-9]*\).*/\1/p' /proc/cmdline)
	STRIDE=${STRIDE:-20}
	STEPS=$(sed -n 's/.*xda\.steps=\([a-z,]*\).*/\1/p' /proc/cmdline | tr , ' ')
	STEPS=${STEPS:-seam netns insmod}
	POINTS=0 TOLERATED=0 FAILED=0 TOTAL_FAILED=0
	say "kernel $(uname -r), mode=$MODE expect_affected=$expect"
	make_namespaces
	insmod $KO mode="$MODE" || exit 1
	make_after
	unshare -n sleep 600 &
	victim=$!
	sleep 1
	printf 'expect_affected=%s\nvictim_pid=%s\n' "$expect" "$victim" \
		>/run/xfrm_dst_acct_test.conf
	insmod $LIB/xfrm_dst_acct_test.ko || exit 1
	views
	BASE_VIEWS=$VIEWS
	outstanding
	BASE_OUTSTANDING=$OUTSTANDING
	say "views: $BASE_VIEWS"
	say "storage_outstanding: $BASE_OUTSTANDING"

	fault_setup
	for step in $STEPS; do
		step_$step
	done
	fault_teardown

	rmmod xfrm_dst_acct || exit 1
	for ns in before1 before2 after1; do
		kill "$(cat $RUN/$ns.pid)"
		$IP netns del $ns
	done
	kill $victim 2>/dev/null
	sed -n 's/^fault: step=\([a-z]*\) .* kind=\([^ ]*\) site=\(.*\) ours=\([a-z?]*\) check=.*/\1 \2 \3 ours=\4/p' \
		$RUN/points | sort | uniq -c | sort -k2,2 -k1,1nr | sed 's/^ */faults: point /'
	line=
	for step in seam netns insmod; do
		line="$line $step=$(grep -c "step=$step " $RUN/points)(ours $(grep "step=$step " $RUN/points | grep -c ' ours=yes '))"
	done
	echo "faults: done$line tolerated=$(grep -c ' result=ok ' $RUN/points) failed_checks=$TOTAL_FAILED"
	check "every check held after the injected failures" equal "$TOTAL_FAILED" 0
	kmemleak_result
}

main
