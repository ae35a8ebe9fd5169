// Control and status registers: access rules (privilege, read-only, counter enables, TVM) and
// each register's WARL behaviour. Any CSR not listed here is illegal to touch.

import { CPU, PRIV_M, PRIV_S, PRIV_U, hartBlock } from "./state";
import { HB_PMPCFG, HB_PMPADDR } from "../public/hart-block";
import {
  MSTATUS_WRITABLE, SSTATUS_MASK, MSTATUS_UXL_SXL, MSTATUS_SD, MSTATUS_FS, MSTATUS_FS_DIRTY,
  MSTATUS_MPP, MSTATUS_MPP_SHIFT, MSTATUS_TVM, MSTATUS_MPRV, MSTATUS_SUM, MSTATUS_MXR,
  MIP_SSIP, MIP_STIP, MIP_SEIP, ALL_INTERRUPTS, S_INTERRUPTS, DELEGABLE_EXCEPTIONS, MENVCFG_FIOM,
  MENVCFG_STCE, SATP_MODE_BARE, SATP_MODE_SV39, SATP_MODE_SV48, MISA,
} from "./bits";
import { raiseIllegal, currentMip } from "./trap";
import { flushTlb, onPrivilegeChange } from "./mmu";
import { readMtime } from "../devices/clint";
import { endBurst } from "./exit";

const FFLAGS: u32 = 0x001;
const FRM: u32 = 0x002;
const FCSR: u32 = 0x003;
const SSTATUS: u32 = 0x100;
const SIE: u32 = 0x104;
const STVEC: u32 = 0x105;
const SCOUNTEREN: u32 = 0x106;
const SENVCFG: u32 = 0x10a;
const SSCRATCH: u32 = 0x140;
const SEPC: u32 = 0x141;
const SCAUSE: u32 = 0x142;
const STVAL: u32 = 0x143;
const SIP: u32 = 0x144;
const STIMECMP: u32 = 0x14d;
const SATP: u32 = 0x180;
const MSTATUS: u32 = 0x300;
const MISA_CSR: u32 = 0x301;
const MEDELEG: u32 = 0x302;
const MIDELEG: u32 = 0x303;
const MIE: u32 = 0x304;
const MTVEC: u32 = 0x305;
const MCOUNTEREN: u32 = 0x306;
const MENVCFG: u32 = 0x30a;
const MCOUNTINHIBIT: u32 = 0x320;
const MSCRATCH: u32 = 0x340;
const MEPC: u32 = 0x341;
const MCAUSE: u32 = 0x342;
const MTVAL: u32 = 0x343;
const MIP: u32 = 0x344;
const PMPCFG0: u32 = 0x3a0;
const PMPADDR0: u32 = 0x3b0;
const MCYCLE: u32 = 0xb00;
const MINSTRET: u32 = 0xb02;
const CYCLE: u32 = 0xc00;
const TIME: u32 = 0xc01;
const INSTRET: u32 = 0xc02;
const MVENDORID: u32 = 0xf11;
const MARCHID: u32 = 0xf12;
const MIMPID: u32 = 0xf13;
const MHARTID: u32 = 0xf14;
const MCONFIGPTR: u32 = 0xf15;

/** Status of the last csrRead/csrWrite: false when it raised an illegal-instruction trap. */
export class Csr {
  static ok: bool = true;
}

function fsDirty(): void {
  CPU.mstatus |= MSTATUS_FS_DIRTY;
}

/** Counters (cycle, time, instret, hpmcounterN) are visible below M only if enabled. */
function counterAllowed(num: u32): bool {
  const bit: u64 = <u64>1 << <u64>(num & 31);
  if (CPU.priv < PRIV_M && (CPU.mcounteren & bit) == 0) return false;
  if (CPU.priv == PRIV_U && (CPU.scounteren & bit) == 0) return false;
  return true;
}

function pmpSlot(num: u32): usize {
  return hartBlock(CPU.hart) + (num >= PMPADDR0 ? HB_PMPADDR + <usize>(num - PMPADDR0) * 8
    : HB_PMPCFG + <usize>((num - PMPCFG0) >> 1) * 8);
}

