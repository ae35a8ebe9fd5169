// Shutdown requests to paravirtual guests, as Xen's toolstack makes them: a shutdown is a request
// the guest OS handles. xend, as Domain-0, writes "poweroff" or "reboot" to the domain's
// control/shutdown in the store; the guest, watching that key, clears it and shuts itself down
// with that reason (SCHEDOP_shutdown), and the kernel's shutdown event makes xend apply
// on_poweroff / on_reboot as for any guest that stops by itself.

import { STORE_TIMEOUT_MS, writeGuestKey } from "./store-session.js";

/** How long a guest has to act on a request before xend (and `xm shutdown -w`) says it did not. */
export const GUEST_SHUTDOWN_TIMEOUT_MS = 30_000;

/**
 * Writes control/shutdown = `reason` below /local/domain/<domid>. Throws StoreUnavailable if the
 * store is not running or the domain has no home there (it never connected its xenstore ring, so
 * it cannot see the request).
 */
export async function requestGuestShutdown(socket: string, domid: number, reason: "poweroff" | "reboot", timeoutMs = STORE_TIMEOUT_MS): Promise<void> {
  await writeGuestKey(socket, domid, "control/shutdown", reason, timeoutMs);
}
