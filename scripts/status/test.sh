#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Tests of scripts/xfrm-dst-acct-status: in the test VM against the real
# /proc files (scripts/status/vm-scenario.sh, checked on the host by
# scripts/status/check.py), and on the host under dash and busybox sh.
#
# Usage: scripts/status/test.sh [-v] [--host]
#        KERNEL=/boot/vmlinuz-R MODULES=/lib/modules/R scripts/status/test.sh [-v]
#
# VM runs (kernel, module mode):
#   stock    auto   the kernel's own storage (state kernel), affected=no
#   affected auto   the module's storage (state own), affected=yes
#   affected off    observe only (state shared), doctor says not repaired
# With KERNEL= (a kernel named as in scripts/vm/kernel.sh), mode=auto on
# it, judged as the stock or the affected kernel by what the module finds.
#
# -v prints every check, and the tool's outputs of each run (table, JSON,
# Prometheus, doctor).  --host runs only the host checks (dash, busybox
# sh, shellcheck, doctor --release on real release strings): no VM.
# Counts as the harness counts (scripts/vm/kernel.sh) and ends with the
# line "N passed, N failed, N skipped".
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/vm/kernel.sh
. "$ROOT/scripts/vm/kernel.sh"
TOOL=$ROOT/scripts/xfrm-dst-acct-status
PY=/usr/bin/python3
RUNS="stock:auto affected:auto affected:off"
VERBOSE=0
HOST_ONLY=0
for arg in "$@"; do
	case $arg in
	-v) VERBOSE=1 ;;
	--host) HOST_ONLY=1 ;;
	*) echo "usage: $0 [-v] [--host]" >&2; exit 2 ;;
	esac
done

# show_block LOG NAME: the tool's output NAME from a console log.
show_block() {
	awk -v name="$2" '
		$0 == "XDA-OUT-BEGIN " name { on = 1; next }
		on && index($0, "XDA-OUT-END " name " ") == 1 { print "    (" substr($0, length("XDA-OUT-END " name) + 2) ")"; exit }
		on { print "    " substr($0, 2) }' "$1"
}

status_vm() {	# status_vm KERNEL MODE: on a kernel prepared by main
	local name=$1-$2 log=$WORK/$1-$2.log b judged=$1
	echo "== VM: $1 kernel, mode=$2"
	kernel_use "$1"
	kernel_boot "$WORK/status-$1.cpio.gz" "$log" "xda.mode=$2"
	if [ "$BOOT_OK" = 1 ]; then
		count "$name: scenario runs to the end" OK
	else
		cat "$log.run"
		grep -a 'status-scenario' "$log" | sed 's/^/   /'
		count "$name: scenario runs to the end" FAIL
	fi
	echo "   VM time: ${BOOT_SECONDS}s"
	if [ "$BOOT_REPORTS" = 0 ]; then
		count "$name: console log free of kernel reports" OK
	else
		cat "$log.check"
		count "$name: console log free of kernel reports" FAIL
	fi
	# A kernel nobody could judge beforehand is held to what the module
	# found: the stock kernel's figures or the affected one's.
	if [ "$1" = user ]; then
		case $(sed -n 's/^status-scenario: module affected=//p' "$log") in
		yes) judged=affected ;;
		*) judged=stock ;;
		esac
	fi
	"$PY" "$ROOT/scripts/status/check.py" "$log" "$judged" "$2" >"$WORK/check.out" 2>&1
	if [ "$VERBOSE" = 1 ]; then
		sed 's/^/   /' "$WORK/check.out"
	else
		grep -v '^ok: ' "$WORK/check.out" | sed 's/^/   /'
	fi
	local line
	while read -r line; do
		case $line in
		"ok: "*) count "$name: ${line#ok: }" OK ;;
		"FAIL: "*) count "$name: ${line#FAIL: }" FAIL ;;
		esac
	done <"$WORK/check.out"
	grep -q '^checks: ' "$WORK/check.out" || count "$name: check.py finished" FAIL
	if [ "$VERBOSE" = 1 ]; then
		for b in doctor-unloaded table json prometheus low-table low-json \
			low-prometheus low-doctor doctor gone-table; do
			echo "   --- $b"
			show_block "$log" "$b"
		done
	fi
}

# prints NAME STATUS TEXT COMMAND...: one test: COMMAND exits with STATUS
# (a pattern, "[01]" for either) and prints TEXT (stdout or stderr).
prints() {
	local name=$1 want=$2 text=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	# shellcheck disable=SC2053 # STATUS is a pattern
	if [[ $rc == $want ]] && grep -qF -- "$text" <<<"$out"; then
		count "$name" OK
	else
		echo "   exit $rc, wanted $want and \"$text\":"
		echo "$out" | sed 's/^/   | /'
		count "$name" FAIL
	fi
}

