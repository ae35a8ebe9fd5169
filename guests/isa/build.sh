#!/usr/bin/env bash
# Build every guests/isa/*.S into guests/isa/bin/<name>.elf.
#
# Reproducible: fixed flags, no debug info, no build-id, sources named by
# relative path (and -ffile-prefix-map for anything else), so building
# twice gives byte-identical ELFs.
#
#   ./build.sh [name.S...]      build all tests (or the ones named) into bin/
#   OUT=dir CPPFLAGS=-DQEMU_QUIRKS ./build.sh
#                               variant that accepts QEMU 7.2's known
#                               deviations from the spec (see README.md)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

CLANG="${CLANG:-clang}"
LLD="${LLD:-ld.lld}"
OUT="${OUT:-bin}"
TARGET=(--target=riscv64-unknown-elf -march=rv64gc -mabi=lp64d -nostdlib -static)
# shellcheck disable=SC2206
EXTRA=(${CPPFLAGS:-})

export LC_ALL=C SOURCE_DATE_EPOCH=0
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$OUT"

[ $# -eq 0 ] && set -- *.S
for src in "$@"; do
  name="${src%.S}"
  "$CLANG" "${TARGET[@]}" -Qunused-arguments -mno-relax -Iinclude "${EXTRA[@]}" \
    "-ffile-prefix-map=$here=." -c "$src" -o "$tmp/$name.o"
  "$LLD" -T link.ld --build-id=none -static -nostdlib "$tmp/$name.o" -o "$OUT/$name.elf"
  echo "built $OUT/$name.elf"
done
