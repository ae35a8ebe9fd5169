// A growing buffer for building RFB messages, big-endian as the protocol is, except pixel values,
// which follow the client's pixel format.

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.len;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.len++] = v;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.view.setUint16(this.len, v);
    this.len += 2;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.view.setUint32(this.len, v);
    this.len += 4;
    return this;
  }

  s32(v: number): this {
    this.reserve(4);
    this.view.setInt32(this.len, v);
    this.len += 4;
    return this;
  }

  /** The low `bytes` bytes of v (1 to 4), in the order given. */
  uint(v: number, bytes: number, bigEndian: boolean): this {
    this.reserve(bytes);
    for (let i = 0; i < bytes; i++) {
      const shift = 8 * (bigEndian ? bytes - 1 - i : i);
      this.buf[this.len++] = (v >>> shift) & 255;
    }
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  zeros(n: number): this {
    this.reserve(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
    return this;
  }

  /** What was written, as a copy; the writer starts again empty. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    this.len = 0;
    return out;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }
}
