import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { VirtioKeyboard, VirtioTablet, type VirtioInputDevice } from "./virtio-input.js";
import { selectConfigPage } from "../../kernel/host/paged-config.js";
import {
  ABS_X, ABS_Y, BTN_LEFT, BTN_RIGHT, EV_ABS, EV_KEY, EV_LED, EV_REL, EV_SYN, LED_CAPSL, REL_WHEEL, VIRTIO_INPUT_CFG_ABS_INFO,
  VIRTIO_INPUT_CFG_EV_BITS, VIRTIO_INPUT_CFG_ID_NAME, VIRTIO_INPUT_EVENTQ, VIRTIO_INPUT_STATUSQ,
} from "../../kernel/public/virtio-input.js";

type Event = [number, number, number];

/** Posts `n` eventq buffers as a driver does; resolves with the events written into them. */
function post(dev: VirtioInputDevice, n: number): Promise<Event[]> {
  return Promise.all(Array.from({ length: n }, async () => {
    const a = await dev.serve({ queue: VIRTIO_INPUT_EVENTQ, readable: new Uint8Array(0), writableBytes: 8 });
    const v = new DataView(a.data.buffer, a.data.byteOffset, a.written);
    return [v.getUint16(0, true), v.getUint16(2, true), v.getInt32(4, true)] as Event;
  }));
}

function page(dev: VirtioInputDevice, select: number, subsel: number): Uint8Array {
  const w = new Uint8Array(512);
  [w[0], w[1]] = [select, subsel];
  const c = selectConfigPage(dev.configPages, w);
  return c.subarray(8, 8 + c[2]);
}

const hasBit = (bits: Uint8Array, n: number) => ((bits[n >> 3] ?? 0) & (1 << (n & 7))) !== 0;

describe("the virtio-input keyboard and tablet of an HVM guest", () => {
  it("describe themselves as Linux's virtio_input driver reads it", () => {
    const kbd = new VirtioKeyboard().device;
    expect(new TextDecoder().decode(page(kbd, VIRTIO_INPUT_CFG_ID_NAME, 0))).toBe("Domus virtio keyboard");
    const keys = page(kbd, VIRTIO_INPUT_CFG_EV_BITS, EV_KEY);
    expect([1, 30, 58, 248].every((c) => hasBit(keys, c))).toBe(true);
    expect(hasBit(page(kbd, VIRTIO_INPUT_CFG_EV_BITS, EV_LED), LED_CAPSL)).toBe(true);
    expect(page(kbd, VIRTIO_INPUT_CFG_EV_BITS, EV_ABS)).toHaveLength(0);
    const tablet = new VirtioTablet().device;
    expect(hasBit(page(tablet, VIRTIO_INPUT_CFG_EV_BITS, EV_ABS), ABS_Y)).toBe(true);
    const abs = new DataView(page(tablet, VIRTIO_INPUT_CFG_ABS_INFO, ABS_X).slice().buffer);
    expect([abs.getUint32(0, true), abs.getUint32(4, true)]).toEqual([0, 0x7fff]);
  });

  it("answers the driver's buffers with key events followed by a report", async () => {
    const kbd = new VirtioKeyboard();
    expect(kbd.listening).toBe(false);
    const events = post(kbd.device, 4);
    expect(kbd.listening).toBe(true);
    kbd.key(30, true);
    kbd.key(30, false);
    expect(await events).toEqual([[EV_KEY, 30, 1], [EV_SYN, 0, 0], [EV_KEY, 30, 0], [EV_SYN, 0, 0]]);
  });

  it("keeps events until the driver posts buffers, dropping the oldest beyond its backlog", async () => {
    const kbd = new VirtioKeyboard();
    for (let i = 0; i < 200; i++) kbd.key(2 + (i % 10), true);
    expect(kbd.device.dropped).toBe(144);
    expect((await post(kbd.device, 2))[0]).toEqual([EV_KEY, 2 + (72 % 10), 1]);
  });

  it("places the tablet's pointer absolutely, scaled to the axes, with button changes and the wheel", async () => {
    const tablet = new VirtioTablet();
    const first = post(tablet.device, 4);
    tablet.position(799, 300, 1, 800, 600);
    expect(await first).toEqual([[EV_ABS, ABS_X, 0x7fff], [EV_ABS, ABS_Y, Math.round((300 * 0x7fff) / 599)], [EV_KEY, BTN_LEFT, 1], [EV_SYN, 0, 0]]);
    const second = post(tablet.device, 5);
    tablet.position(0, 0, 4 | 8, 800, 600);
    expect(await second).toEqual([[EV_ABS, ABS_X, 0], [EV_ABS, ABS_Y, 0], [EV_KEY, BTN_LEFT, 0], [EV_KEY, BTN_RIGHT, 1], [EV_REL, REL_WHEEL, 1]]);
  });

  it("takes the guest's LEDs from its status queue and ignores anything else there", async () => {
    const kbd = new VirtioKeyboard().device;
    const led = (code: number, value: number, type = EV_LED) => {
      const b = new Uint8Array(8);
      const v = new DataView(b.buffer);
      v.setUint16(0, type, true);
      v.setUint16(2, code, true);
      v.setInt32(4, value, true);
      return b;
    };
    await kbd.serve({ queue: VIRTIO_INPUT_STATUSQ, readable: led(LED_CAPSL, 1), writableBytes: 0 });
    expect(kbd.leds).toBe(1 << LED_CAPSL);
    await kbd.serve({ queue: VIRTIO_INPUT_STATUSQ, readable: led(LED_CAPSL, 0), writableBytes: 0 });
    expect(kbd.leds).toBe(0);
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 7 }), async (bytes, queue) => {
      const a = await kbd.serve({ queue, readable: bytes, writableBytes: 0 });
      expect(a.written).toBe(0);
    }));
  });
});
