// Xen's credit scheduler, for the domains of one kernel process over its pCPUs: every accounting
// period each pCPU's time is shared out as credit among the active domains that may run on it,
// in proportion to their weights; a domain with credit left (UNDER) runs before one that has none
// (OVER); a domain that just woke is boosted ahead of both; a cap limits a domain to that
// percentage of one pCPU per period. Round-robin within a priority, but among OVER domains the
// least in debt for its weight goes first (Xen round-robins them too). Sleepers' wake-ups are
// gathered (wakeTime).

import type { Domain } from "./domain.js";
import { TimerHeap } from "./timer-heap.js";

export const PERIOD_MS = 30;
/**
 * A slice runs this long at most while its guest only computes, as Xen's time slice (an event
 * for the domain ends it at once, and a domain that wakes runs on the kernel's own thread, so
 * this bounds only how busy domains take turns); less when the domain's credit or cap runs out
 * sooner...
 */
const TIME_SLICE_MS = 30;
/** ...but at least this long, as Xen's rate limit: handing a pCPU over costs about 0.4 ms here. */
const MIN_SLICE_MS = 1;

/**
 * A domain that sleeps this long or longer is woken on the next boundary of a timer grain after
 * its timer, so that one host wake-up serves every domain due in that grain: waking the host
 * costs far more than an idle guest's tick (about 100 us against 20-30), and an idle host holds
 * many domains that tick. The grain grows with the sleep, as Linux's timer wheel lets a long
 * timeout fire later: a power of two of about 1/32 of the sleep, from 4 ms to 16 ms, so a timer
 * is at most about 3% late, and the grains of different sleeps share their boundaries.
 */
const COALESCE_SLEEPS_FROM_MS = 40;
const MIN_GRAIN_MS = 4;
const MAX_GRAIN_MS = 16;
const GRAIN_PER_SLEEP = 1 / 32;

/** The grain a sleep of `ms` is woken on (see COALESCE_SLEEPS_FROM_MS). */
export function timerGrain(ms: number): number {
  const grain = 2 ** Math.floor(Math.log2(ms * GRAIN_PER_SLEEP));
  return Math.min(MAX_GRAIN_MS, Math.max(MIN_GRAIN_MS, grain));
}

/** When a domain that goes idle at `now` for `ms` is woken. */
export function wakeTime(now: number, ms: number): number {
  const at = now + ms;
  if (ms < COALESCE_SLEEPS_FROM_MS) return at;
  const grain = timerGrain(ms);
  return Math.ceil(at / grain) * grain;
}

export class CreditScheduler {
  private periodStart = 0;
  /** Every domain the scheduler knows. */
  private readonly members = new Set<Domain>();
  /** The domains it looks at to pick one: all but those asleep on a timer. */
  private readonly awake = new Set<Domain>();
  /** The domains asleep on a timer, by wake-up time (an entry whose time is not the domain's sleepUntil any more is stale). */
  private readonly sleepers = new TimerHeap<Domain>();

  /** The pCPUs of a domain without affinity. */
  private readonly everyCpu: readonly number[];

  constructor(private readonly pcpus: number) {
    this.everyCpu = Array.from({ length: pcpus }, (_, i) => i);
  }

  add(d: Domain): void {
    this.members.add(d);
    this.awake.add(d);
    d.onWoken = () => this.awake.add(d);
  }

  remove(d: Domain): void {
    this.members.delete(d);
    this.awake.delete(d);
  }

  /** `d` went idle until `until` (Infinity: until an event): out of the scan until then or a wake-up. */
  sleep(d: Domain, until: number): void {
    d.sleepUntil = until;
    this.awake.delete(d);
    this.sleepers.push(until, d);
  }

