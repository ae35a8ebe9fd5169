// Xen's credit scheduler, for the domains of one kernel process: every accounting period each
// active domain earns credit in proportion to its weight; a domain with credit left (UNDER) runs
// before one that has none (OVER); a domain that just woke is boosted ahead of both; a cap limits
// a domain to that percentage of one pCPU per period. Round-robin within a priority. Sleepers'
// wake-ups are gathered (wakeTime).

import type { Domain } from "./domain.js";

export const PERIOD_MS = 30;

/**
 * A domain that sleeps this long or longer is woken on the next TIMER_GRAIN_MS boundary after
 * its timer, so that one host wake-up serves every domain due in that grain: waking the host
 * costs far more than an idle guest's tick (about 70 us against a few), and an idle host
 * holds many domains that tick.
 */
const COALESCE_SLEEPS_FROM_MS = 40;
const TIMER_GRAIN_MS = 4;

/** When a domain that goes idle at `now` for `ms` is woken. */
export function wakeTime(now: number, ms: number): number {
  const at = now + ms;
  return ms >= COALESCE_SLEEPS_FROM_MS ? Math.ceil(at / TIMER_GRAIN_MS) * TIMER_GRAIN_MS : at;
}

export class CreditScheduler {
  private periodStart = 0;
  private pcpus = 1;

  constructor(private readonly domains: () => Iterable<Domain>) {}

  /** Start a new accounting period when the current one is over. */
  account(now: number): void {
    const elapsed = now - this.periodStart;
    if (elapsed < PERIOD_MS) return;
    this.periodStart = now;
    const active = [...this.domains()].filter((d) => !d.paused && (d.state === "running" || d.state === "blocked"));
    const totalWeight = active.reduce((n, d) => n + d.weight, 0);
    if (totalWeight === 0) return;
    // Credit for the time that really passed (the loop may notice a period late), at most two periods.
    const credit = Math.min(elapsed, 2 * PERIOD_MS) * this.pcpus;
    for (const d of active) {
      const share = (credit * d.weight) / totalWeight;
      // Credit does not pile up: an idle domain cannot save a burst for later.
      d.credit = Math.min(d.credit + share, share);
      // A slice that ran past the cap is paid back from the next period's allowance.
      d.periodUsedMs = Math.max(0, d.periodUsedMs - (credit * d.cap) / 100);
    }
  }

  private capped(d: Domain): boolean {
    return d.cap > 0 && d.periodUsedMs >= (PERIOD_MS * d.cap) / 100;
  }

  /** The domain to run next, or undefined when none is runnable. */
  pick(now: number): Domain | undefined {
    let best: Domain | undefined;
    let bestRank = -1;
    for (const d of this.domains()) {
      if (!d.runnable(now) || this.capped(d)) continue;
      const rank = d.boosted ? 2 : d.credit > 0 ? 1 : 0;
      if (rank > bestRank || (rank === bestRank && best !== undefined && d.lastRan < best.lastRan)) {
        best = d;
        bestRank = rank;
      }
    }
    return best;
  }

  charge(d: Domain, ms: number, now: number): void {
    d.credit -= ms;
    d.periodUsedMs += ms;
    d.cpuMs += ms;
    d.lastRan = now;
    d.boosted = false;
  }

  /**
   * When something may next become runnable: a sleeper's timer, or the next period when a capped
   * domain is parked; Infinity when only an event can wake anyone (idle domains cost nothing).
   */
  nextWake(now: number): number {
    let wake = Infinity;
    for (const d of this.domains()) {
      if (d.paused || (d.state !== "running" && d.state !== "blocked")) continue;
      if (d.sleepUntil > now) wake = Math.min(wake, d.sleepUntil);
      else if (this.capped(d)) wake = Math.min(wake, this.periodStart + PERIOD_MS);
    }
    return Math.max(wake, now);
  }
}
