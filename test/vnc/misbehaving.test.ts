// Clients that misbehave, on a display served as the service serves it (port sniffing included):
// each is dropped with its reason logged while a good client, connected all along, keeps getting
// correct updates.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOO_MANY_FAILURES } from "../../services/vnc/auth-limiter.js";
import { ZRLE } from "../../services/vnc/encodings/zrle.js";
import { HandshakeRefused, TestRfbClient } from "./rfb-client.js";
import { pixelDifference, sendRaw, serveScreen, until, type Served } from "./serve.js";

let served: Served;
let good: TestRfbClient;

beforeAll(async () => {
  served = await serveScreen({ password: "right" });
  good = await TestRfbClient.connect(served.display.port, { password: "right" });
  good.setEncodings([ZRLE]);
  await good.update(false);
});
afterAll(async () => {
  good?.close();
  await served?.close();
});

/** The good client still sees every change. */
async function goodClientWorks(colour: number): Promise<void> {
  served.screen.fill({ x: 0, y: 0, w: 50, h: 50 }, colour);
  await good.update(true);
  expect(pixelDifference(good.fb.pixels, served.screen.pixels, served.screen.width)).toBe("equal");
}

describe("misbehaving clients", () => {
  it("garbage instead of a handshake", async () => {
    await sendRaw(served.display.port, [Buffer.from("\x00\x01garbage that is no version at all\n")]);
    await until("the drop is logged", () => served.logs.some((l) => l.includes("dropped: not an RFB version")));
    await goodClientWorks(0xff0000);
  });

  it("a ClientCutText over 1 MiB", async () => {
    const greedy = await TestRfbClient.connect(served.display.port, { password: "right" });
    greedy.cutText("x".repeat(1024 * 1024 + 1));
    await greedy.closed;
    expect(served.logs.some((l) => l.includes("dropped: ClientCutText of 1048577 bytes"))).toBe(true);
    await goodClientWorks(0x00ff00);
  });

  it("a wrong password six times: the address is refused", async () => {
    const reasons: string[] = [];
    for (let i = 0; i < 6; i++) {
      const attempt = TestRfbClient.connect(served.display.port, { password: `guess${i}` });
      await expect(attempt).rejects.toThrow(HandshakeRefused);
      reasons.push(await attempt.then(() => "connected", (e: Error) => e.message));
    }
    expect(reasons).toEqual([...Array(4).fill("Authentication failed"), TOO_MANY_FAILURES, TOO_MANY_FAILURES]);
    // Refused now even with the right password, while the client already in goes on.
    await expect(TestRfbClient.connect(served.display.port, { password: "right" })).rejects.toThrow(TOO_MANY_FAILURES);
    await goodClientWorks(0x0000ff);
    expect(good.socket.destroyed).toBe(false);
  });
});
