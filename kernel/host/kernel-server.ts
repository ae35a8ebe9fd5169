// The kernel process's socket: each connection sends requests (kernel/public/protocol.ts) and
// gets one reply per request; subscribers also receive console and domain events. A malformed
// frame closes only that connection; a malformed request gets an error reply.

import { createServer, type Server, type Socket } from "node:net";
import { chmodSync, existsSync, unlinkSync } from "node:fs";
import { encodeFrame, FrameReader, FrameError } from "../public/frames.js";
import { PROTOCOL_VERSION, type EventFrame, type EventKind, type RequestFrame, type ReplyFrame } from "../public/protocol.js";
import { checkRequest, checkRingRespond, checkVirtioDone, isBackendPost, ProtocolError } from "./protocol-check.js";
import type { BackendPeer } from "./backend-link.js";
import { writeBatched } from "./socket-batch.js";
import { Hypervisor, HypervisorError } from "./hypervisor.js";
import type { Domain } from "./domain.js";

interface Client {
  readonly socket: Socket;
  events: Set<EventKind>;
  /** With console events: only these domains' (all when undefined). */
  consoleDomains: Set<number> | undefined;
  /** The domains whose console this connection shows (it read their unseen output), by id. */
  readonly consoles: Map<number, Domain>;
  /** Set once the connection said backend.hello. */
  backend?: BackendPeer;
}

export class KernelServer {
  private readonly clients = new Set<Client>();
  private server: Server | undefined;

  constructor(private readonly hv: Hypervisor, private readonly log: (msg: string) => void) {}

