// One RFB client of a screen: the handshake, then its messages, and framebuffer updates sent as
// it asks for them (RFC 6143). A client that breaks the protocol is dropped with the reason
// logged; nothing it sends can throw out of here or make the server hold more than one message
// (at most 1 MiB) and one update for it.

import type { Duplex } from "node:stream";
import type { AuthLimiter } from "./auth-limiter.js";
import { ByteWriter } from "./byte-writer.js";
import { DirtyTiles } from "./dirty-tiles.js";
import { COPY_RECT } from "./encodings/copyrect.js";
import { RAW } from "./encodings/raw.js";
import { CURSOR, DESKTOP_SIZE, PIXEL_ENCODINGS, encodeUpdate, type PixelEncoding, type UpdatePlan } from "./framebuffer-update.js";
import { colourMapEntries, PixelTranslator, SERVER_PIXEL_FORMAT, writePixelFormat, type PixelFormat } from "./pixel-format.js";
import { Handshake, type HandshakeStep, type RfbVersion } from "./rfb-handshake.js";
import { ClientMessageParser, RfbProtocolError, type ClientMessage } from "./rfb-messages.js";
import { intersect, type Rect, type Screen, type ScreenChange } from "./screen.js";
import { ZlibStream } from "./zlib-stream.js";

/** Where key and pointer events from clients go: the guest's keyboard and mouse. */
export interface RfbInput {
  key?(keysym: number, down: boolean): void;
  pointer?(x: number, y: number, buttons: number): void;
  cutText?(text: string): void;
}

export interface ConnectionContext {
  readonly screen: Screen;
  readonly name: string;
  readonly password: string | undefined;
  readonly input: RfbInput;
  readonly limiter: AuthLimiter;
  readonly handshakeTimeoutMs: number;
  readonly log: (msg: string) => void;
  /** Called once the client is through the handshake; `shared` is its ClientInit flag. */
  readonly ready: (conn: RfbConnection, shared: boolean) => void;
  readonly closed: (conn: RfbConnection) => void;
}

/** More rectangles than this in one update are sent as their bounding box instead. */
const MAX_RECTS = 256;
/** How long a refused client gets to read the reason before the connection is cut. */
const LINGER_MS = 1000;
const SET_COLOUR_MAP_ENTRIES = 1;

function boundingBox(rects: readonly Rect[]): Rect {
  const x = Math.min(...rects.map((r) => r.x));
  const y = Math.min(...rects.map((r) => r.y));
  return { x, y, w: Math.max(...rects.map((r) => r.x + r.w)) - x, h: Math.max(...rects.map((r) => r.y + r.h)) - y };
}

export class RfbConnection {
  /** What the client asked for, for the service's status and the tests. */
  version: RfbVersion | undefined;
  security: number | undefined;
  encodings: readonly number[] = [];
  format: PixelFormat = SERVER_PIXEL_FORMAT;
  updateRequests = 0;

  private handshake: Handshake | undefined;
  private parser: ClientMessageParser | undefined;
  private px = new PixelTranslator(SERVER_PIXEL_FORMAT);
  private encoding: PixelEncoding = RAW;
  private zlib: ZlibStream | undefined;
  /** The size of the client's framebuffer, which lags the screen's without DesktopSize. */
  private clientWidth = 0;
  private clientHeight = 0;
  private dirty = new DirtyTiles(0, 0);
  private pendingCopy: UpdatePlan["copy"];
  private cursorChanged = false;
  private sizeChanged = false;
  private requested = false;
  private sending = false;
  private waitingDrain = false;
  private done = false;
  /** Why the handshake failed, while the client reads the reason. */
  private refusal: string | undefined;
  private stopListening: (() => void) | undefined;
  private readonly handshakeTimer: NodeJS.Timeout;

