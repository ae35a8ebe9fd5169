// A PV guest's keyboard and pointer (Xen's kbdif, kernel/public/xen/kbdif.ts) as the backend
// feeds it: each event goes into the shared page's in ring through the kernel's grant writes,
// then the producer index, then an event on the channel. Events are written one at a time, in
// order; when the ring is full (the guest is not reading) they are dropped.

import {
  XENKBD_IN_EVENT_SIZE, XENKBD_IN_RING_OFFS, XENKBD_IN_RING_SIZE, XENKBD_KEY_KEYCODE, XENKBD_KEY_PRESSED,
  XENKBD_PAGE_IN_CONS, XENKBD_PAGE_IN_PROD, XENKBD_POS_X, XENKBD_POS_Y, XENKBD_TYPE_KEY, XENKBD_TYPE_POS,
} from "../../kernel/public/xen/kbdif.js";
import type { KernelPort } from "../common/kernel-port.js";
import type { GuestKeys, GuestPointer } from "./domain-screens.js";

/** 51 events of 40 bytes in the 2048-byte ring (Xen's XENKBD_IN_RING_LEN, rounded down). */
const IN_SLOTS = Math.floor(XENKBD_IN_RING_SIZE / XENKBD_IN_EVENT_SIZE);

export class PvKeyboard implements GuestKeys, GuestPointer {
  readonly listening = true;
  private queue: Promise<void> = Promise.resolve();
  /** The producer index as this backend last wrote it, and the consumer index as last read. */
  private prod: number | undefined;
  private cons = 0;
  dropped = 0;

  constructor(
    private readonly kernel: KernelPort,
    private readonly domid: number,
    /** The devid the kernel knows the keyboard's channel by. */
    private readonly channel: number,
    private readonly pageRef: number,
    private readonly log: (msg: string) => void,
  ) {}

  key(keycode: number, pressed: boolean): Promise<void> {
    const e = new Uint8Array(XENKBD_IN_EVENT_SIZE);
    const v = new DataView(e.buffer);
    v.setUint8(0, XENKBD_TYPE_KEY);
    v.setUint8(XENKBD_KEY_PRESSED, pressed ? 1 : 0);
    v.setUint32(XENKBD_KEY_KEYCODE, keycode, true);
    return this.send(e);
  }

  /** An absolute position, in the screen's pixels (buttons are not sent yet). */
  position(x: number, y: number): Promise<void> {
    const e = new Uint8Array(XENKBD_IN_EVENT_SIZE);
    const v = new DataView(e.buffer);
    v.setUint8(0, XENKBD_TYPE_POS);
    v.setInt32(XENKBD_POS_X, x, true);
    v.setInt32(XENKBD_POS_Y, y, true);
    return this.send(e);
  }

  private send(event: Uint8Array): Promise<void> {
    this.queue = this.queue.then(() => this.write(event)).catch((e: Error) => this.log(`keyboard of domain ${this.domid}: ${e.message}`));
    return this.queue;
  }

  private async write(event: Uint8Array): Promise<void> {
    // The backend is the ring's only producer, so it keeps in_prod itself and reads the page only
    // to learn it (the first time) or to see what the guest consumed when the ring looks full.
    if (this.prod === undefined || ((this.prod - this.cons) >>> 0) >= IN_SLOTS) {
      const head = await this.kernel.grantRead(this.domid, [{ ref: this.pageRef, offset: 0, len: 8 }]);
      const hv = new DataView(head.buffer, head.byteOffset, 8);
      this.cons = hv.getUint32(XENKBD_PAGE_IN_CONS, true);
      this.prod ??= hv.getUint32(XENKBD_PAGE_IN_PROD, true);
      if (((this.prod - this.cons) >>> 0) >= IN_SLOTS) {
        this.dropped++;
        return;
      }
    }
    const prod = this.prod;
    const slot = XENKBD_IN_RING_OFFS + (prod % IN_SLOTS) * XENKBD_IN_EVENT_SIZE;
    const bytes = new Uint8Array(XENKBD_IN_EVENT_SIZE + 4);
    bytes.set(event);
    new DataView(bytes.buffer).setUint32(XENKBD_IN_EVENT_SIZE, (prod + 1) >>> 0, true);
    // The event, then the index that publishes it, in one copy: the kernel writes segments in order.
    await this.kernel.grantWrite(this.domid, [
      { ref: this.pageRef, offset: slot, len: XENKBD_IN_EVENT_SIZE },
      { ref: this.pageRef, offset: XENKBD_PAGE_IN_PROD, len: 4 },
    ], bytes);
    this.prod = (prod + 1) >>> 0;
    await this.kernel.notifyEvtchn(this.domid, this.channel);
  }
}
