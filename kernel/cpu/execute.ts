// The interpreter: fetch, decode and execute up to `n` instructions of the current hart.
// It stops early when an instruction asks (Exit.stop: a device, a CSR write, WFI) so the run
// loop can take interrupts, switch harts or return to the host.

import { CPU, PRIV_M, PRIV_S, PRIV_U, getX, setX } from "./state";
import { Trap, raise, raiseIllegal, takeTrap, wakeupPending } from "./trap";
import {
  fetch, load8, load16, load32, load64, store8, store16, store32, store64, atomicHost, flushTlb,
  onPrivilegeChange,
} from "./mmu";
import { csrRead, csrWrite, Csr } from "./csr";
import { expandCompressed } from "./compressed";
import { execFp } from "./fpu";
import { Exit, endBurst } from "./exit";
import {
  CAUSE_BREAKPOINT, CAUSE_ILLEGAL_INSTRUCTION, CAUSE_MISALIGNED_LOAD, CAUSE_MISALIGNED_STORE, CAUSE_USER_ECALL, MSTATUS_FS, MSTATUS_MIE,
  MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_MPP_SHIFT, MSTATUS_MPRV, MSTATUS_SIE, MSTATUS_SPIE,
  MSTATUS_SPP, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW,
} from "./bits";

@inline function sext32(v: u64): u64 {
  return <u64><i64><i32>v;
}

/** High 64 bits of the unsigned 128-bit product. */
function mulhu(a: u64, b: u64): u64 {
  const aLo = a & 0xffffffff, aHi = a >> 32;
  const bLo = b & 0xffffffff, bHi = b >> 32;
  const ll = aLo * bLo;
  const lh = aLo * bHi;
  const hl = aHi * bLo;
  const hh = aHi * bHi;
  const mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff);
  return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

function mulh(a: u64, b: u64): u64 {
  let r = mulhu(a, b);
  if (<i64>a < 0) r -= b;
  if (<i64>b < 0) r -= a;
  return r;
}

function mulhsu(a: u64, b: u64): u64 {
  let r = mulhu(a, b);
  if (<i64>a < 0) r -= b;
  return r;
}

function div64(a: i64, b: i64): i64 {
  if (b == 0) return -1;
  if (a == i64.MIN_VALUE && b == -1) return a;
  return a / b;
}

function rem64(a: i64, b: i64): i64 {
  if (b == 0) return a;
  if (a == i64.MIN_VALUE && b == -1) return 0;
  return a % b;
}

function div32(a: i32, b: i32): i32 {
  if (b == 0) return -1;
  if (a == i32.MIN_VALUE && b == -1) return a;
  return a / b;
}

