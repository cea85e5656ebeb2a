#!/bin/bash
# End-to-end check of the test harness itself.
#
# Usage: scripts/vm/smoke.sh
#
# For both kernels (stock and affected model):
#   * build (or reuse) the kernel with scripts/kernel/build.sh;
#   * build two trivial out-of-tree modules against it: one that only logs
#     on load/unload, one KUnit suite with a single passing case;
#   * boot a scenario that sets up two network namespaces joined by a veth
#     pair, ESP transport mode for IPv4 (cbc(aes) + hmac(sha256)) and IPv6
#     (rfc4106(gcm(aes))), pings across, shows the xfrm state counters,
#     takes cpu1 offline and back, loads both modules, deletes the
#     namespaces and prints "smoke: ok";
#   * check the console log: no kernel report, the KUnit result, and on the
#     affected kernel the affected-model marker line.
#
# Everything is written to $XDA_SMOKE_DIR (default /tmp/xda-smoke) and kept
# for inspection.  Exit 0 only if every check passed.
set -eu

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${XDA_SMOKE_DIR:-/tmp/xda-smoke}
AFFECTED_MARKER="xfrm: affected model: per-netns xfrm dst_ops share the template's percpu counters"
SUMMARY=()
KDIR=

log() {
	echo "smoke.sh: $*" >&2
}

die() {
	log "FAILED: $*"
	exit 1
}

# Seconds since the epoch with millisecond precision.
now() {
	date +%s.%3N
}

elapsed_since() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

write_modules() {
	local dir=$1
	mkdir -p "$dir"
	cat >"$dir/Kbuild" <<'EOF'
obj-m += xda_smoke_hello.o xda_smoke_kunit.o
EOF
	cat >"$dir/xda_smoke_hello.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
#include <linux/init.h>
#include <linux/module.h>

static int __init xda_smoke_hello_init(void)
{
	pr_info("xda_smoke_hello: loaded\n");
	return 0;
}

static void __exit xda_smoke_hello_exit(void)
{
	pr_info("xda_smoke_hello: unloaded\n");
}

module_init(xda_smoke_hello_init);
module_exit(xda_smoke_hello_exit);
MODULE_DESCRIPTION("Harness smoke test: trivial module");
MODULE_LICENSE("GPL");
EOF
	cat >"$dir/xda_smoke_kunit.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
#include <kunit/test.h>
#include <linux/module.h>

static void xda_smoke_pass(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 1 + 1, 2);
}

static struct kunit_case xda_smoke_cases[] = {
	KUNIT_CASE(xda_smoke_pass),
	{}
};

static struct kunit_suite xda_smoke_suite = {
	.name = "xda_smoke",
	.test_cases = xda_smoke_cases,
};
kunit_test_suite(xda_smoke_suite);

MODULE_DESCRIPTION("Harness smoke test: one passing KUnit case");
MODULE_LICENSE("GPL");
EOF
}

# The scenario runs inside the VM under busybox sh.
write_scenario() {
	cat >"$1" <<'SCENARIO'
#!/bin/sh
# Harness smoke scenario (written by scripts/vm/smoke.sh).
set -eu
IP=/usr/sbin/ip

step() {
	echo "smoke: $*"
}

# ESP transport mode between A and B for one address family.
# xfrm_pair NS A B SPI_AB SPI_BA ALGO...: states for both directions and the
# policies of namespace NS (which owns address A).
xfrm_pair() {
	ns=$1 a=$2 b=$3 spi_ab=$4 spi_ba=$5
	shift 5
	$IP -n "$ns" xfrm state add src "$a" dst "$b" proto esp spi "$spi_ab" \
		mode transport "$@"
	$IP -n "$ns" xfrm state add src "$b" dst "$a" proto esp spi "$spi_ba" \
		mode transport "$@"
	$IP -n "$ns" xfrm policy add src "$a" dst "$b" dir out \
		tmpl src "$a" dst "$b" proto esp mode transport
	$IP -n "$ns" xfrm policy add src "$b" dst "$a" dir in \
		tmpl src "$b" dst "$a" proto esp mode transport
}

setup_network() {
	$IP netns add a
	$IP netns add b
	$IP -n a link add va type veth peer name vb netns b
	$IP -n a addr add 10.0.0.1/24 dev va
	$IP -n b addr add 10.0.0.2/24 dev vb
	$IP -n a addr add fd00::1/64 dev va nodad
	$IP -n b addr add fd00::2/64 dev vb nodad
	for ns in a b; do
		$IP -n $ns link set lo up
	done
	$IP -n a link set va up
	$IP -n b link set vb up
}

setup_ipsec() {
	cbc="enc cbc(aes) 0x000102030405060708090a0b0c0d0e0f"
	hmac="auth hmac(sha256) 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	gcm="aead rfc4106(gcm(aes)) 0x000102030405060708090a0b0c0d0e0f10111213 128"
	# shellcheck disable=SC2086 # the algorithm strings are word lists
	for ns in a b; do
		if [ $ns = a ]; then me=1 peer=2; else me=2 peer=1; fi
		xfrm_pair $ns 10.0.0.$me 10.0.0.$peer 0x10$me 0x10$peer $cbc $hmac
		xfrm_pair $ns fd00::$me fd00::$peer 0x20$me 0x20$peer $gcm
	done
}

ping_both() {
	$IP netns exec a ping -c 1 -W 5 10.0.0.2
	$IP netns exec a ping -6 -c 1 -W 5 fd00::2
	$IP netns exec b ping -c 1 -W 5 10.0.0.1
	$IP netns exec b ping -6 -c 1 -W 5 fd00::1
}

# Every state in A must have carried packets: ESP really was used.
check_esp_used() {
	$IP -n a -s xfrm state
	used=$($IP -n a -s xfrm state | grep -c '[1-9][0-9]*(packets)' || true)
	step "xfrm states in a with traffic: $used of 4"
	[ "$used" -eq 4 ]
}

cpu_hotplug() {
	step "cpus online: $(cat /sys/devices/system/cpu/online)"
	[ "$(cat /sys/devices/system/cpu/online)" = 0-1 ]
	echo 0 >/sys/devices/system/cpu/cpu1/online
	step "cpu1 offline: online=$(cat /sys/devices/system/cpu/online)"
	[ "$(cat /sys/devices/system/cpu/online)" = 0 ]
	echo 1 >/sys/devices/system/cpu/cpu1/online
	step "cpu1 online: online=$(cat /sys/devices/system/cpu/online)"
	[ "$(cat /sys/devices/system/cpu/online)" = 0-1 ]
}

load_modules() {
	insmod /lib/xda/xda_smoke_hello.ko
	rmmod xda_smoke_hello
	# KUnit is built in: the suite runs at load and prints KTAP.
	insmod /lib/xda/xda_smoke_kunit.ko
	rmmod xda_smoke_kunit
}

step "start: kernel $(uname -r), uptime $(cut -d' ' -f1 /proc/uptime)s"
setup_network
setup_ipsec
ping_both
check_esp_used
cpu_hotplug
ping_both
load_modules
$IP netns del a
$IP netns del b
step "end: uptime $(cut -d' ' -f1 /proc/uptime)s"
step "ok"
SCENARIO
}

