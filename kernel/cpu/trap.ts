// Exceptions and interrupts: raising them from deep inside an instruction, and taking them.
// An instruction that faults calls `raise`; the interpreter sees `Trap.pending` after the
// instruction and enters the handler, so a faulting instruction never writes its destination.

import { CPU, PRIV_M, PRIV_S, hartLines, mtimecmpOf } from "./state";
import {
  CAUSE_INTERRUPT, CAUSE_ILLEGAL_INSTRUCTION, CAUSE_SUPERVISOR_ECALL, MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP,
  MSTATUS_MPP_SHIFT, MSTATUS_SIE, MSTATUS_SPIE, MSTATUS_SPP, IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI,
  IRQ_SSI, IRQ_STI, MIP_STIP, MIP_MTIP, MENVCFG_STCE,
} from "./bits";
import { onPrivilegeChange } from "./mmu";
import { readMtime } from "../devices/clint";
import { Pv, sbiCall, sbiCallIsLaneLocal, pvEventLine } from "./sbi";
import { CAUSE_LANE_HOME, inLane } from "./lanes";
import { requestExit } from "./exit";
import { EXIT_LANE_HOME } from "../public/kernel-abi";

export class Trap {
  static pending: bool = false;
  static cause: u64 = 0;
  static tval: u64 = 0;
}

export function raise(cause: u64, tval: u64): void {
  Trap.pending = true;
  Trap.cause = cause;
  Trap.tval = tval;
}

@inline export function raiseIllegal(insn: u32): void {
  raise(CAUSE_ILLEGAL_INSTRUCTION, <u64>insn);
}

/** Enter the trap handler for `cause` with the faulting pc `epc`. */
export function takeTrap(cause: u64, tval: u64, epc: u64): void {
  if (cause == CAUSE_LANE_HOME || (cause == CAUSE_SUPERVISOR_ECALL && Pv.enabled && inLane() && !sbiCallIsLaneLocal())) {
    // Not a lane's to do (lanes.ts): the instruction runs again on the machine's own instance.
    CPU.pc = epc;
    requestExit(EXIT_LANE_HOME, 0);
    return;
  }
  if (cause == CAUSE_SUPERVISOR_ECALL && Pv.enabled) {
    // A paravirtual guest's SBI call: the hypervisor is its M-mode.
    CPU.pc = epc + 4;
    sbiCall();
    return;
  }
  const isInterrupt = (cause & CAUSE_INTERRUPT) != 0;
  const code = cause & 63;
  const deleg = isInterrupt ? CPU.mideleg : CPU.medeleg;
  const from = CPU.priv;
  CPU.waiting = false;
  if (from <= PRIV_S && ((deleg >> code) & 1) != 0) {
    CPU.scause = cause;
    CPU.sepc = epc;
    CPU.stval = tval;
    let s = CPU.mstatus;
    s = (s & ~MSTATUS_SPIE) | ((s & MSTATUS_SIE) != 0 ? MSTATUS_SPIE : 0);
    s = (s & ~(MSTATUS_SPP | MSTATUS_SIE)) | (from == PRIV_S ? MSTATUS_SPP : 0);
    CPU.mstatus = s;
    const base = CPU.stvec & ~<u64>3;
    CPU.pc = isInterrupt && (CPU.stvec & 1) != 0 ? base + 4 * code : base;
    CPU.priv = PRIV_S;
  } else {
    CPU.mcause = cause;
    CPU.mepc = epc;
    CPU.mtval = tval;
    let s = CPU.mstatus;
    s = (s & ~MSTATUS_MPIE) | ((s & MSTATUS_MIE) != 0 ? MSTATUS_MPIE : 0);
    s = (s & ~(MSTATUS_MPP | MSTATUS_MIE)) | (<u64>from << MSTATUS_MPP_SHIFT);
    CPU.mstatus = s;
    const base = CPU.mtvec & ~<u64>3;
    CPU.pc = isInterrupt && (CPU.mtvec & 1) != 0 ? base + 4 * code : base;
    CPU.priv = PRIV_M;
  }
  CPU.reservation = 0xffffffffffffffff;
  if (from != CPU.priv) onPrivilegeChange();
}

/**
 * The earliest mtime at which a timer of this hart fires that would wake it from WFI (enabled in
 * mie); all ones when none would. A timer it left armed but disabled wakes nothing: counting it
 * would have the host wake an idle machine again and again once its time has passed.
 */
export function nextTimerDeadline(): u64 {
  let t: u64 = (CPU.mie & MIP_MTIP) != 0 ? mtimecmpOf(CPU.hart) : 0xffffffffffffffff;
  if ((CPU.menvcfg & MENVCFG_STCE) != 0 && (CPU.mie & MIP_STIP) != 0 && CPU.stimecmp < t) t = CPU.stimecmp;
  return t;
}

/** Timer lines, computed from the clock: MTIP from mtimecmp, STIP from stimecmp under Sstc. */
export function timerLines(): u64 {
  let lines: u64 = 0;
  const stce = (CPU.menvcfg & MENVCFG_STCE) != 0;
  const mtimecmp = mtimecmpOf(CPU.hart);
  if (mtimecmp != 0xffffffffffffffff || (stce && CPU.stimecmp != 0xffffffffffffffff)) {
    const now = readMtime();
    if (now >= mtimecmp) lines |= MIP_MTIP;
    if (stce && now >= CPU.stimecmp) lines |= MIP_STIP;
  }
  return lines;
}

/** mip as software reads it: the writable bits plus what devices and timers drive. */
export function currentMip(): u64 {
  const ip = CPU.mip | hartLines(CPU.hart) | timerLines();
  return Pv.enabled ? ip | pvEventLine(CPU.hart) : ip;
}

const PRIORITY: StaticArray<u32> = [IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_SSI, IRQ_STI];

/** The interrupt this hart should take now, or -1. */
export function pendingInterrupt(): i32 {
  const pending = currentMip() & CPU.mie;
  if (pending == 0) return -1;
  const mEnabled = CPU.priv < PRIV_M || (CPU.mstatus & MSTATUS_MIE) != 0;
  const sEnabled = CPU.priv < PRIV_S || (CPU.priv == PRIV_S && (CPU.mstatus & MSTATUS_SIE) != 0);
  // Interrupts destined for M-mode come before those for S-mode; within a mode, fixed priority.
  const m = mEnabled ? pending & ~CPU.mideleg : 0;
  const s = sEnabled ? pending & CPU.mideleg : 0;
  const chosen = m != 0 ? m : s;
  if (chosen == 0) return -1;
  for (let i = 0; i < 6; i++) {
    const irq = unchecked(PRIORITY[i]);
    if ((chosen & (<u64>1 << irq)) != 0) return <i32>irq;
  }
  return -1;
}

/** Whether anything at all is pending and enabled in mie (what wakes WFI). */
export function wakeupPending(): bool {
  return (currentMip() & CPU.mie) != 0;
}
