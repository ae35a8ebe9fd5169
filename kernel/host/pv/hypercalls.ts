// The hypercalls a paravirtual guest makes (ecall with a7 = SBI_EXT_DOMUS, a6 = the Xen number),
// served by the host: arguments in a0..a4, structures by guest-physical address with Xen's
// layouts, the result (or a negative errno) back in a0. A bad guest address is -EFAULT.

import {
  HYPERVISOR_console_io, HYPERVISOR_event_channel_op, HYPERVISOR_grant_table_op, HYPERVISOR_memory_op,
  HYPERVISOR_sched_op, HYPERVISOR_xen_version, CONSOLEIO_write, CONSOLEIO_read, SCHEDOP_yield,
  SCHEDOP_shutdown, SHUTDOWN_poweroff, SHUTDOWN_reboot, SHUTDOWN_suspend, SHUTDOWN_crash,
  SHUTDOWN_watchdog, EVTCHNOP_alloc_unbound, EVTCHNOP_bind_interdomain, EVTCHNOP_bind_virq, EVTCHNOP_close,
  EVTCHNOP_send, EVTCHNOP_unmask, GNTTABOP_setup_table, GNTTABOP_query_size, GNTTABOP_copy,
  GNTTABOP_map_grant_ref, GNTTABOP_unmap_grant_ref,
  XENMEM_current_reservation, XENMEM_maximum_reservation, XENMEM_decrease_reservation, XENMEM_populate_physmap,
  XENMEM_RES_DOMID, XENMEM_RES_EXTENT_ORDER, XENMEM_RES_EXTENT_START, XENMEM_RES_NR_EXTENTS, XENMEM_RESERVATION_SIZE, XENVER_version, XENVER_extraversion, DOMID_SELF,
  XEN_EFAULT, XEN_EINVAL, XEN_ENOSYS, XEN_ENOSPC, XEN_EPERM,
} from "../../public/xen/hypercall.js";
import {
  GRANT_TABLE_FRAMES, GNTST_general_error, GNTST_okay, GNTTAB_MAP_SIZE, GNTTAB_UNMAP_SIZE, GNTMAP_DEV_BUS_ADDR,
  GNTMAP_DOM, GNTMAP_FLAGS, GNTMAP_HANDLE, GNTMAP_HOST_ADDR, GNTMAP_REF, GNTMAP_STATUS, GNTUNMAP_HANDLE,
  GNTUNMAP_HOST_ADDR, GNTUNMAP_STATUS,
} from "../../public/xen/grant-table.js";
import type { ShutdownReason } from "../../public/protocol.js";
import type { KernelExports } from "../wasm-kernel.js";
import { GuestMemoryError } from "../guest-memory.js";
import { grantCopy } from "./grant-table.js";
import type { PvDomain } from "./pv-domain.js";

export type HypercallOutcome =
  | { readonly kind: "continue" }
  | { readonly kind: "shutdown"; readonly reason: ShutdownReason };

const CONTINUE: HypercallOutcome = { kind: "continue" };
const A0 = 10;
const A6 = 16;
const XEN_VERSION = (4 << 16) | 17;
const EXTRAVERSION = ".7-domus";
const MAX_CONSOLE_WRITE = 64 * 1024;
const MAX_BATCH = 256;
const SHUTDOWN_REASONS: Record<number, ShutdownReason> = {
  [SHUTDOWN_poweroff]: "poweroff", [SHUTDOWN_reboot]: "reboot", [SHUTDOWN_suspend]: "suspend",
  [SHUTDOWN_crash]: "crash", [SHUTDOWN_watchdog]: "watchdog",
};

class Errno extends Error {
  constructor(readonly errno: number) {
    super(`errno ${errno}`);
  }
}

