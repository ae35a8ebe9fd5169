#!/usr/bin/env bash
# Builds cpubench.elf and cpubench.bin on the shared bare-metal runtime (guests/baremetal).
# REPEAT=n scales the work (default 10). Reproducible: prints the same SHA-256s from any directory.
set -euo pipefail
. "$(dirname "$0")/../baremetal/build-lib.sh"
CFLAGS+=("-DREPEAT=${REPEAT:-10}")
baremetal_build cpubench cpubench.c
