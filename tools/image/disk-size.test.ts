import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DiskSizeError, formatDiskSize, MAX_DISK_BYTES, parseDiskSize } from "./disk-size.js";

describe("disk sizes", () => {
  it("reads bytes and K/M/G/T as powers of 1024, as qemu-img does", () => {
    expect(parseDiskSize("8G")).toBe(8 * 2 ** 30);
    expect(parseDiskSize("512M")).toBe(512 * 2 ** 20);
    expect(parseDiskSize("1.5g")).toBe(1.5 * 2 ** 30);
    expect(parseDiskSize("64KiB")).toBe(65536);
    expect(parseDiskSize("1048576")).toBe(2 ** 20);
  });

  it("refuses what is not a whole number of sectors, zero, too much or not a size, naming it", () => {
    expect(() => parseDiskSize("1000")).toThrow('disk size "1000" is not a whole number of 512-byte sectors');
    expect(() => parseDiskSize("0")).toThrow("must be more than 0");
    expect(() => parseDiskSize("65T")).toThrow("at most 64T");
    expect(() => parseDiskSize("8 gallons")).toThrow('disk size "8 gallons" is not a number');
  });

  it("gives back every size it writes, and only DiskSizeError on anything else", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: MAX_DISK_BYTES / 512 }), (sectors) => {
      const bytes = sectors * 512;
      const text = formatDiskSize(bytes).replace(/ (.)iB$/, "$1").replace(/ bytes$/, "");
      expect(parseDiskSize(text)).toBe(bytes);
    }));
    fc.assert(fc.property(fc.string(), (text) => {
      try {
        const n = parseDiskSize(text);
        expect(Number.isSafeInteger(n) && n > 0 && n % 512 === 0).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(DiskSizeError);
      }
    }), { numRuns: 2000 });
  });
});
