// F and D extensions: FP loads/stores, arithmetic, fused multiply-add, conversions, moves,
// comparisons and classification, with IEEE 754-2008 results and exact fflags for every rounding
// mode.
//
// Fast path: in round-to-nearest-even, the common operations use Wasm's native f32/f64 arithmetic
// (which is IEEE round-to-nearest-even) and prove the flags cheaply: the result must be finite and
// far enough from the subnormal range that neither UF nor OF is possible, and NX comes from an
// exact error term (2Sum for sums, integer significand checks for products and quotients, an
// exact square for roots; binary32 results are computed in binary64 where the check is exact).
// Binary64 FMA uses Dekker's product, 2Sum and round-to-odd (Boldo & Melquiond 2008) for a single
// rounding. Anything else (other rounding modes, NaNs, infinities, zeros, subnormal or
// overflowing results, ...) goes to the exact integer slow path in ./fpu/softfloat.

import { CPU, getF, setF, getX, setX } from "./state";
import { MSTATUS_FS_DIRTY } from "./bits";
import { Trap, raiseIllegal } from "./trap";
import { load32, load64, store32, store64 } from "./mmu";
import {
  FpFlags, NV, NX, CNAN32, CNAN64, SIGN64, ABS64, INF64,
  isNaN32, isNaN64, isSNaN32, isSNaN64,
  fma64, add64, mul64, div64, sqrt64, fma32, add32, mul32, div32, sqrt32,
  f64ToF32, f32ToF64, intToFloat, floatToInt,
} from "./fpu/softfloat";

const BOX: u64 = 0xffffffff00000000;
const FRAC64: u64 = 0x000fffffffffffff;
const HIDDEN64: u64 = 0x0010000000000000;

@inline function dirty(): void {
  CPU.mstatus |= MSTATUS_FS_DIRTY;
}

/** Accrue the flags the slow path raised (writing fflags makes the FP state dirty). */
@inline function commit(): void {
  const f = FpFlags.v;
  if (f != 0) {
    CPU.fflags |= f;
    FpFlags.v = 0;
    CPU.mstatus |= MSTATUS_FS_DIRTY;
  }
}

@inline function setNX(): void {
  CPU.fflags |= NX;
}

/** A binary32 operand: a register that is not properly NaN-boxed reads as the canonical NaN. */
@inline function getS(r: u32): u32 {
  const v = getF(r);
  return (v >> 32) == 0xffffffff ? <u32>v : CNAN32;
}

@inline function setS(r: u32, v: u32): void {
  setF(r, BOX | <u64>v);
}

@inline function setD(r: u32, v: u64): void {
  setF(r, v);
}

/** The effective rounding mode, or -1 for a reserved one (the instruction is then illegal). */
@inline function rmOf(insn: u32): i32 {
  let rm = (insn >> 12) & 7;
  if (rm == 7) rm = CPU.frm;
  return rm <= 4 ? <i32>rm : -1;
}

/** Significand of a finite binary64 with the hidden bit, shifted right to make it odd. */
@inline function oddSig(x: u64): u64 {
  let m = x & FRAC64;
  if ((x & INF64) != 0) m |= HIDDEN64;
  return m >> ctz(m);
}

/** Execute an FP load/store/op (opcodes 0x07, 0x27, 0x43, 0x47, 0x4b, 0x4f, 0x53). */
export function execFp(insn: u32): void {
  const op = insn & 0x7f;
  if (op == 0x53) opFp(insn);
  else if (op == 0x07) loadFp(insn);
  else if (op == 0x27) storeFp(insn);
  else if ((op & 0x73) == 0x43) fmaFp(insn);
  else raiseIllegal(insn);
}

