// noVNC (npm @novnc/novnc), served by a small HTTP server on loopback and run in Debian's
// Chromium through playwright-core, connects to a screen over WebSocket: its canvas shows the test
// pattern, keys typed in the page reach the server's key callback as the right keysyms, and a
// change of the screen appears on the canvas.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveScreen, until, type Served } from "./serve.js";
import { NoVncPage } from "./novnc-page.js";

let served: Served;
let novnc: NoVncPage;

beforeAll(async () => {
  served = await serveScreen({ width: 320, height: 240 });
  novnc = await NoVncPage.open(served.display.port);
});
afterAll(async () => {
  await novnc?.close();
  await served?.close();
});

async function canvasShowsScreen(): Promise<boolean> {
  const { w, h, px } = await novnc.canvas();
  return w === served.screen.width && h === served.screen.height && px.every((p, i) => p === served.screen.pixels[i]);
}

describe("noVNC in Chromium", () => {
  it("connects over WebSocket and shows the test pattern on its canvas", async () => {
    await until("the canvas shows the screen", canvasShowsScreen);
    expect(served.logs.some((l) => l.includes("connected: RFB 3.8"))).toBe(true);
  });

  it("sends typed keys as keysyms", async () => {
    // Clicking gives the canvas the keyboard focus, as a user does.
    await novnc.page.click("canvas", { position: { x: 5, y: 5 } });
    served.keys.length = 0;
    // Playwright types characters without pressing Shift itself: noVNC sends their keysyms.
    await novnc.page.keyboard.type("Hi!");
    await novnc.page.keyboard.press("Enter");
    await novnc.page.keyboard.press("Shift+KeyA");
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