# build_kernel VARIANT: build or reuse the kernel, set KDIR.
build_kernel() {
	local variant=$1 start
	start=$(now)
	KDIR=$("$SCRIPTS/kernel/build.sh" "$variant" | tail -n 1)
	[ -f "$KDIR/arch/x86/boot/bzImage" ] || die "$variant: no bzImage in $KDIR"
	SUMMARY+=("$variant: kernel build (or cache hit) $(elapsed_since "$start")s, KDIR=$KDIR")
}

# check_log VARIANT LOG: the console shows what the scenario promised.
check_log() {
	local variant=$1 log=$2 dir report kunit
	dir=$(dirname "$log")
	grep -aq '^smoke: ok$' "$log" || die "$variant: no 'smoke: ok' in $log"
	grep -aq 'xda_smoke_hello: loaded' "$log" || die "$variant: module did not load"

	report=$("$SCRIPTS/vm/check-log.sh" "$log") ||
		{ echo "$report" >&2; die "$variant: kernel reports in $log"; }
	SUMMARY+=("$variant: $report")

	"$SCRIPTS/vm/ktap.sh" "$log" >"$dir/kunit.txt" 2>&1 ||
		{ cat "$dir/kunit.txt" >&2; die "$variant: KUnit results"; }
	kunit=$(grep '^kunit: ' "$dir/kunit.txt")
	[ "$kunit" = "kunit: passed=1 failed=0 skipped=0" ] ||
		die "$variant: expected one passing KUnit case, got: $kunit"
	SUMMARY+=("$variant: $kunit")

	if [ "$variant" = affected ]; then
		grep -aqF "$AFFECTED_MARKER" "$log" || die "affected: marker line missing"
		SUMMARY+=("affected: marker line present")
	elif grep -aqF "$AFFECTED_MARKER" "$log"; then
		die "stock: affected-model marker present"
	fi
}

# run_variant VARIANT: modules, initramfs, boot and checks for one kernel.
run_variant() {
	local variant=$1 kdir dir log start
	build_kernel "$variant"
	kdir=$KDIR
	dir=$WORK/$variant
	log=$dir/console.log
	rm -rf "$dir/modules"
	write_modules "$dir/modules"

	log "$variant: building test modules against $kdir"
	make -C "$kdir" M="$dir/modules" modules >"$dir/modules.log" 2>&1 ||
		{ tail -n 20 "$dir/modules.log" >&2; die "$variant: module build failed"; }

	"$SCRIPTS/vm/mkinitramfs.sh" "$dir/initramfs.cpio.gz" "$WORK/scenario.sh" \
		"$dir/modules/xda_smoke_hello.ko" "$dir/modules/xda_smoke_kunit.ko"

	log "$variant: booting (console: $log)"
	start=$(now)
	"$SCRIPTS/vm/run.sh" "$kdir/arch/x86/boot/bzImage" "$dir/initramfs.cpio.gz" "$log" ||
		die "$variant: VM run failed (see $log)"
	SUMMARY+=("$variant: VM start to exit $(elapsed_since "$start")s")
	check_log "$variant" "$log"
}

main() {
	mkdir -p "$WORK"
	write_scenario "$WORK/scenario.sh"
	run_variant stock
	run_variant affected
	printf 'smoke.sh: %s\n' "${SUMMARY[@]}"
	echo "smoke.sh: PASS (files in $WORK)"
}

main "$@"
