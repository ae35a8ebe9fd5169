// Decoding, done once per instruction rather than on every execution: an instruction becomes a
// 16-byte record in the decode cache (kernel/public/kernel-abi.ts), and the interpreter
// dispatches on the record's dense op number with one jump table. Compressed instructions are
// expanded here, so they cost nothing extra once decoded.
//
// A record keeps the 32 bits it was decoded from, and the interpreter compares them with the
// bits at pc before using it. Decoding depends on nothing but those bits, so a record can never
// be stale: code written by the guest, by another hart or by the host's device DMA is simply
// decoded again, and nothing has to be invalidated (FENCE.I, TLB flushes or reset included).
//
// Record layout:
//   +0  u32  the 32 bits at pc when decoded (for a 16-bit instruction, the next 16 bits too)
//   +4  u8   op (OP_*)
//   +5  u8   length in bytes (2 or 4)
//   +6  u8   rs1 as a byte offset into the register file
//   +7  u8   rs2 likewise
//   +8  u16  rd likewise; x0 becomes HB_X0_SINK, so writes to it need no test
//   +12 i32  immediate, sign-extended; for AMO, SYSTEM, CSR and FP, the (expanded) instruction

import { expandCompressed } from "./compressed";
import { HB_X0_SINK } from "../public/hart-block";

export const OP_ILLEGAL: i32 = 0;
export const OP_LUI: i32 = 1;
export const OP_AUIPC: i32 = 2;
export const OP_JAL: i32 = 3;
export const OP_JALR: i32 = 4;
export const OP_BEQ: i32 = 5;
export const OP_BNE: i32 = 6;
export const OP_BLT: i32 = 7;
export const OP_BGE: i32 = 8;
export const OP_BLTU: i32 = 9;
export const OP_BGEU: i32 = 10;
export const OP_LB: i32 = 11; // then LH, LW, LD, LBU, LHU, LWU in funct3 order
export const OP_LH: i32 = 12;
export const OP_LW: i32 = 13;
export const OP_LD: i32 = 14;
export const OP_LBU: i32 = 15;
export const OP_LHU: i32 = 16;
export const OP_LWU: i32 = 17;
export const OP_SB: i32 = 18; // then SH, SW, SD in funct3 order
export const OP_SH: i32 = 19;
export const OP_SW: i32 = 20;
export const OP_SD: i32 = 21;
export const OP_ADDI: i32 = 22;
export const OP_SLTI: i32 = 23;
export const OP_SLTIU: i32 = 24;
export const OP_XORI: i32 = 25;
export const OP_ORI: i32 = 26;
export const OP_ANDI: i32 = 27;
export const OP_SLLI: i32 = 28;
export const OP_SRLI: i32 = 29;
export const OP_SRAI: i32 = 30;
export const OP_ADDIW: i32 = 31;
export const OP_SLLIW: i32 = 32;
export const OP_SRLIW: i32 = 33;
export const OP_SRAIW: i32 = 34;
export const OP_ADD: i32 = 35;
export const OP_SUB: i32 = 36;
export const OP_SLL: i32 = 37;
export const OP_SLT: i32 = 38;
export const OP_SLTU: i32 = 39;
export const OP_XOR: i32 = 40;
export const OP_SRL: i32 = 41;
export const OP_SRA: i32 = 42;
export const OP_OR: i32 = 43;
export const OP_AND: i32 = 44;
export const OP_MUL: i32 = 45; // then MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU in funct3 order
export const OP_MULH: i32 = 46;
export const OP_MULHSU: i32 = 47;
export const OP_MULHU: i32 = 48;
export const OP_DIV: i32 = 49;
export const OP_DIVU: i32 = 50;
export const OP_REM: i32 = 51;
export const OP_REMU: i32 = 52;
export const OP_ADDW: i32 = 53;
export const OP_SUBW: i32 = 54;
export const OP_SLLW: i32 = 55;
export const OP_SRLW: i32 = 56;
export const OP_SRAW: i32 = 57;
export const OP_MULW: i32 = 58;
export const OP_DIVW: i32 = 59;
export const OP_DIVUW: i32 = 60;
export const OP_REMW: i32 = 61;
export const OP_REMUW: i32 = 62;
export const OP_FENCE: i32 = 63; // FENCE and FENCE.I: memory is coherent, records never stale
// Executed from the whole instruction, by code outside the interpreter's switch:
export const OP_AMO: i32 = 64;
export const OP_SYSTEM: i32 = 65; // funct3 = 0: ECALL, EBREAK, xRET, WFI, SFENCE.VMA
export const OP_CSR: i32 = 66;
export const OP_FP: i32 = 67;
// Compressed twins: the ops a 16-bit instruction can expand to, as separate ops so that every
// fast handler advances pc by a constant (pc then never waits on a load of the record).
// The pc-relative immediates of the twins of JAL, BEQ and BNE are decoded 2 larger; see execute.ts.
export const OP_C_LUI: i32 = 68;
export const OP_C_JAL: i32 = 69;
export const OP_C_JALR: i32 = 70;
export const OP_C_BEQ: i32 = 71;
export const OP_C_BNE: i32 = 72;
export const OP_C_LW: i32 = 73;
export const OP_C_LD: i32 = 74;
export const OP_C_SW: i32 = 75;
export const OP_C_SD: i32 = 76;
export const OP_C_ADDI: i32 = 77;
export const OP_C_ANDI: i32 = 78;
export const OP_C_SLLI: i32 = 79;
export const OP_C_SRLI: i32 = 80;
export const OP_C_SRAI: i32 = 81;
export const OP_C_ADDIW: i32 = 82;
export const OP_C_ADD: i32 = 83;
export const OP_C_SUB: i32 = 84;
export const OP_C_XOR: i32 = 85;
export const OP_C_OR: i32 = 86;
export const OP_C_AND: i32 = 87;
export const OP_C_ADDW: i32 = 88;
export const OP_C_SUBW: i32 = 89;

