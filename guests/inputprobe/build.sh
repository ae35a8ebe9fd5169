#!/usr/bin/env bash
# Builds inputprobe.elf and inputprobe.bin on the shared bare-metal runtime (guests/baremetal).
# Reproducible: prints the same SHA-256s from any directory.
set -euo pipefail
. "$(dirname "$0")/../baremetal/build-lib.sh"
baremetal_build inputprobe inputprobe.c
