// Client-to-server messages as bytes (RFC 6143 §7.5), written from the RFC for the tests: the
// test client sends them, and the parser's property tests feed them back.

import type { PixelFormat } from "../../services/vnc/pixel-format.js";
import type { ClientMessage } from "../../services/vnc/rfb-messages.js";

function pixelFormatBytes(pf: PixelFormat): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(pf.bitsPerPixel, 0);
  b.writeUInt8(pf.depth, 1);
  b.writeUInt8(pf.bigEndian ? 1 : 0, 2);
  b.writeUInt8(pf.trueColour ? 1 : 0, 3);
  b.writeUInt16BE(pf.redMax, 4);
  b.writeUInt16BE(pf.greenMax, 6);
  b.writeUInt16BE(pf.blueMax, 8);
  b.writeUInt8(pf.redShift, 10);
  b.writeUInt8(pf.greenShift, 11);
  b.writeUInt8(pf.blueShift, 12);
  return b;
}

export function encodeClientMessage(m: ClientMessage): Buffer {
  switch (m.type) {
    case "setPixelFormat":
      return Buffer.concat([Buffer.from([0, 0, 0, 0]), pixelFormatBytes(m.format)]);
    case "setEncodings": {
      const b = Buffer.alloc(4 + 4 * m.encodings.length);
      b.writeUInt8(2, 0);
      b.writeUInt16BE(m.encodings.length, 2);
      m.encodings.forEach((e, i) => b.writeInt32BE(e, 4 + 4 * i));
      return b;
    }
    case "updateRequest": {
      const b = Buffer.alloc(10);
      b.writeUInt8(3, 0);
      b.writeUInt8(m.incremental ? 1 : 0, 1);
      b.writeUInt16BE(m.x, 2);
      b.writeUInt16BE(m.y, 4);
      b.writeUInt16BE(m.w, 6);
      b.writeUInt16BE(m.h, 8);
      return b;
    }
    case "key": {
      const b = Buffer.alloc(8);
      b.writeUInt8(4, 0);
      b.writeUInt8(m.down ? 1 : 0, 1);
      b.writeUInt32BE(m.keysym, 4);
      return b;
    }
    case "pointer": {
      const b = Buffer.alloc(6);
      b.writeUInt8(5, 0);
      b.writeUInt8(m.buttons, 1);
      b.writeUInt16BE(m.x, 2);
      b.writeUInt16BE(m.y, 4);
      return b;
    }
    case "cutText": {
      const t = Buffer.from(m.text, "latin1");
      const b = Buffer.alloc(8);
      b.writeUInt8(6, 0);
      b.writeUInt32BE(t.length, 4);
      return Buffer.concat([b, t]);
    }
  }
}
