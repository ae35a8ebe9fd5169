// An HVM guest's virtio-input keyboard and tablet (kernel/public/virtio-input.ts), served through
// the kernel's virtio-mmio transport. The driver posts empty eventq buffers; each input event
// fills one, answered when the event happens. The kernel keeps the buffers this service has not
// answered, so a restarted service gets them again. The config pages (name, the event codes the
// device sends, the tablet's axes) are given at attach, and the kernel answers them itself.

import type { VirtioAnswer, VirtioBackend, VirtioRequest } from "../../kernel/host/virtio-backend.js";
import type { VirtioConfigPage } from "../../kernel/public/protocol.js";
import { VIRTIO_ID_INPUT } from "../../kernel/public/virtio-slot.js";
import {
  ABS_X, ABS_Y, BTN_LEFT, BTN_MIDDLE, BTN_RIGHT, BUS_VIRTUAL, EV_ABS, EV_KEY, EV_LED, EV_REL, EV_SYN, LED_CAPSL, LED_NUML,
  LED_SCROLLL, REL_WHEEL, SYN_REPORT, VIRTIO_INPUT_ABS_MAX, VIRTIO_INPUT_CFG_ABS_INFO, VIRTIO_INPUT_CFG_EV_BITS,
  VIRTIO_INPUT_CFG_ID_DEVIDS, VIRTIO_INPUT_CFG_ID_NAME, VIRTIO_INPUT_CONFIG_BYTES, VIRTIO_INPUT_EVENT_BYTES, VIRTIO_INPUT_EVENTQ,
  VIRTIO_INPUT_STATUSQ,
} from "../../kernel/public/virtio-input.js";
import type { GuestKeys, GuestPointer } from "./domain-screens.js";

/** Events kept while the driver has no buffer posted; older ones are dropped beyond this. */
const MAX_BACKLOG = 256;
/** The keyboard reports every Linux key code up to KEY_MICMUTE. */
const LAST_KEY_CODE = 248;
const NO_ANSWER: VirtioAnswer = { written: 0, data: new Uint8Array(0) };

export type InputEvent = readonly [type: number, code: number, value: number];

function eventBytes([type, code, value]: InputEvent): Uint8Array {
  const b = new Uint8Array(VIRTIO_INPUT_EVENT_BYTES);
  const v = new DataView(b.buffer);
  v.setUint16(0, type, true);
  v.setUint16(2, code, true);
  v.setInt32(4, value, true);
  return b;
}

function bitmap(codes: readonly number[]): Uint8Array {
  const b = new Uint8Array((Math.max(...codes) >> 3) + 1);
  for (const c of codes) b[c >> 3] |= 1 << (c & 7);
  return b;
}

function devids(product: number): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint16(0, BUS_VIRTUAL, true);
  v.setUint16(4, product, true);
  v.setUint16(6, 1, true);
  return b;
}

function absinfo(max: number): Uint8Array {
  const b = new Uint8Array(20);
  new DataView(b.buffer).setUint32(4, max, true);
  return b;
}

const name = (text: string): VirtioConfigPage => ({ select: VIRTIO_INPUT_CFG_ID_NAME, subsel: 0, data: new TextEncoder().encode(text) });
const codes = (type: number, list: readonly number[]): VirtioConfigPage => ({ select: VIRTIO_INPUT_CFG_EV_BITS, subsel: type, data: bitmap(list) });

