// A virtio slot's transport state goes into a machine state with the chains its device had not
// answered yet; restored, the new device is handed those chains again and its answers reach the
// used ring, so a driver waiting for them is not left hanging.

import { describe, expect, it } from "vitest";
import { pack, unpack } from "msgpackr";
import { GuestMemory } from "./guest-memory.js";
import { Virtqueues, type DescriptorChain, type VirtioDevice } from "./virtqueue.js";
import { GUEST_RAM_HOST_BASE, VIRTIO_STATE_BASE } from "../public/kernel-abi.js";
import { RAM_BASE } from "../public/board.js";
import { VIRTIO_ID_BLOCK, VQ_DESC, VQ_DEVICE, VQ_DRIVER, VQ_NUM, VQ_READY, VS_NOTIFY_PENDING, VS_QUEUES, VS_STATUS } from "../public/virtio-slot.js";
import type { VirtioSlotState } from "../public/machine-state.js";

const RAM = 1024 * 1024;
const DESC = RAM_BASE + 0x1000;
const AVAIL = RAM_BASE + 0x2000;
const USED = RAM_BASE + 0x3000;
const BUFFER = RAM_BASE + 0x4000;
const NUM = 8;

/** A device that keeps every chain and answers only when told. */
function device(): VirtioDevice & { chains: DescriptorChain[]; answer: (written: number) => void } {
  const pending: ((written: number) => void)[] = [];
  const chains: DescriptorChain[] = [];
  return {
    deviceId: VIRTIO_ID_BLOCK, features: 0n, config: () => new Uint8Array(8), chains,
    handle: (_q, chain, done) => { chains.push(chain); pending.push(done); },
    answer: (written) => pending.shift()?.(written),
  };
}

function queues(linear: Uint8Array, dev: VirtioDevice, raised: number[] = []): { q: Virtqueues; mem: GuestMemory } {
  const mem = new GuestMemory(() => linear, RAM);
  const q = new Virtqueues(() => linear, mem, (slot) => raised.push(slot), () => {});
  q.attach(dev, 0);
  return { q, mem };
}

describe("a virtio slot in a machine state", () => {
  it("keeps the chains the device owes, and a restored device gets them again", () => {
    const linear = new Uint8Array(GUEST_RAM_HOST_BASE + RAM);
    const before = device();
    const { q, mem } = queues(linear, before);
    // The driver: one readable descriptor, head 3, in the avail ring; queue 0 set up and notified.
    const d = mem.dataView(DESC + 16 * 3, 16);
    d.setBigUint64(0, BigInt(BUFFER), true);
    d.setUint32(8, 64, true);
    const avail = mem.dataView(AVAIL, 6 + 2 * NUM);
    avail.setUint16(4, 3, true);
    avail.setUint16(2, 1, true);
    const slot = new DataView(linear.buffer, VIRTIO_STATE_BASE, 0x400);
    slot.setUint32(VS_STATUS, 15, true);
    slot.setUint32(VS_QUEUES + VQ_NUM, NUM, true);
    slot.setUint32(VS_QUEUES + VQ_READY, 1, true);
    slot.setBigUint64(VS_QUEUES + VQ_DESC, BigInt(DESC), true);
    slot.setBigUint64(VS_QUEUES + VQ_DRIVER, BigInt(AVAIL), true);
    slot.setBigUint64(VS_QUEUES + VQ_DEVICE, BigInt(USED), true);
    slot.setUint32(VS_NOTIFY_PENDING, 1, true);
    q.serviceNotified();
    expect(before.chains.map((c) => c.head)).toEqual([3]);

    const saved: VirtioSlotState[] = unpack(pack(q.saveState()));
    expect(saved).toHaveLength(1);
    expect(saved[0].status).toBe(15);
    expect(saved[0].queues[0]).toMatchObject({ num: NUM, ready: true, desc: BigInt(DESC), lastAvail: 1, inflight: [3] });

    // Elsewhere: the same guest memory, slot registers from the state, a new device.
    const there = linear.slice();
    there.fill(0, VIRTIO_STATE_BASE, VIRTIO_STATE_BASE + 0x400);
    const after = device();
    const raised: number[] = [];
    const restored = queues(there, after, raised);
    restored.q.restoreState(saved);
    restored.q.resubmit(saved);
    expect(after.chains.map((c) => [c.head, c.readable[0].length])).toEqual([[3, 64]]);
    after.answer(0);
    const used = restored.mem.dataView(USED, 6 + 8 * NUM);
    expect([used.getUint16(2, true), used.getUint32(4, true)]).toEqual([1, 3]);
    expect(raised).toEqual([0]);
    expect(restored.q.saveState()[0].queues[0].inflight).toEqual([]);
  });
});
