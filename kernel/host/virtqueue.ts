// The virtqueue engine of the kernel's virtio-mmio transport (split rings, virtio 1.x 2.7):
// walks each available descriptor chain, hands it to the slot's device as one request, and
// publishes the answer in the used ring whenever the device completes it (in any order; a
// backend in another process answers later). Ring positions live in the slot's state block, so
// a guest-initiated device reset clears them together with the registers.

import {
  VS_DEVICE_ID, VS_VENDOR_ID, VS_DEVICE_FEATURES, VS_DRIVER_FEATURES, VS_STATUS, VS_QUEUE_NUM_MAX,
  VS_NOTIFY_PENDING, VS_RESETS, VS_CONFIG_WRITTEN, VS_QUEUES, VIRTIO_MAX_QUEUES, VQ_SIZE, VQ_NUM, VQ_READY, VQ_DESC, VQ_DRIVER,
  VQ_DEVICE, VS_LAST_AVAIL, VS_CONFIG, VIRTIO_CONFIG_SIZE, VIRTIO_VENDOR_DOMUS,
  VIRTIO_INT_USED_RING, VS_DEVICE_FEATURES_SEL, VS_DRIVER_FEATURES_SEL, VS_QUEUE_SEL, VS_INTERRUPT_STATUS,
  VS_CONFIG_GENERATION,
} from "../public/virtio-slot.js";
import type { VirtioSlotState, VirtqueueState } from "../public/machine-state.js";
import { VIRTIO_STATE_BASE, VIRTIO_SLOT_STATE_SIZE } from "../public/kernel-abi.js";
import { VIRTIO_SLOTS } from "../public/board.js";
import { GuestMemory, GuestMemoryError } from "./guest-memory.js";

const DESC_F_NEXT = 1;
const DESC_F_WRITE = 2;
const DESC_F_INDIRECT = 4;
const AVAIL_F_NO_INTERRUPT = 1;
const STATUS_NEEDS_RESET = 64;
export const VIRTIO_F_INDIRECT_DESC = 28n;
export const VIRTIO_F_VERSION_1 = 32n;
export const QUEUE_SIZE = 256;

/** One request: the driver's buffers in chain order, split into what the device reads and writes. */
export interface DescriptorChain {
  readonly head: number;
  readonly readable: Uint8Array[];
  readonly writable: Uint8Array[];
}

/** A virtio device model: the semantics of requests; the transport is not its business. */
export interface VirtioDevice {
  readonly deviceId: number;
  /** Device feature bits (VIRTIO_F_VERSION_1 is added by the engine). */
  readonly features: bigint;
  /** Device configuration space, as the guest reads it at offset 0x100. */
  config(): Uint8Array;
  /**
   * The driver wrote config space (`config` is all of it, as written): the bytes it reads from
   * now on, for a device whose config answers what the driver selects (virtio-input).
   */
  configWritten?(config: Uint8Array): Uint8Array | undefined;
  /** Serve one chain; call `done` with how many bytes went into its writable buffers, now or later. */
  handle(queue: number, chain: DescriptorChain, done: (written: number) => void): void;
  /** Release the backend's resources when the machine goes away. */
  close?(): void;
}

/** The feature bits a device's slot offers the driver. */
export function offeredFeatures(dev: VirtioDevice): bigint {
  return dev.features | (1n << VIRTIO_F_VERSION_1);
}

/** A queue's ring, as its registers place it in guest memory. */
interface Ring {
  readonly dev: VirtioDevice;
  readonly num: number;
  readonly desc: number;
  readonly availView: DataView;
  readonly usedView: DataView;
  readonly indirectOk: boolean;
}

/** A chain handed to the device and not yet answered. */
interface Inflight {
  readonly q: number;
  readonly head: number;
  readonly epoch: number;
}

export class Virtqueues {
  private readonly devices: (VirtioDevice | undefined)[] = new Array(VIRTIO_SLOTS).fill(undefined);
  /** Bumped when a slot is (re)published (machine reset, new device): older answers are stale. */
  private readonly epochs: number[] = new Array(VIRTIO_SLOTS).fill(0);
  /** By slot: what the devices have not answered yet (a saved state hands it to them again). */
  private readonly inflight: Set<Inflight>[] = Array.from({ length: VIRTIO_SLOTS }, () => new Set());

  constructor(
    private readonly linear: () => Uint8Array,
    private readonly mem: GuestMemory,
    private readonly raise: (slot: number, bits: number) => void,
    private readonly log: (msg: string) => void,
    /** Runs an answer's publication when the machine is not running elsewhere (Machine.atHome). */
    private readonly atHome: (work: () => void) => void = (work) => work(),
  ) {}

