// RVC: expand a 16-bit instruction into the 32-bit instruction it stands for, so the interpreter
// has one decoder. Returns 0 (an illegal encoding) for reserved and illegal compressed forms.

@inline function bits(x: u32, hi: u32, lo: u32): u32 {
  return (x >> lo) & ((1 << (hi - lo + 1)) - 1);
}

@inline function iType(imm: u32, rs1: u32, f3: u32, rd: u32, op: u32): u32 {
  return ((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}

@inline function sType(imm: u32, rs2: u32, rs1: u32, f3: u32, op: u32): u32 {
  return (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op;
}

@inline function rType(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32, op: u32): u32 {
  return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}

function bType(imm: u32, rs2: u32, rs1: u32, f3: u32): u32 {
  return (((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) |
    (f3 << 12) | (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63;
}

function jType(imm: u32, rd: u32): u32 {
  return (((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) |
    (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f;
}

/** Sign-extend the low `n` bits of x (to 32 bits). */
@inline function sext(x: u32, n: u32): u32 {
  return <u32>((<i32>(x << (32 - n))) >> (32 - n));
}

const OP_LOAD: u32 = 0x03;
const OP_LOAD_FP: u32 = 0x07;
const OP_IMM: u32 = 0x13;
const OP_IMM_32: u32 = 0x1b;
const OP_STORE: u32 = 0x23;
const OP_STORE_FP: u32 = 0x27;
const OP_OP: u32 = 0x33;
const OP_LUI: u32 = 0x37;
const OP_OP_32: u32 = 0x3b;
const OP_JALR: u32 = 0x67;

export function expandCompressed(c: u32): u32 {
  const quadrant = c & 3;
  const f3 = c >> 13;
  const rdp = bits(c, 4, 2) + 8; // rd' / rs2'
  const rs1p = bits(c, 9, 7) + 8; // rs1' / rd'
  const rd = bits(c, 11, 7);
  const rs2 = bits(c, 6, 2);
  const imm6 = sext((bits(c, 12, 12) << 5) | bits(c, 6, 2), 6);
  if (quadrant == 0) {
    // Offsets scaled by 8 (LD/SD/FLD/FSD) or 4 (LW/SW).
    const off8 = (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6);
    const off4 = (bits(c, 12, 10) << 3) | (bits(c, 6, 6) << 2) | (bits(c, 5, 5) << 6);
    switch (f3) {
      case 0: {
        const nzuimm = (bits(c, 12, 11) << 4) | (bits(c, 10, 7) << 6) | (bits(c, 6, 6) << 2) | (bits(c, 5, 5) << 3);
        if (nzuimm == 0) return 0;
        return iType(nzuimm, 2, 0, rdp, OP_IMM);
      }
      case 1: return iType(off8, rs1p, 3, rdp, OP_LOAD_FP);
      case 2: return iType(off4, rs1p, 2, rdp, OP_LOAD);
      case 3: return iType(off8, rs1p, 3, rdp, OP_LOAD);
      case 5: return sType(off8, rdp, rs1p, 3, OP_STORE_FP);
      case 6: return sType(off4, rdp, rs1p, 2, OP_STORE);
      case 7: return sType(off8, rdp, rs1p, 3, OP_STORE);
    }
    return 0;
  }
  if (quadrant == 1) {
    switch (f3) {
      case 0: return iType(imm6, rd, 0, rd, OP_IMM); // C.ADDI / C.NOP
      case 1: return rd == 0 ? 0 : iType(imm6, rd, 0, rd, OP_IMM_32); // C.ADDIW
      case 2: return iType(imm6, 0, 0, rd, OP_IMM); // C.LI
      case 3: {
        if (rd == 2) {
          const nz = sext((bits(c, 12, 12) << 9) | (bits(c, 6, 6) << 4) | (bits(c, 5, 5) << 6) |
            (bits(c, 4, 3) << 7) | (bits(c, 2, 2) << 5), 10);
          return nz == 0 ? 0 : iType(nz, 2, 0, 2, OP_IMM); // C.ADDI16SP
        }
        if (imm6 == 0) return 0;
        return (imm6 << 12) | (rd << 7) | OP_LUI; // C.LUI
      }
      case 4: {
        const shamt = (bits(c, 12, 12) << 5) | bits(c, 6, 2);
        switch (bits(c, 11, 10)) {
          case 0: return iType(shamt, rs1p, 5, rs1p, OP_IMM); // C.SRLI
          case 1: return iType(shamt | 0x400, rs1p, 5, rs1p, OP_IMM); // C.SRAI
          case 2: return iType(imm6, rs1p, 7, rs1p, OP_IMM); // C.ANDI
        }
        const sub = bits(c, 6, 5);
        if (bits(c, 12, 12) == 0) {
          if (sub == 0) return rType(0x20, rdp, rs1p, 0, rs1p, OP_OP); // C.SUB
          if (sub == 1) return rType(0, rdp, rs1p, 4, rs1p, OP_OP); // C.XOR
          if (sub == 2) return rType(0, rdp, rs1p, 6, rs1p, OP_OP); // C.OR
          return rType(0, rdp, rs1p, 7, rs1p, OP_OP); // C.AND
        }
        if (sub == 0) return rType(0x20, rdp, rs1p, 0, rs1p, OP_OP_32); // C.SUBW
        if (sub == 1) return rType(0, rdp, rs1p, 0, rs1p, OP_OP_32); // C.ADDW
        return 0;
      }
      case 5: {
        const off = sext((bits(c, 12, 12) << 11) | (bits(c, 11, 11) << 4) | (bits(c, 10, 9) << 8) |
          (bits(c, 8, 8) << 10) | (bits(c, 7, 7) << 6) | (bits(c, 6, 6) << 7) | (bits(c, 5, 3) << 1) |
          (bits(c, 2, 2) << 5), 12);
        return jType(off, 0); // C.J
      }
      case 6: case 7: {
        const off = sext((bits(c, 12, 12) << 8) | (bits(c, 11, 10) << 3) | (bits(c, 6, 5) << 6) |
          (bits(c, 4, 3) << 1) | (bits(c, 2, 2) << 5), 9);
        return bType(off, 0, rs1p, f3 == 6 ? 0 : 1); // C.BEQZ / C.BNEZ
      }
    }
    return 0;
  }
  if (quadrant == 2) {
    switch (f3) {
      case 0: return iType((bits(c, 12, 12) << 5) | rs2, rd, 1, rd, OP_IMM); // C.SLLI
      case 1: { // C.FLDSP
        const off = (bits(c, 12, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6);
        return iType(off, 2, 3, rd, OP_LOAD_FP);
      }
      case 2: { // C.LWSP
        if (rd == 0) return 0;
        const off = (bits(c, 12, 12) << 5) | (bits(c, 6, 4) << 2) | (bits(c, 3, 2) << 6);
        return iType(off, 2, 2, rd, OP_LOAD);
      }
      case 3: { // C.LDSP
        if (rd == 0) return 0;
        const off = (bits(c, 12, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6);
        return iType(off, 2, 3, rd, OP_LOAD);
      }
      case 4: {
        if (bits(c, 12, 12) == 0) {
          if (rs2 == 0) return rd == 0 ? 0 : iType(0, rd, 0, 0, OP_JALR); // C.JR
          return rType(0, rs2, 0, 0, rd, OP_OP); // C.MV
        }
        if (rs2 == 0) {
          if (rd == 0) return 0x00100073; // C.EBREAK
          return iType(0, rd, 0, 1, OP_JALR); // C.JALR
        }
        return rType(0, rs2, rd, 0, rd, OP_OP); // C.ADD
      }
      case 5: { // C.FSDSP
        const off = (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6);
        return sType(off, rs2, 2, 3, OP_STORE_FP);
      }
      case 6: { // C.SWSP
        const off = (bits(c, 12, 9) << 2) | (bits(c, 8, 7) << 6);
        return sType(off, rs2, 2, 2, OP_STORE);
      }
      case 7: { // C.SDSP
        const off = (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6);
        return sType(off, rs2, 2, 3, OP_STORE);
      }
    }
  }
  return 0;
}
