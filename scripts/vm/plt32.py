#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Make x86-64 kernel modules loadable by module loaders older than 4.16.

Usage: scripts/vm/plt32.py MODULE.ko...

binutils 2.31 and later emit R_X86_64_PLT32 relocations for calls and
jumps.  Module loaders before Linux 4.16 know only R_X86_64_PC32 and
refuse the module ("Unknown rela relocation: 4").  Since 4.16
(commit b21ebf2fb4cd, "x86: Treat R_X86_64_PLT32 as R_X86_64_PC32") the
loader resolves both the same way, because a module has no PLT: so every
R_X86_64_PLT32 is rewritten as R_X86_64_PC32, in place, which changes
nothing that a newer loader does.

Only the harness needs this: it builds with today's binutils for kernels
that were built with the binutils of their day.  Prints one line per file
with the number of relocations rewritten.
"""

import struct
import sys

SHT_RELA = 4
R_X86_64_PC32 = 2
R_X86_64_PLT32 = 4
RELA_SIZE = 24


def rewrite(path):
    with open(path, 'rb') as f:
        data = bytearray(f.read())
    if data[:4] != b'\x7fELF' or data[4] != 2 or data[5] != 1:
        sys.exit(f'plt32.py: {path}: not a little-endian ELF64 file')
    (machine,) = struct.unpack_from('<H', data, 0x12)
    if machine != 62:  # EM_X86_64
        sys.exit(f'plt32.py: {path}: not an x86-64 object')
    shoff, = struct.unpack_from('<Q', data, 0x28)
    shentsize, shnum = struct.unpack_from('<HH', data, 0x3a)
    count = 0
    for i in range(shnum):
        sh = shoff + i * shentsize
        sh_type, = struct.unpack_from('<I', data, sh + 4)
        if sh_type != SHT_RELA:
            continue
        offset, size = struct.unpack_from('<QQ', data, sh + 0x18)
        for rela in range(offset, offset + size, RELA_SIZE):
            info, = struct.unpack_from('<Q', data, rela + 8)
            if info & 0xffffffff == R_X86_64_PLT32:
                info = (info & ~0xffffffff) | R_X86_64_PC32
                struct.pack_into('<Q', data, rela + 8, info)
                count += 1
    if count:
        with open(path, 'wb') as f:
            f.write(data)
    print(f'plt32.py: {path}: {count} R_X86_64_PLT32 rewritten as R_X86_64_PC32')


def main():
    if len(sys.argv) < 2:
        sys.exit('usage: plt32.py MODULE.ko...')
    for path in sys.argv[1:]:
        rewrite(path)


if __name__ == '__main__':
    main()
