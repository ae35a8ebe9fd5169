// The store (Xen's xenstored_core.c): connections, the dispatch of each message type, commits
// into the tree and the journal, and watch events. A reply or event waits until the journal
// has on disk every change it may show (a write's own, or one that a read saw), so nothing a
// client saw is lost in a crash; replies that show only durable data leave at once.
// Transports (the Unix socket, the kernel's relays of guests' rings) hand bytes to a Connection
// from connect().

import {
  XENSTORE_PAYLOAD_MAX, XS_CONTROL, XS_DIRECTORY, XS_DIRECTORY_PART, XS_ERROR, XS_GET_DOMAIN_PATH,
  XS_GET_PERMS, XS_INTRODUCE, XS_IS_DOMAIN_INTRODUCED, XS_MKDIR, XS_OK, XS_READ, XS_RELEASE,
  XS_RESET_WATCHES, XS_RESUME, XS_RM, XS_SET_PERMS, XS_SET_TARGET, XS_TRANSACTION_END,
  XS_TRANSACTION_START, XS_UNWATCH, XS_WATCH, XS_WATCH_EVENT, XS_WRITE,
} from "../../kernel/public/xs-wire.js";
import { Changes, type Trigger } from "./changes.js";
import { Connection, type ConnectionHost, type Transport } from "./connection.js";
import { control } from "./control.js";
import {
  applyRecord, decodeSnapshot, encodeRecord, encodeSnapshot, initialTree, type DomainOp,
} from "./database.js";
import { Domains, parseDomid, parseGuestDomid, type DomainInfo } from "./domain.js";
import { XsError } from "./error.js";
import { Journal } from "./journal.js";
import * as nodes from "./nodes.js";
import { canonicalize, domainPath, isSpecial } from "./path.js";
import { formatPerm, parsePerm, PERM_NONE, PERM_READ } from "./perms.js";
import { XEN_DEFAULT_QUOTAS, type Quotas } from "./quota.js";
import { Transaction } from "./transaction.js";
import type { Tree } from "./tree.js";
import { eventPath, mayWatch } from "./watch.js";
import {
  encodeMessage, joinStrings, nArgs, oneArg, splitStrings, TYPE_NAMES, type XsMessage,
} from "./wire.js";

export interface StoreOptions {
  /** Directory for the snapshot and journal. */
  dir: string;
  quotas?: Partial<Quotas>;
  log?: (msg: string) => void;
  /** Journal size (bytes) from which it is folded into a new snapshot; default 4 MiB. */
  compactBytes?: number;
  /** The disk failed; the default ends the process, as nothing more can be acknowledged. */
  onFatal?: (e: Error) => void;
}

/** Replies a privileged client may leave untaken before the store stops reading it. */
const PRIVILEGED_OUTSTANDING = 256;
/** Messages (events included) a client may leave untaken before it is dropped. */
const DROP_AT = 4096;
const DEFAULT_COMPACT_BYTES = 4 << 20;

const ok = (): Buffer => joinStrings([XS_OK]);

/** One request being handled. */
interface Request {
  /** The journal batch the reply depends on (0: none). */
  batch: number;
  /** What must follow the reply (a new watch's first event). */
  after: (() => void)[];
}

export class Store implements ConnectionHost {
  readonly quotas: Quotas;
  readonly log: (msg: string) => void;
  private readonly connections = new Set<Connection>();
  /** Connections with messages waiting for the journal. */
  private readonly waiting = new Set<Connection>();
  /** Commits not yet durable, oldest first: the tree generation after each, and its batch. */
  private commits: { generation: number; batch: number }[] = [];
  private durableBatch = 0;
  /** The tree generation up to which every change is on disk. */
  private durableGeneration: number;
  /** The batch of the latest change to the domains (introduced, released, targets). */
  private domainsBatch = 0;
  private readonly compactBytes: number;
  private nextConnection = 1;

