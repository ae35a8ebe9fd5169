// The kernel's side of a backend-served ring: request slots go out with their positions, answers
// come back into the ring in order, unanswered requests go to the next backend again, and a
// frontend or backend that breaks the rules changes nothing it should not.

import { describe, expect, it } from "vitest";
import type { Socket } from "node:net";
import { GuestMemory } from "../guest-memory.js";
import { GUEST_RAM_HOST_BASE } from "../../public/kernel-abi.js";
import { RAM_BASE } from "../../public/board.js";
import { FrameReader } from "../../public/frames.js";
import { GTF_permit_access, GTF_readonly } from "../../public/xen/grant-table.js";
import { SRING_REQ_EVENT, SRING_REQ_PROD, SRING_RSP_PROD } from "../../public/xen/ring.js";
import { pvLayout } from "./pv-layout.js";
import { BackendRing, RingError, ringSlots, type RingOwner } from "./backend-ring.js";
import type { BackendPeer } from "../backend-link.js";

const RAM = 1024 * 1024;
const RING = RAM_BASE + 0x10000;
const PAGE_A = RAM_BASE + 0x20000;
const SLOT = 112;
const RSP = 16;

function owner(): RingOwner & { events: number[] } {
  const linear = new Uint8Array(GUEST_RAM_HOST_BASE + RAM);
  const events: number[] = [];
  return { domid: 5, mem: new GuestMemory(() => linear, RAM), grantTable: pvLayout(RAM).grantTable, deliver: (p) => events.push(p), events };
}

function grant(o: RingOwner, ref: number, gpa: number, flags = GTF_permit_access): void {
  const e = o.mem.dataView(o.grantTable[0] + ref * 8, 8);
  e.setUint16(0, flags, true);
  e.setUint16(2, 0, true);
  e.setUint32(4, gpa / 4096, true);
}

function peer(): BackendPeer & { frames: { positions: number[]; raw: Uint8Array }[] } {
  const reader = new FrameReader();
  const frames: { positions: number[]; raw: Uint8Array }[] = [];
  const socket = {
    cork() {}, uncork() {},
    write(b: Buffer) { frames.push(...(reader.push(b) as { positions: number[]; raw: Uint8Array }[])); return true; },
  } as unknown as Socket;
  return { instance: "blk", socket, frames };
}

function produce(o: RingOwner, from: number, n: number): void {
  for (let i = 0; i < n; i++) o.mem.write(RING + 64 + ((from + i) % ringSlots(SLOT)) * SLOT, new Uint8Array(SLOT).fill(from + i + 1));
  o.mem.dataView(RING, 64).setUint32(SRING_REQ_PROD, from + n, true);
}

describe("a backend-served ring", () => {
  it("has 32 slots of 112 bytes in a page, as blkif's", () => {
    expect(ringSlots(SLOT)).toBe(32);
  });

  it("pushes new requests with their positions and asks for the next notification", () => {
    const o = owner();
    const ring = new BackendRing(o, 51712, 0, RING, 7, SLOT, RSP, () => {});
    const p = peer();
    ring.bind(p);
    produce(o, 0, 3);
    ring.notify();
    expect(p.frames.map((f) => f.positions)).toEqual([[0, 1, 2]]);
    expect([...p.frames[0].raw.subarray(SLOT, SLOT + 2)]).toEqual([2, 2]);
    expect(o.mem.dataView(RING, 64).getUint32(SRING_REQ_EVENT, true)).toBe(4);
  });

  it("writes answers in order, copies data into writable grants, notifies; refuses unknown positions", () => {
    const o = owner();
    grant(o, 9, PAGE_A);
    const ring = new BackendRing(o, 51712, 0, RING, 7, SLOT, RSP, () => {});
    ring.bind(peer());
    produce(o, 0, 2);
    ring.notify();
    ring.respond([1], new Uint8Array(RSP).fill(0xb1), [{ ref: 9, offset: 100, len: 3 }], Uint8Array.from([1, 2, 3]));
    expect(o.mem.dataView(RING, 64).getUint32(SRING_RSP_PROD, true)).toBe(1);
    expect([...o.mem.view(RING + 64, 2)]).toEqual([0xb1, 0xb1]);
    expect([...o.mem.view(PAGE_A + 100, 3)]).toEqual([1, 2, 3]);
    expect(o.events).toEqual([7]);
    expect(() => ring.respond([1], new Uint8Array(RSP), [], new Uint8Array(0))).toThrow(RingError);
    expect(() => ring.respond([0, 0], new Uint8Array(2 * RSP), [], new Uint8Array(0))).toThrow(RingError);
  });

  it("sends unanswered requests again to the next backend", () => {
    const o = owner();
    const ring = new BackendRing(o, 51712, 0, RING, 7, SLOT, RSP, () => {});
    ring.bind(peer());
    produce(o, 0, 3);
    ring.notify();
    ring.respond([0], new Uint8Array(RSP), [], new Uint8Array(0));
    const next = peer();
    ring.bind(next);
    expect(next.frames.map((f) => f.positions)).toEqual([[1, 2]]);
  });

  it("ignores a req_prod that runs past the ring, and skips copies into pages not granted writable", () => {
    const o = owner();
    grant(o, 9, PAGE_A, GTF_permit_access | GTF_readonly);
    const logs: string[] = [];
    const ring = new BackendRing(o, 51712, 0, RING, 7, SLOT, RSP, (m) => logs.push(m));
    const p = peer();
    ring.bind(p);
    o.mem.dataView(RING, 64).setUint32(SRING_REQ_PROD, 1000, true);
    ring.notify();
    expect(p.frames).toEqual([]);
    produce(o, 0, 1);
    ring.notify();
    ring.respond([0], new Uint8Array(RSP), [{ ref: 9, offset: 0, len: 4 }], Uint8Array.from([9, 9, 9, 9]));
    expect([...o.mem.view(PAGE_A, 4)]).toEqual([0, 0, 0, 0]);
    expect(logs.some((l) => l.includes("req_prod")) && logs.some((l) => l.includes("grant 9"))).toBe(true);
  });
});
