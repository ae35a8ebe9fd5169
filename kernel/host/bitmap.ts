// Bitmaps the kernel keeps in its linear memory for the host to take (the dirty log, posted
// event-channel sends): bit n is bit n & 7 of byte n >> 3.

/**
 * The numbers of the bits set in `bitmap`, lowest first, which are cleared. A word at a time:
 * these maps are mostly zeros, and some are taken at every exit.
 */
export function takeSetBits(bitmap: Uint8Array): number[] {
  const bits: number[] = [];
  const words = new DataView(bitmap.buffer, bitmap.byteOffset, bitmap.length);
  const wholeWords = bitmap.length & ~3;
  for (let at = 0; at < wholeWords; at += 4) {
    const word = words.getUint32(at, true);
    if (word === 0) continue;
    for (let bit = 0; bit < 32; bit++) if ((word & (1 << bit)) !== 0) bits.push(at * 8 + bit);
    words.setUint32(at, 0, true);
  }
  for (let at = wholeWords; at < bitmap.length; at++) {
    const byte = bitmap[at];
    for (let bit = 0; bit < 8; bit++) if ((byte & (1 << bit)) !== 0) bits.push(at * 8 + bit);
    bitmap[at] = 0;
  }
  return bits;
}
