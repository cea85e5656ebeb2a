#!/bin/bash
# Build the initramfs of a test VM.
#
# Usage: scripts/vm/mkinitramfs.sh OUT.cpio.gz SCENARIO.sh [FILE...]
#
# Contents:
#   /bin/busybox + applet symlinks   userspace (sh, ping, insmod, ...)
#   /usr/sbin/ip                     iproute2's real `ip` and its libraries
#   /scenario.sh                     SCENARIO.sh, run by /init with `sh`
#   /lib/xda/<basename>              each FILE (modules *.ko, helpers)
#   /lib/xda/scenario-lib.sh         what every scenario uses (arg, check, ...)
#   /init                            scripts/vm/init.sh
#
# scripts/vm/kernel.sh adds a second archive for kernels with a modules
# tree: /lib/modules/<release> with the modules the scenarios use, and
# the list /init loads at boot (xda-preload).
#
# Scenarios must call `/usr/sbin/ip` by its full path: the busybox shell
# may run its own applets before searching PATH, and busybox's `ip` applet
# knows neither `netns` nor `xfrm`.  No `ip` applet symlink is installed,
# so programs that exec `ip` through PATH (`ip netns exec a ip ...`) also
# get the real one.
#
# /init prints "XDA-SCENARIO-BEGIN", runs the scenario, prints
# "XDA-SCENARIO-END rc=<exit status>" and reboots; run.sh starts QEMU with
# -no-reboot, so the reboot ends the VM.  The kernel command line is in
# /proc/cmdline for scenarios that take parameters.
set -eu

# Applets never linked: the real iproute2 `ip` must not be shadowed.
EXCLUDED_APPLETS=" ip ipaddr iplink ipneigh iproute iprule iptunnel "

STAGING=

usage() {
	echo "usage: $0 OUT.cpio.gz SCENARIO.sh [FILE...]" >&2
	exit 2
}

die() {
	echo "mkinitramfs.sh: error: $*" >&2
	exit 1
}

cleanup() {
	if [ -n "$STAGING" ]; then
		rm -rf "$STAGING"
	fi
}

# copy_with_libs BINARY DEST: install a dynamic binary and every shared
# library ldd lists for it, at the same paths as on the host.
copy_with_libs() {
	local bin=$1 dest=$2 lib
	install -D -m 0755 "$(readlink -f "$bin")" "$STAGING$dest"
	# ldd fails for static binaries and non-ELF files: nothing to copy.
	ldd "$bin" 2>/dev/null | awk '
		$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\// { print $1 }' |
		while read -r lib; do
			[ -e "$STAGING$lib" ] && continue
			install -D -m 0755 "$(readlink -f "$lib")" "$STAGING$lib"
		done
}

install_busybox() {
	local busybox applet
	busybox=$(command -v busybox) || die "busybox not found (run scripts/deps.sh)"
	if ldd "$busybox" >/dev/null 2>&1; then
		die "$busybox is dynamically linked; install busybox-static"
	fi
	install -D -m 0755 "$busybox" "$STAGING/bin/busybox"
	# --list-full prints paths such as "sbin/ifconfig" or "usr/bin/env".
	"$busybox" --list-full | while read -r applet; do
		case $EXCLUDED_APPLETS in
		*" ${applet##*/} "*) continue ;;
		esac
		[ -e "$STAGING/$applet" ] && continue
		mkdir -p "$STAGING/$(dirname "$applet")"
		ln -s /bin/busybox "$STAGING/$applet"
	done
}

install_iproute2() {
	local ip
	ip=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v ip) ||
		die "iproute2 not found (run scripts/deps.sh)"
	copy_with_libs "$ip" /usr/sbin/ip
	if [ -d /etc/iproute2 ]; then
		mkdir -p "$STAGING/etc"
		cp -a /etc/iproute2 "$STAGING/etc/"
	fi
}

install_extra_files() {
	local file name
	mkdir -p "$STAGING/lib/xda"
	install -m 0644 "$(dirname "$0")/scenario-lib.sh" "$STAGING/lib/xda/"
	for file in "$@"; do
		[ -f "$file" ] || die "$file: no such file"
		name=$(basename "$file")
		[ -e "$STAGING/lib/xda/$name" ] && die "two files named $name"
		if ldd "$file" >/dev/null 2>&1; then
			copy_with_libs "$file" "/lib/xda/$name"
		else
			install -m 0644 "$file" "$STAGING/lib/xda/$name"
			# Keep helper scripts and static binaries executable.
			if [ -x "$file" ]; then
				chmod 0755 "$STAGING/lib/xda/$name"
			fi
		fi
	done
}


write_skeleton() {
	mkdir -p "$STAGING"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,tmp,root,etc,var}
	ln -s /run "$STAGING/var/run"
	echo "root:x:0:0:root:/root:/bin/sh" >"$STAGING/etc/passwd"
	echo "root:x:0:" >"$STAGING/etc/group"
}

# Pack the staging tree; the output appears only when complete.
pack() {
	local out=$1
	(cd "$STAGING" && find . -print0 | LC_ALL=C sort -z |
		cpio --null --quiet -o -H newc -R 0:0) | gzip -9n >"$out.tmp"
	mv "$out.tmp" "$out"
}

main() {
	[ $# -ge 2 ] || usage
	local out=$1 scenario=$2
	shift 2
	[ -f "$scenario" ] || die "$scenario: no such file"

	trap cleanup EXIT
	STAGING=$(mktemp -d "${TMPDIR:-/tmp}/xda-initramfs.XXXXXX")
	write_skeleton
	install_busybox
	install_iproute2
	install_extra_files "$@"
	install -m 0755 "$scenario" "$STAGING/scenario.sh"
	install -m 0755 "$(dirname "$0")/init.sh" "$STAGING/init"
	pack "$out"
}

main "$@"