json_valid() {	# json_valid COMMAND...: its output is valid JSON
	"$@" 2>/dev/null | "$PY" -m json.tool >/dev/null
}

host_checks() {
	echo "== host: the tool under dash and busybox sh, shellcheck"
	if ! command -v shellcheck >/dev/null; then
		count "host: shellcheck -s sh, no finding" SKIP "no shellcheck on this machine"
	else
		prints "host: shellcheck -s sh, no finding" 0 "" \
			shellcheck -s sh "$TOOL" "$ROOT/scripts/status/vm-scenario.sh"
	fi
	prints "host: dash: --help" 0 "Usage: " dash "$TOOL" --help
	doctor_releases dash
	if command -v busybox >/dev/null; then
		doctor_releases "busybox sh"
	else
		count "host: busybox found (for doctor --release under busybox sh)" FAIL
	fi
	# This machine's kernel does not have the module loaded.
	if [ -e /sys/module/xfrm_dst_acct ]; then
		echo "   (module loaded on this host: not-loaded checks skipped)"
		return
	fi
	prints "host: dash: exit 2 when the module is not loaded" 2 "is not loaded" dash "$TOOL"
	prints "host: dash: --json valid when not loaded" 0 "" json_valid dash "$TOOL" --json
	prints "host: dash: doctor runs" "[01]" "gc_thresh:" dash "$TOOL" doctor
	doctor_by_version
}

# doctor without the module, by kernel version: a fake `uname` first on
# PATH, and a namespace (held by a process) whose xfrm4_gc_thresh is 100.
doctor_by_version() {
	local fake=$WORK/fake-uname holder case rel rc want out pat ok
	mkdir -p "$fake"
	unshare -n sh -c 'echo 100 >/proc/sys/net/ipv4/xfrm4_gc_thresh && exec sleep 600' &
	holder=$!
	sleep 1
	if ! kill -0 "$holder" 2>/dev/null; then
		echo "   (cannot make a network namespace here: doctor-by-version checks skipped)"
		return
	fi
	# release|exit status|patterns the output must hold (";" between them)
	for case in \
		"4.2.0-28-generic|1|kernel 4.2.0-28-generic: unknown;Could not tell whether it has the fix;modprobe xfrm_dst_acct;TOO LOW: below;nsenter --net=/proc/$holder/ns/net sysctl -w net.ipv4.xfrm4_gc_thresh=2147483647    # sleep" \
		"3.2.0-4-amd64|1|kernel 3.2.0-4-amd64: unknown;The 3.2 branch never got the fix.;TOO LOW: below" \
		"3.10.0-327.el7.x86_64|1|kernel 3.10.0-327.el7.x86_64: affected;Default gc_thresh: 1024 (RHEL 7.0 to 7.2).;modprobe xfrm_dst_acct;TOO LOW: below" \
		"2.6.36|1|kernel 2.6.36: not affected;Linux 2.6.36 is older than 2.6.37;with a flow cache;TOO LOW: below" \
		"4.9.0-8-amd64|1|kernel 4.9.0-8-amd64: not affected;Linux 4.9 has the upstream fix a8a572a6b5f2 (mainline 4.4).;with a flow cache;TOO LOW: below" \
		"6.1.0-56-amd64|0|Linux 6.1 has the upstream fix a8a572a6b5f2 (mainline 4.4).;no flow cache (gone in 4.14);(no effect on this kernel);nothing to change."
	do
		IFS='|' read -r rel want pat <<<"$case"
		printf '#!/bin/sh\necho %s\n' "$rel" >"$fake/uname"
		chmod +x "$fake/uname"
		out=$(PATH=$fake:$PATH dash "$TOOL" doctor 2>&1)
		rc=$?
		ok=OK
		[ "$rc" = "$want" ] || ok=FAIL
		while IFS= read -r -d ';' p; do
			grep -qF -- "$p" <<<"$out" || { ok=FAIL; echo "   missing: $p"; }
		done <<<"$pat;"
		[ "$ok" = OK ] || echo "$out" | sed 's/^/   | /'
		count "host: dash: doctor on Linux $rel (exit $want)" $ok
		if [ "$VERBOSE" = 1 ] && [ "${rel%%.*}" = 4 ] && [ "${rel#4.2}" != "$rel" ]; then
			echo "$out" | sed 's/^/    /'
		fi
	done
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
}

verdicts() {	# verdicts COMMAND...: its verdict lines joined by "|", and its status
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	grep '^kernel ' <<<"$out" | tr '\n' '|'
	return $rc
}