function loadFp(insn: u32): void {
  const f3 = (insn >> 12) & 7;
  const rd = (insn >> 7) & 31;
  const va = getX((insn >> 15) & 31) + <u64><i64>(<i32>insn >> 20);
  if (f3 == 3) {
    const v = load64(va);
    if (Trap.pending) return;
    setD(rd, v);
  } else if (f3 == 2) {
    const v = load32(va);
    if (Trap.pending) return;
    setS(rd, <u32>v);
  } else {
    raiseIllegal(insn);
    return;
  }
  dirty();
}

function storeFp(insn: u32): void {
  const f3 = (insn >> 12) & 7;
  const imm = ((<i32>insn >> 25) << 5) | <i32>((insn >> 7) & 31);
  const va = getX((insn >> 15) & 31) + <u64><i64>imm;
  const v = getF((insn >> 20) & 31);
  if (f3 == 3) store64(va, v);
  else if (f3 == 2) store32(va, v & 0xffffffff);
  else raiseIllegal(insn);
}

/** FMADD / FMSUB / FNMSUB / FNMADD (opcodes 0x43, 0x47, 0x4b, 0x4f). */
function fmaFp(insn: u32): void {
  const rm = rmOf(insn);
  const fmt = (insn >> 25) & 3;
  if (rm < 0 || fmt > 1) {
    raiseIllegal(insn);
    return;
  }
  const rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31;
  const rs3 = insn >> 27;
  const kind = (insn >> 2) & 3; // 0 FMADD, 1 FMSUB, 2 FNMSUB, 3 FNMADD
  if (fmt == 0) {
    let a = getS(rs1);
    const b = getS(rs2);
    let c = getS(rs3);
    if (kind >= 2) a ^= 0x80000000; // negate the product
    if (kind == 1 || kind == 3) c ^= 0x80000000;
    if (rm == 0) {
      // Exact product in binary64, 2Sum with the addend, round to odd, then one rounding to
      // binary32 (53 >= 24 + 2 makes the double rounding innocuous).
      const p = <f64>reinterpret<f32>(a) * <f64>reinterpret<f32>(b);
      const z = <f64>reinterpret<f32>(c);
      const s = p + z;
      let sb = reinterpret<u64>(s);
      if ((sb & INF64) != INF64) {
        const bb = s - p;
        const err = (p - (s - bb)) + (z - bb);
        if (err != 0 && (sb & 1) == 0) sb += (err < 0) == (s < 0) ? 1 : <u64>-1;
        const so = reinterpret<f64>(sb);
        const r = <f32>so;
        const ex = reinterpret<u32>(r) & 0x7f800000;
        if (ex >= 0x01000000 && ex < 0x7f800000) {
          setS(rd, reinterpret<u32>(r));
          if (err != 0 || <f64>r != so) setNX();
          dirty();
          return;
        }
      }
    }
    setS(rd, fma32(a, b, c, <u32>rm));
  } else {
    let a = getF(rs1);
    const b = getF(rs2);
    let c = getF(rs3);
    if (kind >= 2) a ^= SIGN64;
    if (kind == 1 || kind == 3) c ^= SIGN64;
    if (rm == 0) {
      const exa = <u32>(a >> 52) & 0x7ff, exb = <u32>(b >> 52) & 0x7ff;
      const exc = <u32>(c >> 52) & 0x7ff;
      const exab = exa + exb;
      // Normal factors small enough to split without overflow, a product far above the
      // underflow range (Dekker's product is exact) and an addend that cannot overflow a sum.
      if (exa - 1 < 2000 && exb - 1 < 2000 && exab - 1100 < 1946 && exc <= 2040) {
        const x = reinterpret<f64>(a), y = reinterpret<f64>(b), z = reinterpret<f64>(c);
        const uh = x * y;
        let t = 134217729.0 * x;
        const xh = t - (t - x);
        const xl = x - xh;
        t = 134217729.0 * y;
        const yh = t - (t - y);
        const yl = y - yh;
        const ul = ((xh * yh - uh) + xh * yl + xl * yh) + xl * yl;
        const th = z + uh;
        let bb = th - z;
        const tl = (z - (th - bb)) + (uh - bb);
        const sv = tl + ul;
        bb = sv - tl;
        const ev = (tl - (sv - bb)) + (ul - bb);
        let vb = reinterpret<u64>(sv);
        if (ev != 0 && (vb & 1) == 0) vb += (ev < 0) == (sv < 0) ? 1 : <u64>-1;
        const v = reinterpret<f64>(vb);
        const r = th + v;
        const rb = reinterpret<u64>(r);
        const exr = <u32>(rb >> 52) & 0x7ff;
        if (exr - 2 < 0x7fc) {
          bb = r - th;
          const e2 = (th - (r - bb)) + (v - bb);
          setD(rd, rb);
          if (ev != 0 || e2 != 0) setNX();
          dirty();
          return;
        }
      }
    }
    setD(rd, fma64(a, b, c, <u32>rm));
  }
  commit();
  dirty();
}

