// Bytes received and not yet parsed, however the stream was chunked.

/** Chunks up to this size are copied together, so a peer dripping bytes costs no object per byte. */
const SMALL = 512;

export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private size = 0;
  /** The buffer the last chunk is a view of, when it collects small chunks; it has room to grow. */
  private tail: Uint8Array | undefined;

  get length(): number {
    return this.size;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.size += chunk.length;
    const last = this.chunks[this.chunks.length - 1];
    if (chunk.length > SMALL) {
      this.chunks.push(chunk);
      this.tail = undefined;
    } else if (this.tail !== undefined && last !== undefined && last.buffer === this.tail.buffer) {
      const start = last.byteOffset - this.tail.byteOffset;
      const end = start + last.length;
      if (end + chunk.length > this.tail.length) {
        // Grow to twice what is live, dropping what was taken: amortised O(1) a byte.
        const grown = new Uint8Array(2 * (last.length + chunk.length));
        grown.set(last);
        this.tail = grown;
        this.tail.set(chunk, last.length);
        this.chunks[this.chunks.length - 1] = grown.subarray(0, last.length + chunk.length);
      } else {
        this.tail.set(chunk, end);
        this.chunks[this.chunks.length - 1] = this.tail.subarray(start, end + chunk.length);
      }
    } else {
      this.tail = new Uint8Array(2 * SMALL);
      this.tail.set(chunk);
      this.chunks.push(this.tail.subarray(0, chunk.length));
    }
  }

  /** The byte at `offset` (which must be below length) without taking it. */
  peek(offset: number): number {
    for (const c of this.chunks) {
      if (offset < c.length) return c[offset];
      offset -= c.length;
    }
    throw new RangeError(`peek at ${offset} past the queue`);
  }

  /** The big-endian unsigned number in the `bytes` bytes (1 to 4) at `offset`, without taking them. */
  peekUint(offset: number, bytes: number): number {
    let v = 0;
    for (let i = 0; i < bytes; i++) v = v * 256 + this.peek(offset + i);
    return v;
  }

  /** Removes n bytes (at most length): a view when they lie in one chunk, else a copy. */
  take(n: number): Uint8Array {
    if (n > this.size) throw new RangeError(`take ${n} of ${this.size} bytes`);
    if (n === 0) return new Uint8Array(0);
    this.size -= n;
    const first = this.chunks[0];
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    for (let filled = 0; filled < n;) {
      const c = this.chunks[0];
      const part = Math.min(c.length, n - filled);
      out.set(c.subarray(0, part), filled);
      filled += part;
      if (part === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(part);
    }
    return out;
  }
}
