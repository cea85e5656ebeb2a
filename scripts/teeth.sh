#!/bin/bash
# Show that the tests guard the fix: take the fix apart one piece at a
# time, run what guards that piece, and require it to FAIL.
#
# Usage: scripts/teeth.sh [SET [WORKDIR]]
#
# SET names a kernel (as in scripts/vm/kernel.sh) and the pieces taken
# apart on it:
#   affected  (make test)  the affected model, mode=auto
#   preempt   (make newer) stock-612-preempt, mode=force: adders that can
#             be preempted between loading the pointer and the update
#   ipv6m     (make ipv6m) stock-ipv6m-debug, mode=force, the exit_batch
#             path, ipv6.ko loaded after the module (as on 4.4 .. 5.2)
# What must fail is one of
#   kunit CASE...  these KUnit cases
#   attach CHECK   this check of scripts/vm/attach-scenario.sh
#   ipv6m CHECK    this check of scripts/torture/ipv6m-scenario.sh
# Prints one line per mutation:
#     teeth: <mutation>: ok (failed as required: <what>)
# and exits 1 if anything required passed.  The mutated sources live only
# in WORKDIR (default: a temporary directory).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/vm/kernel.sh
. "$ROOT/scripts/vm/kernel.sh"
SET=${1:-affected}
WORK=${2:-$(mktemp -d /tmp/xda-teeth.XXXXXX)}

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

# The module's build and boot arguments on this set's kernel.
set_kernel() {
	case $SET in
	affected) KERNEL_NAME=affected MODE=auto EXPECT=yes ;;
	preempt) KERNEL_NAME=stock-612-preempt MODE=force EXPECT=no ;;
	ipv6m) KERNEL_NAME=stock-ipv6m-debug MODE=force EXPECT=no ;;
	*) kernel_die "teeth: no set '$SET' (affected, preempt, ipv6m)" ;;
	esac
}

# boot SCENARIO DIR LOG [BOOT_ARG...]: scripts/vm/SCENARIO-scenario.sh
# with the mutated modules in DIR/build.
boot() {
	local scenario=$1 dir=$2 log=$3
	shift 3
	kernel_initramfs "$dir/initramfs.cpio.gz" "$ROOT/scripts/vm/$scenario-scenario.sh" \
		"$dir/build/xfrm_dst_acct.ko" "$dir/build/kunit/xfrm_dst_acct_test.ko"
	kernel_boot "$dir/initramfs.cpio.gz" "$log" "$@"
}

# run_mutation NAME FILE OLD NEW WHAT
run_mutation() {
	local name=$1 dir=$WORK/teeth-$1 log=$WORK/teeth-$1.log case missed="" result
	local runner=${5%% *} what=${5#* }

	mkdir -p "$dir/src"
	cp -r "$ROOT/dkms.conf" "$ROOT/Makefile" "$ROOT/Kbuild" "$ROOT/src" \
		"$ROOT/include" "$ROOT/kunit" "$dir/src/"
	mutate "$dir/src" "$2" "$3" "$4" || return 1
	# The VM may end badly: the fix is broken on purpose.
	if [ "$runner" = ipv6m ]; then
		XDA_MODULE_SRC=$dir/src XDA_WARNINGS_OK=1 XDA_IPV6M_WORK=$dir \
			XDA_IPV6M_PATHS=exit_batch XDA_IPV6M_ORDERS=after \
			"$ROOT/scripts/torture/ipv6m.sh" "$KERNEL_NAME" >"$log" 2>&1
	elif ! XDA_MODULE_SRC=$dir/src XDA_WARNINGS_OK=1 kernel_build_module "$dir/build"; then
		echo "teeth: $name: does not build"
		return 1
	elif [ "$runner" = kunit ]; then
		boot kunit "$dir" "$log" "xda.mode=$MODE" "xda.expect=$EXPECT"
	else
		boot "$runner" "$dir" "$log"
	fi
	if [ "$runner" = kunit ]; then
		"$ROOT/scripts/vm/ktap.sh" "$log" >"$log.kunit" 2>&1
		for case in $what; do
			grep -qE "\[(FAILED|CRASHED)\] $case\$" "$log.kunit" ||
				missed="$missed $case"
		done
	else
		# The scenario's results (the ipv6m driver's boots are in $dir).
		for result in "$log" "$dir"/*/*/*.log; do
			[ -f "$result.results" ] && kernel_results "$result"
		done | grep -qxF "FAIL $what" || missed=" $what"
	fi
	if [ -n "$missed" ]; then
		echo "teeth: $name: FAIL, passed without the fix:$missed"
		return 1
	fi
	echo "teeth: $name: ok (failed as required: $what)"
}

set_kernel
kernel_use "$KERNEL_NAME" >&2
[ "$K_KUNIT" = 1 ] || kernel_die "$K_NAME has no KUnit"
status=0
for m in "${MUTATIONS[@]}"; do
	IFS='|' read -r -d '' set name file old new what <<<"$m"
	what=${what%$'\n'}
	[ "$set" = "$SET" ] || continue
	run_mutation "$name" "$file" "$old" "$new" "$what" || status=1
done
exit $status