/** OP-FP (opcode 0x53). */
function opFp(insn: u32): void {
  const f7 = insn >> 25;
  const rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31;
  const f3 = (insn >> 12) & 7;
  switch (f7) {
    case 0x00: // FADD.S
    case 0x04: { // FSUB.S
      const rm = rmOf(insn);
      if (rm < 0) break;
      const a = getS(rs1);
      let b = getS(rs2);
      if (f7 == 0x04) b ^= 0x80000000;
      if (rm == 0) {
        const x = reinterpret<f32>(a), y = reinterpret<f32>(b);
        const s = x + y;
        const sb = reinterpret<u32>(s);
        if ((sb & 0x7f800000) < 0x7f000000) { // finite, and 2Sum cannot overflow
          const bb = s - x;
          const err = (x - (s - bb)) + (y - bb);
          setS(rd, sb);
          if (err != 0) setNX();
          dirty();
          return;
        }
      }
      setS(rd, add32(a, b, <u32>rm));
      commit();
      dirty();
      return;
    }
    case 0x01: // FADD.D
    case 0x05: { // FSUB.D
      const rm = rmOf(insn);
      if (rm < 0) break;
      const a = getF(rs1);
      let b = getF(rs2);
      if (f7 == 0x05) b ^= SIGN64;
      if (rm == 0) {
        const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
        const s = x + y;
        const sb = reinterpret<u64>(s);
        if (((sb >> 52) & 0x7ff) < 0x7fe) {
          const bb = s - x;
          const err = (x - (s - bb)) + (y - bb);
          setD(rd, sb);
          if (err != 0) setNX();
          dirty();
          return;
        }
      }
      setD(rd, add64(a, b, <u32>rm));
      commit();
      dirty();
      return;
    }
    case 0x08: { // FMUL.S
      const rm = rmOf(insn);
      if (rm < 0) break;
      const a = getS(rs1), b = getS(rs2);
      if (rm == 0) {
        const p = <f64>reinterpret<f32>(a) * <f64>reinterpret<f32>(b); // exact
        const r = <f32>p;
        const ex = reinterpret<u32>(r) & 0x7f800000;
        if (ex >= 0x01000000 && ex < 0x7f800000) {
          setS(rd, reinterpret<u32>(r));
          if (<f64>r != p) setNX();
          dirty();
          return;
        }
      }
      setS(rd, mul32(a, b, <u32>rm));
      commit();
      dirty();
      return;
    }
    case 0x09: { // FMUL.D
      const rm = rmOf(insn);
      if (rm < 0) break;
      const a = getF(rs1), b = getF(rs2);
      if (rm == 0) {
        const r = reinterpret<f64>(a) * reinterpret<f64>(b);
        const rb = reinterpret<u64>(r);
        if (((rb >> 52) & 0x7ff) - 2 < 0x7fd) {
          // Exact iff the product of the odd parts of the significands fits in 53 bits.
          const ta = oddSig(a), tb = oddSig(b);
          const w = 128 - <i32>clz(ta) - <i32>clz(tb);
          setD(rd, rb);
          if (w > 54 || ((ta * tb) >> 53) != 0) setNX();
          dirty();
          return;
        }
      }
      setD(rd, mul64(a, b, <u32>rm));
      commit();
      dirty();
      return;
    }
    case 0x0c: { // FDIV.S
      const rm = rmOf(insn);
      if (rm < 0) break;
      const a = getS(rs1), b = getS(rs2);
      if (rm == 0) {
        const y = reinterpret<f32>(b);
        const r = reinterpret<f32>(a) / y;
        const ex = reinterpret<u32>(r) & 0x7f800000;
        if (ex >= 0x01000000 && ex < 0x7f800000) {
          setS(rd, reinterpret<u32>(r));
          if (<f64>r * <f64>y != <f64>reinterpret<f32>(a)) setNX(); // exact product
          dirty();
          return;
        }
      }
      setS(rd, div32(a, b, <u32>rm));
      commit();
      dirty();
      return;
    }
    case 0x0d: { // FDIV.D
      const rm = rmOf(insn);
      if (rm < 0) break;
      const a = getF(rs1), b = getF(rs2);
      if (rm == 0) {
        const r = reinterpret<f64>(a) / reinterpret<f64>(b);
        const rb = reinterpret<u64>(r);
        if (((rb >> 52) & 0x7ff) - 2 < 0x7fd) {
          // Exact iff the odd part of b's significand divides a's significand.
          let ma = a & FRAC64;
          if ((a & INF64) != 0) ma |= HIDDEN64;
          setD(rd, rb);
          if (ma % oddSig(b) != 0) setNX();
          dirty();
          return;
        }
      }
      setD(rd, div64(a, b, <u32>rm));
      commit();
      dirty();
      return;
    }
    case 0x2c: { // FSQRT.S
      const rm = rmOf(insn);
      if (rm < 0 || rs2 != 0) break;
      const a = getS(rs1);
      if (rm == 0 && a - 1 < 0x7f7fffff) { // positive, finite, nonzero
        const x = reinterpret<f32>(a);
        const r = sqrt<f32>(x);
        setS(rd, reinterpret<u32>(r));
        if (<f64>r * <f64>r != <f64>x) setNX();
        dirty();
        return;
      }
      setS(rd, sqrt32(a, <u32>rm));
      commit();
      dirty();
      return;
    }
    case 0x2d: { // FSQRT.D
      const rm = rmOf(insn);
      if (rm < 0 || rs2 != 0) break;
      const a = getF(rs1);
      if (rm == 0 && a - 0x0020000000000000 < 0x7fd0000000000000) { // positive, >= 2^-1021, finite
        const x = reinterpret<f64>(a);
        const r = sqrt<f64>(x);
        const rb = reinterpret<u64>(r);
        const t = oddSig(rb);
        setD(rd, rb);
        if (t >= 0x8000000 || t * t >= 0x20000000000000 || r * r != x) setNX();
        dirty();
        return;
      }
      setD(rd, sqrt64(a, <u32>rm));
      commit();
      dirty();
      return;
    }
    case 0x10: { // FSGNJ.S, FSGNJN.S, FSGNJX.S
      const a = getS(rs1), b = getS(rs2);
      if (f3 > 2) break;
      const s: u32 = f3 == 0 ? b : f3 == 1 ? ~b : a ^ b;
      setS(rd, (a & 0x7fffffff) | (s & 0x80000000));
      dirty();
      return;
    }
    case 0x11: { // FSGNJ.D, FSGNJN.D, FSGNJX.D
      const a = getF(rs1), b = getF(rs2);
      if (f3 > 2) break;
      const s: u64 = f3 == 0 ? b : f3 == 1 ? ~b : a ^ b;
      setD(rd, (a & ABS64) | (s & SIGN64));
      dirty();
      return;
    }
    case 0x14: { // FMIN.S, FMAX.S
      if (f3 > 1) break;
      setS(rd, minMax32(getS(rs1), getS(rs2), f3 == 1));
      commit();
      dirty();
      return;
    }
    case 0x15: { // FMIN.D, FMAX.D
      if (f3 > 1) break;
      setD(rd, minMax64(getF(rs1), getF(rs2), f3 == 1));
      commit();
      dirty();
      return;
    }
    case 0x20: { // FCVT.S.D
      const rm = rmOf(insn);
      if (rm < 0 || rs2 != 1) break;
      const a = getF(rs1);
      if (rm == 0) {
        const x = reinterpret<f64>(a);
        const r = <f32>x;
        const ex = reinterpret<u32>(r) & 0x7f800000;
        if (ex >= 0x01000000 && ex < 0x7f800000) {
          setS(rd, reinterpret<u32>(r));
          if (<f64>r != x) setNX();
          dirty();
          return;
        }
      }
      setS(rd, f64ToF32(a, <u32>rm));
      commit();
      dirty();
      return;
    }
    case 0x21: { // FCVT.D.S
      const rm = rmOf(insn);
      if (rm < 0 || rs2 != 0) break;
      setD(rd, f32ToF64(getS(rs1)));
      commit();
      dirty();
      return;
    }
    case 0x50: { // FLE.S, FLT.S, FEQ.S
      if (f3 > 2) break;
      setX(rd, cmp32(getS(rs1), getS(rs2), f3));
      commit();
      return;
    }
    case 0x51: { // FLE.D, FLT.D, FEQ.D
      if (f3 > 2) break;
      setX(rd, cmp64(getF(rs1), getF(rs2), f3));
      commit();
      return;
    }
    case 0x60: { // FCVT.W.S, FCVT.WU.S, FCVT.L.S, FCVT.LU.S
      const rm = rmOf(insn);
      if (rm < 0 || rs2 > 3) break;
      const a = getS(rs1);
      setX(rd, floatToInt(<f64>reinterpret<f32>(a), isNaN32(a), rs2, <u32>rm));
      commit();
      return;
    }
    case 0x61: { // FCVT.W.D, FCVT.WU.D, FCVT.L.D, FCVT.LU.D
      const rm = rmOf(insn);
      if (rm < 0 || rs2 > 3) break;
      const a = getF(rs1);
      setX(rd, floatToInt(reinterpret<f64>(a), isNaN64(a), rs2, <u32>rm));
      commit();
      return;
    }
    case 0x68: { // FCVT.S.W, FCVT.S.WU, FCVT.S.L, FCVT.S.LU
      const rm = rmOf(insn);
      if (rm < 0 || rs2 > 3) break;
      setS(rd, <u32>intToFloat(intOperand(getX(rs1), rs2), (rs2 & 1) == 0, false, <u32>rm));
      commit();
      dirty();
      return;
    }
    case 0x69: { // FCVT.D.W, FCVT.D.WU, FCVT.D.L, FCVT.D.LU
      const rm = rmOf(insn);
      if (rm < 0 || rs2 > 3) break;
      setD(rd, intToFloat(intOperand(getX(rs1), rs2), (rs2 & 1) == 0, true, <u32>rm));
      commit();
      dirty();
      return;
    }
    case 0x70: { // FMV.X.W, FCLASS.S
      if (rs2 != 0) break;
      if (f3 == 0) setX(rd, <u64><i64><i32><u32>getF(rs1));
      else if (f3 == 1) setX(rd, fclass32(getS(rs1)));
      else break;
      return;
    }
    case 0x71: { // FMV.X.D, FCLASS.D
      if (rs2 != 0) break;
      if (f3 == 0) setX(rd, getF(rs1));
      else if (f3 == 1) setX(rd, fclass64(getF(rs1)));
      else break;
      return;
    }
    case 0x78: { // FMV.W.X
      if (rs2 != 0 || f3 != 0) break;
      setS(rd, <u32>getX(rs1));
      dirty();
      return;
    }
    case 0x79: { // FMV.D.X
      if (rs2 != 0 || f3 != 0) break;
      setD(rd, getX(rs1));
      dirty();
      return;
    }
    default:
      break;
  }
  raiseIllegal(insn);
}

