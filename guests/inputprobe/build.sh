#!/usr/bin/env bash
# Builds inputprobe.elf and inputprobe.bin (flat image for -bios / --bios at 0x80000000).
# Reproducible: no timestamps, no build-id, source paths mapped to ".".
set -euo pipefail
cd "$(dirname "$0")"

# Prefer the versioned LLVM 14 tools (Debian 12), fall back to unversioned names.
pick() { for t in "$@"; do if command -v "$t" >/dev/null 2>&1; then echo "$t"; return; fi; done; echo "missing: $1" >&2; exit 1; }
CC=$(pick clang-14 clang)
LD=$(pick ld.lld-14 ld.lld)
OBJCOPY=$(pick llvm-objcopy-14 llvm-objcopy)

CFLAGS=(--target=riscv64-unknown-elf -march=rv64gc -mabi=lp64d -mcmodel=medany -mno-relax
        -O2 -ffreestanding -nostdlib -fno-builtin -fno-pic -fno-stack-protector
        -Wall -Wextra -ffile-prefix-map="$PWD"=.)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$CC" "${CFLAGS[@]}" -c start.S -o "$tmp/start.o"
"$CC" "${CFLAGS[@]}" -c inputprobe.c -o "$tmp/inputprobe.o"
"$LD" -T link.ld --build-id=none -nostdlib -static "$tmp/start.o" "$tmp/inputprobe.o" -o inputprobe.elf
"$OBJCOPY" -O binary inputprobe.elf inputprobe.bin
sha256sum inputprobe.elf inputprobe.bin
