// A vif's `rate=` limit, as Xen's netback enforces it on what a guest transmits (Linux
// drivers/net/xen-netback, tx_credit_exceeded and tx_add_credit): the vif holds a credit of bytes;
// every window it gains `bytes per window`, a frame spends its size, and a frame larger than the
// credit waits for the next window. Unspent credit carries over up to a burst of 128 KiB (or one
// window's credit if that is more), so frames that do not divide the window's credit evenly still
// get the full rate.

import type { Rate } from "../../tools/config/rate.js";

/** netback's burst cap: "big enough to transmit a jumbo packet of up to 128kB". */
export const MAX_BURST_BYTES = 131_072;

export class CreditScheduler {
  /** Bytes added every window. */
  readonly creditBytes: number;
  private readonly windowUs: number;
  private readonly maxBurst: number;
  private remaining: number;
  /** Kept in whole microseconds, so window boundaries add up exactly however long it runs. */
  private windowStart: number;
  /** Whether a frame is waiting for credit, as netback's pending credit timer. */
  private limited = false;

  /** `start` is the current time in ms, on the clock take() is given. */
  constructor(rate: Rate, start: number) {
    // validRate() (tools/config/rate.ts) guarantees at least one byte per window.
    this.creditBytes = Math.floor((rate.bytesPerSecond * rate.windowUs) / 1_000_000);
    this.windowUs = rate.windowUs;
    this.maxBurst = Math.max(MAX_BURST_BYTES, this.creditBytes);
    this.remaining = this.creditBytes;
    this.windowStart = micros(start);
  }

  get windowMs(): number {
    return this.windowUs / 1000;
  }

  /**
   * Asks to send a frame of `bytes` at time `nowMs`. Returns 0 when it may go (its credit is
   * spent), or the ms to wait before asking again, when enough credit will have been added.
   */
  take(bytes: number, nowMs: number): number {
    const now = micros(nowMs);
    this.replenish(now);
    if (bytes <= this.remaining) {
      this.remaining -= bytes;
      this.limited = false;
      return 0;
    }
    // A frame larger than the burst can never fit: it goes once the credit is full, so it cannot
    // stall the vif for ever.
    if (this.remaining >= this.maxBurst) {
      this.remaining = 0;
      this.limited = false;
      return 0;
    }
    this.limited = true;
    const windows = Math.ceil((Math.min(bytes, this.maxBurst) - this.remaining) / this.creditBytes);
    return (this.windowStart + windows * this.windowUs - now) / 1000;
  }

  private replenish(now: number): void {
    const elapsed = now - this.windowStart;
    if (elapsed < this.windowUs) return;
    // While a frame waits, netback's timer adds credit on the window boundaries, so late wake-ups
    // lose no time. After an idle spell the window restarts at the first frame and only one
    // credit is added: idle time does not build up a burst beyond that.
    const windows = this.limited ? Math.floor(elapsed / this.windowUs) : 1;
    this.windowStart = this.limited ? this.windowStart + windows * this.windowUs : now;
    this.remaining = Math.min(this.remaining + windows * this.creditBytes, this.maxBurst);
  }
}

function micros(ms: number): number {
  return Math.round(ms * 1000);
}