# doctor --release R: the verdict line and a key phrase of the reasons
# for real release strings, under SHELL (dash, or busybox sh with its
# own awk).  No module, no namespace and no VM needed.
doctor_releases() {
	local sh=$1 rel want pat out joined rc ok name cmd
	read -ra cmd <<<"$sh"
	while IFS='|' read -r rel want pat <&3; do
		case $rel in "#"* | "") continue ;; esac
		out=$("${cmd[@]}" "$TOOL" doctor --release "$rel" 2>&1)
		rc=$?
		# The reasons are wrapped: look for the phrases in one line.
		joined=$(sed 's/^ *//' <<<"$out" | tr '\n' ' ')
		ok=OK
		grep -qxF "kernel $rel: $want" <<<"$out" || { ok=FAIL; echo "   missing: kernel $rel: $want"; }
		[ "$(grep -c '^kernel ' <<<"$out")" = 1 ] || { ok=FAIL; echo "   not one verdict line"; }
		case $want in
		"not affected") [ $rc = 0 ] || { ok=FAIL; echo "   exit $rc, not 0"; } ;;
		*) [ $rc = 1 ] || { ok=FAIL; echo "   exit $rc, not 1"; } ;;
		esac
		while IFS= read -r -d ';' p; do
			grep -qF -- "$p" <<<"$joined" || { ok=FAIL; echo "   missing: $p"; }
		done <<<"$pat;"
		[ "$ok" = OK ] || echo "$out" | sed 's/^/   | /'
		count "host: $sh: doctor --release $rel: $want" $ok
		if [ "$VERBOSE" = 1 ]; then
			echo "$out" | sed 's/^/    /'
		fi
	done 3<"$ROOT/scripts/status/releases.txt"
	# A fleet: several releases after one --release and a second
	# --release; one verdict each, in order; exit 1 (one is affected).
	prints "host: $sh: doctor --release, three releases: three verdicts, exit 1" 1 \
		"kernel 4.1.16: affected|kernel 4.4.0: not affected|kernel 3.10.0-514.el7.x86_64: not affected|" \
		verdicts "${cmd[@]}" "$TOOL" doctor --release 4.1.16 4.4.0 --release=3.10.0-514.el7.x86_64
	# Not a release: a clear error on stderr, no verdict, exit 2.
	for rel in not-a-kernel 4.x "" 2.6; do
		name="host: $sh: doctor --release '$rel': error, exit 2"
		out=$("${cmd[@]}" "$TOOL" doctor --release "$rel" 2>&1 >/dev/null)
		rc=$?
		if [ $rc = 2 ] && grep -qF "not a kernel release: \"$rel\"" <<<"$out" &&
			[ -z "$("${cmd[@]}" "$TOOL" doctor --release "$rel" 2>/dev/null)" ]; then
			count "$name" OK
		else
			echo "   exit $rc: $out"
			count "$name" FAIL
		fi
	done
	prints "host: $sh: --release without doctor: usage error, exit 2" 2 \
		"--release goes with doctor" "${cmd[@]}" "$TOOL" --release 4.1.16
}

main() {
	local variant run mode runs=$RUNS
	"$ROOT/scripts/deps.sh" >&2 || exit 1
	# Beyond those: dash (the host shell under test), mawk, and the
	# Prometheus text parser.
	"$ROOT/scripts/deps.sh" dash mawk python3-prometheus-client >&2 || exit 1
	work_start status
	host_checks
	[ "$HOST_ONLY" = 1 ] && runs=
	[ -n "${KERNEL:-}" ] && [ "$HOST_ONLY" = 0 ] && runs=user:auto
	for variant in $(echo "$runs" | tr ' ' '\n' | cut -d: -f1 | uniq); do
		kernel_use "$variant"
		if ! kernel_build_module "$WORK/build-$variant"; then
			count "$variant: module builds" FAIL
			continue
		fi
		kernel_initramfs "$WORK/status-$variant.cpio.gz" \
			"$ROOT/scripts/status/vm-scenario.sh" \
			"$WORK/build-$variant/xfrm_dst_acct.ko" "$TOOL" \
			/usr/bin/dash /usr/bin/mawk /usr/bin/ls /usr/bin/sort \
			/usr/bin/cat /usr/bin/readlink /usr/bin/stat \
			/usr/bin/nsenter /usr/bin/id /usr/bin/uname /usr/bin/grep
		for run in $runs; do
			[ "${run%%:*}" = "$variant" ] || continue
			mode=${run#*:}
			status_vm "$variant" "$mode"
		done
	done
	work_end
}

main "$@"
