// The RFB server over loopback TCP with the test client of test/vnc: handshakes of every version
// and security type, updates in every encoding, CopyRect, DesktopSize, Cursor, input, and
// clients that break the protocol.

import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AuthLimiter, TOO_MANY_FAILURES } from "./auth-limiter.js";
import { COPY_RECT } from "./encodings/copyrect.js";
import { HEXTILE } from "./encodings/hextile.js";
import { RAW } from "./encodings/raw.js";
import { ZRLE } from "./encodings/zrle.js";
import { CURSOR, DESKTOP_SIZE } from "./framebuffer-update.js";
import { SERVER_PIXEL_FORMAT, type PixelFormat } from "./pixel-format.js";
import { RfbServer, type RfbServerOptions } from "./rfb-server.js";
import { Screen } from "./screen.js";
import { expectedValue } from "../../test/vnc/rfb-decoder.js";
import { TestRfbClient } from "../../test/vnc/rfb-client.js";
import { pixelDifference, sendRaw, until } from "../../test/vnc/serve.js";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** A test pattern: colour bars over a gradient, so misplaced pixels show. */
function pattern(screen: Screen): void {
  const { width: w, height: h } = screen;
  const img = Uint32Array.from({ length: w * h }, (_, i) => {
    const x = i % w;
    const y = Math.floor(i / w);
    return y < h / 2 ? [0xffffff, 0xffff00, 0x00ffff, 0x00ff00, 0xff00ff, 0xff0000, 0x0000ff, 0][Math.floor((x * 8) / w)] : ((x * 255) / w) << 16 | ((y * 255) / h) << 8 | ((x ^ y) & 255);
  });
  screen.putImage(0, 0, w, h, img);
}

interface Started {
  server: RfbServer;
  port: number;
  logs: string[];
  keys: [number, boolean][];
  pointer: [number, number, number][];
  cut: string[];
}

async function start(opts: Partial<RfbServerOptions> = {}, screen = new Screen(160, 100)): Promise<Started> {
  const logs: string[] = [];
  const keys: [number, boolean][] = [];
  const pointer: [number, number, number][] = [];
  const cut: string[] = [];
  const server = new RfbServer({
    screen,
    name: "domU-test",
    log: (m) => logs.push(m),
    input: { key: (k, d) => keys.push([k, d]), pointer: (x, y, b) => pointer.push([x, y, b]), cutText: (t) => cut.push(t) },
    ...opts,
  });
  const tcp: Server = createServer((s) => server.serve(s, s.remoteAddress ?? "?"));
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  cleanup.push(() => {
    server.close();
    tcp.close();
  });
  const address = tcp.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { server, port: address.port, logs, keys, pointer, cut };
}

async function connect(port: number, opts: Parameters<typeof TestRfbClient.connect>[1] = {}): Promise<TestRfbClient> {
  const c = await TestRfbClient.connect(port, opts);
  cleanup.push(() => c.close());
  return c;
}

function expectScreen(c: TestRfbClient, screen: Screen, pf: PixelFormat = SERVER_PIXEL_FORMAT): void {
  expect([c.fb.width, c.fb.height]).toEqual([screen.width, screen.height]);
  expect(pixelDifference(c.fb.pixels, Uint32Array.from(screen.pixels, (p) => expectedValue(pf, p)), screen.width)).toBe("equal");
}

