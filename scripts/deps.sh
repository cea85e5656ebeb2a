#!/bin/bash
# Install the Debian packages the test harness needs.
#
# Usage: scripts/deps.sh [PACKAGE...]
#        (default: the packages below; a script that needs more names its own)
#
# Quiet and quick when everything is already installed, so other scripts
# (and CI) can call it unconditionally.  As root it installs what is
# missing; otherwise it prints the apt-get line to run and exits 1.
set -eu

PACKAGES=(
	linux-source-6.1    # kernel source for the stock and affected test kernels
	linux-headers-amd64 # distro headers for dkms builds
	build-essential     # gcc, make
	flex bison bc       # kernel build tools
	libelf-dev          # objtool
	libssl-dev          # scripts/sign-file, certs
	perl python3        # kernel build scripts, kunit.py parse, source edits
	xz-utils            # unpacks linux-source-6.1.tar.xz; modules built as .ko.xz
	zstd                # modules built as .ko.zst (kernels that compress so)
	rsync
	sparse dkms kmod
	qemu-system-x86     # test VM (TCG only)
	busybox-static      # initramfs userspace
	iproute2            # real `ip` (xfrm, netns) copied into the initramfs
	cpio                # initramfs archive
	coreutils           # timeout
)

# Print the packages from PACKAGES that are not fully installed.
missing_packages() {
	local pkg status
	for pkg in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
		# "ii " means desired=install, status=installed, no error.
		if [ "${status:0:2}" != "ii" ]; then
			printf '%s\n' "$pkg"
		fi
	done
}

main() {
	local missing
	[ $# -eq 0 ] || PACKAGES=("$@")
	mapfile -t missing < <(missing_packages)
	if [ "${#missing[@]}" -eq 0 ]; then
		return 0
	fi

	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: missing packages; as root run:" >&2
		echo "apt-get install -y --no-install-recommends ${missing[*]}"
		exit 1
	fi

	echo "deps.sh: installing: ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

main "$@"