  private constructor(
    private readonly tree: Tree,
    private readonly domains: Domains,
    private readonly journal: Journal,
    options: StoreOptions,
  ) {
    this.quotas = { ...XEN_DEFAULT_QUOTAS, ...options.quotas };
    this.log = options.log ?? (() => {});
    this.compactBytes = options.compactBytes ?? DEFAULT_COMPACT_BYTES;
    this.durableGeneration = tree.generation;
    journal.onDurable = (batch) => this.durable(batch);
    journal.onFatal = options.onFatal ?? ((e) => {
      this.log(`cannot write the journal: ${e.message}`);
      process.exit(1);
    });
  }

  /** Opens the database in `options.dir` (creating it), replaying the journal. */
  static open(options: StoreOptions): Store {
    const log = options.log ?? (() => {});
    const { journal, snapshot, records } = Journal.open(options.dir, log);
    try {
      const { tree, domains } = snapshot ? decodeSnapshot(snapshot) : { tree: initialTree(), domains: new Domains() };
      for (const r of records) applyRecord(tree, domains, r);
      for (const p of tree.check()) log(`database check: ${p}`);
      // A new store's initial nodes become durable before anyone can see them.
      if (!snapshot) journal.compact(encodeSnapshot(tree, domains));
      const introduced = [...domains.entries()].length;
      log(`database: ${tree.size} nodes, ${introduced} domains introduced, ${records.length} journal records replayed`);
      return new Store(tree, domains, journal, options);
    } catch (e) {
      journal.release();
      throw e;
    }
  }

  /** A new client of domain `domid` on `transport` (Domain-0 is privileged). */
  connect(domid: number, transport: Transport, name = `connection ${this.nextConnection}`): Connection {
    this.nextConnection++;
    const privileged = domid === 0;
    const outstanding = privileged ? PRIVILEGED_OUTSTANDING : this.quotas.outstanding;
    const conn = new Connection(domid, privileged, name, transport, this, outstanding, DROP_AT);
    this.connections.add(conn);
    return conn;
  }

  closed(conn: Connection): void {
    this.connections.delete(conn);
    this.waiting.delete(conn);
  }

  targetOf(domid: number): number | undefined {
    return this.domains.get(domid)?.target;
  }

  /** Database consistency problems (XS_CONTROL "check"); empty if none. */
  check(): string[] {
    return this.tree.check();
  }

  /** Drops every client and waits until the journal is on disk. */
  async close(): Promise<void> {
    for (const conn of [...this.connections]) conn.close();
    await this.journal.close();
  }

  handle(conn: Connection, msg: XsMessage): void {
    let type: number = msg.type;
    let reply: Buffer;
    const req: Request = { batch: 0, after: [] };
    try {
      reply = this.dispatch(conn, msg, req);
      if (reply.length > XENSTORE_PAYLOAD_MAX) throw new XsError("E2BIG");
    } catch (e) {
      if (!(e instanceof XsError)) {
        // A bug, not the client's fault: the request changed nothing (changes commit last).
        this.log(`${conn.name}: internal error on message type ${msg.type}: ${(e as Error).stack ?? String(e)}`);
      }
      type = XS_ERROR;
      reply = joinStrings([e instanceof XsError ? e.code : "EIO"]);
    }
    this.send(conn, encodeMessage(type, msg.reqId, msg.txId, reply), req.batch);
    if (type !== XS_ERROR) for (const f of req.after) f();
  }

