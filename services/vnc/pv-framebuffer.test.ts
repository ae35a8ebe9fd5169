import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { KernelPort } from "../common/kernel-port.js";
import type { GrantSegmentSpec } from "../../kernel/public/protocol.js";
import { FramebufferError, PvFramebuffer } from "./pv-framebuffer.js";
import { Screen } from "./screen.js";

/** A guest's grants as the kernel's grant reads would serve them: pages by grant reference. */
function kernelWith(pages: Map<number, Uint8Array>): KernelPort {
  const read = async (_domid: number, segments: readonly GrantSegmentSpec[]): Promise<Uint8Array> => {
    const out = new Uint8Array(segments.reduce((n, s) => n + s.len, 0));
    let at = 0;
    for (const s of segments) {
      const page = pages.get(s.ref);
      if (page === undefined) throw new Error(`grant ${s.ref} is not granted`);
      out.set(page.subarray(s.offset, s.offset + s.len), at);
      at += s.len;
    }
    return out;
  };
  return { grantRead: read, grantWrite: async () => {} } as unknown as KernelPort;
}

/** A 16x8 framebuffer (one page) whose pixel i is i: shared page 1, directory 2, pixels 3. */
function guest(): Map<number, Uint8Array> {
  const shared = new Uint8Array(4096);
  const v = new DataView(shared.buffer);
  v.setInt32(16, 16, true);
  v.setInt32(20, 8, true);
  v.setUint32(24, 64, true);
  v.setUint32(28, 512, true);
  v.setUint8(32, 32);
  v.setUint32(40, 2, true);
  const dir = new Uint8Array(4096);
  new DataView(dir.buffer).setUint32(0, 3, true);
  const fb = new Uint8Array(4096);
  for (let i = 0; i < 128; i++) new DataView(fb.buffer).setUint32(i * 4, i, true);
  return new Map([[1, shared], [2, dir], [3, fb]]);
}

describe("a PV framebuffer as the backend reads it", () => {
  it("reads the mode and the directory, and draws the guest's pixels", async () => {
    const fb = await PvFramebuffer.open(kernelWith(guest()), 5, 1);
    expect(fb.mode).toEqual({ width: 16, height: 8, lineLength: 64 });
    const screen = new Screen(16, 8);
    await fb.draw(screen, 0, 8);
    expect([...screen.pixels]).toEqual([...Array(128).keys()]);
  });

  it.each([
    ["depth 16", 32, 16, "depth 16"],
    ["a width of 0", 16, 0, "a 0x8 framebuffer"],
  ])("refuses %s", async (_what, offset, value, message) => {
    const pages = guest();
    const v = new DataView(pages.get(1)!.buffer);
    if (offset === 32) v.setUint8(32, value);
    else v.setInt32(offset, value, true);
    await expect(PvFramebuffer.open(kernelWith(pages), 5, 1)).rejects.toThrow(message);
  });

  it("opens or refuses with FramebufferError whatever the shared page holds", async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 64, maxLength: 64 }), async (head) => {
      const pages = guest();
      pages.get(1)!.set(head);
      try {
        await PvFramebuffer.open(kernelWith(pages), 5, 1);
      } catch (e) {
        // A directory naming an ungranted page fails the grant read, as the kernel would.
        if (!(e instanceof FramebufferError)) expect((e as Error).message).toMatch(/is not granted/);
      }
    }), { numRuns: 1000 });
  });
});
