import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ValueError } from "./config-error.js";
import { parseVfbEntry, formatVfbEntry } from "./vfb.js";

// Round trips of vfb entries are in domain-roundtrip.test.ts, with the other generators.
describe("vfb entries", () => {
  it("reads the manual's SDL framebuffer (§6.4.2: vfb=[\"type=sdl\"])", () => {
    expect(parseVfbEntry("type=sdl")).toEqual({ type: "sdl" });
  });

  it("reads a VNC framebuffer with every setting", () => {
    expect(parseVfbEntry("type=vnc,vnclisten=0.0.0.0,vncdisplay=2,vncunused=0,vncpasswd=s3cret,keymap=de")).toEqual({
      type: "vnc", vnclisten: "0.0.0.0", vncdisplay: 2, vncunused: false, vncpasswd: "s3cret", keymap: "de",
    });
    expect(parseVfbEntry("keymap=fr-ca,display=:0,type=sdl,xauthority=/root/.Xauthority")).toEqual({
      type: "sdl", display: ":0", xauthority: "/root/.Xauthority", keymap: "fr-ca",
    });
  });

  it("writes type first", () => {
    expect(formatVfbEntry(parseVfbEntry("vncdisplay=1,type=vnc"))).toBe("type=vnc,vncdisplay=1");
  });

  it.each([
    ["", "type=vnc or type=sdl is required"],
    ["vncdisplay=1", "type=vnc or type=sdl is required"],
    ["type=rdp", 'type "rdp" is not vnc or sdl'],
    ["type=sdl,vncdisplay=1", 'vfb (type=sdl): unknown setting "vncdisplay" (known: type, display, xauthority, keymap)'],
    ["type=vnc,display=:0", 'unknown setting "display"'],
    ["type=vnc,vncdisplay=60000", "is not a number from 0 to 59635"],
    ["type=vnc,vncdisplay=-1", "is not a number from 0 to 59635"],
    ["type=vnc,vncunused=yes", "is not 0 or 1"],
    ["type=vnc,vnclisten=a b", "is not a host name or IP address"],
    ["type=vnc,keymap=klingon", 'keymap "klingon" is not one of da, de'],
    ["type=vnc,vncpasswd=", "vncpasswd is empty"],
    ["type=vnc,type=vnc", "type is given twice"],
  ])("refuses %j: %s", (entry, message) => {
    expect(() => parseVfbEntry(entry)).toThrow(ValueError);
    expect(() => parseVfbEntry(entry)).toThrow(message);
  });

  it("either parses or throws ValueError, for any text", () => {
    const pair = fc.tuple(fc.constantFrom("type", "vnclisten", "vncdisplay", "vncunused", "vncpasswd", "keymap", "display", "xauthority"), fc.string({ maxLength: 10 })).map(([k, v]) => `${k}=${v}`);
    const typed = fc.tuple(fc.constantFrom("type=vnc", "type=sdl"), fc.array(pair, { maxLength: 3 })).map(([t, p]) => [t, ...p].join(","));
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 40 }), typed), (t) => {
      try {
        parseVfbEntry(t);
      } catch (e) {
        expect(e).toBeInstanceOf(ValueError);
      }
    }), { numRuns: 3000 });
  });
});
