// noVNC (npm @novnc/novnc) in Debian's Chromium through playwright-core, for the tests: a small
// HTTP server on loopback serves noVNC and a page that connects to a VNC port over WebSocket.

import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { dirname, join, normalize } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

/** The package's folder (its exports name only core/rfb.js). */
const NOVNC = dirname(dirname(createRequire(import.meta.url).resolve("@novnc/novnc")));

function indexHtml(port: number): string {
  return `<!doctype html><html><body style="margin:0"><div id="screen"></div><script type="module">
import RFB from "/novnc/core/rfb.js";
const rfb = new RFB(document.getElementById("screen"), "ws://127.0.0.1:${port}/websockify", { wsProtocols: ["binary"] });
window.rfb = rfb;
rfb.addEventListener("connect", () => { window.connected = true; });
rfb.addEventListener("disconnect", (e) => { window.disconnected = JSON.stringify(e.detail); });
</script></body></html>`;
}

export class NoVncPage {
  private constructor(private readonly http: Server, private readonly browser: Browser, readonly page: Page) {}

  /** Opens noVNC on `vncPort` and waits until it is connected. */
  static async open(vncPort: number): Promise<NoVncPage> {
    const http = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname === "/") {
        res.writeHead(200, { "content-type": "text/html" });
        res.end(indexHtml(vncPort));
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
    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--headless=new"] });
    const page = await browser.newPage();
    const address = http.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    await page.goto(`http://127.0.0.1:${address.port}/`);
    await page.waitForFunction(() => (window as unknown as { connected?: boolean }).connected === true, undefined, { timeout: 15_000 });
    return new NoVncPage(http, browser, page);
  }

  /** The canvas as 0x00RRGGBB words. */
  async canvas(): Promise<{ w: number; h: number; px: number[] }> {
    return this.page.evaluate(() => {
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

  async close(): Promise<void> {
    await this.browser.close();
    this.http.close();
  }
}
