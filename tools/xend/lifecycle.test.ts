import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decide, DEFAULT_LIFECYCLE, MAX_RESTARTS_IN_WINDOW, RESTART_WINDOW_MS } from "./lifecycle.js";
import { LIFECYCLE_ACTIONS } from "../../kernel/public/xend-protocol.js";

describe("lifecycle actions", () => {
  it("follows the manual's defaults", () => {
    expect(decide("poweroff", DEFAULT_LIFECYCLE, [], 0).kind).toBe("destroy");
    expect(decide("reboot", DEFAULT_LIFECYCLE, [], 0).kind).toBe("restart");
    expect(decide("crash", DEFAULT_LIFECYCLE, [], 0).kind).toBe("restart");
    expect(decide("suspend", DEFAULT_LIFECYCLE, [], 0).kind).toBe("none");
  });

  it("does what is configured unless a restart loop is under way", () => {
    const action = fc.constantFrom(...LIFECYCLE_ACTIONS);
    fc.assert(fc.property(action, action, action, fc.constantFrom("poweroff", "reboot", "crash", "watchdog") , fc.array(fc.integer({ min: 0, max: 200_000 }), { maxLength: 12 }),
      (onPoweroff, onReboot, onCrash, reason, restarts) => {
        const now = 200_000;
        const s = { onPoweroff, onReboot, onCrash };
        const configured = reason === "poweroff" ? onPoweroff : reason === "reboot" ? onReboot : onCrash;
        const recent = restarts.filter((t) => now - t < RESTART_WINDOW_MS).length;
        const d = decide(reason, s, restarts, now);
        const loops = (configured === "restart" || configured === "rename-restart") && recent >= MAX_RESTARTS_IN_WINDOW;
        expect(d.kind).toBe(loops ? "refuse-restart" : configured);
      }));
  });
});