  listen(path: string): Promise<void> {
    if (existsSync(path)) unlinkSync(path); // a stale socket from a killed kernel
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        chmodSync(path, 0o600);
        resolve();
      });
    });
  }

  close(): void {
    this.server?.close();
    for (const c of this.clients) c.socket.destroy();
  }

  publish(event: EventFrame): void {
    let frame: Uint8Array | undefined;
    for (const c of this.clients) {
      if (!c.events.has(event.event)) continue;
      if (event.event === "console" && c.consoleDomains?.has(event.domid) === false) continue;
      frame ??= encodeFrame(event);
      c.socket.write(frame);
      if (event.event === "console") c.consoles.get(event.domid)?.consoleShown();
    }
  }

  private accept(socket: Socket): void {
    const client: Client = { socket, events: new Set(), consoleDomains: undefined, consoles: new Map() };
    this.clients.add(client);
    const reader = new FrameReader();
    socket.on("data", (chunk: Buffer) => {
      let messages: unknown[];
      try {
        messages = reader.push(chunk);
      } catch (e) {
        if (!(e instanceof FrameError)) throw e;
        this.log(`closing a connection: ${e.message}`);
        socket.destroy();
        return;
      }
      for (const m of messages) {
        if (isBackendPost(m)) this.backendPost(client, m);
        else this.answer(client, m);
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.clients.delete(client);
      if (client.backend !== undefined) {
        this.log(`backend ${client.backend.instance} disconnected; its requests wait for its next instance`);
        this.hv.backendGone(client.backend);
      }
    });
  }

  /** Answers have no reply; a malformed one is logged and dropped (its request stays outstanding). */
  private backendPost(client: Client, m: Record<string, unknown>): void {
    try {
      const peer = this.backendOf(client);
      if (m.op === "virtio.done") this.hv.virtioDone(checkVirtioDone(m));
      else this.hv.ringRespond(peer, checkRingRespond(m));
    } catch (e) {
      if (!(e instanceof ProtocolError) && !(e instanceof HypervisorError)) throw e;
      this.log(`bad answer from a backend: ${e.message}`);
    }
  }

  /** Reply to a request; one that waits for its domain's slice to end (a Promise) is answered then. */
  private answer(client: Client, message: unknown): void {
    const id = typeof message === "object" && message !== null && typeof (message as { id?: unknown }).id === "number"
      ? (message as { id: number }).id : 0;
    const send = (reply: ReplyFrame): void => {
      if (!client.socket.destroyed) writeBatched(client.socket, encodeFrame(reply));
    };
    const failed = (e: unknown): void => {
      if (!(e instanceof ProtocolError) && !(e instanceof HypervisorError)) throw e;
      if (e instanceof ProtocolError) this.log(`bad request: ${e.message}`);
      send({ id, ok: false, error: e.message });
    };
    let result: unknown;
    try {
      result = this.dispatch(client, checkRequest(message));
    } catch (e) {
      failed(e);
      return;
    }
    if (result instanceof Promise) result.then((r: unknown) => send({ id, ok: true, result: r ?? null }), failed);
    else send({ id, ok: true, result: result ?? null });
  }

  private dispatch(client: Client, req: RequestFrame): unknown {
    const hv = this.hv;
    switch (req.op) {
      case "hello":
        if (req.version !== PROTOCOL_VERSION) {
          throw new ProtocolError(`protocol version ${req.version} is not supported (this kernel speaks ${PROTOCOL_VERSION})`);
        }
        return hv.info();
      case "info": return hv.info();
      case "domain.create": return { domid: hv.create(req.spec, req.paused === true).domid };
      case "domain.list": return hv.list().map((d) => d.info());
      case "domain.destroy": return hv.destroy(req.domid);
      case "domain.pause": return hv.pause(req.domid, true);
      case "domain.unpause": return hv.pause(req.domid, false);
      case "domain.shutdown": return hv.shutdown(req.domid, req.reason);
      case "domain.sched": return hv.setSched(req.domid, req.weight, req.cap).info();
      case "domain.rename": return hv.rename(req.domid, req.name).info();
      case "domain.affinity": return hv.setAffinity(req.domid, req.cpus).info();
      case "domain.maxmem": return hv.setMaxMem(req.domid, req.maxmemMiB).info();
      case "console.write": return hv.consoleWrite(req.domid, req.data);
      case "console.tail": return hv.get(req.domid).consoleTailBytes();
      case "framebuffer.read": return hv.framebufferRead(req.domid, req.full);
      case "console.read": {
        // Reading attaches this connection's console: what it is sent from now on counts as shown.
        const d = hv.get(req.domid);
        client.consoles.set(req.domid, d);
        return d.takeUnseenConsole();
      }
      case "subscribe":
        client.events = new Set(req.events);
        client.consoleDomains = req.consoles === undefined ? undefined : new Set(req.consoles);
        return null;
      case "backend.hello":
        if (req.version !== PROTOCOL_VERSION) {
          throw new ProtocolError(`protocol version ${req.version} is not supported (this kernel speaks ${PROTOCOL_VERSION})`);
        }
        client.backend = { instance: req.instance, socket: client.socket };
        this.log(`backend ${req.instance} connected`);
        return hv.info();
      case "device.attach": return { slot: hv.attachDevice(this.backendOf(client), req) };
      case "device.detach": return hv.detachDevice(this.backendOf(client), req.domid, req.devid);
      case "ring.bind": return hv.bindRing(this.backendOf(client), req);
      case "ring.unbind": return hv.unbindRing(this.backendOf(client), req.domid, req.devid, req.ring);
      case "grant.read":
        this.backendOf(client);
        return { data: hv.grantRead(req.domid, req.segments) };
      case "grant.write":
        this.backendOf(client);
        return hv.grantWrite(req.domid, req.segments, req.data);
      case "evtchn.bind": return hv.bindEvtchn(this.backendOf(client), req.domid, req.devid, req.port);
      case "evtchn.unbind": return hv.unbindEvtchn(this.backendOf(client), req.domid, req.devid);
      case "evtchn.notify": return hv.notifyEvtchn(this.backendOf(client), req.domid, req.devid);
    }
  }

  private backendOf(client: Client): BackendPeer {
    if (client.backend === undefined) throw new ProtocolError("only a backend (after backend.hello) attaches devices");
    return client.backend;
  }
}
