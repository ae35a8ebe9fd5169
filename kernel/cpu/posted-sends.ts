// EVTCHNOP_send on a bound port, taken without leaving the kernel: the port is marked posted
// (kernel/public/kernel-abi.ts, EVTCHN_POSTED) and the host serves it when the run ends. An idle
// guest's tick (print a line, notify the console, sleep) is then one run, not two, and a guest
// that notifies several rings in a row costs one exit for all of them.

import { EVTCHN_POSTABLE, EVTCHN_POSTED, EVTCHN_POSTED_COUNT } from "../public/kernel-abi";
import { NR_EVENT_CHANNELS } from "../public/xen/shared-info";
import { isRam, ramHost } from "./mmu";

/**
 * Post the send whose `struct evtchn_send` is at guest-physical `gpa`; false when the host must
 * answer it (a port that is not bound, or an argument outside RAM).
 */
export function postSend(gpa: u64): bool {
  if (!isRam(gpa) || !isRam(gpa + 3)) return false;
  const port = load<u32>(ramHost(gpa));
  if (port >= NR_EVENT_CHANNELS) return false;
  const byte = port >> 3;
  const bit = <u8>(1 << <u8>(port & 7));
  if ((load<u8>(EVTCHN_POSTABLE + byte) & bit) == 0) return false;
  // Atomic: the harts of several lanes (lanes.ts) may post at once.
  const posted = atomic.or<u8>(EVTCHN_POSTED + byte, bit);
  if ((posted & bit) != 0) return true; // already posted: one notification serves both
  atomic.add<u32>(EVTCHN_POSTED_COUNT, 1);
  return true;
}

/** Whether sends wait for the host. */
@inline export function sendsPosted(): bool {
  return load<u32>(EVTCHN_POSTED_COUNT) != 0;
}
