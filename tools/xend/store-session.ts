// xend's sessions with the store: connect, do a few operations, close, each bounded in time. A
// session per operation (not one long connection) means a restarted store costs xend nothing.

import { join } from "node:path";
import { XsClient, XsClientError } from "../../services/store/client.js";

/** How long one store session (connect, check, write) may take. */
export const STORE_TIMEOUT_MS = 5000;

/** The store could not do what was asked: `message` says why, for the user. */
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

/** Run `work` on a fresh connection to the store at `socket`; store errors become StoreUnavailable naming `what`. */
export async function withStore<T>(socket: string, what: string, work: (client: XsClient) => Promise<T>, timeoutMs = STORE_TIMEOUT_MS): Promise<T> {
  let client: XsClient;
  try {
    client = await withTimeout(XsClient.connect(socket), timeoutMs, `the store (${socket})`);
  } catch (e) {
    if (e instanceof StoreUnavailable) throw e;
    throw new StoreUnavailable(`the store is not running (${socket}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check \`domus status\``);
  }
  try {
    return await withTimeout(work(client), timeoutMs, `the store (${socket})`);
  } catch (e) {
    if (e instanceof StoreUnavailable) throw e;
    throw new StoreUnavailable(`the store refused ${what}: ${(e as Error).message}`);
  } finally {
    client.close();
  }
}

/**
 * Writes `key` (relative to the domain's home, /local/domain/<domid>) for the guest to act on.
 * Throws StoreUnavailable if the store is not running or the domain has no home there (it never
 * connected its xenstore ring, so it cannot see the key).
 */
export async function writeGuestKey(socket: string, domid: number, key: string, value: string, timeoutMs = STORE_TIMEOUT_MS): Promise<void> {
  await writeGuestKeys(socket, domid, [[key, value]], timeoutMs);
}

/** writeGuestKey for several keys, in order, in one session. */
export async function writeGuestKeys(socket: string, domid: number, keys: readonly (readonly [string, string])[], timeoutMs = STORE_TIMEOUT_MS): Promise<void> {
  const home = `/local/domain/${domid}`;
  const what = keys.map(([key]) => key).join(", ");
  await withStore(socket, `${what} for domain ${domid}`, async (client) => {
    try {
      await client.directory(home);
    } catch (e) {
      if (e instanceof XsClientError && e.code === "ENOENT") {
        throw new StoreUnavailable(`domain ${domid} has no ${home} in the store (its xenstore ring was never connected), so it cannot see ${what}`);
      }
      throw e;
    }
    for (const [key, value] of keys) await client.write(`${home}/${key}`, value);
  }, timeoutMs);
}
