// The node operations of xenstore.txt (READ, WRITE, MKDIR, RM, DIRECTORY, DIRECTORY_PART,
// GET_PERMS, SET_PERMS) with Xen's permission and quota rules, on a set of changes that the
// core then commits (or a transaction keeps).

import { XENSTORE_PAYLOAD_MAX } from "../../kernel/public/xs-wire.js";
import type { Changes } from "./changes.js";
import { XsError } from "./error.js";
import { baseName, canonicalize, childPath, isSpecial, parentOf } from "./path.js";
import { accessFor, owner, PERM_OWNER, PERM_READ, PERM_WRITE, type Caller, type Perms } from "./perms.js";
import type { Quotas } from "./quota.js";
import { EMPTY, type Node, type Tree } from "./tree.js";
import { joinStrings } from "./wire.js";

/** One request's view: the caller, its changes, and its quotas (none for privileged callers). */
export interface NodeContext {
  readonly caller: Caller;
  readonly changes: Changes;
  readonly quotas: Quotas | undefined;
}

function resolve(ctx: NodeContext, raw: string, allowSpecial = false): string {
  return canonicalize(raw, ctx.caller.domid, allowSpecial, ctx.quotas?.pathMax);
}

/**
 * The node at `path` if the caller has `perm` on it. Otherwise ENOENT or EACCES; as in Xen, a
 * caller that may not use the nearest existing ancestor gets EACCES, so that it learns nothing
 * about what exists below.
 */
function lookup(ctx: NodeContext, path: string, perm: number): Node {
  const node = ctx.changes.get(path);
  if (node && (accessFor(ctx.caller, node.perms) & perm) === perm) return node;
  if (isSpecial(path)) throw new XsError(node ? "EACCES" : "ENOENT");
  let ancestor = path;
  let found: Node | undefined;
  while (!found && ancestor !== "/") {
    ancestor = parentOf(ancestor);
    found = ctx.changes.get(ancestor);
  }
  const parentAccess = found ? accessFor(ctx.caller, found.perms) : 0;
  throw new XsError(parentAccess & perm ? (node ? "EACCES" : "ENOENT") : "EACCES");
}

function exists(ctx: NodeContext, path: string, perm: number): Node | undefined {
  try {
    return lookup(ctx, path, perm);
  } catch (e) {
    if (e instanceof XsError && e.code === "ENOENT") return undefined;
    throw e;
  }
}

/** Bytes a node takes as Xen's node-size quota counts them. */
function nodeSize(node: Node): number {
  let size = node.data.length + 8 * node.perms.length;
  for (const c of node.children) size += c.length + 1;
  return size;
}

function store(ctx: NodeContext, path: string, node: Node): void {
  if (ctx.quotas && nodeSize(node) > ctx.quotas.nodeSize) throw new XsError("ENOSPC", "node too big");
  ctx.changes.put(path, node);
}

/**
 * Creates `path` and any missing ancestors; new nodes inherit their parent's permissions. As
 * in Xen, one watch event names `path`: watchers of the new ancestors see it as a change below.
 */
function create(ctx: NodeContext, path: string, data: Buffer): void {
  const missing = [path];
  for (let p = parentOf(path); !ctx.changes.get(p); p = parentOf(p)) missing.push(p);
  let parentPath = parentOf(missing[missing.length - 1]);
  let parent = ctx.changes.get(parentPath)!;
  let node = parent;
  for (let i = missing.length - 1; i >= 0; i--) {
    const p = missing[i];
    // Unprivileged domains own what they create (and so it counts against their quota).
    const perms: Perms = ctx.caller.privileged
      ? parent.perms
      : [{ id: ctx.caller.domid, access: parent.perms[0].access }, ...parent.perms.slice(1)];
    if (ctx.quotas && ctx.changes.owned(ctx.caller.domid) >= ctx.quotas.nodes) {
      throw new XsError("ENOSPC", "node quota reached");
    }
    store(ctx, parentPath, { ...parent, children: [...parent.children, baseName(p)] });
    node = { data: i === 0 ? data : EMPTY, perms, children: [], generation: 0 };
    store(ctx, p, node);
    parentPath = p;
    parent = node;
  }
  ctx.changes.triggers.push({ path, exact: false, perms: node.perms, parentPerms: ctx.changes.get(parentOf(path))!.perms });
}

export function read(ctx: NodeContext, raw: string): Buffer {
  return lookup(ctx, resolve(ctx, raw), PERM_READ).data;
}

export function directory(ctx: NodeContext, raw: string): Buffer {
  return joinStrings(lookup(ctx, resolve(ctx, raw), PERM_READ).children);
}

/**
 * One piece of a child list too long for DIRECTORY: the node's generation, then the names from
 * byte `offset` of the full list that fit, then an empty name once the list is complete.
 */