  /** The reply payload; notes in `req` what the reply depends on and what must follow it. */
  private dispatch(conn: Connection, msg: XsMessage, req: Request): Buffer {
    const p = msg.payload;
    if (!TYPE_NAMES.has(msg.type) || msg.type === XS_WATCH_EVENT || msg.type === XS_ERROR) {
      throw new XsError("ENOSYS", `unknown message type ${msg.type}`);
    }
    if (PRIVILEGED_ONLY.has(msg.type) && !conn.privileged) throw new XsError("EACCES");
    // Watches are not transactional: their transaction id is ignored, as in Xen.
    const watching = msg.type === XS_WATCH || msg.type === XS_UNWATCH;
    const tx = msg.txId === 0 || watching ? undefined : conn.transactions.get(msg.txId);
    if (msg.txId !== 0 && !watching && !tx) throw new XsError("ENOENT", "no such transaction");

    switch (msg.type) {
      case XS_READ:
        return this.nodeOp(conn, tx, req, (ctx) => nodes.read(ctx, oneArg(p)));
      case XS_DIRECTORY:
        return this.nodeOp(conn, tx, req, (ctx) => nodes.directory(ctx, oneArg(p)));
      case XS_DIRECTORY_PART: {
        const [path, offset] = nArgs(p, 2);
        return this.nodeOp(conn, tx, req, (ctx) => nodes.directoryPart(ctx, path, offset));
      }
      case XS_GET_PERMS:
        return this.nodeOp(conn, tx, req, (ctx) => joinStrings(nodes.getPerms(ctx, oneArg(p)).map(formatPerm)));
      case XS_WRITE: {
        const nul = p.indexOf(0);
        if (nul < 0) throw new XsError("EINVAL", "no path");
        // Its own memory: a slice would keep the whole message (or a pooled slab) alive.
        const data = Buffer.allocUnsafeSlow(p.length - nul - 1);
        p.copy(data, 0, nul + 1);
        return this.nodeOp(conn, tx, req, (ctx) => (nodes.write(ctx, p.toString("latin1", 0, nul), data), ok()));
      }
      case XS_MKDIR:
        return this.nodeOp(conn, tx, req, (ctx) => (nodes.mkdir(ctx, oneArg(p)), ok()));
      case XS_RM:
        return this.nodeOp(conn, tx, req, (ctx) => (nodes.rm(ctx, oneArg(p)), ok()));
      case XS_SET_PERMS: {
        const [path, ...perms] = splitStrings(p);
        if (path === undefined || p[p.length - 1] !== 0) throw new XsError("EINVAL");
        const parsed = perms.map(parsePerm);
        return this.nodeOp(conn, tx, req, (ctx) => (nodes.setPerms(ctx, path, parsed), ok()));
      }
      case XS_WATCH: {
        const [path, token] = nArgs(p, 2);
        return this.watch(conn, path, token, req);
      }
      case XS_UNWATCH: {
        const [path, token] = nArgs(p, 2);
        if (!conn.watches.remove(canonicalize(path, conn.domid, true), token)) throw new XsError("ENOENT");
        return ok();
      }
      case XS_RESET_WATCHES:
        conn.watches.clear();
        conn.transactions.clear();
        return ok();
      case XS_TRANSACTION_START:
        if (tx) throw new XsError("EBUSY", "already in a transaction");
        if (!conn.privileged && conn.transactions.size >= this.quotas.transactions) throw new XsError("ENOSPC");
        return this.transactionStart(conn);
      case XS_TRANSACTION_END:
        if (!tx) throw new XsError("ENOENT", "no transaction");
        return this.transactionEnd(conn, tx, oneArg(p), req);
      case XS_GET_DOMAIN_PATH:
        return joinStrings([domainPath(parseDomid(oneArg(p)))]);
      case XS_IS_DOMAIN_INTRODUCED:
        req.batch = this.domainsBatch;
        return joinStrings([this.domains.isIntroduced(parseDomid(oneArg(p))) ? "T" : "F"]);
      case XS_INTRODUCE:
        return this.introduce(splitStrings(p), req);
      case XS_RELEASE:
        return this.release(this.introducedGuest(oneArg(p), req), req);
      case XS_RESUME:
        this.introducedGuest(oneArg(p), req);
        return ok();
      case XS_SET_TARGET: {
        const [domid, target] = nArgs(p, 2);
        return this.setTarget(this.introducedGuest(domid, req), parseDomid(target), req);
      }
      case XS_CONTROL:
        return joinStrings([control(this, splitStrings(p))]);
      default:
        throw new XsError("ENOSYS");
    }
  }

