#!/bin/bash
# make check: sparse (C=2) and checkpatch --strict on every source file,
# the build matrix (scripts/kernel/matrix.sh: W=1 builds against kernel
# trees configured as hosts may have them, one "build:" line each) and the
# docs check (scripts/check-docs.sh: every make target, make option and
# path the docs show exists).  Zero findings is the bar; exits 1 on any.
#
# sparse runs twice: against Debian's headers (the distro build) and
# against the stock test kernel, which has KUnit and so also builds the
# test module.  checkpatch comes from the kernel source (linux-source-6.1).
#
# include/compat.h exists to compare kernel versions, so checkpatch's
# advice against LINUX_VERSION_CODE (and the constant-on-the-right rule it
# trips with it) and against synchronize_sched(), which is what kernels
# before 4.20 need, is not applied to that file alone.
#
# Environment:
#   KDIR   headers to check against first (default: newest Debian -amd64)
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
XDA_CACHE=${XDA_CACHE:-/var/cache/xfrm-dst-acct}
export XDA_CACHE
KSRC=$XDA_CACHE/src/linux-source-6.1
WORK=$(mktemp -d /tmp/xda-check.XXXXXX)
findings=0

# sparse_against NAME KDIR: build a copy with C=2 and count diagnostics.
sparse_against() {
	local dir=$WORK/$1 n

	mkdir -p "$dir"
	"$ROOT/scripts/module-sources.sh" "$dir"
	make -s -C "$2" M="$dir" C=2 CHECK=sparse W=1 modules >"$dir/log" 2>&1
	grep -E 'warning:|error:' "$dir/log" | sed "s|$dir/||"
	n=$(grep -cE 'warning:|error:' "$dir/log")
	echo "sparse ($1): $n"
	findings=$((findings + n))
}

checkpatch() {
	local out n files

	files=$(cd "$ROOT" && git ls-files 'src/*.[ch]' 'kunit/*.[ch]' \
		'include/*.h' | grep -v '^include/compat.h$')
	out=$({
		(cd "$ROOT" && "$KSRC/scripts/checkpatch.pl" --strict \
			--no-tree --terse --show-types -f $files)
		"$KSRC/scripts/checkpatch.pl" --strict --no-tree --terse \
			--show-types \
			--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON,DEPRECATED_API \
			-f "$ROOT/include/compat.h"
	} | grep -v '^total:' | sed "s|$ROOT/||")
	[ -n "$out" ] && echo "$out"
	n=$(printf '%s' "$out" | grep -c .)
	echo "checkpatch --strict: $n"
	findings=$((findings + n))
}

# matrix: the warnings of every "build:" line count (a configuration that
# fails counts at least 1), and one more if matrix.sh stopped before its
# closing "matrix:" line.
matrix() {
	local n

	"$ROOT/scripts/kernel/matrix.sh" -s "$ROOT" | tee "$WORK/matrix"
	n=$(sed -n 's/^build: .* warnings=\([0-9]*\)$/\1/p' "$WORK/matrix" |
		awk '{ n += $1 } END { print n + 0 }')
	grep -q '^matrix: ' "$WORK/matrix" || n=$((n + 1))
	findings=$((findings + n))
}

# docs_check: every make target, make option and path the docs show must
# exist (scripts/check-docs.sh); one finding per line it prints.
docs_check() {
	local out n status

	out=$("$ROOT/scripts/check-docs.sh")
	status=$?
	[ -n "$out" ] && echo "$out"
	n=$(printf '%s' "$out" | grep -c .)
	# A check that failed without saying why still counts.
	[ "$status" -ne 0 ] && [ "$n" -eq 0 ] && n=1
	echo "docs: $n"
	findings=$((findings + n))
}

"$ROOT/scripts/deps.sh" || exit 1
# Building (or finding) the stock kernel also unpacks the kernel source.
stock=$("$ROOT/scripts/kernel/build.sh" stock | tail -n 1) || exit 1
KDIR=${KDIR:-$(ls -d /usr/src/linux-headers-*-amd64 | sort -V | tail -n 1)}
sparse_against debian "$KDIR"
sparse_against stock "$stock"
checkpatch
matrix
docs_check
rm -rf "$WORK"
echo "check: $findings findings"
[ "$findings" -eq 0 ]
