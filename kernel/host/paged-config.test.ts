import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { selectConfigPage } from "./paged-config.js";
import { VIRTIO_INPUT_CFG_EV_BITS, VIRTIO_INPUT_CFG_ID_NAME, VIRTIO_INPUT_CONFIG_BYTES } from "../public/virtio-input.js";

const pages = [
  { select: VIRTIO_INPUT_CFG_ID_NAME, subsel: 0, data: new TextEncoder().encode("kbd") },
  { select: VIRTIO_INPUT_CFG_EV_BITS, subsel: 1, data: Uint8Array.of(0xfe, 0xff) },
];

function written(select: number, subsel: number): Uint8Array {
  const w = new Uint8Array(512);
  w[0] = select;
  w[1] = subsel;
  return w;
}

describe("a paged config space (virtio-input)", () => {
  it("shows the selected page's size and bytes after select and subsel", () => {
    const name = selectConfigPage(pages, written(VIRTIO_INPUT_CFG_ID_NAME, 0));
    expect([...name.subarray(0, 3)]).toEqual([VIRTIO_INPUT_CFG_ID_NAME, 0, 3]);
    expect(new TextDecoder().decode(name.subarray(8, 11))).toBe("kbd");
    const bits = selectConfigPage(pages, written(VIRTIO_INPUT_CFG_EV_BITS, 1));
    expect([...bits.subarray(0, 10)]).toEqual([VIRTIO_INPUT_CFG_EV_BITS, 1, 2, 0, 0, 0, 0, 0, 0xfe, 0xff]);
  });

  it("answers size 0 and a zeroed page for anything it does not have, whatever the driver wrote", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 512, maxLength: 512 }), (w) => {
      const out = selectConfigPage(pages, w);
      expect(out.length).toBe(VIRTIO_INPUT_CONFIG_BYTES);
      expect([out[0], out[1]]).toEqual([w[0], w[1]]);
      const known = pages.find((p) => p.select === w[0] && p.subsel === w[1]);
      expect(out[2]).toBe(known?.data.length ?? 0);
      if (known === undefined) expect(out.subarray(8).every((b) => b === 0)).toBe(true);
    }));
  });
});
