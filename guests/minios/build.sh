#!/usr/bin/env bash
# Builds minios.elf, the paravirtual mini-OS guest (loaded at its physical addresses, 0x80200000).
# Reproducible: fixed flags, no timestamps, no build-id, source paths mapped to ".", files linked
# in a fixed order; building again, from any directory, gives the same SHA-256, printed at the end.
set -euo pipefail
cd "$(dirname "$0")"

# Prefer the versioned LLVM 14 tools (Debian 12), fall back to unversioned names.
pick() { for t in "$@"; do if command -v "$t" >/dev/null 2>&1; then echo "$t"; return; fi; done; echo "missing: $1" >&2; exit 1; }
CC=$(pick clang-14 clang)
LD=$(pick ld.lld-14 ld.lld)

export LC_ALL=C SOURCE_DATE_EPOCH=0
CFLAGS=(--target=riscv64-unknown-elf -march=rv64gc -mabi=lp64d -mcmodel=medany -mno-relax
        -O2 -ffreestanding -nostdlib -fno-builtin -fno-pic -fno-stack-protector
        -fno-asynchronous-unwind-tables -std=c11 -Wall -Wextra -Werror
        -ffile-prefix-map="$PWD"=.)

# start.S first: its .text.init is the entry the linker script puts at 0x80200000.
SOURCES=(start.S main.c boot.c fdt.c options.c console.c format.c events.c gnttab.c timer.c sched.c
         trap.c exchange.c xenstore.c control.c balloon.c vcpus.c mem.c byte-ring.c xenbus.c blkfront.c disk.c
         netfront.c net.c font8x16.c fbfront.c kbdfront.c screen.c)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
objs=()
for src in "${SOURCES[@]}"; do
  "$CC" "${CFLAGS[@]}" -c "$src" -o "$tmp/${src%.*}.o"
  objs+=("$tmp/${src%.*}.o")
done
"$LD" -T link.ld --build-id=none -nostdlib -static "${objs[@]}" -o minios.elf
sha256sum minios.elf
