// The interpreter: fetch, decode (through the decode cache, ./decode.ts) and execute up to `n`
// instructions of the current hart. It stops early when an instruction asks (Exit.stop: a
// device, a CSR write, WFI) so the run loop can take interrupts, switch harts or return to the host.

import { CPU, PRIV_M, PRIV_S, PRIV_U, getX, setX } from "./state";
import { Trap, raise, raiseIllegal, takeTrap, wakeupPending } from "./trap";
import {
  fetch, fetchEntry, loadHit, storeHit, loadSlow, storeSlow, load32, load64, atomicHost, flushTlb,
  onPrivilegeChange,
} from "./mmu";
import { csrRead, csrWrite, Csr } from "./csr";
import {
  decode, OP_ILLEGAL, OP_LUI, OP_AUIPC, OP_JAL, OP_JALR, OP_BEQ, OP_BNE, OP_BLT,
  OP_BGE, OP_BLTU, OP_BGEU, OP_LB, OP_LH, OP_LW, OP_LD, OP_LBU, OP_LHU, OP_LWU, OP_SB, OP_SH,
  OP_SW, OP_SD, OP_ADDI, OP_SLTI, OP_SLTIU, OP_XORI, OP_ORI, OP_ANDI, OP_SLLI, OP_SRLI, OP_SRAI,
  OP_ADDIW, OP_SLLIW, OP_SRLIW, OP_SRAIW, OP_ADD, OP_SUB, OP_SLL, OP_SLT, OP_SLTU, OP_XOR, OP_SRL,
  OP_SRA, OP_OR, OP_AND, OP_MUL, OP_MULH, OP_MULHSU, OP_MULHU, OP_DIV, OP_DIVU, OP_REM, OP_REMU,
  OP_ADDW, OP_SUBW, OP_SLLW, OP_SRLW, OP_SRAW, OP_MULW, OP_DIVW, OP_DIVUW, OP_REMW, OP_REMUW,
  OP_FENCE, OP_AMO, OP_SYSTEM, OP_CSR, OP_FP, OP_C_LUI, OP_C_JAL, OP_C_JALR, OP_C_BEQ, OP_C_BNE, OP_C_LW,
  OP_C_LD, OP_C_SW, OP_C_SD, OP_C_ADDI, OP_C_ANDI, OP_C_SLLI, OP_C_SRLI, OP_C_SRAI, OP_C_ADDIW,
  OP_C_ADD, OP_C_SUB, OP_C_XOR, OP_C_OR, OP_C_AND, OP_C_ADDW, OP_C_SUBW,
} from "./decode";
import { execFp } from "./fpu";
import { Exit, endBurst } from "./exit";
import { DECODE_CACHE_ENTRIES } from "../public/kernel-abi";
import { Lanes, inLane } from "./lanes";
import { HB_X0_SINK } from "../public/hart-block";
import {
  CAUSE_BREAKPOINT, CAUSE_ILLEGAL_INSTRUCTION, CAUSE_MISALIGNED_LOAD, CAUSE_MISALIGNED_STORE,
  CAUSE_USER_ECALL, MSTATUS_FS, MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_MPP_SHIFT,
  MSTATUS_MPRV, MSTATUS_SIE, MSTATUS_SPIE, MSTATUS_SPP, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW,
} from "./bits";

@inline function sext32(v: u64): u64 {
  return <u64><i64><i32>v;
}

// The M helpers are inlined: the interpreter's fast loop makes no calls (see execBurst).

/** High 64 bits of the unsigned 128-bit product. */
@inline function mulhu(a: u64, b: u64): u64 {
  const aLo = a & 0xffffffff, aHi = a >> 32;
  const bLo = b & 0xffffffff, bHi = b >> 32;
  const ll = aLo * bLo;
  const lh = aLo * bHi;
  const hl = aHi * bLo;
  const hh = aHi * bHi;
  const mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff);
  return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

@inline function mulh(a: u64, b: u64): u64 {
  let r = mulhu(a, b);
  if (<i64>a < 0) r -= b;
  if (<i64>b < 0) r -= a;
  return r;
}

