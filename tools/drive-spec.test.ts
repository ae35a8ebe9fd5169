import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseDriveSpec, DriveSpecError } from "./drive-spec.js";

describe("parseDriveSpec", () => {
  it("reads file, format and readonly", () => {
    expect(parseDriveSpec("file=/tmp/a.img,format=raw")).toEqual({ file: "/tmp/a.img", format: "raw", readOnly: false });
    expect(parseDriveSpec("format=raw,file=b.img,readonly=on")).toEqual({ file: "b.img", format: "raw", readOnly: true });
    expect(parseDriveSpec("file=x.img")).toEqual({ file: "x.img", format: "raw", readOnly: false });
  });

  it("takes a doubled comma as a comma in a value, as QEMU does", () => {
    expect(parseDriveSpec("file=a,,b.img,format=raw").file).toBe("a,b.img");
  });

  it.each([
    ["", "is not key=value"],
    ["disk.img", "is not key=value"],
    ["format=raw", "file=PATH is required"],
    ["file=", "file=PATH is required"],
    ["file=a,file=b", "given twice"],
    ["file=a,format=qcow2", 'format "qcow2" is not supported'],
    ["file=a,readonly=yes", "readonly must be on or off"],
    ["file=a,cache=none", 'unknown option "cache"'],
    ["file=a,if=ide", "only virtio"],
  ])("rejects %j: %s", (spec, message) => {
    expect(() => parseDriveSpec(spec)).toThrow(DriveSpecError);
    expect(() => parseDriveSpec(spec)).toThrow(message);
  });

  it("either parses or throws DriveSpecError naming the spec, for any string", () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (spec) => {
      try {
        const d = parseDriveSpec(spec);
        expect(d.file.length).toBeGreaterThan(0);
      } catch (e) {
        expect(e).toBeInstanceOf(DriveSpecError);
        expect((e as Error).message).toContain(`--drive ${spec}`);
      }
    }), { numRuns: 2000 });
  });

  it("round-trips any file name written with QEMU's comma escaping", () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.boolean(), (file, ro) => {
      fc.pre(!file.includes("\u0000"));
      const spec = `file=${file.replaceAll(",", ",,")},format=raw,readonly=${ro ? "on" : "off"}`;
      expect(parseDriveSpec(spec)).toEqual({ file, format: "raw", readOnly: ro });
    }), { numRuns: 1000 });
  });
});
