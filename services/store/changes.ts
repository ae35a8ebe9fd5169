// Changes on top of a node source: what one request does, or what a transaction has done so
// far. Reads see the changes; the tree is untouched until the core commits them, so a request
// that fails halfway changes nothing.

import type { Node, NodeSource, Tree } from "./tree.js";
import { owner, type Perms } from "./perms.js";

/** One step for the journal, in order: a node's data and permissions set, or the node removed. */
export type NodeOp = { path: string; data: Buffer; perms: Perms } | { path: string; data?: undefined };

/** A node changed: watches on it (exact) or on it and its ancestors (not exact) fire. */
export interface Trigger {
  path: string;
  exact: boolean;
  /** Permissions that decide who may see the event: the node's, its parent's, and before a SET_PERMS the old ones. */
  perms: Perms;
  parentPerms?: Perms;
  oldPerms?: Perms;
}

export class Changes implements NodeSource {
  /** Node by path; null = removed. */
  readonly nodes = new Map<string, Node | null>();
  readonly ops: NodeOp[] = [];
  readonly triggers: Trigger[] = [];
  /** The highest generation among nodes read: what a reply may show (see Store.dependency). */
  observed = 0;
  private readonly ownedDelta = new Map<number, number>();
  /** Nodes as first read from the base (null: absent), if reads are pinned. */
  private readonly pinned: Map<string, Node | null> | undefined;

  /**
   * `onBaseRead` sees every path read through to the base. Giving it also pins reads: a
   * transaction sees each node as it first read it, whatever commits meanwhile (Xen does the
   * same; a change meanwhile makes the commit fail instead).
   */
  constructor(
    private readonly base: NodeSource,
    private readonly onBaseRead?: (path: string, node: Node | undefined) => void,
  ) {
    if (onBaseRead) this.pinned = new Map();
  }

  get empty(): boolean {
    return this.nodes.size === 0 && this.triggers.length === 0;
  }

  get(path: string): Node | undefined {
    let node = this.nodes.get(path);
    if (node === undefined) node = this.pinned?.get(path);
    if (node === undefined) {
      node = this.base.get(path) ?? null;
      this.onBaseRead?.(path, node ?? undefined);
      this.pinned?.set(path, node);
    }
    if (node && node.generation > this.observed) this.observed = node.generation;
    return node ?? undefined;
  }

  owned(domid: number): number {
    return this.base.owned(domid) + (this.ownedDelta.get(domid) ?? 0);
  }

  put(path: string, node: Node): void {
    const old = this.get(path);
    if (old) this.count(owner(old.perms), -1);
    this.count(owner(node.perms), +1);
    this.nodes.set(path, node);
    // A change of children alone is not journaled: replay rebuilds child lists from creations.
    if (!old || old.data !== node.data || old.perms !== node.perms) {
      this.ops.push({ path, data: node.data, perms: node.perms });
    }
  }

  remove(path: string): void {
    const old = this.get(path);
    if (!old) return;
    this.count(owner(old.perms), -1);
    this.nodes.set(path, null);
    this.ops.push({ path });
  }

  /** Takes over `inner`'s changes (made on top of this). */
  absorb(inner: Changes): void {
    for (const [path, node] of inner.nodes) this.nodes.set(path, node);
    for (const [domid, n] of inner.ownedDelta) this.count(domid, n);
    for (const op of inner.ops) this.ops.push(op);
    for (const t of inner.triggers) this.triggers.push(t);
  }

  /** Writes the changes into the committed tree. */
  applyTo(tree: Tree): void {
    for (const [path, node] of this.nodes) {
      if (node) tree.set(path, node);
      else tree.delete(path);
    }
  }

  private count(domid: number, delta: number): void {
    this.ownedDelta.set(domid, (this.ownedDelta.get(domid) ?? 0) + delta);
  }
}
