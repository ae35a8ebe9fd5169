import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { groupTxPackets } from "./netif.js";
import { NETTXF_extra_info, NETTXF_more_data } from "../../kernel/public/xen/netif.js";

const slot = (position: number, size: number, offset = 0, flags = 0, gref = 9) => ({ position, id: position, gref, offset, flags, size });

describe("netif transmit slots", () => {
  it("makes one packet of one slot, and of a packet over a page boundary in two", () => {
    expect(groupTxPackets([slot(0, 60)]).packets).toEqual([{ slots: [slot(0, 60)], segments: [{ ref: 9, offset: 0, len: 60 }], error: undefined }]);
    const split = [slot(1, 1514, 3000, NETTXF_more_data), slot(2, 418, 0, 0, 10)];
    expect(groupTxPackets(split).packets[0].segments).toEqual([{ ref: 9, offset: 3000, len: 1096 }, { ref: 10, offset: 0, len: 418 }]);
  });

  it("keeps a packet whose last slot has not come yet", () => {
    const r = groupTxPackets([slot(0, 60), slot(1, 1514, 3000, NETTXF_more_data)]);
    expect(r.packets).toHaveLength(1);
    expect(r.rest).toEqual([slot(1, 1514, 3000, NETTXF_more_data)]);
  });

  it.each([
    ["a runt", [slot(0, 10)], "a packet of 10 bytes"],
    ["a giant", [slot(0, 9000)], "a packet of 9000 bytes"],
    ["a piece past its page", [slot(0, 200, 4000)], "outside its page"],
    ["extra info", [slot(0, 60, 0, NETTXF_extra_info)], "extra-info"],
  ])("refuses %s, touching no page", (_what, slots, why) => {
    const [p] = groupTxPackets(slots).packets;
    expect(p.error).toContain(why);
    expect(p.segments).toEqual([]);
  });

  it("never throws, answers every slot it takes once, and keeps every segment inside a page", () => {
    const arbSlot = fc.record({
      position: fc.nat(), id: fc.nat({ max: 0xffff }), gref: fc.nat(), offset: fc.nat({ max: 0xffff }),
      flags: fc.nat({ max: 0xffff }), size: fc.nat({ max: 0xffff }),
    });
    fc.assert(fc.property(fc.array(arbSlot, { maxLength: 40 }), (slots) => {
      const { packets, rest } = groupTxPackets(slots);
      expect(packets.flatMap((p) => p.slots).length + rest.length).toBe(slots.length);
      for (const p of packets) for (const s of p.segments) expect(s.offset + s.len).toBeLessThanOrEqual(4096);
    }), { numRuns: 3000 });
  });
});
