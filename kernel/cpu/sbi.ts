// The SBI for paravirtual domains, where the hypervisor itself is the supervisor execution
// environment (no M-mode firmware runs). What concerns only the calling hart (timer, console,
// fences, reset) is served here, as are sleeping (SCHEDOP_block) and sends on bound event channels
// (posted for the host); other Domus hypercalls end the slice (EXIT_HYPERCALL) for the host,
// which writes a0/a1 before the hart runs on.

import { CPU, PRIV_S, getX, setX, raiseSavedMip, saveHart, loadHart, hartStopped, setHartStopped } from "./state";
import { MIP_SSIP, MIP_SEIP, MENVCFG_STCE, MSTATUS_SIE } from "./bits";
import { flushAllTlbs, isRam, ramHost } from "./mmu";
import { requestExit, endBurst } from "./exit";
import { consoleOut, uartPop } from "../devices/uart";
import { EXIT_HYPERCALL, EXIT_POWEROFF, EXIT_RESET } from "../public/kernel-abi";
import {
  SBI_EXT_DOMUS, HYPERVISOR_event_channel_op, HYPERVISOR_sched_op, EVTCHNOP_send, SCHEDOP_block, SCHEDOP_poll,
} from "../public/xen/hypercall";
import { postSend } from "./posted-sends";
import { VCPU_INFO_SIZE, VI_UPCALL_MASK, VI_UPCALL_PENDING } from "../public/xen/shared-info";

const EXT_LEGACY_SET_TIMER: u64 = 0x00;
const EXT_LEGACY_PUTCHAR: u64 = 0x01;
const EXT_LEGACY_GETCHAR: u64 = 0x02;
const EXT_BASE: u64 = 0x10;
const EXT_TIME: u64 = 0x54494d45;
const EXT_IPI: u64 = 0x735049;
const EXT_RFENCE: u64 = 0x52464e43;
const EXT_HSM: u64 = 0x48534d;
const EXT_SRST: u64 = 0x53525354;
const EXT_DBCN: u64 = 0x4442434e;

const SBI_SUCCESS: i64 = 0;
const SBI_ERR_NOT_SUPPORTED: i64 = -2;
const SBI_ERR_INVALID_PARAM: i64 = -3;
const SBI_SPEC_VERSION: u64 = 2 << 24; // SBI 2.0
const SBI_IMPL_ID_DOMUS: u64 = 0x446f6d; // "Dom"
const SBI_ERR_ALREADY_AVAILABLE: i64 = -6;
const HSM_STARTED: u64 = 0;
const HSM_STOPPED: u64 = 1;

const A0: u32 = 10;
const A1: u32 = 11;
const A2: u32 = 12;
const A6: u32 = 16;
const A7: u32 = 17;

export class Pv {
  static enabled: bool = false;
  static harts: i32 = 1;
  /** Guest-physical address of the shared-info page (events raise SEIP from it). */
  static sharedInfo: u64 = 0;
}

export function pvReset(enabled: bool, harts: i32, sharedInfo: u64): void {
  Pv.enabled = enabled;
  Pv.harts = harts;
  Pv.sharedInfo = sharedInfo;
}

/** SEIP for a paravirtual vCPU: its upcall is pending and not masked. */
export function pvEventLine(hart: i32): u64 {
  const gpa = Pv.sharedInfo + <u64>hart * VCPU_INFO_SIZE;
  if (!isRam(gpa + 1)) return 0;
  const p = ramHost(gpa);
  return load<u8>(p, VI_UPCALL_PENDING) != 0 && load<u8>(p, VI_UPCALL_MASK) == 0 ? MIP_SEIP : 0;
}

function ret(error: i64, value: u64): void {
  setX(A0, <u64>error);
  setX(A1, value);
}

/** Harts named by an SBI hart mask (mask, base); base = -1 means all harts. */
function forEachHart(mask: u64, base: u64, f: (h: i32) => void): bool {
  if (base == 0xffffffffffffffff) {
    for (let h = 0; h < Pv.harts; h++) f(h);
    return true;
  }
  for (let i: u64 = 0; i < 64; i++) {
    if (((mask >> i) & 1) == 0) continue;
    const h = base + i;
    if (h >= <u64>Pv.harts) return false;
    f(<i32>h);
  }
  return true;
}

function raiseSsip(h: i32): void {
  if (h == CPU.hart) CPU.mip |= MIP_SSIP;
  else raiseSavedMip(h, MIP_SSIP);
}

/**
 * SBI HSM: start a stopped vCPU at `addr` in S-mode (a0 = its id, a1 = opaque, satp and
 * interrupts off), stop the calling vCPU, or report a vCPU's state.
 */
function hsm(fid: u64, hart: u64, addr: u64, opaque: u64): void {
  if (fid == 1) { // hart_stop: does not return
    setHartStopped(CPU.hart, true);
    endBurst();
    return;
  }
  if (fid != 0 && fid != 2) { ret(SBI_ERR_NOT_SUPPORTED, 0); return; }
  if (hart >= <u64>Pv.harts) { ret(SBI_ERR_INVALID_PARAM, 0); return; }
  const h = <i32>hart;
  if (fid == 2) { ret(SBI_SUCCESS, hartStopped(h) ? HSM_STOPPED : HSM_STARTED); return; }
  if (!hartStopped(h)) { ret(SBI_ERR_ALREADY_AVAILABLE, 0); return; }
  ret(SBI_SUCCESS, 0); // the caller's a0/a1, before its registers are swapped out
  const current = CPU.hart;
  saveHart();
  loadHart(h);
  CPU.pc = addr;
  CPU.priv = PRIV_S;
  CPU.satp = 0;
  CPU.mstatus &= ~MSTATUS_SIE;
  CPU.waiting = false;
  setX(A0, hart);
  setX(A1, opaque);
  saveHart();
  loadHart(current);
  setHartStopped(h, false);
}

