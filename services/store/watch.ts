// Watches (xenstore.txt, WATCH/UNWATCH/WATCH_EVENT): a connection names a path and a token;
// every change at or below the path sends it an event with the changed path and the token.
// Special paths ("@introduceDomain", "@releaseDomain") fire when domains come and go.

import type { Trigger } from "./changes.js";
import { domainPath, isAtOrBelow } from "./path.js";
import { accessFor, PERM_READ, type Caller, type Perms } from "./perms.js";

export interface Watch {
  /** Absolute (or special) path watched. */
  readonly path: string;
  readonly token: string;
  /** Given relative to the home: events then name paths relative to it too. */
  readonly relative: boolean;
}

/** One connection's watches, keyed by path and token (a connection may not register a pair twice). */
export class WatchList {
  private readonly watches = new Map<string, Watch>();

  get size(): number {
    return this.watches.size;
  }

  has(path: string, token: string): boolean {
    return this.watches.has(`${path}\0${token}`);
  }

  add(watch: Watch): void {
    this.watches.set(`${watch.path}\0${watch.token}`, watch);
  }

  remove(path: string, token: string): boolean {
    return this.watches.delete(`${path}\0${token}`);
  }

  clear(): void {
    this.watches.clear();
  }

  /** Watches that `trigger` fires: on the path itself if exact, else on it or an ancestor. */
  *firedBy(trigger: Trigger): Generator<Watch> {
    for (const w of this.watches.values()) {
      if (trigger.exact ? w.path === trigger.path : isAtOrBelow(trigger.path, w.path)) yield w;
    }
  }
}

/** The path an event names: relative to the watcher's home if the watch was given relative. */
export function eventPath(watch: Watch, path: string, domid: number): string {
  if (!watch.relative) return path;
  const home = domainPath(domid);
  return path.startsWith(`${home}/`) ? path.slice(home.length + 1) : path.slice(home.length);
}

/**
 * May `caller` see an event about a node (Xen's watch_permitted)? It must be able to read the
 * node, or its parent, or (after SET_PERMS) the node as it was, so that losing access is seen.
 */
export function mayWatch(caller: Caller, trigger: Trigger): boolean {
  const reads = (perms: Perms | undefined): boolean => perms !== undefined && (accessFor(caller, perms) & PERM_READ) !== 0;
  return reads(trigger.oldPerms) || reads(trigger.perms) || reads(trigger.parentPerms);
}
