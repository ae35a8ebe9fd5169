import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ValueError } from "./config-error.js";
import { parseMac, formatMac, normalizeMac, randomMac } from "./mac.js";

describe("MAC addresses", () => {
  it("reads the manual's addresses (§2.3, §5.3.1)", () => {
    expect(parseMac("00:16:3e:54:79:a6")).toEqual([0x00, 0x16, 0x3e, 0x54, 0x79, 0xa6]);
    expect(normalizeMac("00:16:3E:4F:94:A9")).toBe("00:16:3e:4f:94:a9");
  });

  it.each([
    ["", "is not six hex octets"],
    ["00:16:3e:54:79", "is not six hex octets"],
    ["00-16-3e-54-79-a6", "is not six hex octets"],
    ["0:16:3e:54:79:a6", "is not six hex octets"],
    ["00:16:3e:54:79:ag", "is not six hex octets"],
    ["01:00:5e:00:00:01", "is a multicast address"],
    ["ff:ff:ff:ff:ff:ff", "is a multicast address"],
  ])("refuses %j: %s", (text, message) => {
    expect(() => parseMac(text)).toThrow(ValueError);
    expect(() => parseMac(text)).toThrow(message);
  });

  it("makes random addresses 00:16:3e:xx:xx:xx with the top bit of the fourth octet clear, as Xen does", () => {
    expect(randomMac(() => Uint8Array.of(0xff, 0xab, 0xcd))).toBe("00:16:3e:7f:ab:cd");
    for (let i = 0; i < 200; i++) {
      const mac = randomMac();
      expect(mac).toMatch(/^00:16:3e:[0-7][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$/);
      expect(normalizeMac(mac)).toBe(mac);
    }
  });

  it("round-trips any unicast address", () => {
    const octets = fc.tuple(fc.integer({ min: 0, max: 127 }).map((b) => b * 2), ...Array.from({ length: 5 }, () => fc.integer({ min: 0, max: 255 })));
    fc.assert(fc.property(octets, fc.boolean(), (bytes, upper) => {
      const text = formatMac(bytes);
      expect(parseMac(upper ? text.toUpperCase() : text)).toEqual(bytes);
    }), { numRuns: 1000 });
  });

  it("either parses or throws ValueError, for any text", () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 20 }), fc.stringMatching(/^[0-9a-fA-F:]{0,20}$/)), (t) => {
      try {
        expect(parseMac(t)).toHaveLength(6);
      } catch (e) {
        expect(e).toBeInstanceOf(ValueError);
      }
    }), { numRuns: 3000 });
  });
});
