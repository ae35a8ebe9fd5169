// Real firmware from Debian boots unmodified: OpenSBI (fw_jump) with S-mode U-Boot, and M-mode
// U-Boot alone, reach the prompt and answer commands as they do on QEMU's virt board.

import { afterEach, describe, expect, it } from "vitest";
import { GuestConsole } from "./support/guest-console.js";
import {
  OPENSBI_FW_JUMP, UBOOT_MMODE, UBOOT_PROMPT, UBOOT_SMODE, reachUbootPrompt,
} from "./support/firmware.js";

let guest: GuestConsole | undefined;
afterEach(() => guest?.kill());

describe("OpenSBI + S-mode U-Boot", () => {
  it("boots to the prompt and answers version, bdinfo, sbi, dm tree and poweroff", async () => {
    guest = GuestConsole.domus(["-m", "256", "--bios", OPENSBI_FW_JUMP, "--kernel", UBOOT_SMODE]);
    const banner = await reachUbootPrompt(guest);
    expect(banner).toContain("OpenSBI v1.1");
    expect(banner).toMatch(/Boot HART Base ISA\s+: rv64imafdc/);
    expect(banner).toContain("Domain0 Next Address      : 0x0000000080200000");
    expect(banner).toContain("DRAM:  256 MiB");

    const version = await guest.run("version", UBOOT_PROMPT);
    expect(version).toMatch(/U-Boot 2023\.01/);

    const bdinfo = await guest.run("bdinfo", UBOOT_PROMPT);
    expect(bdinfo).toMatch(/-> start\s+= 0x0000000080000000/);
    expect(bdinfo).toMatch(/-> size\s+= 0x0000000010000000/);
    expect(bdinfo).toContain("Build       = 64-bit");

    const sbi = await guest.run("sbi", UBOOT_PROMPT);
    expect(sbi).toContain("SBI 1.0");
    expect(sbi).toContain("OpenSBI 1.1");
    expect(sbi).toContain("System Reset Extension");
    expect(sbi).toContain("Hart State Management Extension");

    const tree = await guest.run("dm tree", UBOOT_PROMPT);
    expect(tree).toMatch(/serial\s+0\s+\[ \+ \]\s+ns16550_serial\s+.*serial@10000000/);
    expect(tree).toMatch(/virtio\s+0\s+\[ \+ \]\s+virtio-mmio\s+.*virtio_mmio@10001000/);
    expect(tree).toMatch(/virtio\s+7\s+\[ \+ \]\s+virtio-mmio\s+.*virtio_mmio@10008000/);
    expect(tree).toMatch(/cpu\s+0\s+\[ \+ \]\s+riscv_cpu\s+.*cpu@0/);
    expect(tree).toMatch(/timer\s+0\s+\[ \+ \]\s+riscv_timer/);
    expect(tree).toMatch(/sysreset\s+\d+\s+\[[ +]+\]\s+sbi-sysreset/);

    guest.type("poweroff\r");
    await guest.waitFor("poweroff ...");
    expect(await guest.exitCode()).toBe(0);
  });
});

describe("M-mode U-Boot as the firmware", () => {
  it("boots to the prompt, answers commands, and powers off through the test finisher", async () => {
    guest = GuestConsole.domus(["-m", "128", "--bios", UBOOT_MMODE]);
    const banner = await reachUbootPrompt(guest);
    expect(banner).toContain("DRAM:  128 MiB");

    const version = await guest.run("version", UBOOT_PROMPT);
    expect(version).toMatch(/U-Boot 2023\.01/);

    const bdinfo = await guest.run("bdinfo", UBOOT_PROMPT);
    expect(bdinfo).toMatch(/-> size\s+= 0x0000000008000000/);

    // Without SBI firmware underneath, U-Boot has no `sbi` command.
    const sbi = await guest.run("sbi", UBOOT_PROMPT);
    expect(sbi).toContain("Unknown command 'sbi'");

    const tree = await guest.run("dm tree", UBOOT_PROMPT);
    expect(tree).toMatch(/serial\s+0\s+\[ \+ \]\s+ns16550_serial/);
    expect(tree).toMatch(/sysreset\s+\d+\s+\[[ +]+\]\s+syscon_reboot\s+.*poweroff/);

    guest.type("poweroff\r");
    expect(await guest.exitCode()).toBe(0);
  });

  it("reboots through the finisher and comes back to the prompt", async () => {
    guest = GuestConsole.domus(["-m", "64", "--bios", UBOOT_MMODE]);
    await reachUbootPrompt(guest);
    guest.type("reset\r");
    await reachUbootPrompt(guest);
    guest.type("poweroff\r");
    expect(await guest.exitCode()).toBe(0);
  });
});
