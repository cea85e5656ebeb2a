#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The runner: make test, newer, debug, e2e, faults and ipv6m each run one
# plan, scripts/plans/NAME.
#
# Usage: scripts/run-plan.sh PLAN [KERNEL[:MODE]...]
#        KERNEL=/boot/vmlinuz-R MODULES=/lib/modules/R [BUILD=DIR] scripts/run-plan.sh PLAN
#   PLAN: a name in scripts/plans/, or a file ("-": standard input)
#   KERNEL[:MODE]: only the lines of that kernel (and mode)
#
# A plan has one line per run:
#   KERNEL MODE PATH SCENARIO EXPECT [BOOT_ARG...]
#     KERNEL    as scripts/vm/kernel.sh names it.  "user" lines run only,
#               and alone, when KERNEL= is given.
#     MODE      the module's mode (xda.mode), "-" for none
#     PATH      the namespace-exit path the module is built for, pre_exit
#               or exit_batch; "-": the kernel's own (dkms builds it so)
#     SCENARIO  scripts/*/SCENARIO-scenario.sh, or e2e (scripts/e2e/scenario.sh)
#     EXPECT    whether the module must find the kernel affected: yes,
#               no, reported (whatever it reports), "-"
#   host NAME COMMAND...   a step on this machine (bash -c COMMAND, at the
#               top of the repository): its own tests if it counts them
#               (kernel.sh: count, through XDA_KTAP), else one from its
#               exit status
#   refuse TEXT            with KERNEL=: the plan does not run there (exit 2)
#
# A scenario says in its header what it needs, one line each:
#   # needs: CONFIG_X[=VALUE]...   else every run of it is skipped, naming them
#   # takes: FILE...   what goes into the initramfs: the module's
#                      xfrm_dst_acct.ko and kunit/*.ko; NAME.c, a helper
#                      built from scripts/*/NAME.c; scripts/... files;
#                      another NAME.ko, the kernel's own module; /absolute paths
#   # path: PATH       only on that namespace-exit path
#   # loads later: RE  modules the scenario loads itself (not at boot)
#   # shows: RE        console lines printed under the run
#   # report: RE       the console must hold a kernel report matching RE
#   # timeout: S       seconds before the VM is killed (default 1800)
# Each run counts: it ran to the end, its console log is free of kernel
# reports (check-log.sh), and every result the scenario wrote (KTAP on
# ttyS1) and every KUnit case (scripts/vm/results.py).  Ends with
# "N passed, N failed, N skipped"; the logs stay when anything failed.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/vm/kernel.sh
. "$ROOT/scripts/vm/kernel.sh"

declare -A BUILT INITRAMFS NAMED

header() {	# header FILE KEY: the words of FILE's "# KEY:" lines
	sed -n "s/^# $2: *//p" "$1" | tr '\n' ' ' | sed 's/ *$//'
}

scenario_file() {	# scenario_file NAME
	local f
	for f in "$ROOT/scripts/$1/scenario.sh" "$ROOT"/scripts/*/"$1-scenario.sh"; do
		[ -f "$f" ] && { echo "$f"; return; }
	done
	kernel_die "no scenario $1"
}

# build PATH: the module (and the KUnit modules) for the kernel in use and
# PATH, once per kernel and path, counted, in BUILD_DIR.
build() {
	local dir=$WORK/build/$K_NAME-$1 what args=()
	BUILD_DIR=$dir
	mkdir -p "$WORK/build"
	if [ -z "${BUILT[$dir]:-}" ]; then
		[ "$1" = exit_batch ] && [ "$K_PRE_EXIT" = 1 ] && args=(XDA_NETNS_EXIT=exit_batch)
		what="$K_NAME: modules build ($1 path), no warning"
		[ "$K_DKMS" = 1 ] && what="$K_NAME: modules build (dkms)"
		if kernel_build_module "$dir" "${args[@]}" >"$dir.out" 2>&1; then
			BUILT[$dir]=OK
		else
			sed 's/^/   /' "$dir.out" | tail -n 40
			BUILT[$dir]=FAIL
		fi
		count "$what" "${BUILT[$dir]}"
	fi
	[ "${BUILT[$dir]}" = OK ]
}

# take NAME BUILD: the path of one "# takes:" file.
take() {
	case $1 in
	xfrm_dst_acct.ko) echo "$2/xfrm_dst_acct.ko" ;;
	xfrm_dst_acct_*.ko) echo "$2/kunit/$1" ;;
	/*) echo "$1" ;;
	scripts/*) echo "$ROOT/$1" ;;
	*.c)
		[ -x "$WORK/bin/${1%.c}" ] || {
			mkdir -p "$WORK/bin"
			gcc -static -O2 -Wall -Wextra -Werror -o "$WORK/bin/${1%.c}" \
				"$(ls "$ROOT"/scripts/*/"$1")" >&2 || return 1
		}
		echo "$WORK/bin/${1%.c}"
		;;
	*.ko)
		# The kernel's own module: from its modules tree, or from the
		# build tree of a test kernel.
		if [ -n "$K_MODULES" ]; then
			kernel_tree_module "${1%.ko}" "$2" && echo "$2/$1"
		else
			find "$K_BUILD" -name "$1" | head -n 1 | grep .
		fi
		;;
	esac
}