/** The integer source of FCVT.*.{W,WU,L,LU} widened to 64 bits (kind = rs2). */
@inline function intOperand(x: u64, kind: u32): u64 {
  if (kind == 0) return <u64><i64><i32><u32>x;
  if (kind == 1) return x & 0xffffffff;
  return x;
}

function minMax32(a: u32, b: u32, max: bool): u32 {
  const an = isNaN32(a), bn = isNaN32(b);
  if (an || bn) {
    if (isSNaN32(a) || isSNaN32(b)) FpFlags.v |= NV;
    if (an && bn) return CNAN32;
    return an ? b : a;
  }
  const x = reinterpret<f32>(a), y = reinterpret<f32>(b);
  if (x < y) return max ? b : a;
  if (y < x) return max ? a : b;
  return max ? a & b : a | b; // equal: only the sign of a zero can differ
}

function minMax64(a: u64, b: u64, max: bool): u64 {
  const an = isNaN64(a), bn = isNaN64(b);
  if (an || bn) {
    if (isSNaN64(a) || isSNaN64(b)) FpFlags.v |= NV;
    if (an && bn) return CNAN64;
    return an ? b : a;
  }
  const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
  if (x < y) return max ? b : a;
  if (y < x) return max ? a : b;
  return max ? a & b : a | b;
}

