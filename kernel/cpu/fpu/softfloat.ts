// Exact IEEE 754-2008 binary32/binary64 arithmetic for the F and D extensions: every rounding
// mode, exact exception flags, and the RISC-V rules (canonical NaN results, tininess detected after
// rounding, UF only when also inexact). This is the slow path; kernel/cpu/fpu.ts takes a native
// Wasm fast path when it can prove the result and flags.
//
// Binary64 multiply/add/fused-multiply-add share one 128-bit integer core (fma64). Binary32
// add/multiply/fma are computed exactly in binary64 with an error-free transformation, turned into
// round-to-odd (enough for any later rounding at 24 bits, since 53 >= 24 + 2), then rounded once.
// All results are raw bit patterns; binary32 results are in the low 32 bits (the caller NaN-boxes).

export const RNE: u32 = 0;
export const RTZ: u32 = 1;
export const RDN: u32 = 2;
export const RUP: u32 = 3;
export const RMM: u32 = 4;

export const NV: u32 = 16;
export const DZ: u32 = 8;
export const OF: u32 = 4;
export const UF: u32 = 2;
export const NX: u32 = 1;

export const CNAN64: u64 = 0x7ff8000000000000;
export const CNAN32: u32 = 0x7fc00000;
export const SIGN64: u64 = 0x8000000000000000;
export const ABS64: u64 = 0x7fffffffffffffff;
export const INF64: u64 = 0x7ff0000000000000;
export const SIGN32: u32 = 0x80000000;
export const ABS32: u32 = 0x7fffffff;
export const INF32: u32 = 0x7f800000;
const ONE64: u64 = 0x3ff0000000000000;

/** Exception flags raised by the slow-path operation in progress; the caller accrues them. */
export class FpFlags {
  static v: u32 = 0;
}

// Results of the unpack and 128-bit helpers (no tuples in AssemblyScript, no allocation).
class U {
  static e: i32 = 0; // unbiased exponent of the leading bit
  static m: u64 = 0; // significand
  static hi: u64 = 0;
  static lo: u64 = 0;
}

@inline export function isNaN64(x: u64): bool {
  return (x & ABS64) > INF64;
}
@inline export function isSNaN64(x: u64): bool {
  return (x & ABS64) > INF64 && (x & 0x0008000000000000) == 0;
}
@inline export function isNaN32(x: u32): bool {
  return (x & ABS32) > INF32;
}
@inline export function isSNaN32(x: u32): bool {
  return (x & ABS32) > INF32 && (x & 0x00400000) == 0;
}

/** Whether to round the magnitude up, given the discarded bits `rb` (half = the halfway value). */
@inline function roundUp(neg: bool, rb: u64, half: u64, lsb: u64, rm: u32): bool {
  if (rm == RNE) return rb > half || (rb == half && lsb != 0);
  if (rm == RTZ) return false;
  if (rm == RDN) return neg && rb != 0;
  if (rm == RUP) return !neg && rb != 0;
  return rb >= half; // RMM
}

function overflowed(neg: bool, dbl: bool, rm: u32): u64 {
  FpFlags.v |= OF | NX;
  const toInf = rm == RNE || rm == RMM || (rm == RDN && neg) || (rm == RUP && !neg);
  if (dbl) return (neg ? SIGN64 : 0) | (toInf ? INF64 : 0x7fefffffffffffff);
  return <u64>((neg ? SIGN32 : 0) | (toInf ? INF32 : 0x7f7fffff));
}

/**
 * Round the value (-1)^neg * sig * 2^(e - 62) to binary64 (dbl) or binary32 and pack it. `sig` must
 * have bit 62 set and bit 63 clear; any nonzero bit below the target precision means "inexact", so
 * callers jam discarded bits into bit 0.
 */