export class HypercallContext {
  constructor(
    readonly dom: PvDomain,
    readonly hart: number,
    readonly k: KernelExports,
    readonly lookup: (domid: number) => PvDomain | undefined,
    readonly hostFreePages: () => number = () => Number.MAX_SAFE_INTEGER,
  ) {}

  arg(i: number): number {
    return Number(BigInt.asUintN(53, this.k.hartReg(this.hart, A0 + i)));
  }

  view(gpa: number, len: number): DataView {
    try {
      return this.dom.mem.dataView(gpa, len);
    } catch (e) {
      if (e instanceof GuestMemoryError) throw new Errno(XEN_EFAULT);
      throw e;
    }
  }

  ownDomid(d: number): number {
    if (d !== DOMID_SELF && d !== this.dom.domid) throw new Errno(XEN_EPERM);
    return this.dom.domid;
  }
}

/** Serve the hypercall that hart `hart` of `dom` just made. */
export function serveHypercall(c: HypercallContext): HypercallOutcome {
  const nr = Number(c.k.hartReg(c.hart, A6));
  let result = 0;
  let outcome = CONTINUE;
  try {
    switch (nr) {
      case HYPERVISOR_console_io: result = consoleIo(c); break;
      case HYPERVISOR_sched_op: [result, outcome] = schedOp(c); break;
      case HYPERVISOR_event_channel_op: result = eventChannelOp(c); break;
      case HYPERVISOR_grant_table_op: result = grantTableOp(c); break;
      case HYPERVISOR_xen_version: result = xenVersion(c); break;
      case HYPERVISOR_memory_op: result = memoryOp(c); break;
      default: result = -XEN_ENOSYS;
    }
  } catch (e) {
    if (!(e instanceof Errno)) throw e;
    result = -e.errno;
  }
  c.k.setHartReg(c.hart, A0, BigInt.asUintN(64, BigInt(result)));
  return outcome;
}

function consoleIo(c: HypercallContext): number {
  const cmd = c.arg(0);
  const count = c.arg(1);
  if (cmd === CONSOLEIO_read) return 0;
  if (cmd !== CONSOLEIO_write) return -XEN_ENOSYS;
  if (count > MAX_CONSOLE_WRITE) return -XEN_EINVAL;
  const v = c.view(c.arg(2), count);
  c.dom.writeConsole(new Uint8Array(v.buffer, v.byteOffset, count).slice());
  return 0;
}

function schedOp(c: HypercallContext): [number, HypercallOutcome] {
  switch (c.arg(0)) {
    case SCHEDOP_yield: return [0, CONTINUE];
    // SCHEDOP_block and SCHEDOP_poll are the kernel's own (kernel/cpu/sbi.ts): they never get here.
    case SCHEDOP_shutdown: {
      const reason = SHUTDOWN_REASONS[c.view(c.arg(1), 4).getUint32(0, true)];
      if (reason === undefined) return [-XEN_EINVAL, CONTINUE];
      return [0, { kind: "shutdown", reason }];
    }
  }
  return [-XEN_ENOSYS, CONTINUE];
}