/** f3: 0 FLE, 1 FLT, 2 FEQ. FEQ signals only on signalling NaNs, FLT/FLE on any NaN. */
function cmp32(a: u32, b: u32, f3: u32): u64 {
  if (isNaN32(a) || isNaN32(b)) {
    if (f3 != 2 || isSNaN32(a) || isSNaN32(b)) FpFlags.v |= NV;
    return 0;
  }
  const x = reinterpret<f32>(a), y = reinterpret<f32>(b);
  return <u64>(f3 == 0 ? x <= y : f3 == 1 ? x < y : x == y);
}

function cmp64(a: u64, b: u64, f3: u32): u64 {
  if (isNaN64(a) || isNaN64(b)) {
    if (f3 != 2 || isSNaN64(a) || isSNaN64(b)) FpFlags.v |= NV;
    return 0;
  }
  const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
  return <u64>(f3 == 0 ? x <= y : f3 == 1 ? x < y : x == y);
}

function fclass32(a: u32): u64 {
  const neg = (a >> 31) != 0;
  const ex = (a >> 23) & 0xff, f = a & 0x7fffff;
  if (ex == 0xff) {
    if (f == 0) return neg ? 1 : 1 << 7;
    return (f & 0x400000) != 0 ? 1 << 9 : 1 << 8;
  }
  if (ex == 0) {
    if (f == 0) return neg ? 1 << 3 : 1 << 4;
    return neg ? 1 << 2 : 1 << 5;
  }
  return neg ? 1 << 1 : 1 << 6;
}

function fclass64(a: u64): u64 {
  const neg = (a >> 63) != 0;
  const ex = (a >> 52) & 0x7ff, f = a & FRAC64;
  if (ex == 0x7ff) {
    if (f == 0) return neg ? 1 : 1 << 7;
    return (f & 0x0008000000000000) != 0 ? 1 << 9 : 1 << 8;
  }
  if (ex == 0) {
    if (f == 0) return neg ? 1 << 3 : 1 << 4;
    return neg ? 1 << 2 : 1 << 5;
  }
  return neg ? 1 << 1 : 1 << 6;
}
