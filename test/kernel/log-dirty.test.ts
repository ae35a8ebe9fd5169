// Log-dirty mode, what save/restore, live migration and HVM framebuffers build on: with it on,
// every RAM page a guest writes is in the log, and a page nobody wrote is not.

import { describe, expect, it } from "vitest";
import { Machine } from "../../kernel/host/machine.js";
import { pvLayout, PAGE } from "../../kernel/host/pv/pv-layout.js";
import { RAM_BASE } from "../../kernel/public/board.js";
import { MINIOS } from "../support/guest-images.js";

const MEM_MIB = 16;

/** Run slices until the guest sleeps (or `max` slices). */
function runUntilIdle(m: Machine, max = 2000): void {
  for (let i = 0; i < max; i++) if (m.step().kind === "idle") return;
  throw new Error("the guest did not settle");
}

describe("log-dirty mode", () => {
  it("logs the pages a guest writes, and no page while it sleeps", () => {
    const m = new Machine({ builder: "linux", kernel: MINIOS, append: "mode=echo", memMiB: MEM_MIB, harts: 1, bios: null });
    m.onConsole = () => {};
    try {
      runUntilIdle(m);
      m.setLogDirty(true);
      runUntilIdle(m);
      m.takeDirtyPages();
      // Asleep in SCHEDOP_block waiting for input: it writes nothing.
      for (let i = 0; i < 5; i++) m.step();
      expect(m.takeDirtyPages()).toEqual([]);
      // A keystroke: minios echoes it through its console ring, which the log shows.
      m.input(new TextEncoder().encode("x"));
      runUntilIdle(m);
      const dirty = m.takeDirtyPages();
      const consolePage = (pvLayout(MEM_MIB * 1024 * 1024).console - RAM_BASE) / PAGE;
      expect(dirty).toContain(consolePage);
      expect(dirty.every((p) => p >= 0 && p < (MEM_MIB * 1024 * 1024) / PAGE)).toBe(true);
      // Cleared: nothing until the guest writes again.
      expect(m.takeDirtyPages()).toEqual([]);
    } finally {
      m.close();
    }
  });
});
