// A screen served as the framebuffer service serves one: a VNC display from DisplayPorts, RFB and
// WebSocket on its port, input recorded. For the tests with real VNC clients.

import { connect } from "node:net";
import { DisplayPorts, type VncDisplay } from "../../services/vnc/display-ports.js";
import { RfbServer, type RfbServerOptions } from "../../services/vnc/rfb-server.js";
import { Screen } from "../../services/vnc/screen.js";
import { VncListener } from "../../services/vnc/websocket.js";

export interface Served {
  readonly screen: Screen;
  readonly rfb: RfbServer;
  readonly display: VncDisplay;
  readonly logs: string[];
  /** Key events, in order. */
  readonly keys: { keysym: number; down: boolean }[];
  close(): Promise<void>;
}

/**
 * A test pattern of 16×16 blocks, each one flat colour that differs from its neighbours in every
 * channel: blocks line up with JPEG's 16×16 colour blocks, so even a JPEG of it keeps each
 * block's colour, and any misplaced, swapped or shifted pixels show.
 */
export function blockPattern(screen: Screen): void {
  const { width: w, height: h } = screen;
  const img = Uint32Array.from({ length: w * h }, (_, i) => {
    const bx = Math.floor((i % w) / 16);
    const by = Math.floor(Math.floor(i / w) / 16);
    const r = (bx * 67 + by * 13) % 256;
    const g = (bx * 29 + by * 101 + 60) % 256;
    const b = (bx * 151 + by * 47 + 120) % 256;
    return (r << 16) | (g << 8) | b;
  });
  screen.putImage(0, 0, w, h, img);
}

export async function serveScreen(opts: Partial<RfbServerOptions> & { width?: number; height?: number; ports?: DisplayPorts } = {}): Promise<Served> {
  const screen = new Screen(opts.width ?? 320, opts.height ?? 240);
  blockPattern(screen);
  const logs: string[] = [];
  const keys: { keysym: number; down: boolean }[] = [];
  const log = (m: string) => logs.push(m);
  const rfb = new RfbServer({ screen, name: "test-domain", log, input: { key: (keysym, down) => keys.push({ keysym, down }) }, ...opts });
  // The real base port: DisplayPorts skips whatever other tests (or programs) hold.
  const display = await (opts.ports ?? new DisplayPorts()).acquire();
  const listener = new VncListener(rfb, { log });
  listener.listenOn(display.server);
  return {
    screen, rfb, display, logs, keys,
    close: async () => {
      rfb.close();
      listener.close();
      await display.release();
    },
  };
}

export async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  for (const deadline = Date.now() + ms; !(await ok());) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sends bytes on a fresh connection to 127.0.0.1:port and waits until the server closes it. */
export async function sendRaw(port: number, bytes: readonly Uint8Array[]): Promise<void> {
  const s = connect(port, "127.0.0.1");
  s.on("error", () => {});
  s.resume();
  await new Promise((r) => s.once("connect", r));
  for (const b of bytes) s.write(b);
  await new Promise((r) => s.once("close", r));
}

/**
 * Whether two images are equal, as a message naming the first differing pixel or "equal":
 * much faster than a deep toEqual on hundreds of thousands of pixels.
 */
export function pixelDifference(actual: Uint32Array, expected: Uint32Array, width: number): string {
  if (actual.length !== expected.length) return `${actual.length} pixels, expected ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) return `pixel (${i % width},${Math.floor(i / width)}) is ${actual[i].toString(16)}, expected ${expected[i].toString(16)}`;
  }
  return "equal";
}