  /**
   * Runs a node operation on fresh changes; commits them, or adds them to the transaction. The
   * reply, error or not, depends on the nodes the operation read, and on its commit.
   */
  private nodeOp(
    conn: Connection,
    tx: Transaction | undefined,
    req: Request,
    op: (ctx: nodes.NodeContext) => Buffer,
  ): Buffer {
    const changes = new Changes(tx ? tx.changes : this.tree);
    try {
      const reply = op({ caller: conn, changes, quotas: conn.privileged ? undefined : this.quotas });
      if (tx) tx.changes.absorb(changes);
      else req.batch = this.commit(changes, []);
      return reply;
    } finally {
      req.batch = Math.max(req.batch, this.dependency(changes.observed));
    }
  }

  /** Applies and journals `changes`, fires their watches; returns the journal batch (0: nothing to write). */
  private commit(changes: Changes, domainOps: DomainOp[]): number {
    if (changes.empty && domainOps.length === 0) return 0;
    changes.applyTo(this.tree);
    this.journal.append(encodeRecord(changes.ops, domainOps));
    const batch = this.journal.newestBatch;
    this.commits.push({ generation: this.tree.generation, batch });
    if (domainOps.length) this.domainsBatch = batch;
    this.fire(changes.triggers, batch);
    return batch;
  }

  /** The journal batch that holds the change of tree generation `generation` (0: already durable). */
  private dependency(generation: number): number {
    if (generation <= this.durableGeneration) return 0;
    for (const c of this.commits) if (c.generation >= generation) return c.batch;
    throw new Error(`generation ${generation} is in no commit`);
  }

  private watch(conn: Connection, raw: string, token: string, req: Request): Buffer {
    const path = canonicalize(raw, conn.domid, true, conn.privileged ? undefined : this.quotas.pathMax);
    if (conn.watches.has(path, token)) throw new XsError("EEXIST");
    if (!conn.privileged && conn.watches.size >= this.quotas.watches) throw new XsError("E2BIG");
    const watch = { path, token, relative: !raw.startsWith("/") && !isSpecial(raw) };
    conn.watches.add(watch);
    // One event right after the ack (Xen's "fire once up front"): a client reads the watched
    // value when it arrives, and so misses no change, also after reconnecting.
    req.after.push(() => this.sendEvent(conn, eventPath(watch, path, conn.domid), token, 0));
    return ok();
  }

  private transactionStart(conn: Connection): Buffer {
    const id = conn.newTransactionId();
    const maxNodes = conn.privileged ? undefined : this.quotas.transactionNodes;
    conn.transactions.set(id, new Transaction(id, this.tree, maxNodes));
    return joinStrings([String(id)]);
  }

  private transactionEnd(conn: Connection, tx: Transaction, verdict: string, req: Request): Buffer {
    if (verdict !== "T" && verdict !== "F") throw new XsError("EINVAL", "expected T or F");
    conn.transactions.delete(tx.id);
    if (verdict === "T") {
      if (tx.conflicts(this.tree)) throw new XsError("EAGAIN");
      req.batch = this.commit(tx.changes, []);
    }
    return ok();
  }

  private introducedGuest(text: string, req: Request): number {
    const domid = parseGuestDomid(text);
    req.batch = this.domainsBatch;
    if (!this.domains.isIntroduced(domid)) throw new XsError("ENOENT", `domain ${domid} not introduced`);
    return domid;
  }

  private introduce(args: string[], req: Request): Buffer {
    if (args.length < 3) throw new XsError("EINVAL");
    const domid = parseGuestDomid(args[0]);
    const [mfn, port] = [args[1], /^\d{1,10}$/.test(args[2]) ? Number(args[2]) : 0];
    if (!/^\d{1,20}$/.test(mfn) || port < 1 || port > 0xffffffff) throw new XsError("EINVAL", "bad frame or port");
    const info: DomainInfo = { mfn, port };
    const isNew = this.domains.introduce(domid, info);
    const changes = new Changes(this.tree);
    if (isNew) changes.triggers.push(this.specialTrigger("@introduceDomain"));
    req.batch = this.commit(changes, [{ domid, info: this.domains.get(domid)! }]);
    return ok();
  }