/** The twin of each op that expandCompressed can produce (the ops run out of line keep theirs). */
function compressedTwin(op: i32): i32 {
  switch (op) {
    case OP_LUI: return OP_C_LUI;
    case OP_JAL: return OP_C_JAL;
    case OP_JALR: return OP_C_JALR;
    case OP_BEQ: return OP_C_BEQ;
    case OP_BNE: return OP_C_BNE;
    case OP_LW: return OP_C_LW;
    case OP_LD: return OP_C_LD;
    case OP_SW: return OP_C_SW;
    case OP_SD: return OP_C_SD;
    case OP_ADDI: return OP_C_ADDI;
    case OP_ANDI: return OP_C_ANDI;
    case OP_SLLI: return OP_C_SLLI;
    case OP_SRLI: return OP_C_SRLI;
    case OP_SRAI: return OP_C_SRAI;
    case OP_ADDIW: return OP_C_ADDIW;
    case OP_ADD: return OP_C_ADD;
    case OP_SUB: return OP_C_SUB;
    case OP_XOR: return OP_C_XOR;
    case OP_OR: return OP_C_OR;
    case OP_AND: return OP_C_AND;
    case OP_ADDW: return OP_C_ADDW;
    case OP_SUBW: return OP_C_SUBW;
  }
  return op; // OP_ILLEGAL, OP_SYSTEM (C.EBREAK), OP_FP (C.FLD, C.FSD and their SP forms)
}

/** Register-operation ops by funct3 (OP, funct7 = 0). */
const OP_BY_F3: StaticArray<u8> = [
  <u8>OP_ADD, <u8>OP_SLL, <u8>OP_SLT, <u8>OP_SLTU, <u8>OP_XOR, <u8>OP_SRL, <u8>OP_OR, <u8>OP_AND,
];
/** Immediate-operation ops by funct3 (OP-IMM; shifts are checked separately). */
const OPI_BY_F3: StaticArray<u8> = [
  <u8>OP_ADDI, <u8>OP_SLLI, <u8>OP_SLTI, <u8>OP_SLTIU, <u8>OP_XORI, <u8>OP_SRLI, <u8>OP_ORI, <u8>OP_ANDI,
];

