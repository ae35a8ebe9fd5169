// Shutdown requests to paravirtual guests, as Xen's toolstack makes them: a shutdown is a request
// the guest OS handles. xend, as Domain-0, writes "poweroff" or "reboot" to the domain's
// control/shutdown in the store; the guest, watching that key, clears it and shuts itself down
// with that reason (SCHEDOP_shutdown), and the kernel's shutdown event makes xend apply
// on_poweroff / on_reboot as for any guest that stops by itself.

import { join } from "node:path";
import { XsClient, XsClientError } from "../../services/store/client.js";

/** How long one store session (connect, check, write) may take. */
export const STORE_TIMEOUT_MS = 5000;

/** How long a guest has to act on a request before xend (and `xm shutdown -w`) says it did not. */
export const GUEST_SHUTDOWN_TIMEOUT_MS = 30_000;

/** The request could not be written: `message` says why, for the user. */
export class StoreUnavailable extends Error {
  override name = "StoreUnavailable";
}

export function storeSocketOf(home: string): string {
  return join(home, "run", "xenstored", "socket");
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailable(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

/**
 * Writes control/shutdown = `reason` below /local/domain/<domid>. Throws StoreUnavailable if the
 * store is not running or the domain has no home there (it never connected its xenstore ring, so
 * it cannot see the request).
 */
export async function requestGuestShutdown(socket: string, domid: number, reason: "poweroff" | "reboot", timeoutMs = STORE_TIMEOUT_MS): Promise<void> {
  let client: XsClient;
  try {
    client = await withTimeout(XsClient.connect(socket), timeoutMs, `the store (${socket})`);
  } catch (e) {
    if (e instanceof StoreUnavailable) throw e;
    throw new StoreUnavailable(`the store is not running (${socket}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check \`domus status\``);
  }
  const home = `/local/domain/${domid}`;
  try {
    await withTimeout((async () => {
      try {
        await client.directory(home);
      } catch (e) {
        if (e instanceof XsClientError && e.code === "ENOENT") {
          throw new StoreUnavailable(`domain ${domid} has no ${home} in the store (its xenstore ring was never connected), so it cannot see control/shutdown`);
        }
        throw e;
      }
      await client.write(`${home}/control/shutdown`, reason);
    })(), timeoutMs, `the store (${socket})`);
  } catch (e) {
    if (e instanceof StoreUnavailable) throw e;
    throw new StoreUnavailable(`the store refused control/shutdown for domain ${domid}: ${(e as Error).message}`);
  } finally {
    client.close();
  }
}
