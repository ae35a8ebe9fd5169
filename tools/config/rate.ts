// The vif `rate=` limit: "100Mb/s", "10MB/s@20ms". The netback gives a vif `bytes per window`
// credit every window, as Xen's netif.py/netback do; this file turns the text into those terms.

import { ValueError, show } from "./config-error.js";

/** A bandwidth limit: so many bytes per second, replenished in credits every `windowUs`. */
export interface Rate {
  readonly bytesPerSecond: number;
  readonly windowUs: number;
}

/** Xen's credit window when the rate gives none (netif.py: "50ms default"). */
export const DEFAULT_RATE_WINDOW_US = 50_000;

// Xen's grammar (netif.py rate_re), with unit prefixes in decimal (K = 1000) as Xen has them.
const RATE = /^(\d{1,20})([GMK]?)([Bb])\/s(?:@(\d{1,20})([mu]?)s)?$/;
const PREFIX: Record<string, bigint> = { "": 1n, K: 1000n, M: 1_000_000n, G: 1_000_000_000n };
const WINDOW_UNIT: Record<string, bigint> = { "": 1_000_000n, m: 1000n, u: 1n };
const U32_MAX = 0xffff_ffffn;

/** Parses a rate. Bits are turned into whole bytes rounding down, as Xen does. */
export function parseRate(text: string): Rate {
  const m = RATE.exec(text);
  if (m === null) {
    throw new ValueError(
      `rate ${show(text)} is not NUMBER UNIT/s[@WINDOW] (units b, Kb, Mb, Gb, B, KB, MB, GB; window in us, ms or s; e.g. 100Mb/s@20ms)`,
    );
  }
  let bytesPerSecond = BigInt(m[1]) * PREFIX[m[2]];
  if (m[3] === "b") bytesPerSecond /= 8n;
  const windowUs = m[4] === undefined ? BigInt(DEFAULT_RATE_WINDOW_US) : BigInt(m[4]) * WINDOW_UNIT[m[5]];
  return checked(bytesPerSecond, windowUs, text);
}

// Xen quietly turns an out-of-range rate into "unlimited"; Domus says so instead.
function checked(bytesPerSecond: bigint, windowUs: bigint, text: string): Rate {
  if (windowUs < 1n || windowUs > U32_MAX) throw new ValueError(`rate ${show(text)}: the window must be from 1us to ${U32_MAX}us`);
  const perWindow = (bytesPerSecond * windowUs) / 1_000_000n;
  if (perWindow < 1n) throw new ValueError(`rate ${show(text)} allows less than one byte per window; raise the rate or the window`);
  if (perWindow > U32_MAX) throw new ValueError(`rate ${show(text)} allows more than ${U32_MAX} bytes per window; lower the rate or the window`);
  return { bytesPerSecond: Number(bytesPerSecond), windowUs: Number(windowUs) };
}

/** Checks a Rate built in code against the limits parseRate enforces. */
export function validRate(rate: Rate): boolean {
  if (!Number.isSafeInteger(rate.bytesPerSecond) || !Number.isSafeInteger(rate.windowUs) || rate.bytesPerSecond < 1) return false;
  try {
    checked(BigInt(rate.bytesPerSecond), BigInt(rate.windowUs), "");
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes a rate in the fewest digits (bits or bytes, largest exact prefix), with the window in the
 * largest exact unit and left out when it is the default. parseRate(formatRate(r)) equals r.
 */
export function formatRate(rate: Rate): string {
  if (!validRate(rate)) throw new ValueError(`not a valid rate: ${rate.bytesPerSecond} bytes/s every ${rate.windowUs}us`);
  const bytes = BigInt(rate.bytesPerSecond);
  let best = `${bytes}B/s`;
  for (const [amount, unit] of [[bytes, "B"], [bytes * 8n, "b"]] as const) {
    for (const prefix of ["G", "M", "K", ""]) {
      if (amount % PREFIX[prefix] !== 0n) continue;
      const candidate = `${amount / PREFIX[prefix]}${prefix}${unit}/s`;
      if (candidate.length < best.length) best = candidate;
      break;
    }
  }
  if (rate.windowUs === DEFAULT_RATE_WINDOW_US) return best;
  const w = rate.windowUs;
  const window = w % 1_000_000 === 0 ? `${w / 1_000_000}s` : w % 1000 === 0 ? `${w / 1000}ms` : `${w}us`;
  return `${best}@${window}`;
}