export function directoryPart(ctx: NodeContext, raw: string, offsetText: string): Buffer {
  const node = lookup(ctx, resolve(ctx, raw), PERM_READ);
  if (!/^\d{1,10}$/.test(offsetText)) throw new XsError("EINVAL", "bad offset");
  const offset = Number(offsetText);
  const gen = joinStrings([String(node.generation)]);
  const list = joinStrings(node.children);
  if (offset >= list.length) return Buffer.concat([gen, Buffer.of(0)]);
  const room = XENSTORE_PAYLOAD_MAX - gen.length - 1;
  let end = offset;
  while (end < list.length) {
    const nul = list.indexOf(0, end);
    if (nul - offset >= room) break;
    end = nul + 1;
  }
  const parts = [gen, list.subarray(offset, end)];
  if (end === list.length) parts.push(Buffer.of(0));
  return Buffer.concat(parts);
}

export function getPerms(ctx: NodeContext, raw: string): Perms {
  return lookup(ctx, resolve(ctx, raw, true), PERM_READ).perms;
}

export function write(ctx: NodeContext, raw: string, data: Buffer): void {
  const path = resolve(ctx, raw);
  const node = exists(ctx, path, PERM_WRITE);
  if (!node) {
    create(ctx, path, data);
    return;
  }
  store(ctx, path, { ...node, data });
  ctx.changes.triggers.push({ path, exact: false, perms: node.perms, parentPerms: ctx.changes.get(parentOf(path))?.perms });
}

export function mkdir(ctx: NodeContext, raw: string): void {
  const path = resolve(ctx, raw);
  if (!exists(ctx, path, PERM_WRITE)) create(ctx, path, EMPTY);
}

/** Removing a missing node succeeds if its parent exists (Xen's rule), else ENOENT. */
export function rm(ctx: NodeContext, raw: string): void {
  const path = resolve(ctx, raw);
  const node = exists(ctx, path, PERM_WRITE);
  if (!node) {
    if (path === "/" || !ctx.changes.get(parentOf(path))) throw new XsError("ENOENT");
    return;
  }
  if (path === "/") throw new XsError("EINVAL", "cannot remove /");
  removeTree(ctx.changes, path, node);
}

/** Removes `path` and everything below, children first, firing watches on each. */
export function removeTree(changes: Changes, path: string, node: Node): void {
  const parentPath = parentOf(path);
  const parent = changes.get(parentPath)!;
  const stack: [string, Node, Perms, boolean][] = [[path, node, parent.perms, false]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [p, n, pPerms, expanded] = top;
    if (!expanded) {
      top[3] = true;
      for (const c of n.children) {
        const cp = childPath(p, c);
        const child = changes.get(cp);
        if (child) stack.push([cp, child, n.perms, false]);
      }
      continue;
    }
    stack.pop();
    changes.remove(p);
    changes.triggers.push({ path: p, exact: p !== path, perms: n.perms, parentPerms: pPerms });
  }
  const name = baseName(path);
  changes.put(parentPath, { ...parent, children: parent.children.filter((c) => c !== name) });
}

export function setPerms(ctx: NodeContext, raw: string, perms: Perms): void {
  if (perms.length === 0) throw new XsError("EINVAL", "no permissions");
  if (ctx.quotas && perms.length > ctx.quotas.permissions) throw new XsError("ENOSPC", "too many permissions");
  const path = resolve(ctx, raw, true);
  const node = lookup(ctx, path, PERM_WRITE | PERM_OWNER);
  // Only the privileged may give a node away.
  if (!ctx.caller.privileged && owner(perms) !== owner(node.perms)) throw new XsError("EPERM", "cannot change owner");
  store(ctx, path, { ...node, perms });
  const parentPerms = isSpecial(path) ? undefined : ctx.changes.get(parentOf(path))?.perms;
  ctx.changes.triggers.push({ path, exact: false, perms, parentPerms, oldPerms: node.perms });
}

/**
 * What a released domain leaves (Xen's default without --keep-orphans): nodes it owns are
 * removed with everything below them, and its entries in other nodes' permissions dropped, so
 * a later domain with the same id inherits nothing.
 */
export function removeDomainNodes(changes: Changes, tree: Tree, domid: number): void {
  let removed: string | undefined;
  for (const [path, node] of tree.walk()) {
    // walk() is pre-order: everything below a removed node comes right after it.
    if (removed !== undefined && path.startsWith(`${removed}/`)) continue;
    if (path === "/" || isSpecial(path) || owner(node.perms) !== domid) continue;
    removed = path;
    removeTree(changes, path, changes.get(path)!);
  }
  for (const [path] of tree.walk()) {
    const node = changes.get(path);
    if (!node || !node.perms.some((p, i) => i > 0 && p.id === domid)) continue;
    changes.put(path, { ...node, perms: node.perms.filter((p, i) => i === 0 || p.id !== domid) });
  }
}