describe("handshake", () => {
  it.each([
    ["3.3", undefined], ["3.7", undefined], ["3.8", undefined],
    ["3.3", "secret"], ["3.7", "secret"], ["3.8", "secret"],
  ] as const)("RFB %s with password %s", async (version, password) => {
    const s = await start({ password });
    const c = await connect(s.port, { version, password });
    expect(c.serverVersion).toBe("RFB 003.008\n");
    expect(c.name).toBe("domU-test");
    expect([c.fb.width, c.fb.height]).toEqual([160, 100]);
    await until("the server sees the client", () => [...s.server.connections].some((x) => x.version === version));
    expect([...s.server.connections][0].security).toBe(password === undefined ? 1 : 2);
  });

  it("counts only the first 8 characters of a password", async () => {
    const s = await start({ password: "12345678-and-more" });
    const c = await connect(s.port, { version: "3.3", password: "12345678" });
    expect(c.name).toBe("domU-test");
  });

  it.each(["3.3", "3.7", "3.8"] as const)("refuses a wrong password (RFB %s)", async (version) => {
    const s = await start({ password: "secret" });
    await expect(connect(s.port, { version, password: "guess" })).rejects.toThrow(version === "3.8" ? "Authentication failed" : "authentication failed");
    await until("the refusal is logged", () => s.logs.some((l) => l.includes("wrong password")));
  });

  it(`refuses an address after 5 wrong passwords within a minute: "${TOO_MANY_FAILURES}"`, async () => {
    let now = 1_000_000;
    const limiter = new AuthLimiter({ now: () => now });
    const s = await start({ password: "secret", limiter });
    const good = await connect(s.port, { password: "secret" });
    for (let i = 0; i < 4; i++) await expect(connect(s.port, { password: `wrong${i}` })).rejects.toThrow("Authentication failed");
    // The fifth failure blocks the address; from then on even the right password is refused.
    await expect(connect(s.port, { password: "wrong5" })).rejects.toThrow(TOO_MANY_FAILURES);
    await expect(connect(s.port, { password: "secret" })).rejects.toThrow(TOO_MANY_FAILURES);
    await expect(connect(s.port, { version: "3.3", password: "secret" })).rejects.toThrow(TOO_MANY_FAILURES);
    // The client that was already in keeps working.
    s.server.screen.fill({ x: 0, y: 0, w: 10, h: 10 }, 0xff0000);
    await good.update(false);
    expectScreen(good, s.server.screen);
    now += 61_000;
    await connect(s.port, { password: "secret" });
  });

  it("spreads failures over time without blocking", async () => {
    let now = 0;
    const limiter = new AuthLimiter({ now: () => now });
    for (let i = 0; i < 20; i++) {
      expect(limiter.failed("10.0.0.1")).toBe(false);
      now += 15_000;
    }
    expect(limiter.isBlocked("10.0.0.1")).toBe(false);
  });
});

