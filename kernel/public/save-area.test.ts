// The save area's layout is spelled out in numbers (AssemblyScript and tsc cannot share an
// import there): it must hold the PLIC's registers as board.ts sizes them, and fit its room.

import { describe, expect, it } from "vitest";
import { PLIC_CONTEXTS, PLIC_SOURCES, PLIC_WORDS } from "./board.js";
import { SAVE_AREA_SIZE } from "./kernel-abi.js";
import { SA_END, SA_HANDOFF_END, SA_HARTS, SA_PLIC_CLAIMED, SA_PLIC_ENABLE, SA_PLIC_PRIORITY, SA_PLIC_THRESHOLD, SA_UART_RX_TAIL } from "./save-area.js";

describe("the kernel's save area", () => {
  it("holds the PLIC's registers without overlap, after the scalar fields, within its room", () => {
    expect(SA_PLIC_PRIORITY).toBeGreaterThanOrEqual(SA_UART_RX_TAIL + 4);
    expect(SA_PLIC_CLAIMED).toBeGreaterThanOrEqual(SA_PLIC_PRIORITY + PLIC_SOURCES * 4);
    expect(SA_PLIC_ENABLE).toBeGreaterThanOrEqual(SA_PLIC_CLAIMED + PLIC_WORDS * 4);
    expect(SA_PLIC_THRESHOLD).toBeGreaterThanOrEqual(SA_PLIC_ENABLE + PLIC_WORDS * PLIC_CONTEXTS * 4);
    expect(SA_END).toBe(SA_PLIC_THRESHOLD + PLIC_CONTEXTS * 4);
    expect(SA_END).toBeLessThanOrEqual(SAVE_AREA_SIZE);
  });

  it("keeps the hand-off fields after the saved ones, within its room", () => {
    expect(SA_HARTS).toBeGreaterThanOrEqual(SA_END);
    expect(SA_HANDOFF_END).toBeLessThanOrEqual(SAVE_AREA_SIZE);
  });
});
