import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRate, type Rate } from "../../tools/config/rate.js";
import { CreditScheduler, MAX_BURST_BYTES } from "./rate-limit.js";

/**
 * Sends frames back to back for `ms` of simulated time, sleeping as told (plus `late` ms, as a
 * timer that fires late); returns the bytes that went.
 */
function saturate(rate: Rate, frameBytes: number, ms: number, late = 0): number {
  const s = new CreditScheduler(rate, 0);
  let sent = 0;
  for (let now = 0; now < ms;) {
    const wait = s.take(frameBytes, now);
    if (wait === 0) sent += frameBytes;
    else now += wait + late;
  }
  return sent;
}

const mbps = (bytes: number, ms: number) => (bytes * 8) / (ms / 1000) / 1e6;

describe("credit scheduler", () => {
  it("holds 10Mb/s@20ms with 1500-byte frames within 1% over 5 s", () => {
    const rate = parseRate("10Mb/s@20ms");
    expect(Math.abs(mbps(saturate(rate, 1500, 5000), 5000) - 10) / 10).toBeLessThan(0.01);
  });

  it("loses no time when the caller wakes up late", () => {
    const rate = parseRate("10Mb/s@20ms");
    expect(Math.abs(mbps(saturate(rate, 1500, 5000, 3), 5000) - 10) / 10).toBeLessThan(0.01);
  });

  it("uses Xen's 50 ms window when the rate gives none", () => {
    const s = new CreditScheduler(parseRate("10Mb/s"), 0);
    expect(s.windowMs).toBe(50);
    expect(s.creditBytes).toBe(62_500);
  });

  it("lets a window's credit go at once, then says how long to wait for the next", () => {
    const s = new CreditScheduler(parseRate("10Mb/s@20ms"), 1000);
    for (let i = 0; i < 16; i++) expect(s.take(1500, 1000)).toBe(0);
    // 1000 bytes are left: a 1500-byte frame waits for the window that starts at 1020 ms.
    expect(s.take(1500, 1005)).toBe(15);
    expect(s.take(1500, 1010)).toBe(10);
    // Asking did not spend anything: the small frame fits in what is left.
    expect(s.take(1000, 1010)).toBe(0);
    expect(s.take(1500, 1020)).toBe(0);
  });

  it("lets a frame larger than a window's credit go once enough windows have added up", () => {
    // 20 bytes every 20 ms: a 1500-byte frame needs 75 windows' credit.
    const s = new CreditScheduler(parseRate("1000B/s@20ms"), 0);
    const wait = s.take(1500, 0);
    expect(wait).toBe(74 * 20);
    expect(s.take(1500, wait)).toBe(0);
    expect(Math.abs(saturate(parseRate("1000B/s@20ms"), 1500, 60_000) - 60_000) / 60_000).toBeLessThan(0.03);
  });

  it("lets a frame beyond the burst go when the credit is full, rather than never", () => {
    const s = new CreditScheduler(parseRate("10Mb/s@20ms"), 0);
    const huge = MAX_BURST_BYTES + 1;
    let now = 0;
    for (let wait = s.take(huge, now); wait > 0; wait = s.take(huge, now)) now += wait;
    // Credit grows 25000 bytes a window from 25000 to the 131072-byte burst: 5 windows.
    expect(now).toBe(100);
    // It spent everything: the next frame waits for the next window.
    expect(s.take(1, now)).toBe(20);
  });

  it("builds no more than one window's extra credit over an idle spell", () => {
    const s = new CreditScheduler(parseRate("10Mb/s@20ms"), 0);
    let burst = 0;
    while (s.take(1000, 60_000) === 0) burst += 1000;
    // The unspent first window plus the one added when traffic resumed.
    expect(burst).toBe(50_000);
  });

  it("never sends faster than the rate allows, beyond its burst", () => {
    const rates = fc.record({ bytesPerSecond: fc.integer({ min: 1000, max: 2_000_000 }), windowUs: fc.integer({ min: 1000, max: 200_000 }) })
      .filter((r) => (r.bytesPerSecond * r.windowUs) / 1e6 >= 1);
    fc.assert(fc.property(rates, fc.integer({ min: 60, max: 1522 }), fc.integer({ min: 0, max: 5 }), (rate, frameBytes, late) => {
      const ms = 2000;
      const sent = saturate(rate, frameBytes, ms, late);
      const credit = Math.floor((rate.bytesPerSecond * rate.windowUs) / 1e6);
      const allowed = credit * (ms / (rate.windowUs / 1000) + 1) + frameBytes;
      expect(sent).toBeLessThanOrEqual(allowed);
    }));
  });
});
