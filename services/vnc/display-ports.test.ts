// The manual's port rules on loopback, with a base port away from 5900 so tests (and a desktop's
// own VNC server) do not collide.

import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DisplayInUseError, DisplayPorts, type VncDisplay } from "./display-ports.js";

/** A base port chosen at random in a high range, per test, so parallel tests do not meet. */
const randomBase = () => 20_000 + Math.floor(Math.random() * 400) * 100;

const held: VncDisplay[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const d of held.splice(0)) await d.release();
  for (const c of children.splice(0)) c.kill();
});

async function take(ports: DisplayPorts, fixed?: number): Promise<VncDisplay> {
  const d = await ports.acquire(fixed);
  held.push(d);
  return d;
}

/** Another program holding a port. */
async function otherProgramOn(port: number): Promise<void> {
  const child = spawn(process.execPath, ["-e", `require("net").createServer().listen(${port}, "127.0.0.1", () => console.log("up"))`], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`the port holder exited with ${code}`)));
  });
}

describe("VNC display ports", () => {
  it("gives the lowest free display, listening on 127.0.0.1 at base + N", async () => {
    const base = randomBase();
    const ports = new DisplayPorts({ basePort: base });
    const ds = [await take(ports), await take(ports), await take(ports)];
    expect(ds.map((d) => [d.display, d.port])).toEqual([[0, base], [1, base + 1], [2, base + 2]]);
    expect(ds[1].server.address()).toMatchObject({ address: "127.0.0.1", port: base + 1 });
    expect(ports.inUse()).toEqual([0, 1, 2]);
  });

  it("reuses a released display, as the manual's example: 1, 2, 4, 5 taken gives 3", async () => {
    const ports = new DisplayPorts({ basePort: randomBase() });
    const ds = await Promise.all([0, 1, 2, 3, 4, 5].map(() => take(ports)));
    expect(ds.map((d) => d.display).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    await ds[0].release();
    await ds[3].release();
    await ds[3].release();
    expect((await take(ports)).display).toBe(0);
    expect((await take(ports)).display).toBe(3);
    expect((await take(ports)).display).toBe(6);
  });

  it("uses a fixed display as given, refuses it while taken, and skips it for the others", async () => {
    const base = randomBase();
    const ports = new DisplayPorts({ basePort: base });
    const fixed = await take(ports, 2);
    expect(fixed.port).toBe(base + 2);
    await expect(ports.acquire(2)).rejects.toThrow(DisplayInUseError);
    await expect(ports.acquire(2)).rejects.toThrow("used by another screen");
    expect([(await take(ports)).display, (await take(ports)).display, (await take(ports)).display]).toEqual([0, 1, 3]);
    await expect(ports.acquire(100)).rejects.toThrow(RangeError);
  });

  it("skips a port another program holds, and refuses it as a fixed display", async () => {
    const base = randomBase();
    await otherProgramOn(base);
    const ports = new DisplayPorts({ basePort: base });
    expect((await take(ports)).display).toBe(1);
    await expect(ports.acquire(0)).rejects.toThrow(`port ${base} on 127.0.0.1 is in use by another program`);
    expect(ports.inUse()).toEqual([1]);
  });

  it("disconnects the clients of a released display", async () => {
    const ports = new DisplayPorts({ basePort: randomBase() });
    const d = await ports.acquire();
    const client = connect(d.port, "127.0.0.1");
    await new Promise((r) => d.server.once("connection", r));
    const closed = new Promise((r) => client.once("close", r));
    await d.release();
    await closed;
    expect(ports.inUse()).toEqual([]);
  });

  it("takes its base port from DOMUS_VNC_BASE_PORT", () => {
    const saved = process.env.DOMUS_VNC_BASE_PORT;
    try {
      process.env.DOMUS_VNC_BASE_PORT = "15900";
      expect(new DisplayPorts().basePort).toBe(15900);
      process.env.DOMUS_VNC_BASE_PORT = "nope";
      expect(() => new DisplayPorts()).toThrow("DOMUS_VNC_BASE_PORT=nope is not a port number");
      delete process.env.DOMUS_VNC_BASE_PORT;
      expect(new DisplayPorts().basePort).toBe(5900);
    } finally {
      if (saved === undefined) delete process.env.DOMUS_VNC_BASE_PORT;
      else process.env.DOMUS_VNC_BASE_PORT = saved;
    }
  });
});