  /** Start a new accounting period when the current one is over. */
  account(now: number): void {
    const elapsed = now - this.periodStart;
    if (elapsed < PERIOD_MS) return;
    this.periodStart = now;
    // Xen credits the active vCPUs: domains asleep on a timer are not, so an idle host's
    // accounting costs nothing per sleeping domain. A domain's weight is spread over the pCPUs
    // its affinity allows, and each pCPU's time goes to the domains that may run there: two
    // domains pinned to one pCPU share that one by weight while the other pCPU serves the rest.
    const cpuWeight = new Array<number>(this.pcpus).fill(0);
    for (const d of this.awake) {
      if (!this.active(d)) continue;
      const cpus = this.cpusOf(d);
      for (const c of cpus) cpuWeight[c] += d.weight / cpus.length;
    }
    // Credit for the time that really passed (the loop may notice a period late), at most two periods.
    const credit = Math.min(elapsed, 2 * PERIOD_MS);
    for (const d of this.awake) {
      if (!this.active(d)) continue;
      const cpus = this.cpusOf(d);
      let share = 0;
      for (const c of cpus) share += (credit * d.weight) / cpus.length / cpuWeight[c];
      // One domain's vCPUs run on one pCPU at a time: it cannot use more than that.
      share = Math.min(share, credit);
      // Credit does not pile up: an idle domain cannot save a burst for later.
      d.credit = Math.min(d.credit + share, share);
      // A slice that ran past the cap is paid back from the next period's allowance.
      d.periodUsedMs = Math.max(0, d.periodUsedMs - (credit * d.cap) / 100);
    }
  }

  private cpusOf(d: Domain): readonly number[] {
    return d.affinity.length === 0 ? this.everyCpu : d.affinity;
  }

  private active(d: Domain): boolean {
    return !d.paused && (d.state === "running" || d.state === "blocked");
  }

  private capped(d: Domain): boolean {
    return d.cap > 0 && d.periodUsedMs >= (PERIOD_MS * d.cap) / 100;
  }

  /** Sleepers whose time has come go back to the scan. */
  private wakeDue(now: number): void {
    while (this.sleepers.peekTime() <= now) {
      const d = this.sleepers.pop()!;
      // A stale entry: the domain woke early and may sleep again, on a later entry of its own.
      if (this.members.has(d) && d.sleepUntil <= now) this.awake.add(d);
    }
  }

  /** The domain to run next of those `where` accepts (a pCPU's affinity, say), or undefined when none is runnable. */
  pick(now: number, where: (d: Domain) => boolean): Domain | undefined {
    this.wakeDue(now);
    let best: Domain | undefined;
    let bestRank = -1;
    for (const d of this.awake) {
      if (!d.runnable(now) || !where(d) || this.capped(d)) continue;
      const rank = d.boosted ? 2 : d.credit > 0 ? 1 : 0;
      if (rank > bestRank || (rank === bestRank && best !== undefined && this.before(d, best, rank))) {
        best = d;
        bestRank = rank;
      }
    }
    return best;
  }

  /**
   * Within a priority, whether `a` runs before `b`. Domains with credit take turns. Of those in
   * debt, the one least in debt for its weight goes first: taking turns there would share the
   * pCPU equally whenever all are in debt, which a loaded host (slices stretched by the host's
   * own scheduler, and charged for it) makes common, and weights would stop counting.
   */
  private before(a: Domain, b: Domain, rank: number): boolean {
    if (rank === 0) return a.credit / a.weight > b.credit / b.weight;
    return a.lastRan < b.lastRan;
  }

  /**
   * How long the slice `d` is given at `now` may run: the time slice, but no longer than its
   * credit if it has some (it runs that off in one go, so the pCPU changes hands seldom and
   * weights still share it finely), or than the rest of this period if it has none (it runs only
   * because nobody with credit may, and the next period may give some), or than what its cap
   * leaves it of this period.
   */
  sliceMs(d: Domain, now: number): number {
    let ms = Math.min(TIME_SLICE_MS, d.credit > 0 ? d.credit : this.periodStart + PERIOD_MS - now);
    if (d.cap > 0) ms = Math.min(ms, (PERIOD_MS * d.cap) / 100 - d.periodUsedMs);
    return Math.max(MIN_SLICE_MS, ms);
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
    // Stale entries (the domain woke, or sleeps on a later timer) would wake the loop for nothing.
    while (this.sleepers.size > 0) {
      const d = this.sleepers.peekItem()!;
      if (this.members.has(d) && !this.awake.has(d) && d.sleepUntil === this.sleepers.peekTime()) break;
      this.sleepers.pop();
    }
    let wake = this.sleepers.peekTime();
    for (const d of this.awake) {
      if (!this.active(d)) continue;
      if (d.sleepUntil > now) wake = Math.min(wake, d.sleepUntil);
      else if (this.capped(d)) wake = Math.min(wake, this.periodStart + PERIOD_MS);
    }
    return Math.max(wake, now);
  }
}
