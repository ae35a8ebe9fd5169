// The committed node tree: every node by absolute path, plus the per-domain node counts the
// quota needs. Nodes are immutable values, so a request or transaction can hold changes on
// top of the tree (changes.ts) without copying it.

import { isSpecial, parentOf, baseName, childPath } from "./path.js";
import { owner, type Perms } from "./perms.js";

export interface Node {
  readonly data: Buffer;
  readonly perms: Perms;
  /** Child names in creation order, the order DIRECTORY lists them in (as Xen does). */
  readonly children: readonly string[];
  /** Bumped on every committed change; transactions and DIRECTORY_PART compare it. */
  readonly generation: number;
}

/** A state of the tree that operations read: the committed tree, or changes on top of it. */
export interface NodeSource {
  get(path: string): Node | undefined;
  /** How many nodes `domid` owns (the node quota counts these). */
  owned(domid: number): number;
}

export const EMPTY = Buffer.alloc(0);

export class Tree implements NodeSource {
  private readonly nodes = new Map<string, Node>();
  private readonly ownedBy = new Map<number, number>();
  private lastGeneration = 0;

  get(path: string): Node | undefined {
    return this.nodes.get(path);
  }

  owned(domid: number): number {
    return this.ownedBy.get(domid) ?? 0;
  }

  /** The generation of the latest change. */
  get generation(): number {
    return this.lastGeneration;
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Installs `node` at `path` with a fresh generation. The caller keeps parents' child lists right. */
  set(path: string, node: Node): void {
    const old = this.nodes.get(path);
    if (old) this.count(owner(old.perms), -1);
    this.count(owner(node.perms), +1);
    this.nodes.set(path, { ...node, generation: ++this.lastGeneration });
  }

  delete(path: string): void {
    const old = this.nodes.get(path);
    if (!old) return;
    this.count(owner(old.perms), -1);
    this.nodes.delete(path);
  }

  private count(domid: number, delta: number): void {
    const n = (this.ownedBy.get(domid) ?? 0) + delta;
    if (n === 0) this.ownedBy.delete(domid);
    else this.ownedBy.set(domid, n);
  }

  /** Every node, parents before children and children in order; special nodes last. */
  *walk(): Generator<[string, Node]> {
    const stack = ["/"];
    while (stack.length) {
      const path = stack.pop()!;
      const node = this.nodes.get(path);
      if (!node) continue;
      yield [path, node];
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(childPath(path, node.children[i]));
    }
    for (const [path, node] of this.nodes) if (isSpecial(path)) yield [path, node];
  }

  /** Inconsistencies (a listed child missing, a node its parent does not list, wrong counts); none is good. */
  check(): string[] {
    const problems: string[] = [];
    const counts = new Map<number, number>();
    for (const [path, node] of this.nodes) {
      counts.set(owner(node.perms), (counts.get(owner(node.perms)) ?? 0) + 1);
      if (new Set(node.children).size !== node.children.length) problems.push(`${path}: duplicate children`);
      for (const c of node.children) {
        if (!this.nodes.has(childPath(path, c))) problems.push(`${path}: child ${c} missing`);
      }
      if (path === "/" || isSpecial(path)) continue;
      const parent = this.nodes.get(parentOf(path));
      if (!parent?.children.includes(baseName(path))) problems.push(`${path}: not listed by its parent`);
    }
    if (!this.nodes.has("/")) problems.push("no root node");
    for (const [domid, n] of counts) {
      if (this.owned(domid) !== n) problems.push(`domain ${domid} owns ${n} nodes, counted ${this.owned(domid)}`);
    }
    if (counts.size !== this.ownedBy.size) problems.push("stale owner counts");
    return problems;
  }
}
