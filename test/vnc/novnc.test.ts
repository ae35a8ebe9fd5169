// noVNC (npm @novnc/novnc), served by a small HTTP server on loopback and run in Debian's
// Chromium through playwright-core, connects to a screen over WebSocket: its canvas shows the test
// pattern, keys typed in the page reach the server's key callback as the right keysyms, and a
// change of the screen appears on the canvas.

import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { dirname, join, normalize } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveScreen, until, type Served } from "./serve.js";

/** The package's folder (its exports name only core/rfb.js). */
const NOVNC = dirname(dirname(createRequire(import.meta.url).resolve("@novnc/novnc")));

let served: Served;
let http: Server;
let browser: Browser;
let page: Page;

function indexHtml(port: number): string {
  return `<!doctype html><html><body style="margin:0"><div id="screen"></div><script type="module">
import RFB from "/novnc/core/rfb.js";
const rfb = new RFB(document.getElementById("screen"), "ws://127.0.0.1:${port}/websockify", { wsProtocols: ["binary"] });
window.rfb = rfb;
rfb.addEventListener("connect", () => { window.connected = true; });
rfb.addEventListener("disconnect", (e) => { window.disconnected = JSON.stringify(e.detail); });
</script></body></html>`;
}

beforeAll(async () => {
  served = await serveScreen({ width: 320, height: 240 });
  http = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(indexHtml(served.display.port));
      return;
    }
    const path = normalize(join(NOVNC, url.pathname.replace(/^\/novnc\//, "/")));
    if (!url.pathname.startsWith("/novnc/") || !path.startsWith(NOVNC)) {
      res.writeHead(404).end();
      return;
    }
    readFile(path).then(
      (body) => res.writeHead(200, { "content-type": path.endsWith(".js") ? "text/javascript" : "application/octet-stream" }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--headless=new"] });
  page = await browser.newPage();
});
afterAll(async () => {
  await browser?.close();
  http?.close();
  await served?.close();
});

/** The canvas as 0x00RRGGBB words. */
async function canvasPixels(): Promise<{ w: number; h: number; px: number[] }> {
  return page.evaluate(() => {
    const c = document.querySelector("canvas");
    if (c === null) return { w: 0, h: 0, px: [] };
    const ctx = c.getContext("2d");
    if (ctx === null) return { w: 0, h: 0, px: [] };
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const px: number[] = [];
    for (let i = 0; i < d.length; i += 4) px.push((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return { w: c.width, h: c.height, px };
  });
}

async function canvasShowsScreen(): Promise<boolean> {
  const { w, h, px } = await canvasPixels();
  return w === served.screen.width && h === served.screen.height && px.every((p, i) => p === served.screen.pixels[i]);
}

describe("noVNC in Chromium", () => {
  it("connects over WebSocket and shows the test pattern on its canvas", async () => {
    const address = http.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    await page.goto(`http://127.0.0.1:${address.port}/`);
    await page.waitForFunction(() => (window as unknown as { connected?: boolean }).connected === true, undefined, { timeout: 15_000 });
    await until("the canvas shows the screen", canvasShowsScreen);
    expect(served.logs.some((l) => l.includes("connected: RFB 3.8"))).toBe(true);
  });

  it("sends typed keys as keysyms", async () => {
    // Clicking gives the canvas the keyboard focus, as a user does.
    await page.click("canvas", { position: { x: 5, y: 5 } });
    served.keys.length = 0;
    // Playwright types characters without pressing Shift itself: noVNC sends their keysyms.
    await page.keyboard.type("Hi!");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Shift+KeyA");
    const down = (keysym: number) => ({ keysym, down: true });
    const up = (keysym: number) => ({ keysym, down: false });
    const expected = [
      down(0x48), up(0x48), down(0x69), up(0x69), down(0x21), up(0x21), down(0xff0d), up(0xff0d),
      down(0xffe1), down(0x41), up(0x41), up(0xffe1),
    ];
    await until(`all keys arrived (${JSON.stringify(served.keys)})`, () => served.keys.length >= expected.length, 5000);
    expect(served.keys).toEqual(expected);
  });

  it("shows a change of the screen", async () => {
    served.screen.fill({ x: 100, y: 50, w: 40, h: 30 }, 0x123456);
    served.screen.copyRect(0, 0, { x: 200, y: 100, w: 64, h: 64 });
    await until("the canvas follows", canvasShowsScreen);
  });
});