/** One virtio-input device: eventq buffers waiting for events, and the LEDs the guest set. */
export class VirtioInputDevice implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_INPUT;
  readonly features = 0n;
  /** The driver's eventq buffers, oldest first: each answers one event. */
  private readonly buffers: ((answer: VirtioAnswer) => void)[] = [];
  private readonly backlog: Uint8Array[] = [];
  /** A driver has posted buffers: events go to this device (a guest without one types on its console). */
  listening = false;
  /** The LEDs the guest last set (bit n: LED code n). */
  leds = 0;
  dropped = 0;

  constructor(readonly configPages: readonly VirtioConfigPage[]) {}

  config(): Uint8Array {
    return new Uint8Array(VIRTIO_INPUT_CONFIG_BYTES);
  }

  serve(request: VirtioRequest): Promise<VirtioAnswer> {
    if (request.queue === VIRTIO_INPUT_STATUSQ) {
      this.status(request.readable);
      return Promise.resolve(NO_ANSWER);
    }
    if (request.queue !== VIRTIO_INPUT_EVENTQ || request.writableBytes < VIRTIO_INPUT_EVENT_BYTES) return Promise.resolve(NO_ANSWER);
    this.listening = true;
    const waiting = this.backlog.shift();
    if (waiting !== undefined) return Promise.resolve({ written: waiting.length, data: waiting });
    return new Promise((resolve) => this.buffers.push(resolve));
  }

  /** Sends events in order, one buffer each (a report ends with EV_SYN). */
  send(events: readonly InputEvent[]): void {
    for (const e of events) {
      const bytes = eventBytes(e);
      const buffer = this.buffers.shift();
      if (buffer !== undefined) {
        buffer({ written: bytes.length, data: bytes });
        continue;
      }
      if (this.backlog.length >= MAX_BACKLOG) {
        this.backlog.shift();
        this.dropped++;
      }
      this.backlog.push(bytes);
    }
  }

  close(): void {
    this.buffers.length = 0;
    this.backlog.length = 0;
  }

  private status(readable: Uint8Array): void {
    const v = new DataView(readable.buffer, readable.byteOffset, readable.byteLength);
    for (let at = 0; at + VIRTIO_INPUT_EVENT_BYTES <= readable.length; at += VIRTIO_INPUT_EVENT_BYTES) {
      const code = v.getUint16(at + 2, true);
      if (v.getUint16(at, true) !== EV_LED || code > 31) continue;
      this.leds = v.getInt32(at + 4, true) !== 0 ? this.leds | (1 << code) : this.leds & ~(1 << code);
    }
  }
}

/** A keyboard: Linux key codes, and the Num, Caps and Scroll Lock LEDs. */
export class VirtioKeyboard implements GuestKeys {
  readonly device = new VirtioInputDevice([
    name("Domus virtio keyboard"),
    { select: VIRTIO_INPUT_CFG_ID_DEVIDS, subsel: 0, data: devids(1) },
    codes(EV_KEY, Array.from({ length: LAST_KEY_CODE }, (_, i) => i + 1)),
    codes(EV_LED, [LED_NUML, LED_CAPSL, LED_SCROLLL]),
  ]);

  get listening(): boolean {
    return this.device.listening;
  }

  key(code: number, down: boolean): void {
    this.device.send([[EV_KEY, code, down ? 1 : 0], [EV_SYN, SYN_REPORT, 0]]);
  }
}

/** RFB's button mask: left, middle, right, then the wheel's up and down as presses. */
const RFB_BUTTONS: readonly [bit: number, code: number][] = [[1, BTN_LEFT], [2, BTN_MIDDLE], [4, BTN_RIGHT]];
const RFB_WHEEL_UP = 8;
const RFB_WHEEL_DOWN = 16;

/**
 * A tablet: an absolute pointer, so the guest's pointer is where the viewer's is and never
 * drifts. Positions are scaled from the screen's pixels to 0..VIRTIO_INPUT_ABS_MAX.
 */
export class VirtioTablet implements GuestPointer {
  readonly device = new VirtioInputDevice([
    name("Domus virtio tablet"),
    { select: VIRTIO_INPUT_CFG_ID_DEVIDS, subsel: 0, data: devids(2) },
    codes(EV_KEY, [BTN_LEFT, BTN_RIGHT, BTN_MIDDLE]),
    codes(EV_REL, [REL_WHEEL]),
    codes(EV_ABS, [ABS_X, ABS_Y]),
    { select: VIRTIO_INPUT_CFG_ABS_INFO, subsel: ABS_X, data: absinfo(VIRTIO_INPUT_ABS_MAX) },
    { select: VIRTIO_INPUT_CFG_ABS_INFO, subsel: ABS_Y, data: absinfo(VIRTIO_INPUT_ABS_MAX) },
  ]);
  private buttons = 0;

  position(x: number, y: number, buttons: number, width: number, height: number): void {
    const scale = (v: number, size: number) => size > 1 ? Math.round((v * VIRTIO_INPUT_ABS_MAX) / (size - 1)) : 0;
    const events: InputEvent[] = [[EV_ABS, ABS_X, scale(x, width)], [EV_ABS, ABS_Y, scale(y, height)]];
    for (const [bit, code] of RFB_BUTTONS) {
      if (((buttons ^ this.buttons) & bit) !== 0) events.push([EV_KEY, code, (buttons & bit) !== 0 ? 1 : 0]);
    }
    const pressed = buttons & ~this.buttons;
    if ((pressed & RFB_WHEEL_UP) !== 0) events.push([EV_REL, REL_WHEEL, 1]);
    if ((pressed & RFB_WHEEL_DOWN) !== 0) events.push([EV_REL, REL_WHEEL, -1]);
    events.push([EV_SYN, SYN_REPORT, 0]);
    this.buttons = buttons;
    this.device.send(events);
  }
}