/**
 * Whether the SBI call in a7/a6 concerns only the calling hart, so a lane may serve it: the
 * timer, the base extension, reset (which ends the run anyway) and the Domus hypercalls (served
 * here, or by the host). IPIs, remote fences, HSM and the console reach beyond the lane.
 */
export function sbiCallIsLaneLocal(): bool {
  const eid = getX(A7);
  return eid == <u64>SBI_EXT_DOMUS || eid == EXT_TIME || eid == EXT_LEGACY_SET_TIMER || eid == EXT_BASE || eid == EXT_SRST;
}

/** Serve the ecall the current S-mode hart just made (its pc already points past it). */
export function sbiCall(): void {
  const eid = getX(A7);
  const fid = getX(A6);
  const a0 = getX(A0);
  const a1 = getX(A1);
  if (eid == <u64>SBI_EXT_DOMUS) {
    // SCHEDOP_block (and poll, which Domus treats alike) needs nothing of the host: the hart
    // waits as in WFI until its upcall or timer is pending. Served here, an idle guest's tick
    // ends its slice once (asleep), not twice.
    if (fid == <u64>HYPERVISOR_sched_op && (a0 == <u64>SCHEDOP_block || a0 == <u64>SCHEDOP_poll)) {
      setX(A0, 0);
      CPU.waiting = true;
      endBurst();
      return;
    }
    if (fid == <u64>HYPERVISOR_event_channel_op && a0 == <u64>EVTCHNOP_send && postSend(a1)) {
      setX(A0, 0);
      return;
    }
    requestExit(EXIT_HYPERCALL, CPU.hart);
    return;
  }
  if (eid == EXT_BASE) {
    switch (<i32>fid) {
      case 0: ret(SBI_SUCCESS, SBI_SPEC_VERSION); return;
      case 1: ret(SBI_SUCCESS, SBI_IMPL_ID_DOMUS); return;
      case 2: ret(SBI_SUCCESS, 1); return;
      case 3: {
        const known = a0 == EXT_BASE || a0 == EXT_TIME || a0 == EXT_IPI || a0 == EXT_RFENCE || a0 == EXT_HSM ||
          a0 == EXT_SRST || a0 == EXT_DBCN || a0 == <u64>SBI_EXT_DOMUS || a0 <= EXT_LEGACY_GETCHAR;
        ret(SBI_SUCCESS, known ? 1 : 0);
        return;
      }
      case 4: case 5: case 6: ret(SBI_SUCCESS, 0); return;
    }
  } else if (eid == EXT_TIME || eid == EXT_LEGACY_SET_TIMER) {
    // The timer is Sstc's stimecmp: STIP follows it, so SBI and direct CSR use agree.
    CPU.menvcfg |= MENVCFG_STCE;
    CPU.stimecmp = a0;
    ret(SBI_SUCCESS, 0);
    return;
  } else if (eid == EXT_LEGACY_PUTCHAR) {
    consoleOut(<u32>a0 & 0xff);
    ret(SBI_SUCCESS, 0);
    return;
  } else if (eid == EXT_LEGACY_GETCHAR) {
    ret(<i64>uartPop(), 0);
    return;
  } else if (eid == EXT_DBCN) {
    if (fid == 2) { consoleOut(<u32>a0 & 0xff); ret(SBI_SUCCESS, 0); return; }
    if (fid == 0) {
      const len = a0;
      const gpa = a1 | (getX(A2) << 32);
      if (len > 0 && (!isRam(gpa) || !isRam(gpa + len - 1))) { ret(SBI_ERR_INVALID_PARAM, 0); return; }
      const p = ramHost(gpa);
      for (let i: u64 = 0; i < len; i++) consoleOut(<u32>load<u8>(p + <usize>i));
      ret(SBI_SUCCESS, len);
      return;
    }
  } else if (eid == EXT_IPI && fid == 0) {
    ret(forEachHart(a0, a1, raiseSsip) ? SBI_SUCCESS : SBI_ERR_INVALID_PARAM, 0);
    return;
  } else if (eid == EXT_RFENCE) {
    ret(forEachHart(a0, a1, flushAllTlbs) ? SBI_SUCCESS : SBI_ERR_INVALID_PARAM, 0);
    return;
  } else if (eid == EXT_HSM) {
    hsm(fid, a0, a1, getX(A2));
    return;
  } else if (eid == EXT_SRST && fid == 0) {
    const type = <u32>a0;
    const reason = <u32>a1;
    if (type == 0) requestExit(EXIT_POWEROFF, reason == 1 ? 1 : 0); // reason 1: system failure
    else if (type == 1 || type == 2) requestExit(EXIT_RESET, 0);
    else { ret(SBI_ERR_INVALID_PARAM, 0); return; }
    ret(SBI_SUCCESS, 0);
    return;
  }
  ret(SBI_ERR_NOT_SUPPORTED, 0);
}

