// What a domain's console printed last, as xenconsoled keeps it: the last `limit` bytes in a ring
// that grows to `limit` as output comes. An append costs its own bytes, never a copy of all that
// is kept: a domain printing a line a second would otherwise copy up to 64 KiB each second, which
// across a thousand idle domains was most of the host's idle CPU.

export class ConsoleLog {
  private buf: Uint8Array;
  /** Index of the oldest byte kept, and how many are kept. */
  private start = 0;
  private held = 0;

  constructor(readonly limit: number) {
    this.buf = new Uint8Array(Math.min(1024, limit));
  }

  get length(): number {
    return this.held;
  }

  append(bytes: Uint8Array): void {
    const b = bytes.length > this.limit ? bytes.subarray(bytes.length - this.limit) : bytes;
    if (this.held + b.length > this.buf.length && this.buf.length < this.limit) {
      let cap = this.buf.length;
      while (cap < this.held + b.length && cap < this.limit) cap *= 2;
      const next = new Uint8Array(Math.min(cap, this.limit));
      next.set(this.last(this.held));
      this.buf = next;
      this.start = 0;
    }
    const cap = this.buf.length;
    const at = (this.start + this.held) % cap;
    const first = Math.min(b.length, cap - at);
    this.buf.set(b.subarray(0, first), at);
    this.buf.set(b.subarray(first), 0);
    const overflow = this.held + b.length - cap;
    if (overflow > 0) {
      this.start = (this.start + overflow) % cap;
      this.held = cap;
    } else this.held += b.length;
  }

  /** A copy of the last `n` bytes kept (all of them by default), oldest first. */
  last(n = this.held): Uint8Array {
    const count = Math.min(n, this.held);
    const cap = this.buf.length;
    const from = (this.start + this.held - count) % cap;
    const out = new Uint8Array(count);
    const first = Math.min(count, cap - from);
    out.set(this.buf.subarray(from, from + first));
    out.set(this.buf.subarray(0, count - first), first);
    return out;
  }
}
