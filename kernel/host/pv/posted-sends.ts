// The host's side of the event-channel sends the kernel posts instead of exiting
// (kernel/cpu/posted-sends.ts): which ports the kernel may post on, and taking what it posted.

import { EVTCHN_POSTABLE, EVTCHN_POSTED, EVTCHN_POSTED_COUNT } from "../../public/kernel-abi.js";
import { NR_EVENT_CHANNELS } from "../../public/xen/shared-info.js";
import { takeSetBits } from "../bitmap.js";

const BITMAP_BYTES = NR_EVENT_CHANNELS / 8;
const NONE: readonly number[] = [];

export class PostedSends {
  /** `bytes`: the kernel's linear memory, as now (it may have grown since the last call). */
  constructor(private readonly bytes: () => Uint8Array) {
    const b = bytes();
    b.fill(0, EVTCHN_POSTABLE, EVTCHN_POSTABLE + BITMAP_BYTES);
    b.fill(0, EVTCHN_POSTED, EVTCHN_POSTED + BITMAP_BYTES);
    b.fill(0, EVTCHN_POSTED_COUNT, EVTCHN_POSTED_COUNT + 4);
  }

  /** Whether the kernel may post sends on `port` (while it is bound, a send on it succeeds). */
  allow(port: number, yes: boolean): void {
    if (port < 0 || port >= NR_EVENT_CHANNELS) return;
    const b = this.bytes();
    const at = EVTCHN_POSTABLE + (port >> 3);
    b[at] = yes ? b[at] | (1 << (port & 7)) : b[at] & ~(1 << (port & 7));
  }

  /** The ports posted since the last call, lowest first; they count as served from now on. */
  take(): readonly number[] {
    const b = this.bytes();
    const c = EVTCHN_POSTED_COUNT;
    if ((b[c] | b[c + 1] | b[c + 2] | b[c + 3]) === 0) return NONE; // the common case, every exit: nothing posted
    const ports = takeSetBits(b.subarray(EVTCHN_POSTED, EVTCHN_POSTED + BITMAP_BYTES));
    b.fill(0, c, c + 4);
    return ports;
  }
}
