// What xend does when a running guest stops by itself: the manual's on_poweroff, on_reboot and
// on_crash settings (§4.5), with Xen's guard against a guest that crashes as soon as it starts and
// would otherwise be restarted forever.

import type { LifecycleAction } from "../../kernel/public/xend-protocol.js";
import type { ShutdownReason } from "../../kernel/public/protocol.js";

export interface LifecycleSettings {
  readonly onPoweroff: LifecycleAction;
  readonly onReboot: LifecycleAction;
  readonly onCrash: LifecycleAction;
}

/** The manual's defaults: destroy on power-off, restart on reboot and on crash. */
export const DEFAULT_LIFECYCLE: LifecycleSettings = { onPoweroff: "destroy", onReboot: "restart", onCrash: "restart" };

/**
 * Xen's xend refuses to restart a domain that ran less than 60 s. Domus allows quick restarts
 * (a test guest reboots in well under a second) but refuses the sixth within this window.
 */
export const RESTART_WINDOW_MS = 60_000;
export const MAX_RESTARTS_IN_WINDOW = 5;

export type Decision =
  | { readonly kind: "none" } // still running, or suspended: nothing to do
  | { readonly kind: LifecycleAction }
  | { readonly kind: "refuse-restart"; readonly why: string };

/** The action configured for how the domain stopped. */
export function actionFor(reason: ShutdownReason, s: LifecycleSettings): LifecycleAction | undefined {
  switch (reason) {
    case "poweroff": return s.onPoweroff;
    case "reboot": return s.onReboot;
    case "crash":
    case "watchdog": return s.onCrash;
    case "suspend": return undefined; // a suspended domain waits for save or resume
  }
}

/**
 * Decide what to do with a domain that stopped for `reason`. `restarts` holds the times (ms) of
 * its earlier automatic restarts; only those within RESTART_WINDOW_MS of `now` count.
 */
export function decide(reason: ShutdownReason, s: LifecycleSettings, restarts: readonly number[], now: number): Decision {
  const action = actionFor(reason, s);
  if (action === undefined) return { kind: "none" };
  if (action === "restart" || action === "rename-restart") {
    const recent = restarts.filter((t) => now - t < RESTART_WINDOW_MS).length;
    if (recent >= MAX_RESTARTS_IN_WINDOW) {
      return {
        kind: "refuse-restart",
        why: `restarted ${recent} times in the last ${RESTART_WINDOW_MS / 1000} s; not restarting it again, to avoid a loop`,
      };
    }
  }
  return { kind: action };
}
