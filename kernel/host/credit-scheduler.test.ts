import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CreditScheduler, timerGrain, wakeTime } from "./credit-scheduler.js";
import { Domain } from "./domain.js";

describe("when a sleeping domain is woken", () => {
  it("a long sleep ends on the next boundary of its grain, never before its timer, at most 4 ms or 1/32 of the sleep late", () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.double({ min: 40, max: 1e5, noNaN: true }), (now, ms) => {
      const at = wakeTime(now, ms);
      const grain = timerGrain(ms);
      expect(at).toBeGreaterThanOrEqual(now + ms);
      expect(at - (now + ms)).toBeLessThan(Math.max(4, ms / 32));
      expect(at % grain).toBe(0);
      expect([4, 8, 16]).toContain(grain);
    }));
  });

  it("the grain grows with the sleep: 4 ms up to 255 ms, 8 ms up to 511 ms, then 16 ms", () => {
    expect([40, 255, 256, 511, 512, 1000, 60_000].map(timerGrain)).toEqual([4, 4, 8, 8, 16, 16, 16]);
  });

  it("so domains with a 1 s tick whose timers fall in one 16 ms grain wake together", () => {
    expect(new Set([1024.5, 1031.9, 1039.99].map((t) => wakeTime(t - 1000, 1000))).size).toBe(1);
  });

  it("a short sleep ends exactly at its timer", () => {
    expect(wakeTime(1000.25, 1.5)).toBe(1001.75);
    expect(wakeTime(7, 39)).toBe(46);
  });
});

describe("which domain runs next", () => {
  /** A domain as the scheduler sees it, without a machine. */
  function domain(weight: number, credit: number, lastRan: number): Domain {
    return Object.assign(Object.create(Domain.prototype) as Domain, {
      state: "running", paused: false, sleepUntil: 0, onCpus: [], boosted: false, cap: 0, periodUsedMs: 0,
      weight, credit, lastRan, affinity: [],
    });
  }

  it("of domains in debt, the one least in debt for its weight, whichever ran last", () => {
    const sched = new CreditScheduler(1);
    const light = domain(256, -5, 0);
    const heavy = domain(512, -8, 1);
    sched.add(light);
    sched.add(heavy);
    expect(sched.pick(0, () => true)).toBe(heavy); // -8/512 is less debt than -5/256
    heavy.credit = -12;
    expect(sched.pick(0, () => true)).toBe(light);
  });

  it("of domains with credit, the one that ran least recently; credit before debt, a woken domain before both", () => {
    const sched = new CreditScheduler(1);
    const a = domain(256, 3, 10);
    const b = domain(256, 20, 20);
    const c = domain(256, -1, 0);
    for (const d of [a, b, c]) sched.add(d);
    expect(sched.pick(0, () => true)).toBe(a);
    a.credit = -1;
    expect(sched.pick(0, () => true)).toBe(b);
    c.boosted = true;
    expect(sched.pick(0, () => true)).toBe(c);
  });
});
