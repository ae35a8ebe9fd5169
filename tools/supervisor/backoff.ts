// When to restart a service that died. A service that dies at once is retried after 100 ms, then
// 200, 400 … up to 5 s, so a broken service does not spin the host's CPU; one that had run for a
// stable minute starts again from 100 ms, because its death is news, not a crash loop.

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /** A run at least this long resets the delay. */
  readonly stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 5000, stableMs: 60_000 };

export class Backoff {
  private nextMs: number;

  constructor(private readonly policy: BackoffPolicy = DEFAULT_BACKOFF) {
    this.nextMs = policy.initialMs;
  }

  /** The delay before the next start of a service that ran for `ranMs` and then died. */
  afterExit(ranMs: number): number {
    if (ranMs >= this.policy.stableMs) this.nextMs = this.policy.initialMs;
    const delay = this.nextMs;
    this.nextMs = Math.min(this.policy.maxMs, this.nextMs * 2);
    return delay;
  }
}
