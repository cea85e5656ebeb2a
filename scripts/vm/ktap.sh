#!/bin/bash
# Parse the KUnit results in a VM console log with the kernel's kunit.py.
#
# Usage: scripts/vm/ktap.sh LOGFILE
#
# Prints the parser's report, then one machine-readable line
#     kunit: passed=<n> failed=<n> skipped=<n>
# (failed counts failed and crashed tests).  Exit 0 only if at least one
# test ran, none failed or crashed, and the parser reported no errors.
# The KTAP given to the parser is kept in LOGFILE.ktap.
#
# Why not feed the console log to kunit.py directly: suites that run when a
# test module is loaded print an indented "    KTAP version 1" with no
# top-level header (6.1), each module numbers its suites from 1 again, and
# userspace output shares the console.  So the suites are cut out first
# (kernel lines only, printk timestamps removed) and given a header.
#
# kunit.py is the one scripts/vm/kernel.sh finds (kernel_kunit_py;
# XDA_KSRC: a kernel source providing tools/testing/kunit).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/vm/kernel.sh
. "$ROOT/scripts/vm/kernel.sh"

# extract_ktap LOGFILE: write a well-formed KTAP document to stdout.
extract_ktap() {
	python3 - "$1" <<'PYEOF'
import re
import sys

TIMESTAMP = re.compile(r'^\[\s*\d+\.\d+\] ?')
SUITE_START = re.compile(r'^\s+KTAP version \d+$')
SUITE_RESULT = re.compile(r'^(ok|not ok) \d+(.*)$')

with open(sys.argv[1], errors='replace') as f:
    raw = [line.rstrip('\r\n') for line in f]

# Kernel lines carry a printk timestamp; without any, take every line.
if any(TIMESTAMP.match(line) for line in raw):
    lines = [TIMESTAMP.sub('', line) for line in raw if TIMESTAMP.match(line)]
else:
    lines = raw

suites = []
current = None
for line in lines:
    if SUITE_START.match(line):
        current = [line]
        suites.append(current)
        continue
    if current is None:
        continue
    result = SUITE_RESULT.match(line)
    if result:
        # Renumber the suite's result within the combined document.
        current.append(f'{result.group(1)} {len(suites)}{result.group(2)}')
        current = None
    else:
        current.append(line)

if suites:
    print('KTAP version 1')
    print(f'1..{len(suites)}')
    for suite in suites:
        print('\n'.join(suite))
PYEOF
}

# summary_number NAME SUMMARY: the number after "NAME: " in kunit.py's summary.
summary_number() {
	local n
	n=$(printf '%s\n' "$2" | sed -n "s/.*[ :,]$1: \([0-9][0-9]*\).*/\1/p")
	echo "${n:-0}"
}

main() {
	[ $# -eq 1 ] || { echo "usage: $0 LOGFILE" >&2; exit 2; }
	local log=$1 ktap kunit output parse_rc=0 summary passed failed crashed skipped errors
	[ -r "$log" ] || { echo "ktap.sh: cannot read $log" >&2; exit 2; }
	kunit=$(kernel_kunit_py) || { echo "ktap.sh: no kunit.py" >&2; exit 2; }

	ktap=$(realpath "$log").ktap
	extract_ktap "$log" >"$ktap"
	if [ ! -s "$ktap" ]; then
		echo "ktap.sh: no KUnit suite output in $log"
		echo "kunit: passed=0 failed=0 skipped=0"
		exit 1
	fi

	output=$(python3 "$kunit" parse "$ktap" 2>&1) || parse_rc=$?
	printf '%s\n' "$output"

	summary=$(printf '%s\n' "$output" | sed 's/\x1b\[[0-9;]*m//g' |
		grep 'Testing complete\.' | tail -n 1 || true)
	passed=$(summary_number passed "$summary")
	failed=$(summary_number failed "$summary")
	crashed=$(summary_number crashed "$summary")
	skipped=$(summary_number skipped "$summary")
	errors=$(summary_number errors "$summary")
	failed=$((failed + crashed))
	echo "kunit: passed=$passed failed=$failed skipped=$skipped"

	# The counts decide, not the parser's exit status: kunit.py also exits
	# 1 when every test was skipped.
	if [ -z "$summary" ] || [ "$failed" -ne 0 ] || [ "$errors" -ne 0 ] ||
		[ $((passed + failed + skipped)) -eq 0 ]; then
		echo "ktap.sh: KUnit failed (parser status $parse_rc, errors $errors)" >&2
		exit 1
	fi
}

main "$@"
