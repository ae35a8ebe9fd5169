import { describe, expect, it } from "vitest";
import { GuestMemory } from "../guest-memory.js";
import { GUEST_RAM_HOST_BASE } from "../../public/kernel-abi.js";
import { RAM_BASE } from "../../public/board.js";
import { SH_EVTCHN_MASK, SH_EVTCHN_PENDING, VI_PENDING_SEL, VI_UPCALL_PENDING } from "../../public/xen/shared-info.js";
import { EventChannels } from "./event-channels.js";

const RAM = 64 * 1024;
const SHARED = RAM_BASE + 0x4000;

function setup(): { ev: EventChannels; sh: DataView } {
  const linear = new Uint8Array(GUEST_RAM_HOST_BASE + RAM);
  const mem = new GuestMemory(() => linear, RAM);
  return { ev: new EventChannels(mem, SHARED), sh: mem.dataView(SHARED, 4096) };
}

describe("event channels", () => {
  it("allocates the lowest free port from 1", () => {
    const { ev } = setup();
    expect(ev.alloc({ kind: "unbound", remoteDom: 2 })).toBe(1);
    expect(ev.alloc({ kind: "unbound", remoteDom: 2 })).toBe(2);
    ev.close(1);
    expect(ev.alloc({ kind: "unbound", remoteDom: 3 })).toBe(1);
  });

  it("delivers: pending bit, selector bit and the upcall flag", () => {
    const { ev, sh } = setup();
    ev.deliver(70);
    expect(sh.getBigUint64(SH_EVTCHN_PENDING + 8, true)).toBe(1n << 6n);
    expect(sh.getBigUint64(VI_PENDING_SEL, true)).toBe(2n);
    expect(sh.getUint8(VI_UPCALL_PENDING)).toBe(1);
  });

  it("holds back a masked port until it is unmasked", () => {
    const { ev, sh } = setup();
    sh.setBigUint64(SH_EVTCHN_MASK, 1n << 5n, true);
    ev.deliver(5);
    expect(sh.getBigUint64(SH_EVTCHN_PENDING, true)).toBe(1n << 5n);
    expect(sh.getUint8(VI_UPCALL_PENDING)).toBe(0);
    ev.unmask(5);
    expect(sh.getUint8(VI_UPCALL_PENDING)).toBe(1);
    expect(sh.getBigUint64(SH_EVTCHN_MASK, true)).toBe(0n);
  });

  it("ignores ports outside the table", () => {
    const { ev, sh } = setup();
    ev.deliver(0);
    ev.deliver(4096);
    ev.deliver(-3);
    expect(sh.getUint8(VI_UPCALL_PENDING)).toBe(0);
  });
});
