#!/bin/bash
# make e2e: the seed's scenario end to end, on real and test kernels.
#
# Usage: scripts/e2e/run.sh [--short] [--keep] [KERNEL:MODE...]
#        KERNEL=/boot/vmlinuz-R MODULES=/lib/modules/R [BUILD=DIR] \
#            scripts/e2e/run.sh [--short] [user:MODE...]
#
# In a QEMU VM (TCG, 2 CPUs) four network namespaces joined by veth pairs
# run ESP in transport mode between every pair, IPv4 and IPv6, and all at
# once make new xfrm dst entries: `ping -c 1` to every peer in a loop, and
# waves of 150 TCP connections per namespace and family opened, held and
# closed (scripts/e2e/holdconn.c).  Each namespace's
# /proc/net/xfrm_dst_acct is read before, during and after the traffic;
# drift = the exact count once traffic has stopped, IPsec is flushed and
# freed entries have settled, minus the count before IPsec was set up
# (see scripts/e2e/scenario.sh).
#
# Kernels are named as in scripts/vm/kernel.sh.  With KERNEL= (and
# MODULES=), the kernel an operator points at is the only one: the
# module is built by dkms against its headers and loaded by modprobe
# from its modules tree, with the scenario modules its tree has.
#
# Runs (KERNEL:MODE), and what each must show:
#   debian:auto, debian:force          Debian's kernels (6.1, 6.12 and
#   debian-6.12:*, debian-6.12-rt:*    6.12-rt): not affected, drift 0,
#   stock:auto, stock:force            nothing fails; the stock test
#                                      kernel likewise
#   affected:none   the affected model without the module: shown only
#                   (no /proc file without the module, so no counts)
#   affected:off    the module only observes: drift in at least one
#                   namespace, or the test has lost its teeth
#   affected:auto   the repair: drift 0 everywhere, no ping or connect fails
#   affected:force
#   affected:hot    the module loaded while the traffic runs; then the same
#                   traffic again: drift 0, no ping or connect fails
#   user:MODE       as above, by what the module finds: off must show drift
#                   where it reports the kernel affected and none where not
# Default runs: all of the above but user; with KERNEL=, user:off
# user:auto user:hot.  --short: stock:force affected:off affected:auto
# affected:hot debian-6.12:auto with 4 waves instead of 6 (for make
# test; with KERNEL=, user:auto).
#
# Prints, per run and family, one line
#   e2e: kernel=<k> mode=<m> family=<4|6> netns=<n> pings=<ok>/<total>
#        max_drift=<d> enobufs=<n> gc_thresh=<g>
# and per run one on the end of the scenario (the module unloaded with
# the namespaces alive, then the namespaces deleted; on kernels with a
# flow cache their dismantling watched for a stall):
#   e2e: kernel=<k> mode=<m> teardown rmmod=<seconds>s|waiting stall=none|<message>
# then a table, and last "N passed, N failed".  Exit status 0 only if no
# check failed.  Every console log goes through scripts/vm/check-log.sh.
#
# Environment:
#   XDA_CACHE        kernels, Debian's images (default /var/cache/xfrm-dst-acct)
#   E2E_GC_THRESH    gc_thresh in the namespaces (default: by the kernel, see lib.sh)
#   E2E_WAVES        waves of connections per run (default 6, --short: 4)
#   E2E_ARGS         extra kernel arguments for every boot, e.g. xda.conns=100
#   E2E_WORK         keep logs here instead of a temporary directory
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/e2e/lib.sh
. "$ROOT/scripts/e2e/lib.sh"

FULL_RUNS="debian:auto debian:force debian-6.12:auto debian-6.12:force
	debian-6.12-rt:auto debian-6.12-rt:force stock:auto stock:force
	affected:none affected:off affected:auto affected:force affected:hot"
SHORT_RUNS="stock:force affected:off affected:auto affected:hot debian-6.12:auto"
USER_RUNS="user:off user:auto user:hot"
USER_SHORT_RUNS="user:auto"

passed=0
failed=0
CHECKS=()
TABLE=()
E2E_LINES=()

