// Transactions (xenstore.txt, TRANSACTION_START/END), optimistic as in Xen since 4.9: a
// transaction works on its own changes over the live tree and remembers the generation of
// every node it looked at; it commits only if none of those nodes changed meanwhile, and
// otherwise fails with EAGAIN for the client to retry.

import { Changes } from "./changes.js";
import { XsError } from "./error.js";
import type { Node, Tree } from "./tree.js";

/** Generation recorded for a node that did not exist when first read. */
const ABSENT = -1;

export class Transaction {
  readonly changes: Changes;
  private readonly seen = new Map<string, number>();

  /** `maxNodes` bounds how many nodes the transaction may touch (a quota), if set. */
  constructor(readonly id: number, tree: Tree, maxNodes: number | undefined) {
    this.changes = new Changes(tree, (path, node) => {
      if (this.seen.has(path)) return;
      if (maxNodes !== undefined && this.seen.size >= maxNodes) {
        throw new XsError("ENOSPC", "transaction touches too many nodes");
      }
      this.seen.set(path, node ? node.generation : ABSENT);
    });
  }

  /** True if a node the transaction read was changed (or created, or removed) since. */
  conflicts(tree: Tree): boolean {
    for (const [path, generation] of this.seen) {
      const node: Node | undefined = tree.get(path);
      if ((node ? node.generation : ABSENT) !== generation) return true;
    }
    return false;
  }
}