export function roundPack(neg: bool, e: i32, sig: u64, dbl: bool, rm: u32): u64 {
  const sh: u64 = dbl ? 10 : 39; // bits below the least significant bit of a normal result
  const mask: u64 = (<u64>1 << sh) - 1;
  const half: u64 = <u64>1 << (sh - 1);
  const bias: i32 = dbl ? 1023 : 127;
  const emin: i32 = 1 - bias;
  if (e > bias) return overflowed(neg, dbl, rm);
  let tiny = false;
  if (e < emin) {
    // Tininess after rounding: tiny unless rounding to full precision with an unbounded exponent
    // carries up to 2^emin.
    tiny = true;
    if (e == emin - 1) {
      const q = sig >> sh;
      if (roundUp(neg, sig & mask, half, q & 1, rm) && ((q + 1) >> (63 - sh)) != 0) tiny = false;
    }
    const d = <u64>(emin - e);
    sig = d < 63 ? (sig >> d) | <u64>((sig << (64 - d)) != 0) : <u64>(sig != 0);
    e = emin;
  }
  const rb = sig & mask;
  let q = sig >> sh;
  if (rb != 0) {
    FpFlags.v |= tiny ? NX | UF : NX;
    if (roundUp(neg, rb, half, q & 1, rm)) q++;
  }
  // The significand's leading bit (if any) adds one to the exponent field; a carry out of the
  // significand bumps the exponent, and a subnormal that rounds up becomes the smallest normal.
  const mag = (<u64>(e + bias - 1) << (63 - sh - 1)) + q;
  if (dbl) {
    if (mag >= INF64) return overflowed(neg, dbl, rm);
    return (neg ? SIGN64 : 0) | mag;
  }
  if (mag >= <u64>INF32) return overflowed(neg, dbl, rm);
  return (neg ? <u64>SIGN32 : 0) | mag;
}

/** Unpack a finite nonzero binary64 into U.e and a 53-bit significand U.m (bit 52 set). */
@inline function unpack64(x: u64): void {
  const ex = <i32>((x >> 52) & 0x7ff);
  const f = x & 0x000fffffffffffff;
  if (ex != 0) {
    U.e = ex - 1023;
    U.m = f | 0x0010000000000000;
  } else {
    const s = <i32>clz(f) - 11;
    U.e = -1022 - s;
    U.m = f << <u64>s;
  }
}

/** Unpack a finite nonzero binary32 into U.e and a 24-bit significand U.m (bit 23 set). */
@inline function unpack32(x: u32): void {
  const ex = <i32>((x >> 23) & 0xff);
  const f = x & 0x007fffff;
  if (ex != 0) {
    U.e = ex - 127;
    U.m = <u64>(f | 0x00800000);
  } else {
    const s = <i32>clz(f) - 8;
    U.e = -126 - s;
    U.m = <u64>(f << <u32>s);
  }
}