  private slotView(slot: number): DataView {
    const b = this.linear();
    return new DataView(b.buffer, b.byteOffset + VIRTIO_STATE_BASE + slot * VIRTIO_SLOT_STATE_SIZE,
      VIRTIO_SLOT_STATE_SIZE);
  }

  /** Put `dev` in `slot` (0-based; guest-physical VIRTIO_BASE + slot * stride), or the lowest free one. */
  attach(dev: VirtioDevice, slot = this.devices.indexOf(undefined)): number {
    if (slot < 0 || slot >= VIRTIO_SLOTS) throw new Error(`no free virtio slot (there are ${VIRTIO_SLOTS})`);
    if (this.devices[slot] !== undefined) throw new Error(`virtio slot ${slot} is already in use`);
    this.devices[slot] = dev;
    this.publish(slot);
    return slot;
  }

  /** Empty a slot: the guest sees no device there any more; answers still due are dropped. */
  detach(slot: number): VirtioDevice | undefined {
    const dev = this.devices[slot];
    this.devices[slot] = undefined;
    this.epochs[slot]++;
    this.inflight[slot].clear();
    const s = this.slotView(slot);
    new Uint8Array(s.buffer, s.byteOffset, s.byteLength).fill(0);
    return dev;
  }

  closeAll(): void {
    for (const dev of this.devices) dev?.close?.();
  }

  /** (Re)write a slot's identity into kernel memory; needed again after a machine reset. */
  publish(slot: number): void {
    const dev = this.devices[slot];
    this.epochs[slot]++;
    this.inflight[slot].clear();
    if (dev === undefined) return;
    const s = this.slotView(slot);
    s.setUint32(VS_DEVICE_ID, dev.deviceId, true);
    s.setUint32(VS_VENDOR_ID, VIRTIO_VENDOR_DOMUS, true);
    s.setBigUint64(VS_DEVICE_FEATURES, offeredFeatures(dev), true);
    s.setUint32(VS_QUEUE_NUM_MAX, QUEUE_SIZE, true);
    this.writeConfig(s, dev.config());
  }

  private writeConfig(s: DataView, cfg: Uint8Array): void {
    if (cfg.length > VIRTIO_CONFIG_SIZE) throw new Error("virtio config space too large");
    new Uint8Array(s.buffer, s.byteOffset + VS_CONFIG, cfg.length).set(cfg);
  }

  publishAll(): void {
    for (let slot = 0; slot < VIRTIO_SLOTS; slot++) this.publish(slot);
  }

  /** The transport state of every slot that holds a device, with the chains its device still owes. */
  saveState(): VirtioSlotState[] {
    const out: VirtioSlotState[] = [];
    this.devices.forEach((dev, slot) => {
      if (dev === undefined) return;
      const s = this.slotView(slot);
      const epoch = this.epochOf(slot);
      const owed = [...this.inflight[slot]].filter((t) => t.epoch === epoch);
      const queues = Array.from({ length: VIRTIO_MAX_QUEUES }, (_, q): VirtqueueState => {
        const base = VS_QUEUES + q * VQ_SIZE;
        return {
          num: s.getUint32(base + VQ_NUM, true),
          ready: s.getUint32(base + VQ_READY, true) !== 0,
          desc: s.getBigUint64(base + VQ_DESC, true),
          driver: s.getBigUint64(base + VQ_DRIVER, true),
          device: s.getBigUint64(base + VQ_DEVICE, true),
          lastAvail: s.getUint16(VS_LAST_AVAIL + 2 * q, true),
          inflight: owed.filter((t) => t.q === q).map((t) => t.head),
        };
      });
      out.push({
        slot,
        deviceId: s.getUint32(VS_DEVICE_ID, true),
        deviceFeatures: s.getBigUint64(VS_DEVICE_FEATURES, true),
        driverFeatures: s.getBigUint64(VS_DRIVER_FEATURES, true),
        deviceFeaturesSel: s.getUint32(VS_DEVICE_FEATURES_SEL, true),
        driverFeaturesSel: s.getUint32(VS_DRIVER_FEATURES_SEL, true),
        queueSel: s.getUint32(VS_QUEUE_SEL, true),
        interruptStatus: s.getUint32(VS_INTERRUPT_STATUS, true),
        status: s.getUint32(VS_STATUS, true),
        configGeneration: s.getUint32(VS_CONFIG_GENERATION, true),
        resets: s.getUint32(VS_RESETS, true),
        queues,
        config: new Uint8Array(s.buffer, s.byteOffset + VS_CONFIG, VIRTIO_CONFIG_SIZE).slice(),
      });
    });
    return out;
  }

