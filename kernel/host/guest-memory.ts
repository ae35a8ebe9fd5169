// Guest-physical memory as the host sees it: bounds-checked views into the kernel's linear
// memory. A bad guest address is the guest's error, reported as a GuestMemoryError, never a
// host crash.

import { RAM_BASE } from "../public/board.js";
import { GUEST_RAM_HOST_BASE, P2M_HOLES_BASE } from "../public/kernel-abi.js";

const PAGE = 4096;

export class GuestMemoryError extends Error {
  override name = "GuestMemoryError";
}

export class GuestMemory {
  constructor(
    private readonly linear: () => Uint8Array,
    readonly ramBytes: number,
  ) {}

  /** A live view of `length` bytes at guest-physical `gpa` (no copy). */
  view(gpa: number, length: number): Uint8Array {
    const off = gpa - RAM_BASE;
    if (!Number.isSafeInteger(off) || off < 0 || length < 0 || off + length > this.ramBytes) {
      throw new GuestMemoryError(
        `guest address 0x${gpa.toString(16)}+${length} is outside RAM ` +
          `(0x${RAM_BASE.toString(16)}..0x${(RAM_BASE + this.ramBytes).toString(16)})`,
      );
    }
    const linear = this.linear();
    // A hole in the P2M is not the guest's memory: a page it gave back, or one showing a grant it maps.
    for (let page = Math.floor(off / PAGE); page * PAGE < off + length; page++) {
      if ((linear[P2M_HOLES_BASE + (page >> 3)] & (1 << (page & 7))) !== 0) {
        throw new GuestMemoryError(`guest page 0x${(RAM_BASE + page * PAGE).toString(16)} is not the domain's own memory now (ballooned out, or a grant mapped there)`);
      }
    }
    const start = GUEST_RAM_HOST_BASE + off;
    return linear.subarray(start, start + length);
  }

  dataView(gpa: number, length: number): DataView {
    const v = this.view(gpa, length);
    return new DataView(v.buffer, v.byteOffset, v.byteLength);
  }

  write(gpa: number, data: Uint8Array): void {
    this.view(gpa, data.length).set(data);
  }
}
