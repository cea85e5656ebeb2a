#!/bin/bash
# Fail if a VM console log contains a kernel report.
#
# Usage: scripts/vm/check-log.sh LOGFILE
#
# Exit 0: no report found.  Exit 1: each offending line is printed with a
# few lines of context.  Exit 2: usage error / unreadable log.
#
# The patterns are fixed strings matched case-sensitively, chosen to match
# what the kernel prints when something goes wrong and not its ordinary
# boot messages.  Scenarios must not print these words themselves.
set -eu

REPORT_PATTERNS=(
	# WARN(), BUG(), oopses, panics
	'WARNING:'
	'BUG:'
	'kernel BUG at'
	'Oops'
	'general protection fault'
	'Unable to handle kernel'
	'Kernel panic'
	'Call Trace:'
	# lockdep and RCU debugging
	'possible circular locking'
	'possible recursive locking'
	'inconsistent lock state'
	# (not the bare word: debug kernels boot with "RCU lockdep checking
	# is enabled"; every lockdep report starts with WARNING: or BUG:)
	'lockdep is turned off'
	'lockdep:'
	'needs lockdep annotation'
	'DEBUG_LOCKS_WARN_ON'
	'suspicious RCU usage'
	# memory and object debugging
	'KASAN'
	'KFENCE'
	'unreferenced object 0x'
	'suspected memory leaks'
	'UBSAN'
	'refcount_t:'
	'list_add corruption'
	'list_del corruption'
	'ODEBUG'
	# stalls and lockups
	'RCU stall'
	'rcu_sched self-detected stall'
	'detected stall'
	# an RCU Tasks grace period still waiting after 10 s (rcu_task_stall_info)
	' (since boot) is '
	'rcu: INFO'
	'soft lockup'
	'hard LOCKUP'
	'hung task'
	'blocked for more than'
)

# Lines shown before and after each match.
CONTEXT=3
# Upper bound on printed lines, so one storm of reports stays readable.
MAX_LINES=200

main() {
	[ $# -eq 1 ] || { echo "usage: $0 LOGFILE" >&2; exit 2; }
	local log=$1 pattern count
	local grep_args=(-a -F)
	[ -r "$log" ] || { echo "check-log.sh: cannot read $log" >&2; exit 2; }

	for pattern in "${REPORT_PATTERNS[@]}"; do
		grep_args+=(-e "$pattern")
	done

	count=$(grep -c "${grep_args[@]}" "$log" || true)
	if [ "$count" -eq 0 ]; then
		echo "check-log: clean ($log)"
		return 0
	fi
	echo "check-log: $count line(s) with kernel reports in $log:"
	grep -n -C "$CONTEXT" "${grep_args[@]}" "$log" | head -n "$MAX_LINES"
	exit 1
}

main "$@"