  constructor(readonly id: number, readonly address: string, private readonly stream: Duplex, private readonly ctx: ConnectionContext) {
    this.handshake = new Handshake({ password: ctx.password, address, limiter: ctx.limiter });
    this.handshakeTimer = setTimeout(() => this.drop(`no handshake within ${ctx.handshakeTimeoutMs} ms`), ctx.handshakeTimeoutMs);
    this.handshakeTimer.unref();
    stream.on("data", (chunk: Uint8Array) => this.onData(chunk));
    stream.on("error", (e: Error) => this.finish(`connection error: ${e.message}`));
    stream.on("close", () => this.finish(undefined));
    stream.on("end", () => this.finish(undefined));
    stream.write(this.handshake.greeting());
  }

  get closed(): boolean {
    return this.done;
  }

  /** Disconnects the client, logging why. */
  drop(reason: string): void {
    if (this.done) return;
    this.stream.destroy();
    this.finish(reason);
  }

  private finish(reason: string | undefined): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.handshakeTimer);
    this.stopListening?.();
    this.zlib?.close();
    this.stream.destroy();
    const why = reason ?? this.refusal;
    this.ctx.log(`client ${this.id} (${this.address}) ${why === undefined ? "disconnected" : `dropped: ${why}`}`);
    this.ctx.closed(this);
  }

  private onData(chunk: Uint8Array): void {
    if (this.done) return;
    try {
      if (this.handshake !== undefined) this.handshakeData(chunk, this.handshake);
      else if (this.parser !== undefined) for (const m of this.parser.push(chunk)) this.onMessage(m);
    } catch (e) {
      this.drop(e instanceof RfbProtocolError ? e.message : `internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
  }

  private handshakeData(chunk: Uint8Array, handshake: Handshake): void {
    const steps: HandshakeStep[] = handshake.push(chunk);
    for (const s of steps) {
      if (s.kind === "send") {
        this.stream.write(s.data);
      } else if (s.kind === "fail") {
        // The client is told why (where the version allows) before the connection is cut.
        this.handshake = undefined;
        this.refusal = s.reason;
        this.stream.end();
        setTimeout(() => this.drop(s.reason), LINGER_MS).unref();
        return;
      } else {
        this.handshake = undefined;
        clearTimeout(this.handshakeTimer);
        this.version = s.version;
        this.security = s.security;
        this.start();
        this.ctx.ready(this, s.shared);
        if (!this.done) for (const m of this.parser?.push(s.rest) ?? []) this.onMessage(m);
      }
    }
  }

  /** Sends ServerInit and starts following the screen. */
  private start(): void {
    const { screen } = this.ctx;
    this.parser = new ClientMessageParser();
    this.clientWidth = screen.width;
    this.clientHeight = screen.height;
    this.dirty = new DirtyTiles(screen.width, screen.height);
    this.cursorChanged = screen.cursor !== undefined;
    const name = Buffer.from(this.ctx.name, "utf8");
    const out = new ByteWriter(64).u16(screen.width).u16(screen.height);
    writePixelFormat(SERVER_PIXEL_FORMAT, out);
    this.stream.write(out.u32(name.length).bytes(name).take());
    this.stopListening = screen.onChange((c) => this.onScreenChange(c));
  }

  private onMessage(m: ClientMessage): void {
    // An earlier message of the same chunk may have ended the connection (an exclusive client).
    if (this.done) return;
    const { screen, input } = this.ctx;
    switch (m.type) {
      case "setPixelFormat":
        this.format = m.format;
        this.px = new PixelTranslator(m.format);
        if (!m.format.trueColour) this.sendColourMap();
        break;
      case "setEncodings": {
        this.encodings = m.encodings;
        this.encoding = m.encodings.find((e): e is PixelEncoding => (PIXEL_ENCODINGS as readonly number[]).includes(e)) ?? RAW;
        if (this.has(CURSOR) && screen.cursor !== undefined) this.cursorChanged = true;
        break;
      }
      case "updateRequest": {
        this.updateRequests++;
        this.requested = true;
        if (!m.incremental) this.dirty.add(m);
        break;
      }
      case "key":
        input.key?.(m.keysym, m.down);
        break;
      case "pointer":
        input.pointer?.(Math.min(m.x, screen.width - 1), Math.min(m.y, screen.height - 1), m.buttons);
        break;
      case "cutText":
        input.cutText?.(m.text);
        break;
    }
    this.scheduleSend();
  }

  private has(encoding: number): boolean {
    return this.encodings.includes(encoding);
  }

  private sendColourMap(): void {
    const entries = colourMapEntries();
    const out = new ByteWriter(6 + 6 * entries.length).u8(SET_COLOUR_MAP_ENTRIES).u8(0).u16(0).u16(entries.length);
    for (const e of entries) out.u16(e.r).u16(e.g).u16(e.b);
    this.stream.write(out.take());
  }

  private onScreenChange(c: ScreenChange): void {
    const { screen } = this.ctx;
    switch (c.kind) {
      case "damage":
        this.dirty.add(c.rect);
        break;
      case "copy": {
        const inside = (r: Rect) => r.x + r.w <= this.dirty.width && r.y + r.h <= this.dirty.height;
        const src = { x: c.srcX, y: c.srcY, w: c.rect.w, h: c.rect.h };
        // One CopyRect an update: the dirty tiles can follow one move, not a chain of them.
        if (this.has(COPY_RECT) && this.pendingCopy === undefined && inside(src) && inside(c.rect)) {
          this.pendingCopy = { srcX: c.srcX, srcY: c.srcY, rect: c.rect };
          this.dirty.copy(c.srcX, c.srcY, c.rect);
        } else {
          this.dirty.add(c.rect);
        }
        break;
      }
      case "resize":
        // What the client has no longer matches the screen: all of it is sent again, as far as
        // the client's framebuffer reaches until it learns the new size.
        this.sizeChanged = true;
        this.pendingCopy = undefined;
        this.dirty = new DirtyTiles(Math.min(this.clientWidth, screen.width), Math.min(this.clientHeight, screen.height));
        this.dirty.addAll();
        break;
      case "cursor":
        this.cursorChanged = true;
        break;
    }
    this.scheduleSend();
  }

  private scheduleSend(): void {
    if (this.done || !this.requested || this.sending || this.waitingDrain) return;
    const pending = (this.sizeChanged && this.has(DESKTOP_SIZE)) || (this.cursorChanged && this.has(CURSOR)) || this.pendingCopy !== undefined || !this.dirty.isEmpty;
    if (!pending) return;
    // A client that does not read gets nothing more until it does: memory stays bounded.
    if (this.stream.writableNeedDrain) {
      this.waitingDrain = true;
      this.stream.once("drain", () => {
        this.waitingDrain = false;
        this.scheduleSend();
      });
      return;
    }
    this.sending = true;
    // Changes made in the same turn (a guest drawing many rectangles) go in one update.
    setImmediate(() => void this.sendUpdate());
  }

  private plan(): UpdatePlan {
    const { screen } = this.ctx;
    if (this.sizeChanged && this.has(DESKTOP_SIZE)) {
      // Alone in its update, as libvncserver sends it: the client resizes, then asks again.
      this.sizeChanged = false;
      this.clientWidth = screen.width;
      this.clientHeight = screen.height;
      this.dirty = new DirtyTiles(screen.width, screen.height);
      this.dirty.addAll();
      return { desktopSize: { w: screen.width, h: screen.height }, rects: [], encoding: this.encoding };
    }
    this.sizeChanged = false;
    const cursor = this.cursorChanged && this.has(CURSOR) ? (screen.cursor ?? null) : undefined;
    this.cursorChanged = false;
    const copy = this.pendingCopy;
    this.pendingCopy = undefined;
    let rects = this.dirty.take().flatMap((r) => intersect(r, screen.bounds) ?? []);
    if (rects.length > MAX_RECTS) rects = [boundingBox(rects)];
    return { cursor, copy, rects, encoding: this.encoding };
  }

  private async sendUpdate(): Promise<void> {
    if (this.done) return;
    this.requested = false;
    try {
      const parts = await encodeUpdate(this.ctx.screen, this.plan(), this.px, () => (this.zlib ??= new ZlibStream()));
      if (this.done) return;
      for (const p of parts) this.stream.write(p);
    } catch (e) {
      this.drop(`internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      return;
    }
    this.sending = false;
    this.scheduleSend();
  }
}