/** 64 x 64 -> 128-bit product into U.hi:U.lo. */
@inline function mul128(a: u64, b: u64): void {
  const a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  U.lo = (p00 & 0xffffffff) | (mid << 32);
  U.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/** Shift hi:lo right by d, ORing every bit shifted out into bit 0; result in U.hi:U.lo. */
function shiftRightJam128(hi: u64, lo: u64, d: i32): void {
  if (d == 0) {
    U.hi = hi;
    U.lo = lo;
  } else if (d < 64) {
    const s = <u64>d;
    U.lo = (lo >> s) | (hi << (64 - s)) | <u64>((lo << (64 - s)) != 0);
    U.hi = hi >> s;
  } else if (d < 128) {
    const s = <u64>(d - 64);
    const lost = s == 0 ? lo : lo | (hi << (64 - s));
    U.lo = (hi >> s) | <u64>(lost != 0);
    U.hi = 0;
  } else {
    U.lo = <u64>((hi | lo) != 0);
    U.hi = 0;
  }
}

/**
 * a * b + c in binary64 with one rounding (signs already adjusted for the negated forms).
 * Also serves FADD/FSUB (b = 1.0) and FMUL (c = a zero with the product's sign).
 */
export function fma64(a: u64, b: u64, c: u64, rm: u32): u64 {
  const signP = ((a ^ b) >> 63) != 0;
  const signC = (c >> 63) != 0;
  const aA = a & ABS64, bA = b & ABS64, cA = c & ABS64;
  if (aA > INF64 || bA > INF64 || cA > INF64) {
    // RISC-V: 0 * inf is invalid even when the addend is a quiet NaN.
    if (isSNaN64(a) || isSNaN64(b) || isSNaN64(c) || (aA == INF64 && bA == 0) ||
      (bA == INF64 && aA == 0)) FpFlags.v |= NV;
    return CNAN64;
  }
  if (aA == INF64 || bA == INF64) {
    if (aA == 0 || bA == 0 || (cA == INF64 && signC != signP)) {
      FpFlags.v |= NV;
      return CNAN64;
    }
    return signP ? SIGN64 | INF64 : INF64;
  }
  if (cA == INF64) return c;
  if (aA == 0 || bA == 0) {
    if (cA != 0) return c;
    return signP == signC ? c : rm == RDN ? SIGN64 : 0;
  }
  unpack64(aA);
  const ea = U.e, ma = U.m;
  unpack64(bA);
  let e = ea + U.e;
  mul128(ma, U.m); // in [2^104, 2^106)
  let hi = U.hi, lo = U.lo;
  // Normalize the product so its leading bit is bit 126 of hi:lo.
  if ((hi >> 41) != 0) {
    e++;
    hi = (hi << 21) | (lo >> 43);
    lo <<= 21;
  } else {
    hi = (hi << 22) | (lo >> 42);
    lo <<= 22;
  }
  let neg = signP;
  if (cA != 0) {
    unpack64(cA);
    const ec = U.e;
    let chi = U.m << 10, clo: u64 = 0;
    const d = e - ec;
    if (d >= 0) {
      shiftRightJam128(chi, clo, d);
      chi = U.hi;
      clo = U.lo;
    } else {
      shiftRightJam128(hi, lo, -d);
      hi = U.hi;
      lo = U.lo;
      e = ec;
    }
    if (signP == signC) {
      const slo = lo + clo;
      hi = hi + chi + <u64>(slo < lo);
      lo = slo;
      if ((hi >> 63) != 0) {
        lo = (lo >> 1) | (hi << 63) | (lo & 1);
        hi >>= 1;
        e++;
      }
    } else {
      // Subtract the smaller magnitude from the larger; the result takes the larger's sign.
      if (hi < chi || (hi == chi && lo < clo)) {
        const dlo = clo - lo;
        hi = chi - hi - <u64>(clo < lo);
        lo = dlo;
        neg = signC;
      } else {
        const dlo = lo - clo;
        hi = hi - chi - <u64>(lo < clo);
        lo = dlo;
      }
      if ((hi | lo) == 0) return rm == RDN ? SIGN64 : 0; // exact cancellation
      // Renormalize to bit 126. Jamming happened only for alignment shifts over 21 bits, where
      // cancellation can cost at most one bit, so the jam bit stays far below the rounding point.
      const lz = hi != 0 ? <i32>clz(hi) : 64 + <i32>clz(lo);
      const s = lz - 1;
      if (s > 0) {
        if (s >= 64) {
          hi = lo << <u64>(s - 64);
          lo = 0;
        } else {
          hi = (hi << <u64>s) | (lo >> <u64>(64 - s));
          lo <<= <u64>s;
        }
        e -= s;
      }
    }
  }
  return roundPack(neg, e, hi | <u64>(lo != 0), true, rm);
}

export function add64(a: u64, b: u64, rm: u32): u64 {
  return fma64(a, ONE64, b, rm);
}

export function mul64(a: u64, b: u64, rm: u32): u64 {
  return fma64(a, b, (a ^ b) & SIGN64, rm);
}

export function div64(a: u64, b: u64, rm: u32): u64 {
  const neg = ((a ^ b) >> 63) != 0;
  const sign = neg ? SIGN64 : 0;
  const aA = a & ABS64, bA = b & ABS64;
  if (aA > INF64 || bA > INF64) {
    if (isSNaN64(a) || isSNaN64(b)) FpFlags.v |= NV;
    return CNAN64;
  }
  if (aA == INF64) {
    if (bA == INF64) {
      FpFlags.v |= NV;
      return CNAN64;
    }
    return sign | INF64;
  }
  if (bA == INF64) return sign;
  if (bA == 0) {
    if (aA == 0) {
      FpFlags.v |= NV;
      return CNAN64;
    }
    FpFlags.v |= DZ;
    return sign | INF64;
  }
  if (aA == 0) return sign;
  unpack64(aA);
  let e = U.e, ma = U.m;
  unpack64(bA);
  e -= U.e;
  const mb = U.m;
  if (ma < mb) {
    ma <<= 1;
    e--;
  }
  // Long division, 11 quotient bits per step (the remainder stays below 2^53).
  let q: u64 = 1, r = ma - mb;
  for (let i = 0; i < 5; i++) {
    r <<= 11;
    const t = r / mb;
    r -= t * mb;
    q = (q << 11) | t;
  }
  // q has 56 bits (leading bit 55); move it to bit 62 with the remainder as sticky bit.
  return roundPack(neg, e, (q << 7) | <u64>(r != 0), true, rm);
}

export function sqrt64(a: u64, rm: u32): u64 {
  if (isNaN64(a)) {
    if (isSNaN64(a)) FpFlags.v |= NV;
    return CNAN64;
  }
  if ((a & ABS64) == 0) return a;
  if ((a >> 63) != 0) {
    FpFlags.v |= NV;
    return CNAN64;
  }
  if (a == INF64) return a;
  // The native square root is correctly rounded to nearest (never subnormal, never overflowing);
  // an exact comparison of r*r with a gives the direction for the other modes and NX.
  let r = reinterpret<u64>(sqrt<f64>(reinterpret<f64>(a)));
  unpack64(a);
  const ea = U.e, ma = U.m;
  unpack64(r);
  const er = U.e;
  mul128(U.m, U.m); // r^2 = (hi:lo) * 2^(2er - 104)
  const k = <u64>(ea - 2 * er + 52); // a = (ma << k) * 2^(2er - 104); k is 51..53
  const ahi = ma >> (64 - k), alo = ma << k;
  const hi = U.hi, lo = U.lo;
  if (hi == ahi && lo == alo) return r;
  FpFlags.v |= NX;
  const above = hi > ahi || (hi == ahi && lo > alo);
  if (above) {
    if (rm == RTZ || rm == RDN) r--;
  } else if (rm == RUP) {
    r++;
  }
  return r;
}

// ---- binary32 ----

/**
 * Round a finite nonzero binary64 value x, plus an error term err (|err| below half an ulp of x,
 * or zero when x is exact), to binary32. Only the sign of err matters: it is turned into a sticky
 * bit so the value is rounded as if to odd.
 */
export function f64ToF32Err(x: f64, err: f64, rm: u32): u32 {
  const xb = reinterpret<u64>(x);
  const neg = (xb >> 63) != 0;
  unpack64(xb & ABS64);
  let e = U.e, sig = U.m << 10;
  if (err != 0) {
    if ((err < 0) == neg) {
      sig |= 1;
    } else {
      sig--;
      if ((sig >> 62) == 0) {
        sig <<= 1;
        e--;
      }
    }
  }
  return <u32>roundPack(neg, e, sig, false, rm);
}

/** Exact zero result of a sum whose operand signs are given (IEEE 754 6.3). */
@inline function zeroSum32(sa: u32, sb: u32, rm: u32): u32 {
  return sa == sb ? sa : rm == RDN ? SIGN32 : 0;
}

export function add32(a: u32, b: u32, rm: u32): u32 {
  const aA = a & ABS32, bA = b & ABS32;
  if (aA > INF32 || bA > INF32) {
    if (isSNaN32(a) || isSNaN32(b)) FpFlags.v |= NV;
    return CNAN32;
  }
  if (aA == INF32 || bA == INF32) {
    if (aA == INF32 && bA == INF32 && (a ^ b) != 0) {
      FpFlags.v |= NV;
      return CNAN32;
    }
    return aA == INF32 ? a : b;
  }
  const x = <f64>reinterpret<f32>(a), y = <f64>reinterpret<f32>(b);
  const s = x + y;
  if (s == 0) return zeroSum32(a & SIGN32, b & SIGN32, rm);
  const bb = s - x;
  const err = (x - (s - bb)) + (y - bb);
  return f64ToF32Err(s, err, rm);
}

export function mul32(a: u32, b: u32, rm: u32): u32 {
  const sign = (a ^ b) & SIGN32;
  const aA = a & ABS32, bA = b & ABS32;
  if (aA > INF32 || bA > INF32) {
    if (isSNaN32(a) || isSNaN32(b)) FpFlags.v |= NV;
    return CNAN32;
  }
  if (aA == INF32 || bA == INF32) {
    if (aA == 0 || bA == 0) {
      FpFlags.v |= NV;
      return CNAN32;
    }
    return sign | INF32;
  }
  if (aA == 0 || bA == 0) return sign;
  const p = <f64>reinterpret<f32>(a) * <f64>reinterpret<f32>(b); // exact: 48 bits, in range
  return f64ToF32Err(p, 0, rm);
}

export function fma32(a: u32, b: u32, c: u32, rm: u32): u32 {
  const signP = (a ^ b) & SIGN32, signC = c & SIGN32;
  const aA = a & ABS32, bA = b & ABS32, cA = c & ABS32;
  if (aA > INF32 || bA > INF32 || cA > INF32) {
    if (isSNaN32(a) || isSNaN32(b) || isSNaN32(c) || (aA == INF32 && bA == 0) ||
      (bA == INF32 && aA == 0)) FpFlags.v |= NV;
    return CNAN32;
  }
  if (aA == INF32 || bA == INF32) {
    if (aA == 0 || bA == 0 || (cA == INF32 && signC != signP)) {
      FpFlags.v |= NV;
      return CNAN32;
    }
    return signP | INF32;
  }
  if (cA == INF32) return c;
  if (aA == 0 || bA == 0) {
    if (cA != 0) return c;
    return zeroSum32(signP, signC, rm);
  }
  const p = <f64>reinterpret<f32>(a) * <f64>reinterpret<f32>(b); // exact
  const z = <f64>reinterpret<f32>(c);
  const s = p + z;
  if (s == 0) return zeroSum32(signP, signC, rm); // exact cancellation (signs differ)
  const bb = s - p;
  const err = (p - (s - bb)) + (z - bb);
  return f64ToF32Err(s, err, rm);
}

export function div32(a: u32, b: u32, rm: u32): u32 {
  const sign = (a ^ b) & SIGN32;
  const aA = a & ABS32, bA = b & ABS32;
  if (aA > INF32 || bA > INF32) {
    if (isSNaN32(a) || isSNaN32(b)) FpFlags.v |= NV;
    return CNAN32;
  }
  if (aA == INF32) {
    if (bA == INF32) {
      FpFlags.v |= NV;
      return CNAN32;
    }
    return sign | INF32;
  }
  if (bA == INF32) return sign;
  if (bA == 0) {
    if (aA == 0) {
      FpFlags.v |= NV;
      return CNAN32;
    }
    FpFlags.v |= DZ;
    return sign | INF32;
  }
  if (aA == 0) return sign;
  unpack32(aA);
  let e = U.e, ma = U.m;
  unpack32(bA);
  e -= U.e;
  const mb = U.m;
  if (ma < mb) {
    ma <<= 1;
    e--;
  }
  const n = ma << 38;
  const q = n / mb; // in [2^38, 2^39)
  const r = n - q * mb;
  return <u32>roundPack(sign != 0, e, (q << 24) | <u64>(r != 0), false, rm);
}

export function sqrt32(a: u32, rm: u32): u32 {
  if (isNaN32(a)) {
    if (isSNaN32(a)) FpFlags.v |= NV;
    return CNAN32;
  }
  if ((a & ABS32) == 0) return a;
  if ((a >> 31) != 0) {
    FpFlags.v |= NV;
    return CNAN32;
  }
  if (a == INF32) return a;
  const r = sqrt<f32>(reinterpret<f32>(a)); // correctly rounded to nearest
  const rr = <f64>r * <f64>r; // exact (48 bits)
  const x = <f64>reinterpret<f32>(a);
  let rb = reinterpret<u32>(r);
  if (rr == x) return rb;
  FpFlags.v |= NX;
  if (rr > x) {
    if (rm == RTZ || rm == RDN) rb--;
  } else if (rm == RUP) {
    rb++;
  }
  return rb;
}

// ---- conversions ----

/** FCVT.S.D. */
export function f64ToF32(a: u64, rm: u32): u32 {
  const aA = a & ABS64;
  const sign = <u32>(a >> 32) & SIGN32;
  if (aA > INF64) {
    if (isSNaN64(a)) FpFlags.v |= NV;
    return CNAN32;
  }
  if (aA == INF64) return sign | INF32;
  if (aA == 0) return sign;
  return f64ToF32Err(reinterpret<f64>(a), 0, rm);
}

/** FCVT.D.S. */
export function f32ToF64(a: u32): u64 {
  if (isNaN32(a)) {
    if (isSNaN32(a)) FpFlags.v |= NV;
    return CNAN64;
  }
  return reinterpret<u64>(<f64>reinterpret<f32>(a));
}

/** Integer (already widened: signed values sign-extended) to float, FCVT.{S,D}.{W,WU,L,LU}. */
export function intToFloat(v: u64, signed: bool, dbl: bool, rm: u32): u64 {
  const neg = signed && <i64>v < 0;
  const mag = neg ? 0 - v : v;
  if (mag == 0) return 0;
  const lz = <i32>clz(mag);
  let sig: u64;
  if (lz == 0) sig = (mag >> 1) | (mag & 1);
  else sig = mag << <u64>(lz - 1);
  return roundPack(neg, 63 - lz, sig, dbl, rm);
}

/** Round an f64 to an integral value in mode rm. */
@inline function roundIntegral(x: f64, rm: u32): f64 {
  if (rm == RNE) return nearest<f64>(x);
  if (rm == RTZ) return trunc<f64>(x);
  if (rm == RDN) return floor<f64>(x);
  if (rm == RUP) return ceil<f64>(x);
  const t = trunc<f64>(x);
  return abs<f64>(x - t) >= 0.5 ? t + copysign<f64>(1.0, x) : t;
}

/**
 * Float to integer, FCVT.{W,WU,L,LU}.{S,D}: kind 0 = W, 1 = WU, 2 = L, 3 = LU. `x` is the operand
 * as an f64 (binary32 operands widen exactly); `nan` says whether it is a NaN. Saturates with NV on
 * overflow and NaN (NaN gives the largest positive value). 32-bit results are sign-extended.
 */
export function floatToInt(x: f64, nan: bool, kind: u32, rm: u32): u64 {
  if (nan) {
    FpFlags.v |= NV;
    return kind == 0 ? 0x7fffffff : kind == 2 ? 0x7fffffffffffffff : 0xffffffffffffffff;
  }
  const r = roundIntegral(x, rm);
  let v: u64;
  if (kind == 0) {
    if (r > 2147483647.0) {
      FpFlags.v |= NV;
      return 0x7fffffff;
    }
    if (r < -2147483648.0) {
      FpFlags.v |= NV;
      return 0xffffffff80000000;
    }
    v = <u64><i64><i32>r;
  } else if (kind == 1) {
    if (r > 4294967295.0) {
      FpFlags.v |= NV;
      return 0xffffffffffffffff;
    }
    if (r < 0) {
      FpFlags.v |= NV;
      return 0;
    }
    v = <u64><i64><i32><u32>r;
  } else if (kind == 2) {
    if (r >= 9223372036854775808.0) {
      FpFlags.v |= NV;
      return 0x7fffffffffffffff;
    }
    if (r < -9223372036854775808.0) {
      FpFlags.v |= NV;
      return 0x8000000000000000;
    }
    v = <u64><i64>r;
  } else {
    if (r >= 18446744073709551616.0) {
      FpFlags.v |= NV;
      return 0xffffffffffffffff;
    }
    if (r < 0) {
      FpFlags.v |= NV;
      return 0;
    }
    v = <u64>r;
  }
  if (r != x) FpFlags.v |= NX;
  return v;
}