verdict() {	# verdict OK|FAIL TEXT: one check's outcome, counted and shown
	if [ "$1" = OK ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	CHECKS+=("$(printf '%-4s %s' "$1" "$2")")
	echo "   $1  $2"
}

ok_if() {	# ok_if CONDITION_STATUS TEXT: the verdict of an exit status
	if [ "$1" -eq 0 ]; then verdict OK "$2"; else verdict FAIL "$2"; fi
}

# expected_affected KERNEL: what the module must report (- : either).
expected_affected() {
	case $1 in
	affected*) echo yes ;;
	stock* | debian*) echo no ;;
	*) echo - ;;
	esac
}

# What a run must show, given what the module reported: clean, teeth
# (drift must be seen) or shown.
run_kind() {	# run_kind MODE AFFECTED
	case $1:$2 in
	none:*) echo shown ;;
	off:yes) echo teeth ;;
	*) echo clean ;;
	esac
}

# The owner state every namespace must report (/proc/net/xfrm_dst_acct).
expected_state() {	# expected_state MODE AFFECTED
	case $1:$2 in
	none:*) echo none ;;
	off:yes) echo shared ;;
	force:* | *:yes) echo own ;;
	*) echo kernel ;;
	esac
}

# Per-namespace detail of one run, readable.
show_namespaces() {
	ns_lines "$1" "$2" | awk '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		d = f["drift"]
		if (d != "-" && d > 0) d = "+" d
		e = f["ping_enobufs"] + f["connect_enobufs"]
		printf "   %-3s IPv%s  drift %-5s peak count %-4s pings %-9s connects %-9s state %-6s%s\n",
			f["ns"], f["family"], d, f["max"], f["pings"], f["connects"], f["state"],
			e ? sprintf("  ENOBUFS: %d pings, %d connects", f["ping_enobufs"], f["connect_enobufs"]) : ""
	}'
}

# tcp_csum_note RUN: after a connect that failed without ENOBUFS, what the
# namespaces' TCP threw away as corrupt (scenario.sh: "snmp:" lines): a
# kernel that does is named for it (docs/TESTING.md, RHEL 7.2).
tcp_csum_note() {
	local n
	n=$(grep -a -o 'Tcp:InCsumErrors=[0-9]*' "${RUN_LOG[$1]}" | awk -F= '{ n += $2 } END { print n + 0 }')
	[ "${n:-0}" -gt 0 ] &&
		echo "      (the namespaces' TCP dropped $n segments with bad checksums, InCsumErrors)"
}

judge_run() {	# judge_run KERNEL MODE
	local kernel=$1 mode=$2 run=$1:$2 kind family summary want affected state
	local shown=${SHOWN_AS[$1]}
	local netns pok ptot cok ctot drift states enobufs drift_seen=0
	affected=${RUN_AFFECTED[$run]}
	want=$(expected_affected "$kernel")
	kind=$(run_kind "$mode" "$affected")
	state=$(expected_state "$mode" "$affected")
	[ "$mode" = hot ] && echo "   (round 2: the traffic after the module was loaded)"
	show_namespaces "$kernel" "$mode"
	ok_if $((1 - RUN_OK[$run])) "$run: VM ran the scenario to the end"
	ok_if $((1 - RUN_CLEAN_LOG[$run])) "$run: console log free of kernel reports"
	if [ "$mode" != none ]; then
		case $want:$affected in
		yes:yes | no:no | -:yes | -:no) true ;;
		*) false ;;
		esac
		ok_if $? "$run: module reports affected=$affected (expected ${want/-/yes or no})"
	fi
	for family in 4 6; do
		summary=$(family_summary "$kernel" "$mode" $family)
		read -r netns pok ptot cok ctot drift states enobufs <<<"$summary"
		E2E_LINES+=("e2e: kernel=$shown mode=$mode family=$family netns=$netns pings=$pok/$ptot max_drift=$drift enobufs=$enobufs gc_thresh=${GC[$kernel]}")
		echo "${E2E_LINES[-1]}"
		TABLE+=("$(printf '%-15s %-6s IPv%-2s %5s %11s %11s %9s %7s  %-7s %4ss  %s' \
			"$shown" "$mode" "$family" "$netns" "$pok/$ptot" "$cok/$ctot" \
			"$drift" "$enobufs" "$states" "${RUN_SECONDS[$run]}" "$kind")")
		[ "$netns" -ge 4 ]
		ok_if $? "$run IPv$family: $netns namespaces reported"
		[ "$states" = "$state" ]
		ok_if $? "$run IPv$family: every namespace's storage is '$state' (seen: $states)"
		case $kind in
		clean)
			[ "$drift" = 0 ]
			ok_if $? "$run IPv$family: no namespace drifts (max |drift| $drift)"
			[ "$ptot" -gt 0 ] && [ "$pok" = "$ptot" ]
			ok_if $? "$run IPv$family: every ping answered ($pok/$ptot)"
			[ "$ctot" -gt 0 ] && [ "$cok" = "$ctot" ]
			ok_if $? "$run IPv$family: every connection made ($cok/$ctot), no ENOBUFS ($enobufs)"
			[ "$cok" = "$ctot" ] || tcp_csum_note "$run"
			;;
		teeth)
			[ "$drift" != - ] && [ "$drift" != 0 ] && drift_seen=1
			;;
		esac
	done
	if [ "$kind" = teeth ]; then
		[ $drift_seen = 1 ]
		ok_if $? "$run: the defect shows: some namespace's count drifted"
	fi
	E2E_LINES+=("e2e: kernel=$shown mode=$mode teardown ${RUN_TEARDOWN[$run]:-(none: the scenario did not reach it)}")
	echo "${E2E_LINES[-1]}"
}