  private release(domid: number, req: Request): Buffer {
    this.domains.release(domid);
    for (const conn of [...this.connections]) if (conn.domid === domid) conn.close();
    const changes = new Changes(this.tree);
    nodes.removeDomainNodes(changes, this.tree, domid);
    changes.triggers.push(this.specialTrigger("@releaseDomain"));
    req.batch = this.commit(changes, [{ domid }]);
    return ok();
  }

  /**
   * A guest's ring is being served (the kernel process's domain socket, domain-socket.ts): what
   * Xen's toolstack and INTRODUCE do together. The first time, its home gets the toolstack's
   * layout (its `domid` node tells: xend may have written device nodes below it already) and
   * @introduceDomain fires; again (a relay reconnecting) changes nothing.
   */
  introduceDomain(domid: number, info: DomainInfo, home: DomainHome): void {
    const changes = new Changes(this.tree);
    if (!this.tree.get(`${domainPath(domid)}/domid`)) homeLayout(changes, domid, home);
    const isNew = this.domains.introduce(domid, info);
    if (isNew) changes.triggers.push(this.specialTrigger("@introduceDomain"));
    this.commit(changes, isNew ? [{ domid, info: this.domains.get(domid)! }] : []);
  }

  /** The guest is gone: RELEASE, and its home removed (libxl's job on destroy). */
  releaseDomain(domid: number): void {
    if (!this.domains.get(domid)) return;
    const req: Request = { batch: 0, after: [] };
    this.release(domid, req);
    const changes = new Changes(this.tree);
    const home = this.tree.get(domainPath(domid));
    // Its /vm/<uuid> goes with it, as libxl removes both on destroy.
    const vmPath = this.tree.get(`${domainPath(domid)}/vm`)?.data.toString("latin1");
    const vm = vmPath !== undefined && /^\/vm\/[^/]+$/.test(vmPath) ? this.tree.get(vmPath) : undefined;
    if (vm) nodes.removeTree(changes, vmPath!, vm);
    if (home) nodes.removeTree(changes, domainPath(domid), home);
    this.commit(changes, []);
  }

  private setTarget(domid: number, target: number, req: Request): Buffer {
    this.domains.setTarget(domid, target);
    req.batch = this.commit(new Changes(this.tree), [{ domid, info: this.domains.get(domid)! }]);
    return ok();
  }

  private specialTrigger(path: string): Trigger {
    return { path, exact: false, perms: this.tree.get(path)!.perms };
  }

  private fire(triggers: readonly Trigger[], batch: number): void {
    if (triggers.length === 0) return;
    for (const conn of this.connections) {
      if (conn.watches.size === 0) continue;
      for (const t of triggers) {
        if (!mayWatch(conn, t)) continue;
        for (const w of conn.watches.firedBy(t)) this.sendEvent(conn, eventPath(w, t.path, conn.domid), w.token, batch);
      }
    }
  }

  private sendEvent(conn: Connection, path: string, token: string, batch: number): void {
    const payload = joinStrings([path, token]);
    // Xen drops an event too long to send rather than the connection.
    if (payload.length <= XENSTORE_PAYLOAD_MAX) this.send(conn, encodeMessage(XS_WATCH_EVENT, 0, 0, payload), batch);
  }

  /** Sends once journal batch `batch` is on disk (each connection's messages stay in order). */
  private send(conn: Connection, frame: Buffer, batch: number): void {
    if (conn.send(frame, batch, this.durableBatch)) this.waiting.add(conn);
  }

  private durable(batch: number): void {
    this.durableBatch = batch;
    let done = 0;
    while (done < this.commits.length && this.commits[done].batch <= batch) done++;
    if (done > 0) this.durableGeneration = this.commits[done - 1].generation;
    this.commits.splice(0, done);
    for (const conn of [...this.waiting]) {
      if (!conn.release(batch)) this.waiting.delete(conn);
      // Fewer messages wait for the client now: it may have more requests to read.
      conn.drained();
    }
    if (this.journal.wantsCompaction(this.compactBytes)) {
      this.journal.compact(encodeSnapshot(this.tree, this.domains));
    }
  }
}

