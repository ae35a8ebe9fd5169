// minios, the project's paravirtual guest, under `domus run --builder linux`: its console works
// both ways through the PV console ring, it sleeps without burning host CPU, and its shutdown
// reasons become exit statuses.

import { afterEach, describe, expect, it } from "vitest";
import { GuestConsole } from "./support/guest-console.js";
import { MINIOS } from "./support/guest-images.js";

let guest: GuestConsole | undefined;
afterEach(() => guest?.kill());

const minios = (append: string): GuestConsole =>
  GuestConsole.domus(["--builder", "linux", "-m", "16", "--kernel", MINIOS, "--append", append]);

describe("minios", () => {
  it("boots, prints its banner and ticks", async () => {
    guest = minios("mode=idle tick=100 name=tick-test");
    await guest.waitFor("minios: booting on Domus (domain tick-test, 16 MiB)");
    await guest.waitFor("minios: command line: mode=idle tick=100 name=tick-test");
    await guest.waitFor("minios: ready");
    await guest.waitFor("minios: tick 3");
  });

  it("echoes typed characters through the console ring", async () => {
    guest = minios("mode=echo");
    await guest.waitFor("minios: ready");
    guest.type("hello, Domus!");
    await guest.waitFor("HELLO, DOMUS!");
  });

  it("turns its shutdown reason into the exit status", async () => {
    guest = minios("mode=exit code=0");
    expect(await guest.exitCode()).toBe(0);
    guest = minios("mode=exit code=7");
    expect(await guest.exitCode()).not.toBe(0);
    expect(guest.text).toContain("minios: exit code 7");
  });

  it("reports a fatal trap and crashes", async () => {
    guest = minios("mode=fault");
    expect(await guest.exitCode()).not.toBe(0);
    expect(guest.text).toMatch(/minios: fatal trap: scause=0x2 /);
  });
});