function eventChannelOp(c: HypercallContext): number {
  const cmd = c.arg(0);
  const arg = c.arg(1);
  const ev = c.dom.evtchn;
  switch (cmd) {
    case EVTCHNOP_alloc_unbound: {
      const v = c.view(arg, 8);
      c.ownDomid(v.getUint16(0, true));
      const remote = v.getUint16(2, true);
      const port = ev.alloc({ kind: "unbound", remoteDom: remote === DOMID_SELF ? c.dom.domid : remote });
      if (port === undefined) return -XEN_ENOSPC;
      v.setUint32(4, port, true);
      return 0;
    }
    case EVTCHNOP_bind_interdomain: {
      const v = c.view(arg, 12);
      const remoteDom = v.getUint16(0, true);
      const remotePort = v.getUint32(4, true);
      const peer = remoteDom === DOMID_SELF ? c.dom : c.lookup(remoteDom);
      if (peer === undefined) return -XEN_EINVAL;
      const rp = peer.evtchn.get(remotePort);
      if (rp === undefined || rp.kind !== "unbound" || rp.remoteDom !== c.dom.domid) return -XEN_EINVAL;
      const local = ev.alloc({ kind: "interdomain", remoteDom: peer.domid, remotePort });
      if (local === undefined) return -XEN_ENOSPC;
      peer.evtchn.set(remotePort, { kind: "interdomain", remoteDom: c.dom.domid, remotePort: local });
      v.setUint32(8, local, true);
      return 0;
    }
    case EVTCHNOP_bind_virq: {
      const v = c.view(arg, 12);
      const port = ev.alloc({ kind: "virq", virq: v.getUint32(0, true), vcpu: v.getUint32(4, true) });
      if (port === undefined) return -XEN_ENOSPC;
      v.setUint32(8, port, true);
      return 0;
    }
    case EVTCHNOP_send: {
      // Sends on bound ports are posted by the kernel (kernel/cpu/posted-sends.ts); those that get
      // here have an argument outside RAM or a port that is not bound.
      return c.dom.send(c.view(arg, 4).getUint32(0, true), c.lookup) ? 0 : -XEN_EINVAL;
    }
    case EVTCHNOP_close: {
      const port = c.view(arg, 4).getUint32(0, true);
      if (port === c.dom.consolePort || port === c.dom.storePort) return -XEN_EINVAL;
      const p = ev.close(port);
      if (p === undefined) return -XEN_EINVAL;
      if (p.kind === "interdomain") c.lookup(p.remoteDom)?.evtchn.set(p.remotePort, { kind: "unbound", remoteDom: c.dom.domid });
      return 0;
    }
    case EVTCHNOP_unmask: {
      ev.unmask(c.view(arg, 4).getUint32(0, true));
      c.dom.wake();
      return 0;
    }
  }
  return -XEN_ENOSYS;
}

function grantTableOp(c: HypercallContext): number {
  const cmd = c.arg(0);
  const uop = c.arg(1);
  const count = c.arg(2);
  if (count > MAX_BATCH) return -XEN_EINVAL;
  switch (cmd) {
    case GNTTABOP_setup_table: {
      for (let i = 0; i < count; i++) {
        const v = c.view(uop + 24 * i, 24);
        c.ownDomid(v.getUint16(0, true));
        const n = v.getUint32(4, true);
        if (n > GRANT_TABLE_FRAMES) { v.setInt16(8, GNTST_general_error, true); continue; }
        const list = c.view(Number(v.getBigUint64(16, true)), 8 * n);
        for (let f = 0; f < n; f++) list.setBigUint64(8 * f, BigInt(c.dom.grantTable[f] / 4096), true);
        v.setInt16(8, GNTST_okay, true);
      }
      return 0;
    }
    case GNTTABOP_query_size: {
      for (let i = 0; i < count; i++) {
        const v = c.view(uop + 16 * i, 16);
        c.ownDomid(v.getUint16(0, true));
        v.setUint32(4, GRANT_TABLE_FRAMES, true);
        v.setUint32(8, GRANT_TABLE_FRAMES, true);
        v.setInt16(12, GNTST_okay, true);
      }
      return 0;
    }
    case GNTTABOP_map_grant_ref: {
      for (let i = 0; i < count; i++) {
        const v = c.view(uop + GNTTAB_MAP_SIZE * i, GNTTAB_MAP_SIZE);
        const { status, handle } = c.dom.maps.map(c.dom, c.k, c.lookup, {
          hostAddr: Number(BigInt.asUintN(53, v.getBigUint64(GNTMAP_HOST_ADDR, true))),
          flags: v.getUint32(GNTMAP_FLAGS, true),
          ref: v.getUint32(GNTMAP_REF, true),
          dom: v.getUint16(GNTMAP_DOM, true),
        });
        v.setInt16(GNTMAP_STATUS, status, true);
        v.setUint32(GNTMAP_HANDLE, handle, true);
        v.setBigUint64(GNTMAP_DEV_BUS_ADDR, 0n, true);
      }
      return 0;
    }
    case GNTTABOP_unmap_grant_ref: {
      for (let i = 0; i < count; i++) {
        const v = c.view(uop + GNTTAB_UNMAP_SIZE * i, GNTTAB_UNMAP_SIZE);
        const hostAddr = Number(BigInt.asUintN(53, v.getBigUint64(GNTUNMAP_HOST_ADDR, true)));
        v.setInt16(GNTUNMAP_STATUS, c.dom.maps.unmap(c.k, hostAddr, v.getUint32(GNTUNMAP_HANDLE, true)), true);
      }
      return 0;
    }
    case GNTTABOP_copy: {
      for (let i = 0; i < count; i++) {
        const v = c.view(uop + 40 * i, 40);
        const side = (at: number) => ({
          refOrFrame: Number(v.getBigUint64(at, true)),
          domid: v.getUint16(at + 8, true),
          offset: v.getUint16(at + 10, true),
        });
        v.setInt16(36, grantCopy(c.dom, c.lookup, side(0), side(16), v.getUint16(32, true), v.getUint16(34, true)), true);
      }
      return 0;
    }
  }
  return -XEN_ENOSYS;
}