usage() {
	echo "usage: $0 [--short] [--keep] [KERNEL:MODE...]" >&2
	exit 2
}

main() {
	local runs=$FULL_RUNS user_runs=$USER_RUNS keep=0 short=0 run kernel mode start line
	while [ $# -gt 0 ]; do
		case $1 in
		--short) short=1; runs=$SHORT_RUNS; user_runs=$USER_SHORT_RUNS ;;
		--keep) keep=1 ;;
		-h | --help) usage ;;
		-*) usage ;;
		*) break ;;
		esac
		shift
	done
	[ -n "${KERNEL:-}" ] && runs=$user_runs
	[ $# -gt 0 ] && runs="$*"
	if [ $short = 1 ]; then
		E2E_WAVES=4
		E2E_HOTWAVE=2
	fi
	start=$(e2e_now)
	"$ROOT/scripts/deps.sh" >&2 || exit 1
	if [ -n "${E2E_WORK:-}" ]; then
		WORK=$E2E_WORK
		mkdir -p "$WORK"
		keep=1
	else
		WORK=$(mktemp -d /tmp/xda-e2e.XXXXXX)
	fi

	for run in $runs; do
		IFS=: read -r kernel mode <<<"$run"
		case $mode in
		none | off | auto | force | hot) ;;
		*) e2e_die "unknown mode in $run (none, off, auto, force, hot)" ;;
		esac
		[ "$kernel" = user ] && [ -z "${KERNEL:-}" ] && e2e_die "$run: set KERNEL= and MODULES="
		prepare_kernel "$kernel"
		echo "== $run: gc_thresh=${GC[$kernel]} waves=$E2E_WAVES ${E2E_ARGS:-}"
		boot_scenario "$kernel" "$mode"
		judge_run "$kernel" "$mode"
	done

	echo
	echo "== e2e results ($E2E_WAVES waves; max_drift: largest |drift| of any namespace)"
	printf '%s\n' "${E2E_LINES[@]}"
	echo
	printf '%-15s %-6s %-5s %5s %11s %11s %9s %7s  %-7s %5s  %s\n' \
		kernel mode family netns pings connects max_drift enobufs state time must
	printf '%s\n' "${TABLE[@]}"
	echo
	for kernel in "${!PREPARE_SECONDS[@]}"; do
		echo "prepare $kernel (build/fetch, initramfs): ${PREPARE_SECONDS[$kernel]}s"
	done
	echo "total: $(e2e_since "$start")s"
	if [ "$failed" -gt 0 ]; then
		echo "failed checks:"
		for line in "${CHECKS[@]}"; do
			case $line in FAIL*) echo "   $line" ;; esac
		done
		echo "logs kept in $WORK"
	elif [ $keep = 1 ]; then
		echo "logs kept in $WORK"
	else
		rm -rf "$WORK"
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

main "$@"
