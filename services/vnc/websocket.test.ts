// One port, two kinds of client: a plain RFB client and a WebSocket client (as noVNC connects,
// with the "binary" subprotocol) are both served; a plain HTTP request gets an explanation.

import { request } from "node:http";
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { RfbServer } from "./rfb-server.js";
import { Screen } from "./screen.js";
import { SNIFF_MS, VncListener } from "./websocket.js";
import { TestRfbClient } from "../../test/vnc/rfb-client.js";
import { sendRaw } from "../../test/vnc/serve.js";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function start(): Promise<{ port: number; rfb: RfbServer; logs: string[] }> {
  const logs: string[] = [];
  const screen = new Screen(64, 48);
  screen.fill({ x: 0, y: 0, w: 64, h: 48 }, 0x00ff00);
  const rfb = new RfbServer({ screen, name: "ws-test", log: (m) => logs.push(m) });
  const listener = new VncListener(rfb, { log: (m) => logs.push(m), upgradeTimeoutMs: 300 });
  const tcp: Server = createServer();
  listener.listenOn(tcp);
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  cleanup.push(() => {
    rfb.close();
    listener.close();
    tcp.close();
  });
  const a = tcp.address();
  if (a === null || typeof a === "string") throw new Error("no port");
  return { port: a.port, rfb, logs };
}

describe("RFB and WebSocket on one port", () => {
  it("serves a plain RFB client once it has said nothing for a moment", async () => {
    const { port } = await start();
    const t0 = Date.now();
    const c = await TestRfbClient.connect(port);
    cleanup.push(() => c.close());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(SNIFF_MS - 10);
    expect(c.name).toBe("ws-test");
    await c.update(false);
    expect(c.fb.pixels.every((p) => p === 0x00ff00)).toBe(true);
  });

  it("serves RFB inside a WebSocket with the binary subprotocol", async () => {
    const { port, rfb } = await start();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/websockify`, ["binary"]);
    cleanup.push(() => ws.terminate());
    const received: Buffer[] = [];
    ws.on("message", (m: Buffer) => received.push(m));
    await new Promise((r) => ws.once("open", r));
    expect(ws.protocol).toBe("binary");
    const all = () => Buffer.concat(received);
    const until = async (n: number) => {
      for (const deadline = Date.now() + 5000; all().length < n;) {
        if (Date.now() > deadline) throw new Error(`only ${all().length} bytes`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await until(12);
    expect(all().subarray(0, 12).toString()).toBe("RFB 003.008\n");
    ws.send(Buffer.from("RFB 003.008\n"));
    await until(14);
    expect([...all().subarray(12, 14)]).toEqual([1, 1]);
    ws.send(Buffer.from([1]));
    await until(18);
    ws.send(Buffer.from([1]));
    // ServerInit: 64x48, the pixel format, "ws-test".
    await until(18 + 24 + 7);
    expect(all().readUInt16BE(18)).toBe(64);
    expect(all().subarray(18 + 24).toString()).toBe("ws-test");
    expect([...rfb.connections][0].version).toBe("3.8");
  });

  it("answers a plain HTTP request with an explanation", async () => {
    const { port } = await start();
    const body = await new Promise<string>((resolve, reject) => {
      request({ host: "127.0.0.1", port, path: "/" }, (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve(`${res.statusCode} ${text}`));
      }).on("error", reject).end();
    });
    expect(body).toMatch(/^400 This is a VNC server/);
  });

  it("drops a request that never finishes", async () => {
    const { port, logs } = await start();
    await sendRaw(port, [Buffer.from("GET /websockify HTTP/1.1\r\nHost: x\r\n")]);
    expect(logs.some((l) => l.includes("no WebSocket upgrade within 300 ms"))).toBe(true);
  });

  it("hands garbage that is not a request to RFB, which drops it", async () => {
    const { port, logs } = await start();
    await sendRaw(port, [Buffer.from("HELLO THERE\n")]);
    expect(logs.some((l) => l.includes("not an RFB version"))).toBe(true);
  });
});
