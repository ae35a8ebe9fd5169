// When to restart a service that died. One that dies before it is ready (a broken program, a bad
// config) is retried after 100 ms, then 200, 400 … up to 5 s, so it does not spin the host's CPU;
// one that had come up and was serving starts again after 100 ms, because its death is news (a
// kill, a crash on some input), not a crash loop: a backend killed over and over must come back
// fast, since guests wait for it.

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 5000 };

export class Backoff {
  private nextMs: number;

  constructor(private readonly policy: BackoffPolicy = DEFAULT_BACKOFF) {
    this.nextMs = policy.initialMs;
  }

  /** The delay before the next start of a service that died, ready (it had come up) or not. */
  afterExit(wasReady: boolean): number {
    if (wasReady) this.nextMs = this.policy.initialMs;
    const delay = this.nextMs;
    this.nextMs = Math.min(this.policy.maxMs, this.nextMs * 2);
    return delay;
  }
}
