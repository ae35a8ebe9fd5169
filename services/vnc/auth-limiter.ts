// Refuses an address that keeps giving wrong VNC passwords, so a password cannot be guessed at
// network speed: after MAX_FAILURES failures within WINDOW_MS it is refused for BLOCK_MS (RFB 3.8
// clients show the reason, "Too many authentication failures", as RealVNC's and TigerVNC's
// servers send it). One limiter serves all the screens of a service.

export const MAX_FAILURES = 5;
export const WINDOW_MS = 60_000;
export const BLOCK_MS = 60_000;
export const TOO_MANY_FAILURES = "Too many authentication failures";
/** Addresses remembered at most; the oldest are forgotten first, so memory stays bounded. */
const MAX_ADDRESSES = 4096;

export interface AuthLimiterOptions {
  readonly maxFailures?: number;
  readonly windowMs?: number;
  readonly blockMs?: number;
  readonly now?: () => number;
}

export class AuthLimiter {
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly blockMs: number;
  private readonly now: () => number;
  /** Per address, the times of its recent failures, or when its block ends. */
  private readonly entries = new Map<string, { failures: number[]; blockedUntil: number }>();

  constructor(opts: AuthLimiterOptions = {}) {
    this.maxFailures = opts.maxFailures ?? MAX_FAILURES;
    this.windowMs = opts.windowMs ?? WINDOW_MS;
    this.blockMs = opts.blockMs ?? BLOCK_MS;
    this.now = opts.now ?? Date.now;
  }

  isBlocked(address: string): boolean {
    const e = this.entries.get(address);
    return e !== undefined && e.blockedUntil > this.now();
  }

  /** Counts a wrong password; returns whether the address is now blocked. */
  failed(address: string): boolean {
    const now = this.now();
    const e = this.entries.get(address) ?? { failures: [], blockedUntil: 0 };
    // Re-inserting keeps the map in order of last failure, for forgetting the oldest.
    this.entries.delete(address);
    this.entries.set(address, e);
    e.failures = e.failures.filter((t) => now - t < this.windowMs);
    e.failures.push(now);
    if (e.failures.length >= this.maxFailures) {
      e.blockedUntil = now + this.blockMs;
      e.failures = [];
    }
    if (this.entries.size > MAX_ADDRESSES) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    return e.blockedUntil > now;
  }

  /** A right password clears the address's failures. */
  succeeded(address: string): void {
    const e = this.entries.get(address);
    if (e !== undefined && e.blockedUntil <= this.now()) this.entries.delete(address);
  }
}