@inline function mulhsu(a: u64, b: u64): u64 {
  let r = mulhu(a, b);
  if (<i64>a < 0) r -= b;
  return r;
}

@inline function div64(a: i64, b: i64): i64 {
  if (b == 0) return -1;
  if (a == i64.MIN_VALUE && b == -1) return a;
  return a / b;
}

@inline function rem64(a: i64, b: i64): i64 {
  if (b == 0) return a;
  if (a == i64.MIN_VALUE && b == -1) return 0;
  return a % b;
}

@inline function div32(a: i32, b: i32): i32 {
  if (b == 0) return -1;
  if (a == i32.MIN_VALUE && b == -1) return a;
  return a / b;
}

@inline function rem32(a: i32, b: i32): i32 {
  if (b == 0) return a;
  if (a == i32.MIN_VALUE && b == -1) return 0;
  return a % b;
}

class Reservation {
  static value: u64 = 0;
}

/** A/AMO instructions (opcode 0x2f). Returns the value for rd, or nothing on a trap. */
function execAtomic(insn: u32, rd: u32, rs1: u32, rs2: u32): void {
  const f3 = (insn >> 12) & 7;
  const f5 = insn >> 27;
  if (f3 != 2 && f3 != 3) { raiseIllegal(insn); return; }
  const wide = f3 == 3;
  const size: u64 = wide ? 8 : 4;
  const addr = getX(rs1);
  if ((addr & (size - 1)) != 0) {
    raise(f5 == 0x02 ? CAUSE_MISALIGNED_LOAD : CAUSE_MISALIGNED_STORE, addr);
    return;
  }
  if (f5 == 0x02) { // LR
    if (rs2 != 0) { raiseIllegal(insn); return; }
    const v = wide ? load64(addr) : sext32(load32(addr));
    if (Trap.pending) return;
    CPU.reservation = addr;
    Reservation.value = v;
    setX(rd, v);
    return;
  }
  const h = atomicHost(addr, size);
  if (h == 0) return;
  const src = getX(rs2);
  if (f5 == 0x03) { // SC: succeeds while the reservation holds and memory still has the LR value
    let ok = false;
    if (CPU.reservation == addr) {
      ok = wide
        ? atomic.cmpxchg<u64>(h, Reservation.value, src) == Reservation.value
        : atomic.cmpxchg<u32>(h, <u32>Reservation.value, <u32>src) == <u32>Reservation.value;
    }
    CPU.reservation = 0xffffffffffffffff;
    setX(rd, ok ? 0 : 1);
    return;
  }
  let old: u64;
  if (wide) {
    switch (f5) {
      case 0x01: old = atomic.xchg<u64>(h, src); break;
      case 0x00: old = atomic.add<u64>(h, src); break;
      case 0x04: old = atomic.xor<u64>(h, src); break;
      case 0x0c: old = atomic.and<u64>(h, src); break;
      case 0x08: old = atomic.or<u64>(h, src); break;
      case 0x10: case 0x14: case 0x18: case 0x1c: {
        do {
          old = atomic.load<u64>(h);
          let pick: bool;
          if (f5 == 0x10) pick = <i64>src < <i64>old;
          else if (f5 == 0x14) pick = <i64>src > <i64>old;
          else if (f5 == 0x18) pick = src < old;
          else pick = src > old;
          if (atomic.cmpxchg<u64>(h, old, pick ? src : old) == old) break;
        } while (true);
        break;
      }
      default: raiseIllegal(insn); return;
    }
  } else {
    const s = <u32>src;
    let o: u32;
    switch (f5) {
      case 0x01: o = atomic.xchg<u32>(h, s); break;
      case 0x00: o = atomic.add<u32>(h, s); break;
      case 0x04: o = atomic.xor<u32>(h, s); break;
      case 0x0c: o = atomic.and<u32>(h, s); break;
      case 0x08: o = atomic.or<u32>(h, s); break;
      case 0x10: case 0x14: case 0x18: case 0x1c: {
        do {
          o = atomic.load<u32>(h);
          let pick: bool;
          if (f5 == 0x10) pick = <i32>s < <i32>o;
          else if (f5 == 0x14) pick = <i32>s > <i32>o;
          else if (f5 == 0x18) pick = s < o;
          else pick = s > o;
          if (atomic.cmpxchg<u32>(h, o, pick ? s : o) == o) break;
        } while (true);
        break;
      }
      default: raiseIllegal(insn); return;
    }
    old = sext32(<u64>o);
  }
  setX(rd, old);
}