describe("updates", () => {
  it.each([[RAW], [HEXTILE], [ZRLE]])("encoding %i: a full update shows the screen, an incremental one what changed", async (encoding) => {
    const s = await start();
    pattern(s.server.screen);
    const c = await connect(s.port);
    c.setEncodings([encoding]);
    const rects = await c.update(false);
    expect(rects.every((r) => r.encoding === encoding)).toBe(true);
    expectScreen(c, s.server.screen);
    c.requestUpdate(true);
    s.server.screen.fill({ x: 20, y: 30, w: 7, h: 5 }, 0x123456);
    const changed = await c.nextUpdate();
    expect(changed.map(({ x, y, w, h }) => ({ x, y, w, h }))).toEqual([{ x: 16, y: 16, w: 16, h: 32 }]);
    expectScreen(c, s.server.screen);
  });

  it("follows SetPixelFormat: 16 bpp big-endian, and 8 bpp with a colour map", async () => {
    const s = await start();
    pattern(s.server.screen);
    const c = await connect(s.port);
    c.setEncodings([ZRLE, HEXTILE]);
    const rgb565be: PixelFormat = { ...SERVER_PIXEL_FORMAT, bitsPerPixel: 16, depth: 16, bigEndian: true, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 };
    c.setPixelFormat(rgb565be);
    await c.update(false);
    expectScreen(c, s.server.screen, rgb565be);
    const map: PixelFormat = { ...SERVER_PIXEL_FORMAT, bitsPerPixel: 8, depth: 8, trueColour: false };
    c.setPixelFormat(map);
    await c.update(false);
    expect(c.colourMap).toHaveLength(256);
    // Each index's map entry is the colour the server meant, to the map's precision.
    const px = Array.from(s.server.screen.pixels.subarray(0, 160), (rgb, i) => ({ rgb, entry: c.colourMap[c.fb.pixels[i]] }));
    for (const { rgb, entry } of px) {
      expect(Math.abs((entry.r >> 8) - ((rgb >> 16) & 255))).toBeLessThanOrEqual(19);
      expect(Math.abs((entry.b >> 8) - (rgb & 255))).toBeLessThanOrEqual(43);
    }
  });

  it("sends a scroll as CopyRect, and the client's copy matches the screen", async () => {
    const s = await start();
    const screen = s.server.screen;
    pattern(screen);
    const c = await connect(s.port);
    c.setEncodings([HEXTILE, COPY_RECT]);
    await c.update(false);
    // Dirty a tile inside the scrolled area first: it must arrive where the scroll moved it.
    c.requestUpdate(true);
    screen.fill({ x: 40, y: 60, w: 4, h: 4 }, 0xabcdef);
    screen.copyRect(0, 16, { x: 0, y: 0, w: 160, h: 84 });
    screen.fill({ x: 0, y: 84, w: 160, h: 16 }, 0);
    const rects = await c.nextUpdate();
    expect(rects[0]).toEqual({ x: 0, y: 0, w: 160, h: 84, encoding: COPY_RECT });
    expectScreen(c, screen);
    // Two scrolls before the client asks: the second is sent as pixels.
    screen.copyRect(0, 8, { x: 0, y: 0, w: 160, h: 92 });
    screen.copyRect(0, 8, { x: 0, y: 0, w: 160, h: 92 });
    await c.update(true);
    expectScreen(c, screen);
  });

  it("tells a DesktopSize client the new size in an update of its own, then sends everything", async () => {
    const s = await start();
    pattern(s.server.screen);
    const c = await connect(s.port);
    c.setEncodings([ZRLE, DESKTOP_SIZE]);
    await c.update(false);
    s.server.screen.resize(200, 60);
    pattern(s.server.screen);
    const rects = await c.update(true);
    expect(rects).toEqual([{ x: 0, y: 0, w: 200, h: 60, encoding: DESKTOP_SIZE }]);
    await c.update(true);
    expectScreen(c, s.server.screen);
  });

  it("keeps a client without DesktopSize to its own size", async () => {
    const s = await start();
    const c = await connect(s.port);
    c.setEncodings([RAW]);
    await c.update(false);
    s.server.screen.resize(320, 200);
    s.server.screen.fill({ x: 0, y: 0, w: 320, h: 200 }, 0x00ff00);
    await c.update(true);
    expect([c.fb.width, c.fb.height]).toEqual([160, 100]);
    expect(c.fb.pixels.every((p) => p === 0x00ff00)).toBe(true);
  });

  it("sends the cursor's image and mask, and hides it", async () => {
    const s = await start();
    const c = await connect(s.port);
    c.setEncodings([RAW, CURSOR]);
    await c.update(false);
    const pixels = Uint32Array.from({ length: 12 * 10 }, (_, i) => (i % 2 ? 0xffffff : 0xff0000));
    const mask = Uint8Array.from({ length: 12 * 10 }, (_, i) => (i % 12 <= Math.floor(i / 12) ? 1 : 0));
    s.server.screen.setCursor({ width: 12, height: 10, hotX: 1, hotY: 2, pixels, mask });
    await c.update(true);
    expect(c.decoder.cursor).toEqual({ hotX: 1, hotY: 2, width: 12, height: 10, pixels, mask });
    s.server.screen.setCursor(undefined);
    await c.update(true);
    expect(c.decoder.cursor?.width).toBe(0);
  });

  it("holds an incremental request until something changes", async () => {
    const s = await start();
    const c = await connect(s.port);
    c.setEncodings([RAW]);
    await c.update(false);
    c.requestUpdate(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(c.reader.available).toBe(0);
    s.server.screen.fill({ x: 0, y: 0, w: 1, h: 1 }, 0xffffff);
    await c.nextUpdate();
    expectScreen(c, s.server.screen);
  });
});

describe("input", () => {
  it("hands keys, pointer and clipboard to the callbacks", async () => {
    const s = await start();
    const c = await connect(s.port);
    c.key(0x61, true);
    c.key(0x61, false);
    c.pointer(10, 20, 1);
    c.pointer(5000, 5000, 0);
    c.cutText("héllo");
    await until("all input arrived", () => s.cut.length === 1);
    expect(s.keys).toEqual([[0x61, true], [0x61, false]]);
    expect(s.pointer).toEqual([[10, 20, 1], [159, 99, 0]]);
    expect(s.cut).toEqual(["héllo"]);
  });
});

describe("sharing", () => {
  it("a client asking for exclusive access disconnects the others, unless sharing is forced", async () => {
    const s = await start();
    const a = await connect(s.port);
    await connect(s.port, { shared: false });
    await a.closed;
    await until("the drop is logged", () => s.logs.some((l) => l.includes("asked for exclusive access")));
    const f = await start({ shareMode: "force-shared" });
    const b = await connect(f.port);
    await connect(f.port, { shared: false });
    b.setEncodings([RAW]);
    await b.update(false);
  });
});

describe("misbehaving clients are dropped, the others go on", () => {
  const afterInit = (msg: Buffer) => [Buffer.from("RFB 003.008\n"), Buffer.from([1, 1]), msg];

  it.each([
    ["garbage instead of a version", [Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n")], "not an RFB version"],
    ["a version 4", [Buffer.from("RFB 004.000\n")], "unsupported RFB version 4.0"],
    ["an unoffered security type", [Buffer.from("RFB 003.008\n"), Buffer.from([2])], "chose security type 2"],
    ["an unknown message type", afterInit(Buffer.from([77, 0, 0, 0])), "unknown message type 77"],
    ["a 2 MiB ClientCutText", afterInit(Buffer.from([6, 0, 0, 0, 0, 0x20, 0, 0])), "ClientCutText of 2097152 bytes"],
    ["an Extended Clipboard length", afterInit(Buffer.from([6, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0])), "ClientCutText of 4294967280 bytes"],
    ["SetEncodings with 65535 encodings", afterInit(Buffer.from([2, 0, 0xff, 0xff])), "SetEncodings with 65535 encodings"],
    ["12 bits per pixel", afterInit(Buffer.from([0, 0, 0, 0, 12, 12, 0, 1, 0, 15, 0, 15, 0, 15, 8, 4, 0, 0, 0, 0])), "12 bits per pixel"],
    ["a red maximum of 200", afterInit(Buffer.from([0, 0, 0, 0, 32, 24, 0, 1, 0, 200, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0])), "red maximum of 200"],
    ["overlapping channels", afterInit(Buffer.from([0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 12, 0, 0, 0, 0])), "overlap"],
    ["a channel beyond the pixel", afterInit(Buffer.from([0, 0, 0, 0, 16, 16, 0, 1, 0, 255, 0, 63, 0, 31, 11, 5, 0, 0, 0, 0])), "outside 16 bits"],
  ])("%s", async (_what, bytes, reason) => {
    const s = await start();
    pattern(s.server.screen);
    const good = await connect(s.port);
    good.setEncodings([ZRLE]);
    await sendRaw(s.port, bytes);
    await until("the reason is logged", () => s.logs.some((l) => l.includes("dropped") && l.includes(reason)));
    await good.update(false);
    expectScreen(good, s.server.screen);
  });

  it("a client that never finishes the handshake is dropped after the timeout", async () => {
    const s = await start({ handshakeTimeoutMs: 200 });
    await sendRaw(s.port, [Buffer.from("RFB 003")]);
    expect(s.logs.some((l) => l.includes("no handshake within 200 ms"))).toBe(true);
  });

  it("a client that does not read gets no more than one update queued", async () => {
    const s = await start({}, new Screen(1024, 768));
    const c = await connect(s.port);
    c.socket.pause();
    c.setEncodings([RAW]);
    for (let i = 0; i < 50; i++) {
      c.requestUpdate(false);
      s.server.screen.fill({ x: 0, y: 0, w: 1024, h: 768 }, i * 0x010101);
      await new Promise((r) => setTimeout(r, 2));
    }
    await until("the server has all the requests", () => [...s.server.connections][0].updateRequests === 50);
    // Each raw update is 3 MiB: the server sent one and waited for the client to read it, then
    // merged everything else into one more.
    c.socket.resume();
    let updates = 0;
    for (;;) {
      const next = c.nextUpdate();
      const got = await Promise.race([next.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 500))]);
      if (!got) break;
      updates++;
    }
    expect(updates).toBeGreaterThanOrEqual(1);
    expect(updates).toBeLessThanOrEqual(3);
    expectScreen(c, s.server.screen);
  });
});
