// Disk sizes as qemu-img and vm-install take them: a number of bytes, or a number with K, M, G or
// T (powers of 1024; "8G", "512M", "1.5G"). A disk is whole 512-byte sectors: a size that is not
// is refused rather than rounded, so the guest sees exactly the size that was asked for.

const UNITS: Record<string, number> = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };
const SECTOR = 512;
/** qcow2's and VMDK's limits are far above this; 64 TiB keeps every size a safe integer of bytes. */
export const MAX_DISK_BYTES = 64 * 2 ** 40;

export class DiskSizeError extends Error {}

export function parseDiskSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (m === null) throw new DiskSizeError(`disk size "${text}" is not a number with an optional K, M, G or T (e.g. 8G)`);
  const bytes = Number(m[1]) * UNITS[m[2].toUpperCase()];
  if (!Number.isSafeInteger(bytes) || bytes % SECTOR !== 0) {
    throw new DiskSizeError(`disk size "${text}" is not a whole number of 512-byte sectors`);
  }
  if (bytes === 0 || bytes > MAX_DISK_BYTES) throw new DiskSizeError(`disk size "${text}" must be more than 0 and at most 64T`);
  return bytes;
}

/** "8 GiB", "512 MiB", "1536 KiB": the largest unit that divides the size. */
export function formatDiskSize(bytes: number): string {
  for (const [unit, scale] of [["TiB", 2 ** 40], ["GiB", 2 ** 30], ["MiB", 2 ** 20], ["KiB", 2 ** 10]] as const) {
    if (bytes % scale === 0) return `${bytes / scale} ${unit}`;
  }
  return `${bytes} bytes`;
}