/**
 * Read CSR `num` for instruction `insn` (reported in mtval when illegal). `writing` tells whether
 * the instruction will also write it, which matters for read-only registers.
 */
export function csrRead(num: u32, insn: u32, writing: bool): u64 {
  Csr.ok = true;
  const minPriv = <i32>((num >> 8) & 3);
  if (CPU.priv < minPriv || (writing && (num >> 10) == 3)) {
    Csr.ok = false;
    raiseIllegal(insn);
    return 0;
  }
  switch (num) {
    case FFLAGS: case FRM: case FCSR:
      if ((CPU.mstatus & MSTATUS_FS) == 0) break;
      return num == FFLAGS ? <u64>CPU.fflags : num == FRM ? <u64>CPU.frm
        : <u64>((CPU.frm << 5) | CPU.fflags);
    case SSTATUS: return statusRead() & (SSTATUS_MASK | MSTATUS_UXL_SXL | MSTATUS_SD);
    case SIE: return CPU.mie & CPU.mideleg;
    case STVEC: return CPU.stvec;
    case SCOUNTEREN: return CPU.scounteren;
    case SENVCFG: return CPU.senvcfg;
    case SSCRATCH: return CPU.sscratch;
    case SEPC: return CPU.sepc;
    case SCAUSE: return CPU.scause;
    case STVAL: return CPU.stval;
    case SIP: return currentMip() & CPU.mideleg;
    case STIMECMP:
      // Sstc: below M, stimecmp exists only with menvcfg.STCE and mcounteren.TM set.
      if (CPU.priv < PRIV_M && ((CPU.menvcfg & MENVCFG_STCE) == 0 || (CPU.mcounteren & 2) == 0)) break;
      return CPU.stimecmp;
    case SATP:
      if (CPU.priv == PRIV_S && (CPU.mstatus & MSTATUS_TVM) != 0) break;
      return CPU.satp;
    case MSTATUS: return statusRead();
    case MISA_CSR: return MISA;
    case MEDELEG: return CPU.medeleg;
    case MIDELEG: return CPU.mideleg;
    case MIE: return CPU.mie;
    case MTVEC: return CPU.mtvec;
    case MCOUNTEREN: return CPU.mcounteren;
    case MENVCFG: return CPU.menvcfg;
    case MCOUNTINHIBIT: return 0;
    case MSCRATCH: return CPU.mscratch;
    case MEPC: return CPU.mepc;
    case MCAUSE: return CPU.mcause;
    case MTVAL: return CPU.mtval;
    case MIP: return currentMip();
    case MCYCLE: case MINSTRET: return CPU.instret;
    case CYCLE: case INSTRET:
      if (!counterAllowed(num)) break;
      return CPU.instret;
    case TIME:
      if (!counterAllowed(num)) break;
      return readMtime();
    case MVENDORID: case MARCHID: case MIMPID: case MCONFIGPTR: return 0;
    case MHARTID: return <u64>CPU.hart;
    default:
      // pmpcfg0..15 (even only on RV64), pmpaddr0..63: stored, not enforced.
      if (num >= PMPCFG0 && num < PMPCFG0 + 16 && (num & 1) == 0) return load<u64>(pmpSlot(num));
      if (num >= PMPADDR0 && num < PMPADDR0 + 64) return load<u64>(pmpSlot(num));
      // hpmcounter3..31, mhpmcounter3..31, mhpmevent3..31: present, always zero.
      if (num >= 0xc03 && num <= 0xc1f) { if (!counterAllowed(num)) break; return 0; }
      if (num >= 0xb03 && num <= 0xb1f) return 0;
      if (num >= 0x323 && num <= 0x33f) return 0;
  }
  Csr.ok = false;
  raiseIllegal(insn);
  return 0;
}

function statusRead(): u64 {
  const s = CPU.mstatus | MSTATUS_UXL_SXL;
  return (s & MSTATUS_FS) == MSTATUS_FS ? s | MSTATUS_SD : s;
}

