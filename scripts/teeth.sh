#!/bin/bash
# Show that the KUnit cases guard the fix: take the fix apart one piece at
# a time, run the suites on the affected-model kernel (mode=auto), and
# require the cases that guard that piece to FAIL.
#
# Usage: scripts/teeth.sh [KERNEL [WORKDIR]]
#
# KERNEL is named as in scripts/vm/kernel.sh (default: affected); it must
# have KUnit and be affected.  Prints one line per mutation:
#     teeth: <mutation>: ok (failed as required: <cases>)
# and exits 1 if any required case passed.  The mutated sources live only
# in WORKDIR (default: a temporary directory).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/vm/kernel.sh
. "$ROOT/scripts/vm/kernel.sh"
KERNEL_NAME=${1:-affected}
WORK=${2:-$(mktemp -d /tmp/xda-teeth.XXXXXX)}

# name | file | exact text | replacement | cases that must fail
MUTATIONS=(
	"no-swap|src/storage.c|	fbc->counters = slot->own;
||own_storage_isolates both_cpus_no_leak every_namespace_owned real_namespaces_traffic"
	"no-dead-cpu-fold|src/storage.c|		slot->fbc->count += *pcount;
		*pcount = 0;
||cpu_offline_keeps_share"
	"no-hand-back|src/storage.c|	WRITE_ONCE(fbc->counters, slot->kernel_storage);
||retire_then_free"
	"keep-shared-count|src/storage.c|	fbc->count = slot->kernel_shared ? 0 : value;|	fbc->count = value;|attach_seeds"
	"leak-on-failure|src/storage.c|			xda_batch_unprepare(batch);
||prepare_failure_changes_nothing load_failure_changes_nothing"
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

# run_mutation NAME FILE OLD NEW CASES
run_mutation() {
	local dir=$WORK/teeth-$1 log=$WORK/teeth-$1.log case missed=""

	mkdir -p "$dir/src"
	cp -r "$ROOT/dkms.conf" "$ROOT/Makefile" "$ROOT/Kbuild" "$ROOT/src" \
		"$ROOT/include" "$ROOT/kunit" "$dir/src/"
	mutate "$dir/src" "$2" "$3" "$4" || return 1
	XDA_MODULE_SRC=$dir/src XDA_WARNINGS_OK=1 kernel_build_module "$dir/build" || {
		echo "teeth: $1: does not build"
		return 1
	}
	kernel_initramfs "$dir/initramfs.cpio.gz" "$ROOT/scripts/vm/kunit-scenario.sh" \
		"$dir/build/xfrm_dst_acct.ko" "$dir/build/kunit/xfrm_dst_acct_test.ko"
	# The VM may end badly: the fix is broken on purpose.
	kernel_boot "$dir/initramfs.cpio.gz" "$log" xda.mode=auto xda.expect=yes
	"$ROOT/scripts/vm/ktap.sh" "$log" >"$log.kunit" 2>&1
	for case in $5; do
		grep -qE "\[(FAILED|CRASHED)\] $case\$" "$log.kunit" ||
			missed="$missed $case"
	done
	if [ -n "$missed" ]; then
		echo "teeth: $1: FAIL, passed without the fix:$missed"
		return 1
	fi
	echo "teeth: $1: ok (failed as required: $5)"
}

kernel_use "$KERNEL_NAME" >&2
[ "$K_KUNIT" = 1 ] || kernel_die "$K_NAME has no KUnit"
status=0
for m in "${MUTATIONS[@]}"; do
	IFS='|' read -r -d '' name file old new cases <<<"$m"
	cases=${cases%$'\n'}
	run_mutation "$name" "$file" "$old" "$new" "$cases" || status=1
done
exit $status
