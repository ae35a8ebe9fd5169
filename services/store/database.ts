// What the journal's records and snapshots contain (msgpack), how they are replayed into a tree,
// and the tree a new store starts with.
//
// A record is a list of steps:
//   [0, path, data, perms]          node data and permissions set (created if missing,
//                                   appended to its parent's children, as the live store does)
//   [1, path]                       node removed (its children were removed by earlier steps)
//   [2, domid, mfn, port, target]   domain introduced, or its target set (-1: none)
//   [3, domid]                      domain released
// with perms as a flat list [access, domid, access, domid, ...]. A snapshot is
// [1, nodes, domains]: every node as [path, data, perms], parents before children and
// children in order, and every introduced domain as [domid, mfn, port, target].

import { Packr } from "msgpackr";
import type { NodeOp } from "./changes.js";
import { Domains, type DomainInfo } from "./domain.js";
import { CorruptStoreError } from "./journal.js";
import { baseName, isSpecial, parentOf } from "./path.js";
import { PERM_NONE, type Perms } from "./perms.js";
import { EMPTY, Tree } from "./tree.js";

const packr = new Packr({ useRecords: false, copyBuffers: true });
const SNAPSHOT_VERSION = 1;

export type DomainOp = { domid: number; info: DomainInfo } | { domid: number; info?: undefined };

const flatPerms = (perms: Perms): number[] => perms.flatMap((p) => [p.access, p.id]);

function corrupt(what: string): never {
  throw new CorruptStoreError(`database: ${what}`);
}

function asString(v: unknown): string {
  return typeof v === "string" ? v : corrupt("expected a string");
}

function asInt(v: unknown, min: number, max: number): number {
  return Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : corrupt("expected a number");
}

function asData(v: unknown): Buffer {
  return v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : corrupt("expected bytes");
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : corrupt("expected a list");
}

function asPerms(v: unknown): Perms {
  const flat = asArray(v);
  if (flat.length < 2 || flat.length % 2) corrupt("bad permissions");
  const perms = [];
  for (let i = 0; i < flat.length; i += 2) perms.push({ access: asInt(flat[i], 0, 3), id: asInt(flat[i + 1], 0, 0xffff) });
  return perms;
}

function asDomain(v: unknown[]): [number, DomainInfo] {
  const target = asInt(v[3], -1, 0xffff);
  return [asInt(v[0], 1, 0xffff), { mfn: asString(v[1]), port: asInt(v[2], 0, 0xffffffff), ...(target >= 0 ? { target } : {}) }];
}

const domainTuple = (domid: number, info: DomainInfo): unknown[] => [domid, info.mfn, info.port, info.target ?? -1];

export function encodeRecord(nodeOps: readonly NodeOp[], domainOps: readonly DomainOp[]): Buffer {
  const steps: unknown[] = [];
  for (const op of nodeOps) steps.push(op.data ? [0, op.path, op.data, flatPerms(op.perms)] : [1, op.path]);
  for (const op of domainOps) steps.push(op.info ? [2, ...domainTuple(op.domid, op.info)] : [3, op.domid]);
  return packr.pack(steps);
}

function setNode(tree: Tree, path: string, data: Buffer, perms: Perms): void {
  const old = tree.get(path);
  if (old) {
    tree.set(path, { ...old, data, perms });
    return;
  }
  if (path !== "/" && !isSpecial(path)) {
    const parent = tree.get(parentOf(path)) ?? corrupt(`${path} has no parent`);
    tree.set(parentOf(path), { ...parent, children: [...parent.children, baseName(path)] });
  }
  tree.set(path, { data, perms, children: [], generation: 0 });
}

function removeNode(tree: Tree, path: string): void {
  const node = tree.get(path) ?? corrupt(`removing missing ${path}`);
  if (node.children.length) corrupt(`removing ${path} before its children`);
  tree.delete(path);
  if (isSpecial(path)) return;
  const parent = tree.get(parentOf(path)) ?? corrupt(`${path} has no parent`);
  const name = baseName(path);
  tree.set(parentOf(path), { ...parent, children: parent.children.filter((c) => c !== name) });
}

/** Replays one journal record. */
export function applyRecord(tree: Tree, domains: Domains, payload: Buffer): void {
  for (const raw of asArray(packr.unpack(payload))) {
    const step = asArray(raw);
    switch (step[0]) {
      case 0:
        setNode(tree, asString(step[1]), asData(step[2]), asPerms(step[3]));
        break;
      case 1:
        removeNode(tree, asString(step[1]));
        break;
      case 2: {
        const [domid, info] = asDomain(step.slice(1));
        domains.introduce(domid, info);
        if (info.target !== undefined) domains.setTarget(domid, info.target);
        break;
      }
      case 3:
        domains.release(asInt(step[1], 1, 0xffff));
        break;
      default:
        corrupt("unknown step");
    }
  }
}

export function encodeSnapshot(tree: Tree, domains: Domains): Buffer {
  const nodes = [...tree.walk()].map(([path, node]) => [path, node.data, flatPerms(node.perms)]);
  const doms = [...domains.entries()].map(([domid, info]) => domainTuple(domid, info));
  return packr.pack([SNAPSHOT_VERSION, nodes, doms]);
}

export function decodeSnapshot(payload: Buffer): { tree: Tree; domains: Domains } {
  const [version, rawNodes, rawDomains] = asArray(packr.unpack(payload));
  if (version !== SNAPSHOT_VERSION) corrupt(`snapshot version ${String(version)}`);
  const entries = asArray(rawNodes).map((raw) => {
    const e = asArray(raw);
    return { path: asString(e[0]), data: asData(e[1]), perms: asPerms(e[2]) };
  });
  // Child lists in one pass (parents come first), rather than copying them per child.
  const children = new Map<string, string[]>();
  for (const { path } of entries) {
    children.set(path, []);
    if (path === "/" || isSpecial(path)) continue;
    (children.get(parentOf(path)) ?? corrupt(`${path} before its parent`)).push(baseName(path));
  }
  const tree = new Tree();
  for (const { path, data, perms } of entries) tree.set(path, { data, perms, children: children.get(path)!, generation: 0 });
  const domains = new Domains();
  for (const raw of asArray(rawDomains)) domains.introduce(...asDomain(asArray(raw)));
  return { tree, domains };
}

/**
 * A new store: Xen's initial nodes (/, /tool/xenstored), Domain-0's home as xen-init-dom0
 * writes it, and the special watch paths; all owned by Domain-0 and closed to others.
 */
export function initialTree(): Tree {
  const tree = new Tree();
  const closed: Perms = [{ id: 0, access: PERM_NONE }];
  const layout: [string, string | undefined][] = [
    ["/", undefined], ["/tool", undefined], ["/tool/xenstored", undefined],
    ["/local", undefined], ["/local/domain", undefined], ["/local/domain/0", undefined],
    ["/local/domain/0/domid", "0"], ["/local/domain/0/name", "Domain-0"],
    ["@introduceDomain", undefined], ["@releaseDomain", undefined],
  ];
  for (const [path, value] of layout) {
    setNode(tree, path, value === undefined ? EMPTY : Buffer.from(value), closed);
  }
  return tree;
}
