// `npm start` runs `domus demo`: a host with a U-Boot HVM guest and a minios PV guest, and
// U-Boot's console on the terminal; detaching leaves the host and its guests running.

import { afterAll, describe, expect, it } from "vitest";
import { GuestConsole } from "../support/guest-console.js";
import { UBOOT_PROMPT, reachUbootPrompt } from "../support/firmware.js";
import { DOMUS, TestHost, listRows } from "./host.js";

const host = new TestHost();
afterAll(() => host.down());

describe("domus demo", () => {
  it("starts the host and both demo guests, attaches U-Boot's console, and leaves them running on detach", async () => {
    const c = GuestConsole.command(process.execPath, [DOMUS, "demo", "--home", host.home]);
    await reachUbootPrompt(c);
    expect(await c.run("version", UBOOT_PROMPT)).toContain("U-Boot 2023.01");
    // Its disk (a sparse file under the host's images/) and its NIC on the internal bridge.
    await c.run("virtio scan", UBOOT_PROMPT);
    expect(await c.run("virtio info", UBOOT_PROMPT)).toMatch(/Capacity: 64\.0 MB/);
    expect((await host.domus("brctl", "show")).stdout).toMatch(/^br0\t\t8000\.[0-9a-f]{12}\tno\t\tvif\d+\.0$/m);
    c.type("\x1d");
    expect(await c.exitCode()).toBe(0);
    const rows = listRows((await host.xm("list")).stdout);
    expect(rows.map((r) => r[0])).toEqual(["Domain-0", "demo-uboot", "demo-minios"]);
    const status = await host.domus("status", "--json");
    expect(status.code).toBe(0);
  });
});
