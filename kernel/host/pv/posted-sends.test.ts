import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { PostedSends } from "./posted-sends.js";
import { EVTCHN_POSTABLE, EVTCHN_POSTED, EVTCHN_POSTED_COUNT } from "../../public/kernel-abi.js";
import { NR_EVENT_CHANNELS } from "../../public/xen/shared-info.js";

const memory = (): Uint8Array => new Uint8Array(EVTCHN_POSTED_COUNT + 4);

/** What the kernel does for a send on `port` (kernel/cpu/posted-sends.ts). */
function post(b: Uint8Array, port: number): void {
  if ((b[EVTCHN_POSTABLE + (port >> 3)] & (1 << (port & 7))) === 0) throw new Error(`port ${port} is not postable`);
  b[EVTCHN_POSTED + (port >> 3)] |= 1 << (port & 7);
  b[EVTCHN_POSTED_COUNT]++;
}

describe("sends the kernel posts for the host", () => {
  it("are taken once each, lowest port first, whatever order they came in", () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: NR_EVENT_CHANNELS - 1 }), { maxLength: 40 }), (ports) => {
      const b = memory();
      const posted = new PostedSends(() => b);
      for (const p of ports) posted.allow(p, true);
      for (const p of ports) post(b, p);
      expect(posted.take()).toEqual([...ports].sort((x, y) => x - y));
      expect(posted.take()).toEqual([]);
    }));
  });

  it("only on ports the host allows, until it takes them back; ports out of range are ignored", () => {
    const b = memory();
    const posted = new PostedSends(() => b);
    posted.allow(9, true);
    posted.allow(10, true);
    posted.allow(9, false);
    posted.allow(NR_EVENT_CHANNELS, true);
    posted.allow(-1, true);
    expect(() => post(b, 9)).toThrow();
    post(b, 10);
    expect(posted.take()).toEqual([10]);
    expect(b.subarray(EVTCHN_POSTABLE, EVTCHN_POSTED).reduce((n, x) => n + x, 0)).toBe(1 << (10 & 7));
  });

  it("start from nothing: what a previous machine on this memory left is cleared", () => {
    const b = memory().fill(0xff);
    const posted = new PostedSends(() => b);
    expect(posted.take()).toEqual([]);
    expect(() => post(b, 3)).toThrow();
  });
});