function writeMstatus(v: u64, mask: u64): void {
  let nv = (CPU.mstatus & ~mask) | (v & mask);
  // MPP is WARL over {U, S, M}: the reserved value 2 keeps the old setting.
  if (((nv & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == 2) nv = (nv & ~MSTATUS_MPP) | (CPU.mstatus & MSTATUS_MPP);
  const changed = nv ^ CPU.mstatus;
  CPU.mstatus = nv;
  if ((changed & (MSTATUS_SUM | MSTATUS_MXR)) != 0) flushTlb();
  if ((changed & (MSTATUS_MPRV | MSTATUS_MPP)) != 0) onPrivilegeChange();
}

/** Write CSR `num` (csrRead with writing = true has already checked access). */
export function csrWrite(num: u32, v: u64, insn: u32): void {
  switch (num) {
    case FFLAGS: CPU.fflags = <u32>v & 0x1f; fsDirty(); return;
    case FRM: CPU.frm = <u32>v & 7; fsDirty(); return;
    case FCSR: CPU.fflags = <u32>v & 0x1f; CPU.frm = (<u32>v >> 5) & 7; fsDirty(); return;
    case SSTATUS: writeMstatus(v, SSTATUS_MASK); break;
    case SIE: CPU.mie = (CPU.mie & ~CPU.mideleg) | (v & CPU.mideleg); break;
    case STVEC: CPU.stvec = v & ~<u64>2; return;
    case SCOUNTEREN: CPU.scounteren = v & 0xffffffff; return;
    case SENVCFG: CPU.senvcfg = v & MENVCFG_FIOM; return;
    case SSCRATCH: CPU.sscratch = v; return;
    case SEPC: CPU.sepc = v & ~<u64>1; return;
    case SCAUSE: CPU.scause = v; return;
    case STVAL: CPU.stval = v; return;
    case SIP: {
      const mask = MIP_SSIP & CPU.mideleg;
      CPU.mip = (CPU.mip & ~mask) | (v & mask);
      break;
    }
    case STIMECMP: CPU.stimecmp = v; break;
    case SATP: {
      const mode = v >> 60;
      if (mode != SATP_MODE_BARE && mode != SATP_MODE_SV39 && mode != SATP_MODE_SV48) return;
      CPU.satp = v & ~(<u64>0xffff << 44); // no ASIDs: ASIDLEN = 0
      flushTlb();
      return;
    }
    case MSTATUS: writeMstatus(v, MSTATUS_WRITABLE); break;
    case MISA_CSR: return;
    case MEDELEG: CPU.medeleg = v & DELEGABLE_EXCEPTIONS; return;
    case MIDELEG: CPU.mideleg = v & S_INTERRUPTS; break;
    case MIE: CPU.mie = v & ALL_INTERRUPTS; break;
    case MTVEC: CPU.mtvec = v & ~<u64>2; return;
    case MCOUNTEREN: CPU.mcounteren = v & 0xffffffff; return;
    case MENVCFG: CPU.menvcfg = v & (MENVCFG_FIOM | MENVCFG_STCE); break;
    case MCOUNTINHIBIT: return;
    case MSCRATCH: CPU.mscratch = v; return;
    case MEPC: CPU.mepc = v & ~<u64>1; return;
    case MCAUSE: CPU.mcause = v; return;
    case MTVAL: CPU.mtval = v; return;
    case MIP: {
      // STIP is driven by stimecmp when Sstc is on, and writable by M otherwise.
      const mask = MIP_SSIP | MIP_SEIP | ((CPU.menvcfg & MENVCFG_STCE) != 0 ? 0 : MIP_STIP);
      CPU.mip = (CPU.mip & ~mask) | (v & mask);
      break;
    }
    case MCYCLE: case MINSTRET: CPU.instret = v; return;
    default:
      if (num >= PMPCFG0 && num < PMPCFG0 + 16) {
        // Stored as written but for the reserved bits 5 and 6 of each entry (PMP is not enforced).
        store<u64>(pmpSlot(num), v & 0x9f9f9f9f9f9f9f9f);
        return;
      }
      if (num >= PMPADDR0 && num < PMPADDR0 + 64) {
        store<u64>(pmpSlot(num), v & 0x3fffffffffffff);
        return;
      }
      return; // hpm counters and events: hardwired to zero
  }
  // Writes that can unmask or raise an interrupt end the burst so it is taken at once.
  endBurst();
}
