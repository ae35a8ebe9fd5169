// What a user of `domus run` sees at the console: HTIF output, exit statuses, and the terminal
// escape (Ctrl-A X) in raw mode on a real pseudo-terminal.

import { afterEach, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { GuestConsole, DOMUS } from "./support/guest-console.js";
import { UBOOT_MMODE, UBOOT_PROMPT, reachUbootPrompt } from "./support/firmware.js";

const probe = (name: string): string => fileURLToPath(new URL(`../guests/isa/bin/${name}.elf`, import.meta.url));

let guest: GuestConsole | undefined;
afterEach(() => guest?.kill());

describe("domus run console", () => {
  it("prints what a test program writes through tohost and exits with its status", async () => {
    guest = GuestConsole.domus(["--bios", "none", "--kernel", probe("probe_htif_console")]);
    expect(await guest.exitCode()).toBe(0);
    expect(guest.text).toBe("hello through tohost\n");
  });

  it("exits with the code the guest gives the test finisher", async () => {
    guest = GuestConsole.domus(["--bios", "none", "--kernel", probe("probe_finisher_fail")]);
    expect(await guest.exitCode()).toBe(42);
  });

  it("on a terminal, passes keys through in raw mode and quits on Ctrl-A X", async () => {
    // python3's pty module gives `domus run` a real terminal, as a person's shell would.
    const spawnInPty = "import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)";
    guest = GuestConsole.command("python3", ["-c", spawnInPty, process.execPath, DOMUS, "run", "-m", "64", "--bios", UBOOT_MMODE]);
    await reachUbootPrompt(guest);
    const version = await guest.run("version", UBOOT_PROMPT);
    expect(version).toContain("U-Boot 2023.01");
    guest.type("\x01x");
    await guest.waitFor("terminated by Ctrl-A X");
    expect(await guest.exitCode()).toBe(0);
  });

  it("rejects bad arguments with a message naming them", async () => {
    guest = GuestConsole.domus(["-m", "lots", "--bios", UBOOT_MMODE]);
    expect(await guest.exitCode()).not.toBe(0);
    expect(guest.text).toContain('memory must be a positive whole number, not "lots"');
    guest = GuestConsole.domus(["-m", "4", "--bios", UBOOT_MMODE]);
    expect(await guest.exitCode()).toBe(1);
    expect(guest.text).toContain("memory must be a whole number of MiB from 16 to 3072, not 4");
    guest = GuestConsole.domus(["--kernel", "/nonexistent/kernel.bin"]);
    expect(await guest.exitCode()).toBe(1);
    expect(guest.text).toContain("cannot read the kernel /nonexistent/kernel.bin");
  });
});