  /** After publishAll: the saved transport registers of each slot (checked against its device). */
  restoreState(slots: readonly VirtioSlotState[]): void {
    for (const st of slots) {
      const s = this.slotView(st.slot);
      s.setBigUint64(VS_DRIVER_FEATURES, st.driverFeatures, true);
      s.setUint32(VS_DEVICE_FEATURES_SEL, st.deviceFeaturesSel, true);
      s.setUint32(VS_DRIVER_FEATURES_SEL, st.driverFeaturesSel, true);
      s.setUint32(VS_QUEUE_SEL, st.queueSel, true);
      s.setUint32(VS_INTERRUPT_STATUS, st.interruptStatus, true);
      s.setUint32(VS_STATUS, st.status, true);
      s.setUint32(VS_CONFIG_GENERATION, st.configGeneration, true);
      s.setUint32(VS_RESETS, st.resets, true);
      st.queues.forEach((vq, q) => {
        const base = VS_QUEUES + q * VQ_SIZE;
        s.setUint32(base + VQ_NUM, vq.num, true);
        s.setUint32(base + VQ_READY, vq.ready ? 1 : 0, true);
        s.setBigUint64(base + VQ_DESC, vq.desc, true);
        s.setBigUint64(base + VQ_DRIVER, vq.driver, true);
        s.setBigUint64(base + VQ_DEVICE, vq.device, true);
        s.setUint16(VS_LAST_AVAIL + 2 * q, vq.lastAvail, true);
      });
      this.writeConfig(s, st.config);
    }
  }

  /**
   * Once the restored machine can take interrupts: hand the devices again the chains the saved
   * machine's devices had not answered (the descriptors are still in guest memory, untouched).
   */
  resubmit(slots: readonly VirtioSlotState[]): void {
    for (const st of slots) {
      st.queues.forEach((vq, q) => {
        if (vq.inflight.length === 0) return;
        try {
          const ring = this.ring(st.slot, q);
          if (ring === undefined) return;
          for (const head of vq.inflight) this.hand(st.slot, q, ring, this.walk(ring.desc, ring.num, head, ring.indirectOk));
        } catch (e) {
          if (!(e instanceof GuestMemoryError)) throw e;
          this.needsReset(st.slot, q, e.message);
        }
      });
    }
  }

  /** Serve every queue the guest notified, and every config write, since the last call. */
  serviceNotified(): void {
    for (let slot = 0; slot < VIRTIO_SLOTS; slot++) {
      const s = this.slotView(slot);
      if (s.getUint32(VS_CONFIG_WRITTEN, true) !== 0) this.configWritten(slot, s);
      const pending = s.getUint32(VS_NOTIFY_PENDING, true);
      if (pending === 0) continue;
      s.setUint32(VS_NOTIFY_PENDING, 0, true);
      for (let q = 0; q < VIRTIO_MAX_QUEUES; q++) {
        if ((pending & (1 << q)) !== 0) this.serviceQueue(slot, q);
      }
    }
  }

  private configWritten(slot: number, s: DataView): void {
    s.setUint32(VS_CONFIG_WRITTEN, 0, true);
    const written = new Uint8Array(s.buffer, s.byteOffset + VS_CONFIG, VIRTIO_CONFIG_SIZE).slice();
    const now = this.devices[slot]?.configWritten?.(written);
    if (now !== undefined) this.writeConfig(s, now);
  }

  /** The ring of queue `q` of `slot`, if its device is there and the queue ready. */
  private ring(slot: number, q: number): Ring | undefined {
    const dev = this.devices[slot];
    const s = this.slotView(slot);
    const base = VS_QUEUES + q * VQ_SIZE;
    if (dev === undefined || s.getUint32(base + VQ_READY, true) === 0) return undefined;
    const num = s.getUint32(base + VQ_NUM, true);
    if (num === 0 || (num & (num - 1)) !== 0) throw new GuestMemoryError(`queue size ${num} is not a power of two`);
    return {
      dev,
      num,
      desc: Number(s.getBigUint64(base + VQ_DESC, true)),
      availView: this.mem.dataView(Number(s.getBigUint64(base + VQ_DRIVER, true)), 6 + 2 * num),
      usedView: this.mem.dataView(Number(s.getBigUint64(base + VQ_DEVICE, true)), 6 + 8 * num),
      indirectOk: (s.getBigUint64(VS_DRIVER_FEATURES, true) & (1n << VIRTIO_F_INDIRECT_DESC)) !== 0n,
    };
  }