/** What a domain's home shows besides its id: the toolstack's knowledge, as the relay passes it on. */
export interface DomainHome {
  name: string;
  /** `vm` = /vm/<uuid>, which holds `uuid` and `name`. */
  uuid?: string;
  /** memory/target. */
  memoryKiB?: number;
  /** How many vCPUs it has: cpu/<n>/availability, each "online" at first. */
  vcpus?: number;
  /** The console ring's frame and event channel: console/ring-ref and console/port. */
  console?: { mfn: string; port: number };
}

/**
 * The home libxl creates for a guest (libxl__domain_make, libxl__build_post and the console's
 * frontend): /local/domain/<id> with `domid`, `name`, `vm`, `device`, `backend`,
 * `memory/target`, `cpu/<n>/availability` and `console/ring-ref` and `port`, read-only to the guest; `data`,
 * `control/shutdown`, `console` and the other places a guest writes, owned by it. And /vm/<uuid>.
 */
function homeLayout(changes: Changes, domid: number, h: DomainHome): void {
  const home = domainPath(domid);
  const ctx: nodes.NodeContext = { caller: { domid: 0, privileged: true, target: undefined }, changes, quotas: undefined };
  const readOnly = [{ id: 0, access: PERM_NONE }, { id: domid, access: PERM_READ }];
  const guests = [{ id: domid, access: PERM_NONE }];
  const layout: [string, string, typeof readOnly][] = [
    ["", "", readOnly], ["/domid", String(domid), readOnly], ["/name", h.name, readOnly],
    ["/device", "", readOnly], ["/backend", "", readOnly], ["/control", "", readOnly], ["/control/shutdown", "", guests],
    ["/data", "", guests], ["/drivers", "", guests], ["/feature", "", guests], ["/attr", "", guests],
    ["/error", "", guests],
  ];
  if (h.uuid !== undefined) layout.push(["/vm", `/vm/${h.uuid}`, readOnly]);
  if (h.memoryKiB !== undefined) layout.push(["/memory", "", readOnly], ["/memory/target", String(h.memoryKiB), readOnly]);
  if (h.vcpus !== undefined) {
    // What `xm vcpu-set` moves; the guest brings its vCPUs up and down to match.
    layout.push(["/cpu", "", readOnly]);
    for (let n = 0; n < h.vcpus; n++) layout.push([`/cpu/${n}`, "", readOnly], [`/cpu/${n}/availability`, "online", readOnly]);
  }
  if (h.console !== undefined) {
    // The frontend's directory is the guest's (libxl__device_generic_add); what the backend
    // reads from it, read-only.
    layout.push(
      ["/console", "", guests], ["/console/ring-ref", h.console.mfn, readOnly], ["/console/port", String(h.console.port), readOnly],
    );
  }
  const nodesToMake = layout.map(([rel, value, perms]): [string, string, typeof readOnly] => [home + rel, value, perms]);
  if (h.uuid !== undefined) {
    const vm = `/vm/${h.uuid}`;
    nodesToMake.push([vm, "", readOnly], [`${vm}/uuid`, h.uuid, readOnly], [`${vm}/name`, h.name, readOnly]);
  }
  for (const [path, value, perms] of nodesToMake) {
    nodes.write(ctx, path, Buffer.from(value));
    nodes.setPerms(ctx, path, perms);
  }
}

/** Types only Domain-0 may send (Xen's XS_FLAG_PRIV). */
const PRIVILEGED_ONLY: ReadonlySet<number> = new Set([
  XS_CONTROL, XS_INTRODUCE, XS_RELEASE, XS_IS_DOMAIN_INTRODUCED, XS_RESUME, XS_SET_TARGET,
]);
