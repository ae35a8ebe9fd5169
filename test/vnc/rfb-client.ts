// A small RFB client for the tests, written from RFC 6143: versions 3.3/3.7/3.8, None and VNC
// Authentication, any pixel format, and the decoder of rfb-decoder.ts for updates.

import { connect, type Socket } from "node:net";
import type { PixelFormat } from "../../services/vnc/pixel-format.js";
import { vncAuthResponse } from "../../services/vnc/vnc-auth.js";
import { encodeClientMessage } from "./client-messages.js";
import { Framebuffer, RectDecoder, StreamReader, type RectHeader } from "./rfb-decoder.js";

export interface ClientOptions {
  readonly version?: "3.3" | "3.7" | "3.8";
  readonly password?: string;
  readonly shared?: boolean;
}

export class HandshakeRefused extends Error {
  override name = "HandshakeRefused";
}

export class TestRfbClient {
  readonly reader = new StreamReader();
  fb = new Framebuffer(0, 0);
  name = "";
  serverVersion = "";
  decoder!: RectDecoder;
  colourMap: { r: number; g: number; b: number }[] = [];
  cutTexts: string[] = [];
  closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on("data", (c: Buffer) => this.reader.push(c));
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        this.reader.end(new Error("the server closed the connection"));
        resolve();
      });
    });
    socket.on("error", () => {});
  }

  /** Connects to 127.0.0.1:port and goes through the handshake; HandshakeRefused says why not. */
  static async connect(port: number, opts: ClientOptions = {}): Promise<TestRfbClient> {
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const c = new TestRfbClient(socket);
    try {
      await c.handshake(opts);
    } catch (e) {
      socket.destroy();
      throw e;
    }
    return c;
  }

  private async reason(): Promise<string> {
    const n = await this.reader.u32();
    return (await this.reader.read(n)).toString("latin1");
  }

  private async handshake(opts: ClientOptions): Promise<void> {
    const r = this.reader;
    this.serverVersion = (await r.read(12)).toString("latin1");
    const version = opts.version ?? "3.8";
    this.socket.write(`RFB 003.00${version[2]}\n`);
    let type: number;
    if (version === "3.3") {
      type = await r.u32();
      if (type === 0) throw new HandshakeRefused(await this.reason());
    } else {
      const n = await r.u8();
      if (n === 0) throw new HandshakeRefused(await this.reason());
      const types = [...(await r.read(n))];
      type = opts.password !== undefined ? 2 : 1;
      if (!types.includes(type)) throw new Error(`the server offers security types ${types.join(",")}`);
      this.socket.write(Buffer.from([type]));
    }
    if (type === 2) {
      const challenge = await r.read(16);
      this.socket.write(vncAuthResponse(opts.password ?? "", challenge));
    }
    if (type === 2 || version === "3.8") {
      const result = await r.u32();
      if (result !== 0) throw new HandshakeRefused(version === "3.8" ? await this.reason() : "authentication failed");
    }
    this.socket.write(Buffer.from([opts.shared === false ? 0 : 1]));
    const w = await r.u16();
    const h = await r.u16();
    const b = await r.read(16);
    const format: PixelFormat = {
      bitsPerPixel: b[0], depth: b[1], bigEndian: b[2] !== 0, trueColour: b[3] !== 0,
      redMax: b.readUInt16BE(4), greenMax: b.readUInt16BE(6), blueMax: b.readUInt16BE(8),
      redShift: b[10], greenShift: b[11], blueShift: b[12],
    };
    this.name = (await r.read(await r.u32())).toString("utf8");
    this.fb = new Framebuffer(w, h);
    this.decoder = new RectDecoder(format);
  }

  setPixelFormat(format: PixelFormat): void {
    this.socket.write(encodeClientMessage({ type: "setPixelFormat", format }));
    this.decoder.format = format;
  }

  setEncodings(encodings: readonly number[]): void {
    this.socket.write(encodeClientMessage({ type: "setEncodings", encodings }));
  }

  requestUpdate(incremental: boolean, rect = { x: 0, y: 0, w: this.fb.width, h: this.fb.height }): void {
    this.socket.write(encodeClientMessage({ type: "updateRequest", incremental, ...rect }));
  }

  key(keysym: number, down: boolean): void {
    this.socket.write(encodeClientMessage({ type: "key", keysym, down }));
  }

  pointer(x: number, y: number, buttons: number): void {
    this.socket.write(encodeClientMessage({ type: "pointer", x, y, buttons }));
  }

  cutText(text: string): void {
    this.socket.write(encodeClientMessage({ type: "cutText", text }));
  }

  /** Reads server messages up to and including the next FramebufferUpdate, which it applies. */
  async nextUpdate(): Promise<RectHeader[]> {
    const r = this.reader;
    for (;;) {
      const type = await r.u8();
      if (type === 0) {
        await r.u8();
        const n = await r.u16();
        const rects: RectHeader[] = [];
        for (let i = 0; i < n; i++) {
          const h = { x: await r.u16(), y: await r.u16(), w: await r.u16(), h: await r.u16(), encoding: await r.s32() };
          await this.decoder.decode(r, h, this.fb);
          rects.push(h);
        }
        return rects;
      } else if (type === 1) {
        await r.read(3);
        const n = await r.u16();
        this.colourMap = [];
        for (let i = 0; i < n; i++) this.colourMap.push({ r: await r.u16(), g: await r.u16(), b: await r.u16() });
      } else if (type === 2) {
        // Bell.
      } else if (type === 3) {
        await r.read(3);
        this.cutTexts.push((await r.read(await r.u32())).toString("latin1"));
      } else {
        throw new Error(`server message type ${type}`);
      }
    }
  }

  /** Asks for an update and applies it. */
  async update(incremental = false): Promise<RectHeader[]> {
    this.requestUpdate(incremental);
    return this.nextUpdate();
  }

  close(): void {
    this.socket.destroy();
  }
}
