#!/bin/bash
# Show that the tests guard the fix: take the fix apart one piece at a
# time, run what guards that piece, and require it to FAIL.
#
# Usage: scripts/teeth.sh [SET]
#
# SET names the pieces taken apart, and the runs that guard them (lines
# for scripts/run-plan.sh: see guards below):
#   affected  (make test)  the affected model, mode=auto
#   preempt   (make newer) stock-612-preempt, mode=force: adders that can
#             be preempted between loading the pointer and the update
#   ipv6m     (make ipv6m) stock-ipv6m-debug, mode=force, the exit_batch
#             path, ipv6.ko loaded after the module (as on 4.4 .. 5.2)
# What must fail is one of
#   kunit CASE...  these KUnit cases
#   attach CHECK   this check of scripts/vm/attach-scenario.sh
#   ipv6m CHECK    this check of scripts/torture/ipv6m-scenario.sh
# One test per mutation, "teeth: <mutation> fails <what>", counted as the
# harness counts (scripts/vm/kernel.sh); exits 1 if anything required
# passed.  The mutated sources live only in the work directory.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/vm/kernel.sh
. "$ROOT/scripts/vm/kernel.sh"
SET=${1:-affected}

# set | name | file | exact text | replacement | what must fail  (no '|' inside)
MUTATIONS=(
	"affected|no-swap|src/storage.c|	fbc->counters = slot->own;
||kunit own_storage_isolates both_cpus_no_leak every_namespace_owned real_namespaces_traffic"
	"affected|no-dead-cpu-fold|src/storage.c|		slot->fbc->count += *pcount;
		*pcount = 0;
||kunit cpu_offline_keeps_share"
	"affected|no-offline-fold|src/storage.c|	for_each_possible_cpu(cpu)
		if (!cpu_online(cpu))
			*per_cpu_ptr(storage, cpu) = 0;
||kunit cpu_offline_private_storage"
	"affected|no-hand-back|src/storage.c|	WRITE_ONCE(fbc->counters, slot->kernel_storage);
||kunit retire_then_free"
	"affected|keep-shared-count|src/storage.c|		fbc->count = 0;
||kunit attach_seeds"
	"affected|leak-on-failure|src/storage.c|			xda_batch_unprepare(batch);
||kunit prepare_failure_changes_nothing load_failure_changes_nothing"
	"affected|no-attach-retry|src/pernet.c|	xda_attach_owed = owed;
||attach init_net has its own storage once the next namespace is made"
	"affected|force-without-verdict|src/pernet.c|		return xda_verdict[f] != XDA_UNKNOWN;|		return true;|attach mode=force keeps the kernel's storage until the kernel is judged"
	"preempt|no-wait-for-preempted|include/compat.h|	synchronize_rcu_tasks();	/* preempted adders */
||kunit preempted_adder_is_counted"
	"ipv6m|no-ipv6-late-exit|src/pernet.c|	.exit = xda_net_exit_ipv6_late,
||ipv6m no counter destroyed while the module owned its storage"
	"ipv6m|no-take-out|src/pernet.c|		xda_slot_take_out(&xn->slot[XDA_IPV6]);
||ipv6m no destroyed counter given storage again"
	"ipv6m|ipv6-late-init-installs|src/pernet.c|		if (!xda_ipv6_late_registering)
|		if (true)
|ipv6m IPv6 counters in use get their storage with every CPU held"
)

# mutate SRC_DIR FILE OLD NEW: exact replacement, once, or fail.
mutate() {
	python3 - "$1/$2" "$3" "$4" <<'EOF'
import sys
path, old, new = sys.argv[1:4]
text = open(path).read()
if text.count(old) != 1:
    sys.exit(f"teeth: {path}: expected text found {text.count(old)} times")
open(path, 'w').write(text.replace(old, new))
EOF
}

# guards SET WHAT: the runs that guard the pieces of SET, as plan lines.
guards() {
	case $1:$2 in
	affected:kunit) echo "affected auto pre_exit kunit yes" ;;
	affected:attach) echo "affected - pre_exit attach -" ;;
	preempt:kunit) echo "stock-612-preempt force pre_exit kunit no" ;;
	ipv6m:ipv6m)
		echo "stock-ipv6m-debug force exit_batch ipv6m no xda.order=after"
		echo "stock-ipv6m-debug force exit_batch ipv6m-owed no"
		;;
	*) kernel_die "teeth: no runs guard $2 in set $1" ;;
	esac
}

# run_mutation NAME FILE OLD NEW WHAT: the guarding runs, on the mutated
# sources (the VMs may end badly: the fix is broken on purpose); each of
# WHAT's KUnit cases or checks must have failed.
run_mutation() {
	local name=$1 dir=$WORK/$1 runner=${5%% *} what=${5#* } test missed=""
	kernel_module_sources "$dir/src"
	mutate "$dir/src" "$2" "$3" "$4" || { count "teeth: $name: the mutation applies" FAIL; return; }
	guards "$SET" "$runner" | XDA_MODULE_SRC=$dir/src XDA_WARNINGS_OK=1 XDA_KEEP=$dir/run \
		"$ROOT/scripts/run-plan.sh" - >"$dir/run.log" 2>&1
	if [ "$runner" = kunit ]; then
		for test in $what; do
			grep -qE "^not ok [0-9]+ .*kunit: .*[.]$test\$" "$dir/run/results.ktap" ||
				missed="$missed $test"
		done
	else
		grep -qE "^not ok [0-9]+ .*: $what\$" "$dir/run/results.ktap" || missed=" $what"
	fi
	if [ -n "$missed" ]; then
		echo "teeth: $name: passed without the fix:$missed (log: $dir/run.log)"
		count "teeth: $name fails $what" FAIL
	else
		echo "teeth: $name: ok (failed as required: $what)"
		count "teeth: $name fails $what" OK
	fi
}

work_start teeth
for m in "${MUTATIONS[@]}"; do
	IFS='|' read -r -d '' set name file old new what <<<"$m"
	what=${what%$'\n'}
	[ "$set" = "$SET" ] || continue
	run_mutation "$name" "$file" "$old" "$new" "$what"
done
work_end