# initramfs SCENARIO_FILE BUILD: its initramfs, once per kernel, build and
# scenario, in INITRD.
initramfs() {
	local out files=() f
	out=$2/$(basename "$1" .sh).cpio.gz
	INITRD=$out
	if [ -z "${INITRAMFS[$out]:-}" ]; then
		for f in $(header "$1" takes); do
			files+=("$(take "$f" "$2")") || return 1
		done
		KERNEL_LOADS_LATER=$(header "$1" "loads later") \
			kernel_initramfs "$out" "$1" "${files[@]}" || return 1
		INITRAMFS[$out]=1
	fi
}

# run KERNEL MODE PATH SCENARIO EXPECT [BOOT_ARG...]: one line of the plan.
run() {
	local mode=$2 path=$3 scenario=$4 expect=$5 file name log why report shows state only
	local before="$passed $failed $skipped" p f s a
	file=$(scenario_file "$4")
	# A kernel that cannot be named (built, fetched) fails its runs only:
	# it is named in a subshell, and what was found kept (KERNEL_STATE).
	if [ -z "${NAMED[$1]:-}" ]; then
		NAMED[$1]=FAIL
		state=$(kernel_use "$1" >&2 && echo "${KERNEL_STATE[$1]}") &&
			KERNEL_STATE[$1]=$state NAMED[$1]=OK
		count "$1: the kernel is there" "${NAMED[$1]}"
	fi
	[ "${NAMED[$1]}" = OK ] || { count "$1/$4: not run: no kernel" FAIL; return; }
	kernel_use "$1"
	shift 5
	[ "$path" = - ] && path=$([ "$K_PRE_EXIT" = 1 ] && echo pre_exit || echo exit_batch)
	name=$K_NAME/$scenario/$path
	[ "$mode" = - ] || name=$name/$mode
	for a in "$@"; do	# what tells two runs apart, but the traffic's scale
		case $a in
		xda.waves=* | xda.hotwave=* | xda.conns=* | xda.gc=* | xda.kmemleak=* | xda.seconds=*) ;;
		xda.*) name=$name/${a#xda.} ;;
		esac
	done
	echo "== $name $*"
	why=$(kernel_lacks "$file")
	[ -n "$why" ] && why="it needs $why"
	[ -z "$why" ] && [ "$K_DKMS" = 1 ] && [ "$path" = exit_batch ] && [ "$K_PRE_EXIT" = 1 ] &&
		why="dkms builds the module for the kernel's own path"
	only=$(header "$file" path)
	[ -z "$why" ] && [ -n "$only" ] && [ "$only" != "$path" ] && why="it runs on the $only path"
	if [ -n "$why" ]; then
		count "$name" SKIP "$why"
		return
	fi
	build "$path" || { count "$name: not run: the modules do not build" FAIL; return; }
	initramfs "$file" "$BUILD_DIR" || { count "$name: its initramfs" FAIL; return; }
	log=$WORK/${name//\//-}.log
	[ "$K_DEBUG" = 1 ] && set -- "$@" kmemleak.verbose=1
	XDA_VM_MEM=${XDA_VM_MEM:-$([ "$K_DEBUG" = 1 ] && echo 2048 || echo 1024)} \
		XDA_VM_TIMEOUT=${XDA_VM_TIMEOUT:-$(header "$file" timeout | grep . || echo 1800)} \
		kernel_boot "$INITRD" "$log" "xda.mode=$mode" "xda.expect=$expect" "xda.path=$path" \
		"xda.flowcache=$K_FLOWCACHE" "xda.loader=$([ -n "$K_MODULES" ] && echo modprobe || echo insmod)" "$@"
	echo "   VM ran ${BOOT_SECONDS}s (log: $log)"
	shows=$(header "$file" shows)
	[ -n "$shows" ] && grep -aE "$shows" "$log" | sed 's/^/   /'
	grep -a -A8 ': FAIL$' "$log" | grep -aE '^(check: |    )' | sed 's/^/   /'
	grep -a -A3 -E '# [a-z0-9_]+: (EXPECTATION|ASSERTION) FAILED' "$log" | head -n 24 | sed 's/^/   /'
	if [ "$BOOT_OK" = 1 ]; then
		count "$name: ran to the end" OK
	else
		sed 's/^/   /' "$log.run"
		count "$name: ran to the end" FAIL
	fi
	report=$(header "$file" report)
	if [ -n "$report" ]; then
		if grep -qE "$report" "$log.check"; then
			count "$name: check-log.sh catches the report" OK
		else
			count "$name: check-log.sh catches the report" FAIL
		fi
	elif [ "$BOOT_REPORTS" = 0 ]; then
		count "$name: console log free of kernel reports" OK
	else
		head -n 60 "$log.check" | sed 's/^/   /'
		count "$name: console log free of kernel reports" FAIL
	fi
	count_results "$name" "$log"
	read -r p f s <<<"$before"
	echo "   $name: $((passed - p)) passed, $((failed - f)) failed, $((skipped - s)) skipped"
}

host() {	# host NAME COMMAND...: a step on this machine
	local name=$1 log=$WORK/$1.log status=OK f=$failed
	shift
	echo "== $name: $*"
	(cd "$ROOT" && XDA_KTAP=$log.results XDA_KEEP=${XDA_KEEP:+$WORK/$name} bash -c "$*") \
		>"$log" 2>&1 || status=FAIL
	[ $status = OK ] || tail -n 40 "$log" | sed 's/^/   /'
	if [ -s "$log.results" ]; then
		count_results "$name" "$log"
		# A failure it did not count is one too.
		[ $status = OK ] || [ "$failed" -gt "$f" ] || count "$name: exits with status 0" FAIL
	else
		count "$name" $status
	fi
}

# selects FILTER KERNEL MODE: FILTER (KERNEL or KERNEL:MODE) names that run.
selects() {
	[ "$1" = "$2" ] || [ "$1" = "$2:$3" ]
}

# wanted KERNEL MODE: the line is one the arguments select.
wanted() {
	local a
	[ ${#FILTERS[@]} -eq 0 ] && return 0
	for a in "${FILTERS[@]}"; do
		selects "$a" "$1" "$2" && return 0
	done
	return 1
}

main() {
	local plan=${1:-} lines runs line words user=0
	[ -n "$plan" ] || { echo "usage: $0 PLAN [KERNEL[:MODE]...]" >&2; exit 2; }
	[ -f "$plan" ] || [ "$plan" = - ] || plan=$ROOT/scripts/plans/$plan
	[ -f "$plan" ] || [ "$plan" = - ] || { echo "run-plan: no plan $1" >&2; exit 2; }
	shift
	FILTERS=("$@")
	lines=$(sed 's/#.*//; /^[[:space:]]*$/d' "$plan")
	[ -n "${KERNEL:-}" ] && user=1
	# A selection that names no run of the plan is a mistake, not a pass.
	runs=$(awk -v user=$user '$1 != "host" && $1 != "refuse" && ($1 == "user") == user' <<<"$lines")
	for line in "${FILTERS[@]}"; do
		while read -r -a words; do
			selects "$line" "${words[@]:0:2}" && continue 2
		done <<<"$runs"
		echo "run-plan: $line: no such run in $(basename "$plan") (its kernels:" \
			"$(awk '{ print $1 }' <<<"$runs" | sort -u | paste -sd ' '))" >&2
		exit 2
	done
	line=$(grep '^refuse ' <<<"$lines")
	if [ $user = 1 ] && [ -n "$line" ]; then
		echo "${line#refuse }" | fold -s -w 76 >&2
		exit 2
	fi
	"$ROOT/scripts/deps.sh" >&2 || exit 1
	if [ "$plan" = - ]; then work_start plan; else work_start "$(basename "$plan")"; fi
	while read -r -a words <&3; do
		case ${words[0]} in
		refuse) ;;
		host) [ $user = 0 ] && [ ${#FILTERS[@]} -eq 0 ] && host "${words[@]:1}" ;;
		*)
			[ "${words[0]}" = user ] && [ $user = 0 ] && continue
			[ "${words[0]}" != user ] && [ $user = 1 ] && continue
			wanted "${words[0]}" "${words[1]}" && run "${words[@]}"
			;;
		esac
	done 3<<<"$lines"
	echo
	work_end
}

main "$@"