/** Decode the instruction whose bits (at pc) are `raw` into the record at `e`. */
export function decode(e: usize, raw: u32): void {
  let insn = raw;
  let len: u32 = 4;
  if ((raw & 3) != 3) {
    insn = expandCompressed(raw & 0xffff); // 0, an illegal encoding, when reserved
    len = 2;
  }
  const rd = (insn >> 7) & 31;
  const f3 = (insn >> 12) & 7;
  const f7 = insn >> 25;
  const immI = <i32>insn >> 20;
  let op = OP_ILLEGAL;
  let imm: i32 = 0;
  switch (insn & 0x7f) {
    case 0x37: op = OP_LUI; imm = <i32>(insn & 0xfffff000); break;
    case 0x17: op = OP_AUIPC; imm = <i32>(insn & 0xfffff000); break;
    case 0x6f:
      op = OP_JAL;
      imm = ((<i32>(insn & 0x80000000)) >> 11) | (insn & 0xff000) | ((insn >> 9) & 0x800) |
        ((insn >> 20) & 0x7fe);
      break;
    case 0x67: if (f3 == 0) { op = OP_JALR; imm = immI; } break;
    case 0x63:
      if (f3 != 2 && f3 != 3) {
        op = OP_BEQ + <i32>(f3 < 2 ? f3 : f3 - 2);
        imm = ((<i32>(insn & 0x80000000)) >> 19) | ((insn & 0x80) << 4) | ((insn >> 20) & 0x7e0) |
          ((insn >> 7) & 0x1e);
      }
      break;
    case 0x03: if (f3 != 7) { op = OP_LB + <i32>f3; imm = immI; } break;
    case 0x23: if (f3 < 4) { op = OP_SB + <i32>f3; imm = ((<i32>insn >> 25) << 5) | <i32>rd; } break;
    case 0x13: {
      const f6 = insn >> 26;
      if (f3 == 1) {
        if (f6 == 0) { op = OP_SLLI; imm = immI & 63; }
      } else if (f3 == 5) {
        if (f6 == 0) op = OP_SRLI;
        else if (f6 == 0x10) op = OP_SRAI;
        imm = immI & 63;
      } else {
        op = unchecked(OPI_BY_F3[f3]);
        imm = immI;
      }
      break;
    }
    case 0x1b:
      if (f3 == 0) { op = OP_ADDIW; imm = immI; }
      else if (f3 == 1) { if (f7 == 0) { op = OP_SLLIW; imm = immI & 31; } }
      else if (f3 == 5) {
        if (f7 == 0) op = OP_SRLIW;
        else if (f7 == 0x20) op = OP_SRAIW;
        imm = immI & 31;
      }
      break;
    case 0x33:
      if (f7 == 0) op = unchecked(OP_BY_F3[f3]);
      else if (f7 == 1) op = OP_MUL + <i32>f3;
      else if (f7 == 0x20) op = f3 == 0 ? OP_SUB : f3 == 5 ? OP_SRA : OP_ILLEGAL;
      break;
    case 0x3b:
      if (f7 == 0) op = f3 == 0 ? OP_ADDW : f3 == 1 ? OP_SLLW : f3 == 5 ? OP_SRLW : OP_ILLEGAL;
      else if (f7 == 0x20) op = f3 == 0 ? OP_SUBW : f3 == 5 ? OP_SRAW : OP_ILLEGAL;
      else if (f7 == 1) op = f3 == 0 ? OP_MULW : f3 >= 4 ? OP_DIVW + <i32>(f3 - 4) : OP_ILLEGAL;
      break;
    case 0x0f: if (f3 <= 1) op = OP_FENCE; break;
    case 0x2f: op = OP_AMO; imm = <i32>insn; break;
    case 0x73:
      if (f3 == 0) op = OP_SYSTEM;
      else if (f3 != 4) op = OP_CSR;
      imm = <i32>insn;
      break;
    case 0x07: case 0x27: case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53:
      op = OP_FP; imm = <i32>insn; break;
  }
  if (len == 2) {
    op = compressedTwin(op);
    if (op == OP_C_JAL || op == OP_C_BEQ || op == OP_C_BNE) imm += 2;
  }
  store<u32>(e, raw);
  store<u8>(e, <u8>op, 4);
  store<u8>(e, <u8>len, 5);
  store<u8>(e, <u8>(((insn >> 15) & 31) << 3), 6);
  store<u8>(e, <u8>(((insn >> 20) & 31) << 3), 7);
  store<u16>(e, <u16>(rd == 0 ? HB_X0_SINK : rd << 3), 8);
  store<i32>(e, imm, 12);
}