  private serviceQueue(slot: number, q: number): void {
    const s = this.slotView(slot);
    try {
      const ring = this.ring(slot, q);
      if (ring === undefined) return;
      let last = s.getUint16(VS_LAST_AVAIL + 2 * q, true);
      const availIdx = ring.availView.getUint16(2, true);
      if (((availIdx - last) & 0xffff) > ring.num) throw new GuestMemoryError(`avail index ${availIdx} runs ${(availIdx - last) & 0xffff} ahead of the device (queue size ${ring.num})`);
      while (last !== availIdx) {
        const head = ring.availView.getUint16(4 + 2 * (last % ring.num), true);
        const chain = this.walk(ring.desc, ring.num, head, ring.indirectOk);
        last = (last + 1) & 0xffff;
        s.setUint16(VS_LAST_AVAIL + 2 * q, last, true);
        this.hand(slot, q, ring, chain);
      }
    } catch (e) {
      if (!(e instanceof GuestMemoryError)) throw e;
      this.needsReset(slot, q, e.message);
    }
  }

  /** Give the device a chain; its answer goes into the used ring unless the slot was reset since. */
  private hand(slot: number, q: number, ring: Ring, chain: DescriptorChain): void {
    const taken: Inflight = { q, head: chain.head, epoch: this.epochOf(slot) };
    this.inflight[slot].add(taken);
    ring.dev.handle(q, chain, (written) => this.atHome(() => {
      this.inflight[slot].delete(taken);
      this.complete(slot, q, taken.epoch, ring.usedView, ring.availView, chain.head, written);
    }));
  }

  /** Publish one answered chain, unless the device was reset or replaced since it was taken. */
  private complete(slot: number, q: number, epoch: number, usedView: DataView, availView: DataView, head: number, written: number): void {
    const s = this.slotView(slot);
    if (this.epochOf(slot) !== epoch || s.getUint32(VS_QUEUES + q * VQ_SIZE + VQ_READY, true) === 0) return;
    const num = s.getUint32(VS_QUEUES + q * VQ_SIZE + VQ_NUM, true);
    const usedIdx = usedView.getUint16(2, true);
    const e = 4 + 8 * (usedIdx % num);
    usedView.setUint32(e, head, true);
    usedView.setUint32(e + 4, written, true);
    usedView.setUint16(2, (usedIdx + 1) & 0xffff, true);
    if ((availView.getUint16(0, true) & AVAIL_F_NO_INTERRUPT) === 0) this.raise(slot, VIRTIO_INT_USED_RING);
  }

  private epochOf(slot: number): number {
    return this.epochs[slot] * 0x1_0000_0000 + this.slotView(slot).getUint32(VS_RESETS, true);
  }

  private needsReset(slot: number, q: number, why: string): void {
    // A broken ring is the driver's fault: flag the device for reset, as the spec provides.
    this.log(`virtio slot ${slot} queue ${q}: ${why}; device needs reset`);
    const s = this.slotView(slot);
    s.setUint32(VS_STATUS, s.getUint32(VS_STATUS, true) | STATUS_NEEDS_RESET, true);
  }

  private walk(table: number, num: number, head: number, indirectOk: boolean): DescriptorChain {
    const chain: DescriptorChain = { head, readable: [], writable: [] };
    let tableAddr = table;
    let tableSize = num;
    let i = head;
    let seen = 0;
    for (;;) {
      if (i >= tableSize) throw new GuestMemoryError(`descriptor index ${i} beyond table of ${tableSize}`);
      if (++seen > tableSize) throw new GuestMemoryError("descriptor chain loops");
      const d = this.mem.dataView(tableAddr + 16 * i, 16);
      const addr = Number(d.getBigUint64(0, true));
      const len = d.getUint32(8, true);
      const flags = d.getUint16(12, true);
      const next = d.getUint16(14, true);
      if ((flags & DESC_F_INDIRECT) !== 0) {
        if (!indirectOk || tableAddr !== table || len % 16 !== 0 || len === 0) {
          throw new GuestMemoryError("invalid indirect descriptor");
        }
        tableAddr = addr;
        tableSize = len / 16;
        i = 0;
        seen = 0;
        continue;
      }
      (flags & DESC_F_WRITE ? chain.writable : chain.readable).push(this.mem.view(addr, len));
      if ((flags & DESC_F_NEXT) === 0) return chain;
      i = next;
    }
  }
}
