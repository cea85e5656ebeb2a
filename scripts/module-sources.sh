#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What the module is built from, as dkms receives it: dkms.conf, the
# Makefiles and the sources, KUnit's included.  Every script that builds
# or packages the module copies it with this, so a new file is named once.
#
# Usage: scripts/module-sources.sh DEST [FROM]   (FROM: default the repository)
set -eu

from=${2:-$(cd "$(dirname "$0")/.." && pwd)}
mkdir -p "$1"
cp -r "$from/dkms.conf" "$from/Makefile" "$from/Kbuild" "$from/src" \
	"$from/include" "$from/kunit" "$1/"
