import { describe, expect, it } from "vitest";
import type { KernelPort } from "../common/kernel-port.js";
import type { GrantSegmentSpec } from "../../kernel/public/protocol.js";
import { PvKeyboard } from "./pv-keyboard.js";

/** The keyboard's shared page as the guest holds it, consuming every event at once. */
function guestPage(): { kernel: KernelPort; page: DataView; events: { slot: number; keycode: number; pressed: number }[] } {
  const bytes = new Uint8Array(4096);
  const page = new DataView(bytes.buffer);
  const events: { slot: number; keycode: number; pressed: number }[] = [];
  const kernel = {
    grantRead: async (_d: number, segs: readonly GrantSegmentSpec[]) => bytes.slice(segs[0].offset, segs[0].offset + segs[0].len),
    grantWrite: async (_d: number, segs: readonly GrantSegmentSpec[], data: Uint8Array) => {
      let at = 0;
      for (const seg of segs) {
        const part = data.subarray(at, at + seg.len);
        bytes.set(part, seg.offset);
        if (seg.len === 40) events.push({ slot: seg.offset, keycode: new DataView(part.buffer, part.byteOffset).getUint32(4, true), pressed: part[1] });
        at += seg.len;
      }
    },
    notifyEvtchn: async () => {
      page.setUint32(0, page.getUint32(4, true), true); // the guest took everything
    },
  } as unknown as KernelPort;
  return { kernel, page, events };
}

describe("a PV keyboard as the backend feeds it", () => {
  it("writes events into the 51 slots of the in ring, wrapping, and moves in_prod", async () => {
    const { kernel, page, events } = guestPage();
    const kbd = new PvKeyboard(kernel, 3, 1 << 20, 1024, () => {});
    for (let i = 0; i < 120; i++) await kbd.key(30 + (i % 20), i % 2 === 0);
    expect(events).toHaveLength(120);
    events.forEach((e, i) => {
      expect(e.slot).toBe(1024 + (i % 51) * 40);
      expect(e.keycode).toBe(30 + (i % 20));
    });
    expect(page.getUint32(4, true)).toBe(120);
  });

  it("drops events while the guest does not read (the ring is full)", async () => {
    const { kernel, page } = guestPage();
    (kernel as unknown as { notifyEvtchn: () => Promise<void> }).notifyEvtchn = async () => {};
    const kbd = new PvKeyboard(kernel, 3, 1 << 20, 1024, () => {});
    for (let i = 0; i < 60; i++) await kbd.key(30, true);
    expect(page.getUint32(4, true)).toBe(51);
    expect(kbd.dropped).toBe(9);
  });
});