function rem32(a: i32, b: i32): i32 {
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

/** SYSTEM opcode with funct3 = 0. Returns true when it set pc itself (xRET). */
function execSystem(insn: u32, rd: u32, rs1: u32): bool {
  if (insn == 0x00000073) { raise(CAUSE_USER_ECALL + <u64>CPU.priv, 0); return false; }
  if (insn == 0x00100073) { raise(CAUSE_BREAKPOINT, CPU.pc); return false; }
  if (insn == 0x30200073) { mret(insn); return !Trap.pending; }
  if (insn == 0x10200073) { sret(insn); return !Trap.pending; }
  if (insn == 0x10500073) { // WFI
    if (CPU.priv == PRIV_U || (CPU.priv == PRIV_S && (CPU.mstatus & MSTATUS_TW) != 0)) {
      raiseIllegal(insn);
      return false;
    }
    if (!wakeupPending()) CPU.waiting = true;
    endBurst();
    return false;
  }
  if ((insn >> 25) == 0x09 && rd == 0) { // SFENCE.VMA
    if (CPU.priv == PRIV_U || (CPU.priv == PRIV_S && (CPU.mstatus & MSTATUS_TVM) != 0)) {
      raiseIllegal(insn);
      return false;
    }
    flushTlb();
    return false;
  }
  raiseIllegal(insn);
  return false;
}

/** Run up to n instructions; returns how many were executed (a trapping one counts). */
export function execBurst(n: i32): i32 {
  let done = 0;
  while (done < n) {
    done++;
    const pc = CPU.pc;
    const raw = fetch(pc);
    let insn = raw;
    const compressed = (raw & 3) != 3;
    if (Trap.pending) {
      Trap.pending = false;
      takeTrap(Trap.cause, Trap.tval, pc);
      if (Exit.stop) break;
      continue;
    }
    let npc: u64;
    if (compressed) {
      const c = insn & 0xffff;
      insn = expandCompressed(c);
      npc = pc + 2;
      if (insn == 0) {
        raiseIllegal(c);
        Trap.pending = false;
        takeTrap(Trap.cause, Trap.tval, pc);
        if (Exit.stop) break;
        continue;
      }
    } else {
      npc = pc + 4;
    }
    const rd = (insn >> 7) & 31;
    const rs1 = (insn >> 15) & 31;
    const rs2 = (insn >> 20) & 31;
    const f3 = (insn >> 12) & 7;
    CPU.pc = npc;
    switch (insn & 0x7f) {
      case 0x37: setX(rd, sext32(<u64>(insn & 0xfffff000))); break; // LUI
      case 0x17: setX(rd, pc + sext32(<u64>(insn & 0xfffff000))); break; // AUIPC
      case 0x6f: { // JAL
        const imm = ((<i32>(insn & 0x80000000)) >> 11) | (insn & 0xff000) | ((insn >> 9) & 0x800) |
          ((insn >> 20) & 0x7fe);
        setX(rd, npc);
        CPU.pc = pc + <u64><i64><i32>imm;
        break;
      }
      case 0x67: { // JALR
        if (f3 != 0) { raiseIllegal(insn); break; }
        const target = (getX(rs1) + <u64><i64>(<i32>insn >> 20)) & ~<u64>1;
        setX(rd, npc);
        CPU.pc = target;
        break;
      }
      case 0x63: { // branches
        const a = getX(rs1), b = getX(rs2);
        let taken: bool;
        switch (f3) {
          case 0: taken = a == b; break;
          case 1: taken = a != b; break;
          case 4: taken = <i64>a < <i64>b; break;
          case 5: taken = <i64>a >= <i64>b; break;
          case 6: taken = a < b; break;
          case 7: taken = a >= b; break;
          default: raiseIllegal(insn); taken = false;
        }
        if (taken) {
          const imm = ((<i32>(insn & 0x80000000)) >> 19) | ((insn & 0x80) << 4) | ((insn >> 20) & 0x7e0) |
            ((insn >> 7) & 0x1e);
          CPU.pc = pc + <u64><i64><i32>imm;
        }
        break;
      }
      case 0x03: { // loads
        const addr = getX(rs1) + <u64><i64>(<i32>insn >> 20);
        let v: u64;
        switch (f3) {
          case 0: v = <u64><i64><i8>load8(addr); break;
          case 1: v = <u64><i64><i16>load16(addr); break;
          case 2: v = sext32(load32(addr)); break;
          case 3: v = load64(addr); break;
          case 4: v = load8(addr); break;
          case 5: v = load16(addr); break;
          case 6: v = load32(addr); break;
          default: raiseIllegal(insn); v = 0;
        }
        if (Trap.pending) break;
        setX(rd, v);
        break;
      }
      case 0x23: { // stores
        const imm = ((<i32>insn >> 25) << 5) | <i32>((insn >> 7) & 31);
        const addr = getX(rs1) + <u64><i64>imm;
        const v = getX(rs2);
        switch (f3) {
          case 0: store8(addr, <u8>v); break;
          case 1: store16(addr, v); break;
          case 2: store32(addr, v); break;
          case 3: store64(addr, v); break;
          default: raiseIllegal(insn);
        }
        break;
      }
      case 0x13: { // OP-IMM
        const a = getX(rs1);
        const imm = <u64><i64>(<i32>insn >> 20);
        const shamt = (insn >> 20) & 63;
        switch (f3) {
          case 0: setX(rd, a + imm); break;
          case 1:
            if ((insn >> 26) != 0) { raiseIllegal(insn); break; }
            setX(rd, a << shamt); break;
          case 2: setX(rd, <i64>a < <i64>imm ? 1 : 0); break;
          case 3: setX(rd, a < imm ? 1 : 0); break;
          case 4: setX(rd, a ^ imm); break;
          case 5: {
            const f6 = insn >> 26;
            if (f6 == 0) setX(rd, a >> shamt);
            else if (f6 == 0x10) setX(rd, <u64>(<i64>a >> shamt));
            else raiseIllegal(insn);
            break;
          }
          case 6: setX(rd, a | imm); break;
          case 7: setX(rd, a & imm); break;
        }
        break;
      }
      case 0x1b: { // OP-IMM-32
        const a = <u32>getX(rs1);
        const shamt = (insn >> 20) & 31;
        const f7 = insn >> 25;
        switch (f3) {
          case 0: setX(rd, sext32(<u64>(a + <u32>(<i32>insn >> 20)))); break;
          case 1:
            if (f7 != 0) { raiseIllegal(insn); break; }
            setX(rd, sext32(<u64>(a << shamt))); break;
          case 5:
            if (f7 == 0) setX(rd, sext32(<u64>(a >> shamt)));
            else if (f7 == 0x20) setX(rd, <u64><i64>(<i32>a >> shamt));
            else raiseIllegal(insn);
            break;
          default: raiseIllegal(insn);
        }
        break;
      }
      case 0x33: { // OP
        const a = getX(rs1), b = getX(rs2);
        const f7 = insn >> 25;
        if (f7 == 0) {
          switch (f3) {
            case 0: setX(rd, a + b); break;
            case 1: setX(rd, a << (b & 63)); break;
            case 2: setX(rd, <i64>a < <i64>b ? 1 : 0); break;
            case 3: setX(rd, a < b ? 1 : 0); break;
            case 4: setX(rd, a ^ b); break;
            case 5: setX(rd, a >> (b & 63)); break;
            case 6: setX(rd, a | b); break;
            case 7: setX(rd, a & b); break;
          }
        } else if (f7 == 0x20) {
          if (f3 == 0) setX(rd, a - b);
          else if (f3 == 5) setX(rd, <u64>(<i64>a >> (b & 63)));
          else raiseIllegal(insn);
        } else if (f7 == 1) {
          switch (f3) {
            case 0: setX(rd, a * b); break;
            case 1: setX(rd, mulh(a, b)); break;
            case 2: setX(rd, mulhsu(a, b)); break;
            case 3: setX(rd, mulhu(a, b)); break;
            case 4: setX(rd, <u64>div64(<i64>a, <i64>b)); break;
            case 5: setX(rd, b == 0 ? 0xffffffffffffffff : a / b); break;
            case 6: setX(rd, <u64>rem64(<i64>a, <i64>b)); break;
            case 7: setX(rd, b == 0 ? a : a % b); break;
          }
        } else raiseIllegal(insn);
        break;
      }
      case 0x3b: { // OP-32
        const a = <u32>getX(rs1), b = <u32>getX(rs2);
        const f7 = insn >> 25;
        if (f7 == 0) {
          if (f3 == 0) setX(rd, sext32(<u64>(a + b)));
          else if (f3 == 1) setX(rd, sext32(<u64>(a << (b & 31))));
          else if (f3 == 5) setX(rd, sext32(<u64>(a >> (b & 31))));
          else raiseIllegal(insn);
        } else if (f7 == 0x20) {
          if (f3 == 0) setX(rd, sext32(<u64>(a - b)));
          else if (f3 == 5) setX(rd, <u64><i64>(<i32>a >> (b & 31)));
          else raiseIllegal(insn);
        } else if (f7 == 1) {
          switch (f3) {
            case 0: setX(rd, sext32(<u64>(a * b))); break;
            case 4: setX(rd, <u64><i64>div32(<i32>a, <i32>b)); break;
            case 5: setX(rd, sext32(<u64>(b == 0 ? 0xffffffff : a / b))); break;
            case 6: setX(rd, <u64><i64>rem32(<i32>a, <i32>b)); break;
            case 7: setX(rd, sext32(<u64>(b == 0 ? a : a % b))); break;
            default: raiseIllegal(insn);
          }
        } else raiseIllegal(insn);
        break;
      }
      case 0x0f: // FENCE, FENCE.I: memory is coherent and there is no decoded-code cache yet
        if (f3 > 1) raiseIllegal(insn);
        break;
      case 0x2f: execAtomic(insn, rd, rs1, rs2); break;
      case 0x73: {
        if (f3 == 0) {
          execSystem(insn, rd, rs1);
        } else if (f3 != 4) {
          execCsr(insn, rd, rs1);
        } else raiseIllegal(insn);
        break;
      }
      case 0x07: case 0x27: case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53:
        if ((CPU.mstatus & MSTATUS_FS) == 0) { raiseIllegal(insn); break; }
        execFp(insn);
        break;
      default:
        raiseIllegal(insn);
    }
    if (Trap.pending) {
      Trap.pending = false;
      // A compressed instruction reports its own 16 bits as mtval when illegal.
      let tval = Trap.tval;
      if (Trap.cause == CAUSE_ILLEGAL_INSTRUCTION && compressed) tval = <u64>(raw & 0xffff);
      takeTrap(Trap.cause, tval, pc);
    } else {
      CPU.instret++;
    }
    if (Exit.stop) break;
  }
  return done;
}