function execCsr(insn: u32, rd: u32, rs1: u32): void {
  const f3 = (insn >> 12) & 7;
  const num = insn >> 20;
  const operand: u64 = (f3 & 4) != 0 ? <u64>rs1 : getX(rs1);
  const op = f3 & 3;
  // CSRRS/CSRRC with a zero operand register/immediate only read.
  const writes = op == 1 || rs1 != 0;
  const old = csrRead(num, insn, writes);
  if (!Csr.ok) return;
  if (writes) {
    const nv = op == 1 ? operand : op == 2 ? old | operand : old & ~operand;
    csrWrite(num, nv, insn);
    if (Trap.pending) return;
  }
  setX(rd, old);
}

function mret(insn: u32): void {
  if (CPU.priv != PRIV_M) { raiseIllegal(insn); return; }
  let s = CPU.mstatus;
  const mpp = <i32>((s & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
  s = (s & ~MSTATUS_MIE) | ((s & MSTATUS_MPIE) != 0 ? MSTATUS_MIE : 0);
  s |= MSTATUS_MPIE;
  s &= ~MSTATUS_MPP;
  if (mpp != PRIV_M) s &= ~MSTATUS_MPRV;
  CPU.mstatus = s;
  CPU.priv = mpp;
  CPU.pc = CPU.mepc;
  CPU.reservation = 0xffffffffffffffff;
  onPrivilegeChange();
  endBurst();
}

function sret(insn: u32): void {
  if (CPU.priv == PRIV_U || (CPU.priv == PRIV_S && (CPU.mstatus & MSTATUS_TSR) != 0)) {
    raiseIllegal(insn);
    return;
  }
  let s = CPU.mstatus;
  const spp = (s & MSTATUS_SPP) != 0 ? PRIV_S : PRIV_U;
  s = (s & ~MSTATUS_SIE) | ((s & MSTATUS_SPIE) != 0 ? MSTATUS_SIE : 0);
  s |= MSTATUS_SPIE;
  s &= ~MSTATUS_SPP;
  s &= ~MSTATUS_MPRV; // the new mode is below M
  CPU.mstatus = s;
  CPU.priv = spp;
  CPU.pc = CPU.sepc;
  CPU.reservation = 0xffffffffffffffff;
  onPrivilegeChange();
  endBurst();
}

/** SYSTEM opcode with funct3 = 0; `pc` is the instruction's own address. */
function execSystem(insn: u32, rd: u32, pc: u64): void {
  if (insn == 0x00000073) { raise(CAUSE_USER_ECALL + <u64>CPU.priv, 0); return; }
  if (insn == 0x00100073) { raise(CAUSE_BREAKPOINT, pc); return; }
  if (insn == 0x30200073) { mret(insn); return; }
  if (insn == 0x10200073) { sret(insn); return; }
  if (insn == 0x10500073) { // WFI
    if (CPU.priv == PRIV_U || (CPU.priv == PRIV_S && (CPU.mstatus & MSTATUS_TW) != 0)) {
      raiseIllegal(insn);
      return;
    }
    if (!wakeupPending()) CPU.waiting = true;
    endBurst();
    return;
  }
  if ((insn >> 25) == 0x09 && rd == 0) { // SFENCE.VMA
    if (CPU.priv == PRIV_U || (CPU.priv == PRIV_S && (CPU.mstatus & MSTATUS_TVM) != 0)) {
      raiseIllegal(insn);
      return;
    }
    flushTlb();
    return;
  }
  raiseIllegal(insn);
}

/** The ops run out of line: CPU.pc already holds the next pc and CPU.instret is up to date. */
function execOutOfLine(op: i32, insn: u32, pc: u64): void {
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  switch (op) {
    case OP_AMO: execAtomic(insn, rd, rs1, (insn >> 20) & 31); break;
    case OP_SYSTEM: execSystem(insn, rd, pc); break;
    case OP_CSR: execCsr(insn, rd, rs1); break;
    default: // OP_FP, which runFast leaves here only while FS is off
      raiseIllegal(insn);
  }
}

/** Decode the instruction at pc outside the cache (TLB miss, device, page-crossing). */
function fetchUncached(pc: u64): void {
  const raw = fetch(pc);
  if (!Trap.pending) decode(Lanes.scratch, raw);
}

// Record fields (see decode.ts) and register access through them; `xr` is the register file.
@inline function len(e: usize): u64 { return <u64>load<u8>(e, 5); }
@inline function imm(e: usize): u64 { return <u64><i64>load<i32>(e, 12); }
@inline function rs1(xr: usize, e: usize): u64 { return load<u64>(xr + <usize>load<u8>(e, 6)); }
@inline function rs2(xr: usize, e: usize): u64 { return load<u64>(xr + <usize>load<u8>(e, 7)); }
@inline function setRd(xr: usize, e: usize, v: u64): void { store<u64>(xr + <usize>load<u16>(e, 8), v); }

/** Host address for a load or store of `size` bytes by record e that hits the TLB, else 0. */
@inline function loadAt(xr: usize, e: usize, size: u64): usize { return loadHit(rs1(xr, e) + imm(e), size); }
@inline function storeAt(xr: usize, e: usize, size: u64): usize { return storeHit(rs1(xr, e) + imm(e), size); }

/** Publish pc and instret before code that may read them (devices, CSRs, traps). */
@inline function publish(nextPc: u64, instret: u64): void {
  CPU.pc = nextPc;
  CPU.instret = instret;
}

/** The first decode-cache record of the page at host address `page`. */
@inline function pageRecords(page: usize): usize {
  return Lanes.decodeBase + ((page >> 1) & (<usize>DECODE_CACHE_ENTRIES - 1)) * 16;
}

// Why runFast returned.
const LEAVE_BUDGET = 0; // n instructions done
const LEAVE_DECODE = 1; // the record at Fast.e does not match the bits at pc
const LEAVE_FETCH = 2; // pc is not on a page in the fetch TLB, or its instruction crosses a page
const LEAVE_EXECUTE = 3; // the instruction of record Fast.e (already counted) needs a call
const LEAVE_EXECUTED = 4; // the instruction of record Fast.e ran but raised a trap or set Exit.stop

/** The fast loop's state between its runs. */
class Fast {
  static pc: u64 = 0;
  static pageVa: u64 = 0; // the code page pc was last on; pc - pageVa > 0xffc means none
  static pageHost: usize = 0; // that page's host address
  static pageRec: usize = 0; // and its first decode-cache record
  static crossing: bool = false; // DECODE_SCRATCH holds the instruction at pc, which crosses a page
  static done: i32 = 0; // instructions executed in this burst
  static e: usize = 0; // the record of the instruction at pc when it returns
}

/**
 * Execute instructions until `Fast.done` reaches n or one needs what the fast loop leaves to
 * execBurst (returns why). Its only call is to the FPU, and none of its state is live across
 * that call, so V8 keeps the state in registers rather than stack slots.
 */
function runFast(n: i32): i32 {
  const xr = CPU.xr;
  let pc = Fast.pc;
  let pageVa = Fast.pageVa;
  let pageHost = Fast.pageHost;
  let pageRec = Fast.pageRec;
  let done = Fast.done;
  let leave = LEAVE_BUDGET;
  while (done < n) {
    let e: usize;
    const off = pc - pageVa;
    if (off <= 0xffc) {
      e = pageRec + (<usize>off << 3);
      if (load<u32>(e) != load<u32>(pageHost + <usize>off)) {
        Fast.e = e;
        leave = LEAVE_DECODE;
        break;
      }
    } else {
      const t = fetchEntry(pc);
      if (t != 0) {
        pageVa = pc & ~<u64>0xfff;
        pageHost = <usize>(pageVa + load<u64>(t, 8));
        pageRec = pageRecords(pageHost);
        continue;
      }
      if (!Fast.crossing) { leave = LEAVE_FETCH; break; }
      Fast.crossing = false;
      e = Lanes.scratch;
    }
    done++;
    // Each handler advances pc by a constant. A compressed twin (OP_C_*) that shares its
    // handler steps pc back by 2 first; its decoded pc-relative immediate is 2 larger to match.
    switch (<i32>load<u8>(e, 4)) {
      case OP_C_LUI: pc -= 2;
      case OP_LUI: setRd(xr, e, imm(e)); pc += 4; continue;
      case OP_AUIPC: setRd(xr, e, pc + imm(e)); pc += 4; continue;
      case OP_C_JAL: pc -= 2;
      case OP_JAL: setRd(xr, e, pc + 4); pc += imm(e); continue;
      case OP_C_JALR: pc -= 2;
      case OP_JALR: {
        const target = (rs1(xr, e) + imm(e)) & ~<u64>1;
        setRd(xr, e, pc + 4);
        pc = target;
        continue;
      }
      case OP_C_BEQ: pc -= 2;
      case OP_BEQ: pc += rs1(xr, e) == rs2(xr, e) ? imm(e) : 4; continue;
      case OP_C_BNE: pc -= 2;
      case OP_BNE: pc += rs1(xr, e) != rs2(xr, e) ? imm(e) : 4; continue;
      case OP_BLT: pc += <i64>rs1(xr, e) < <i64>rs2(xr, e) ? imm(e) : 4; continue;
      case OP_BGE: pc += <i64>rs1(xr, e) >= <i64>rs2(xr, e) ? imm(e) : 4; continue;
      case OP_BLTU: pc += rs1(xr, e) < rs2(xr, e) ? imm(e) : 4; continue;
      case OP_BGEU: pc += rs1(xr, e) >= rs2(xr, e) ? imm(e) : 4; continue;
      // Loads and stores leave (break) for the slow path when the TLB misses; pc must then still
      // be the instruction's own, so their twins have handlers of their own.
      case OP_LB: { const h = loadAt(xr, e, 1); if (h == 0) break; setRd(xr, e, <u64><i64>load<i8>(h)); pc += 4; continue; }
      case OP_LH: { const h = loadAt(xr, e, 2); if (h == 0) break; setRd(xr, e, <u64><i64>load<i16>(h)); pc += 4; continue; }
      case OP_LW: { const h = loadAt(xr, e, 4); if (h == 0) break; setRd(xr, e, <u64><i64>load<i32>(h)); pc += 4; continue; }
      case OP_C_LW: { const h = loadAt(xr, e, 4); if (h == 0) break; setRd(xr, e, <u64><i64>load<i32>(h)); pc += 2; continue; }
      case OP_LD: { const h = loadAt(xr, e, 8); if (h == 0) break; setRd(xr, e, load<u64>(h)); pc += 4; continue; }
      case OP_C_LD: { const h = loadAt(xr, e, 8); if (h == 0) break; setRd(xr, e, load<u64>(h)); pc += 2; continue; }
      case OP_LBU: { const h = loadAt(xr, e, 1); if (h == 0) break; setRd(xr, e, <u64>load<u8>(h)); pc += 4; continue; }
      case OP_LHU: { const h = loadAt(xr, e, 2); if (h == 0) break; setRd(xr, e, <u64>load<u16>(h)); pc += 4; continue; }
      case OP_LWU: { const h = loadAt(xr, e, 4); if (h == 0) break; setRd(xr, e, <u64>load<u32>(h)); pc += 4; continue; }
      case OP_SB: { const h = storeAt(xr, e, 1); if (h == 0) break; store<u8>(h, <u8>rs2(xr, e)); pc += 4; continue; }
      case OP_SH: { const h = storeAt(xr, e, 2); if (h == 0) break; store<u16>(h, <u16>rs2(xr, e)); pc += 4; continue; }
      case OP_SW: { const h = storeAt(xr, e, 4); if (h == 0) break; store<u32>(h, <u32>rs2(xr, e)); pc += 4; continue; }
      case OP_C_SW: { const h = storeAt(xr, e, 4); if (h == 0) break; store<u32>(h, <u32>rs2(xr, e)); pc += 2; continue; }
      case OP_SD: { const h = storeAt(xr, e, 8); if (h == 0) break; store<u64>(h, rs2(xr, e)); pc += 4; continue; }
      case OP_C_SD: { const h = storeAt(xr, e, 8); if (h == 0) break; store<u64>(h, rs2(xr, e)); pc += 2; continue; }
      case OP_C_ADDI: pc -= 2;
      case OP_ADDI: setRd(xr, e, rs1(xr, e) + imm(e)); pc += 4; continue;
      case OP_SLTI: setRd(xr, e, <i64>rs1(xr, e) < <i64>imm(e) ? 1 : 0); pc += 4; continue;
      case OP_SLTIU: setRd(xr, e, rs1(xr, e) < imm(e) ? 1 : 0); pc += 4; continue;
      case OP_XORI: setRd(xr, e, rs1(xr, e) ^ imm(e)); pc += 4; continue;
      case OP_ORI: setRd(xr, e, rs1(xr, e) | imm(e)); pc += 4; continue;
      case OP_C_ANDI: pc -= 2;
      case OP_ANDI: setRd(xr, e, rs1(xr, e) & imm(e)); pc += 4; continue;
      case OP_C_SLLI: pc -= 2;
      case OP_SLLI: setRd(xr, e, rs1(xr, e) << imm(e)); pc += 4; continue;
      case OP_C_SRLI: pc -= 2;
      case OP_SRLI: setRd(xr, e, rs1(xr, e) >> imm(e)); pc += 4; continue;
      case OP_C_SRAI: pc -= 2;
      case OP_SRAI: setRd(xr, e, <u64>(<i64>rs1(xr, e) >> imm(e))); pc += 4; continue;
      case OP_C_ADDIW: pc -= 2;
      case OP_ADDIW: setRd(xr, e, sext32(rs1(xr, e) + imm(e))); pc += 4; continue;
      case OP_SLLIW: setRd(xr, e, sext32(<u64>(<u32>rs1(xr, e) << <u32>imm(e)))); pc += 4; continue;
      case OP_SRLIW: setRd(xr, e, sext32(<u64>(<u32>rs1(xr, e) >> <u32>imm(e)))); pc += 4; continue;
      case OP_SRAIW: setRd(xr, e, <u64><i64>(<i32>rs1(xr, e) >> <i32>imm(e))); pc += 4; continue;
      case OP_C_ADD: pc -= 2;
      case OP_ADD: setRd(xr, e, rs1(xr, e) + rs2(xr, e)); pc += 4; continue;
      case OP_C_SUB: pc -= 2;
      case OP_SUB: setRd(xr, e, rs1(xr, e) - rs2(xr, e)); pc += 4; continue;
      case OP_SLL: setRd(xr, e, rs1(xr, e) << (rs2(xr, e) & 63)); pc += 4; continue;
      case OP_SLT: setRd(xr, e, <i64>rs1(xr, e) < <i64>rs2(xr, e) ? 1 : 0); pc += 4; continue;
      case OP_SLTU: setRd(xr, e, rs1(xr, e) < rs2(xr, e) ? 1 : 0); pc += 4; continue;
      case OP_C_XOR: pc -= 2;
      case OP_XOR: setRd(xr, e, rs1(xr, e) ^ rs2(xr, e)); pc += 4; continue;
      case OP_SRL: setRd(xr, e, rs1(xr, e) >> (rs2(xr, e) & 63)); pc += 4; continue;
      case OP_SRA: setRd(xr, e, <u64>(<i64>rs1(xr, e) >> (rs2(xr, e) & 63))); pc += 4; continue;
      case OP_C_OR: pc -= 2;
      case OP_OR: setRd(xr, e, rs1(xr, e) | rs2(xr, e)); pc += 4; continue;
      case OP_C_AND: pc -= 2;
      case OP_AND: setRd(xr, e, rs1(xr, e) & rs2(xr, e)); pc += 4; continue;
      case OP_MUL: setRd(xr, e, rs1(xr, e) * rs2(xr, e)); pc += 4; continue;
      case OP_MULH: setRd(xr, e, mulh(rs1(xr, e), rs2(xr, e))); pc += 4; continue;
      case OP_MULHSU: setRd(xr, e, mulhsu(rs1(xr, e), rs2(xr, e))); pc += 4; continue;
      case OP_MULHU: setRd(xr, e, mulhu(rs1(xr, e), rs2(xr, e))); pc += 4; continue;
      case OP_DIV: setRd(xr, e, <u64>div64(<i64>rs1(xr, e), <i64>rs2(xr, e))); pc += 4; continue;
      case OP_DIVU: {
        const a = rs1(xr, e), b = rs2(xr, e);
        setRd(xr, e, b == 0 ? 0xffffffffffffffff : a / b);
        pc += 4;
        continue;
      }
      case OP_REM: setRd(xr, e, <u64>rem64(<i64>rs1(xr, e), <i64>rs2(xr, e))); pc += 4; continue;
      case OP_REMU: {
        const a = rs1(xr, e), b = rs2(xr, e);
        setRd(xr, e, b == 0 ? a : a % b);
        pc += 4;
        continue;
      }
      case OP_C_ADDW: pc -= 2;
      case OP_ADDW: setRd(xr, e, sext32(rs1(xr, e) + rs2(xr, e))); pc += 4; continue;
      case OP_C_SUBW: pc -= 2;
      case OP_SUBW: setRd(xr, e, sext32(rs1(xr, e) - rs2(xr, e))); pc += 4; continue;
      case OP_SLLW: setRd(xr, e, sext32(<u64>(<u32>rs1(xr, e) << (<u32>rs2(xr, e) & 31)))); pc += 4; continue;
      case OP_SRLW: setRd(xr, e, sext32(<u64>(<u32>rs1(xr, e) >> (<u32>rs2(xr, e) & 31)))); pc += 4; continue;
      case OP_SRAW: setRd(xr, e, <u64><i64>(<i32>rs1(xr, e) >> (<i32>rs2(xr, e) & 31))); pc += 4; continue;
      case OP_MULW: setRd(xr, e, sext32(rs1(xr, e) * rs2(xr, e))); pc += 4; continue;
      case OP_DIVW: setRd(xr, e, <u64><i64>div32(<i32>rs1(xr, e), <i32>rs2(xr, e))); pc += 4; continue;
      case OP_DIVUW: {
        const a = <u32>rs1(xr, e), b = <u32>rs2(xr, e);
        setRd(xr, e, sext32(<u64>(b == 0 ? 0xffffffff : a / b)));
        pc += 4;
        continue;
      }
      case OP_REMW: setRd(xr, e, <u64><i64>rem32(<i32>rs1(xr, e), <i32>rs2(xr, e))); pc += 4; continue;
      case OP_REMUW: {
        const a = <u32>rs1(xr, e), b = <u32>rs2(xr, e);
        setRd(xr, e, sext32(<u64>(b == 0 ? a : a % b)));
        pc += 4;
        continue;
      }
      case OP_FENCE:
        // The other harts may run on other threads (lanes.ts): a sequentially consistent store
        // (a locked instruction on x86) orders what comes before it against what comes after.
        if (inLane()) atomic.store<u64>(xr + HB_X0_SINK, 0);
        pc += 4;
        continue;
      case OP_FP: {
        // F and D cannot change privilege or translation, so they run without leaving the loop;
        // the loop's state goes through Fast around the call (see above).
        if ((CPU.mstatus & MSTATUS_FS) == 0) break;
        Fast.pc = pc;
        Fast.pageVa = pageVa;
        Fast.pageHost = pageHost;
        Fast.pageRec = pageRec;
        Fast.done = done;
        Fast.e = e;
        execFp(<u32>load<i32>(e, 12)); // reads neither pc nor instret
        pc = Fast.pc;
        pageVa = Fast.pageVa;
        pageHost = Fast.pageHost;
        pageRec = Fast.pageRec;
        done = Fast.done;
        e = Fast.e;
        if (Trap.pending || Exit.stop) { leave = LEAVE_EXECUTED; break; }
        pc += len(e);
        continue;
      }
    }
    Fast.e = e; // the cases that did not continue
    if (leave == LEAVE_BUDGET) leave = LEAVE_EXECUTE;
    break;
  }
  Fast.pc = pc;
  Fast.pageVa = pageVa;
  Fast.pageHost = pageHost;
  Fast.pageRec = pageRec;
  Fast.done = done;
  return leave;
}

/**
 * Run up to n instructions; returns how many were executed (a trapping one counts).
 *
 * runFast does the work; what it leaves (decoding, TLB misses, slow memory paths, CSRs,
 * SYSTEM, A, F/D while FS is off) is finished here, where a raised trap is also taken. instret
 * is `base + Fast.done` and is published before any call that may read it.
 */
export function execBurst(n: i32): i32 {
  const xr = CPU.xr;
  let base = CPU.instret;
  Fast.pc = CPU.pc;
  Fast.pageVa = Fast.pc + 0x1000;
  Fast.crossing = false;
  Fast.done = 0;
  while (true) {
    const leave = runFast(n);
    if (leave == LEAVE_BUDGET) break;
    const pc = Fast.pc;
    const e = Fast.e;
    if (leave == LEAVE_DECODE) {
      decode(e, load<u32>(Fast.pageHost + <usize>(pc - Fast.pageVa)));
      continue;
    }
    if (leave == LEAVE_FETCH) {
      fetchUncached(pc);
      if (!Trap.pending) {
        // The TLB now maps pc's page; only a page-crossing instruction runs from the scratch record.
        Fast.crossing = (pc & 0xfff) > 0xffc;
        continue;
      }
      Fast.done++; // a fetch fault counts as an instruction
      publish(pc, base + <u64>(Fast.done - 1));
    } else if (leave == LEAVE_EXECUTED) {
      publish(pc + len(e), base + <u64>(Fast.done - 1));
    } else {
      publish(pc + len(e), base + <u64>(Fast.done - 1));
      const op = <i32>load<u8>(e, 4);
      switch (op) {
        case OP_LB: case OP_LH: case OP_LW: case OP_LD: case OP_LBU: case OP_LHU: case OP_LWU:
        case OP_C_LW: case OP_C_LD: {
          const size = op == OP_C_LW ? 4 : op == OP_C_LD ? 8 : 1 << ((op - OP_LB) & 3);
          let v = loadSlow(rs1(xr, e) + imm(e), size);
          if (Trap.pending) break;
          if (op < OP_LD || op == OP_C_LW) { // sign-extend what the slow path returned zero-extended
            const shift = <u64>(64 - 8 * size);
            v = <u64>((<i64>(v << shift)) >> shift);
          }
          setRd(xr, e, v);
          break;
        }
        case OP_SB: case OP_SH: case OP_SW: case OP_SD: case OP_C_SW: case OP_C_SD: {
          const size = op == OP_C_SW ? 4 : op == OP_C_SD ? 8 : 1 << (op - OP_SB);
          storeSlow(rs1(xr, e) + imm(e), rs2(xr, e), size);
          break;
        }
        case OP_ILLEGAL: {
          const raw = load<u32>(e);
          raiseIllegal(len(e) == 2 ? raw & 0xffff : raw); // a compressed one reports its 16 bits
          break;
        }
        default: // OP_AMO, OP_SYSTEM, OP_CSR, and OP_FP while FS is off
          execOutOfLine(op, <u32>load<i32>(e, 12), pc);
      }
    }
    // CPU.pc holds the next pc, or a raised trap is pending.
    if (Trap.pending) {
      Trap.pending = false;
      let tval = Trap.tval;
      if (leave != LEAVE_FETCH && Trap.cause == CAUSE_ILLEGAL_INSTRUCTION && len(e) == 2) {
        tval = <u64>(load<u32>(e) & 0xffff);
      }
      takeTrap(Trap.cause, tval, pc);
      base = CPU.instret - <u64>Fast.done; // the trapping instruction does not retire
    } else {
      base = CPU.instret + 1 - <u64>Fast.done; // a CSR write may have set instret
    }
    Fast.pc = CPU.pc;
    Fast.pageVa = Fast.pc + 0x1000; // privilege or translation may have changed
    if (Exit.stop) break;
  }
  CPU.pc = Fast.pc;
  CPU.instret = base + <u64>Fast.done;
  return Fast.done;
}
