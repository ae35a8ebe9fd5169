# Sourced by the build.sh of a bare-metal guest (guests/cpubench, guests/inputprobe). Picks the
# tools, sets CFLAGS (a guest may append to it) and defines
#
#   baremetal_build NAME SOURCE...
#
# which compiles this runtime (start.S, console.c, runtime.c) and the guest's SOURCEs (paths
# relative to guests/NAME), links them with link.ld into guests/NAME/NAME.elf and the flat
# guests/NAME/NAME.bin (for -bios / --bios at 0x80000000), and prints their SHA-256s.
# Reproducible: no timestamps, no build-id; every file is compiled from guests/ by its relative
# path and guests/ is mapped to "." (-ffile-prefix-map), so any checkout and any working
# directory give the same bytes.

BAREMETAL_GUESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

# Prefer the versioned LLVM 14 tools (Debian 12), fall back to unversioned names.
pick() { for t in "$@"; do if command -v "$t" >/dev/null 2>&1; then echo "$t"; return; fi; done; echo "missing: $1" >&2; exit 1; }
CC=$(pick clang-14 clang)
LD=$(pick ld.lld-14 ld.lld)
OBJCOPY=$(pick llvm-objcopy-14 llvm-objcopy)

CFLAGS=(--target=riscv64-unknown-elf -march=rv64gc -mabi=lp64d -mcmodel=medany -mno-relax
        -O2 -ffreestanding -nostdlib -fno-builtin -fno-pic -fno-stack-protector
        -Wall -Wextra -Ibaremetal -ffile-prefix-map="$BAREMETAL_GUESTS"=.)

baremetal_build() (
    local name=$1 src obj
    shift
    cd "$BAREMETAL_GUESTS"
    local tmp objs=()
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    # start.S first (its .text.init is the entry; link.ld puts it at 0x80000000 anyway).
    for src in baremetal/start.S baremetal/console.c baremetal/runtime.c "${@/#/$name/}"; do
        obj="$tmp/${src//\//_}.o"
        "$CC" "${CFLAGS[@]}" -c "$src" -o "$obj"
        objs+=("$obj")
    done
    "$LD" -T baremetal/link.ld --build-id=none -nostdlib -static "${objs[@]}" -o "$name/$name.elf"
    "$OBJCOPY" -O binary "$name/$name.elf" "$name/$name.bin"
    cd "$name"
    sha256sum "$name.elf" "$name.bin"
)