function xenVersion(c: HypercallContext): number {
  const cmd = c.arg(0);
  if (cmd === XENVER_version) return XEN_VERSION;
  if (cmd === XENVER_extraversion) {
    const v = c.view(c.arg(1), 16);
    const text = new TextEncoder().encode(EXTRAVERSION);
    for (let i = 0; i < 16; i++) v.setUint8(i, i < text.length ? text[i] : 0);
    return 0;
  }
  return -XEN_ENOSYS;
}

function memoryOp(c: HypercallContext): number {
  const cmd = c.arg(0);
  if (cmd === XENMEM_current_reservation || cmd === XENMEM_maximum_reservation) {
    c.ownDomid(c.view(c.arg(1), 2).getUint16(0, true));
    return cmd === XENMEM_current_reservation ? c.dom.balloon.currentPages : c.dom.balloon.maxPages;
  }
  if (cmd === XENMEM_decrease_reservation || cmd === XENMEM_populate_physmap) return reservation(c, cmd === XENMEM_decrease_reservation);
  return -XEN_ENOSYS;
}

/** At most this many pages in one reservation call (Linux's balloon asks for a page's worth). */
const MAX_EXTENTS = 4096;

/** The balloon: give pages back or take them again, one page per extent; returns how many went. */
function reservation(c: HypercallContext, giveBack: boolean): number {
  const r = c.view(c.arg(1), XENMEM_RESERVATION_SIZE);
  c.ownDomid(r.getUint16(XENMEM_RES_DOMID, true));
  const n = Number(r.getBigUint64(XENMEM_RES_NR_EXTENTS, true));
  if (r.getUint32(XENMEM_RES_EXTENT_ORDER, true) !== 0 || n > MAX_EXTENTS) return -XEN_EINVAL;
  const list = c.view(Number(BigInt.asUintN(53, r.getBigUint64(XENMEM_RES_EXTENT_START, true))), n * 8);
  // A balloon grows only into pages the host has free; short of them, the call does what it can.
  const most = giveBack ? n : Math.min(n, c.hostFreePages());
  let done = 0;
  for (; done < most; done++) {
    const gpfn = Number(BigInt.asUintN(53, list.getBigUint64(done * 8, true)));
    if (c.dom.maps.busy(gpfn)) break;
    if (!(giveBack ? c.dom.balloon.giveBack(c.k, gpfn) : c.dom.balloon.populate(c.k, gpfn))) break;
  }
  if (done > 0) c.k.p2mChanged();
  return done;
}
