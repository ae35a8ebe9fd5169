// The socket through which the kernel process serves guests' xenstore rings
// (DOMUS_HOME/run/xenstored/domains.sock). The store cannot see guest memory, so the kernel
// relays each PV domain's ring over one connection here (kernel/host/pv/xenstore-ring.ts).
// Only the kernel process connects: the socket is mode 0600 in the store's 0700 directory.
//
// A connection begins with one line of JSON naming the domain it speaks for,
//   {"domid":3,"name":"guest","mfn":"32763","port":2,"uuid":"...","memoryKiB":65536,"vcpus":2,"consoleMfn":"32762","consolePort":1}\n
// and carries that domain's xenstore byte stream from then on, with the domain's (unprivileged)
// rights. The first connection for a domain introduces it (its home is laid out and
// @introduceDomain fires); a later one, after a store or relay restart, just reconnects. When
// the kernel process ends the connection the domain is gone: RELEASE and @releaseDomain follow.
// A connection the store drops itself (a guest breaking the protocol) releases nothing.

import { createServer, type Server } from "node:net";
import { SocketTransport, listenUnix } from "./socket.js";
import type { DomainHome, Store } from "./core.js";
import { DOMID_FIRST_RESERVED } from "./domain.js";
import { MAX_HARTS } from "../../kernel/public/board.js";

/** The hello line is short; anything longer is not a relay. */
const MAX_HELLO = 512;

/** The ring's domain and frame and port; the rest (optional) is what its home shows. */
export interface DomainHello extends DomainHome {
  domid: number;
  mfn: string;
  port: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const isPort = (p: unknown): p is number => Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 0xffffffff;
const isMfn = (m: unknown): m is string => typeof m === "string" && /^\d{1,20}$/.test(m);

/** The hello line, or an Error saying what is wrong with it. */
export function parseHello(line: string): DomainHello | Error {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return new Error("the first line is not JSON");
  }
  const h = v as Partial<DomainHello> & { consoleMfn?: unknown; consolePort?: unknown };
  if (typeof v !== "object" || v === null) return new Error("the first line is not an object");
  if (!Number.isInteger(h.domid) || h.domid! < 1 || h.domid! >= DOMID_FIRST_RESERVED) return new Error("bad domid");
  if (typeof h.name !== "string" || h.name.length === 0 || h.name.length > 64) return new Error("bad name");
  if (!isMfn(h.mfn)) return new Error("bad mfn");
  if (!isPort(h.port)) return new Error("bad port");
  const hello: DomainHello = { domid: h.domid!, name: h.name, mfn: h.mfn, port: h.port };
  if (h.uuid !== undefined) {
    if (typeof h.uuid !== "string" || !UUID.test(h.uuid)) return new Error("bad uuid");
    hello.uuid = h.uuid;
  }
  if (h.memoryKiB !== undefined) {
    if (!Number.isSafeInteger(h.memoryKiB) || h.memoryKiB < 1) return new Error("bad memoryKiB");
    hello.memoryKiB = h.memoryKiB;
  }
  if (h.vcpus !== undefined) {
    if (!Number.isInteger(h.vcpus) || h.vcpus < 1 || h.vcpus > MAX_HARTS) return new Error("bad vcpus");
    hello.vcpus = h.vcpus;
  }
  if (h.consoleMfn !== undefined || h.consolePort !== undefined) {
    if (!isMfn(h.consoleMfn) || !isPort(h.consolePort)) return new Error("bad console");
    hello.console = { mfn: h.consoleMfn, port: h.consolePort };
  }
  return hello;
}

/** Serves guests' rings, relayed by the kernel process, on `path`. */
export function listenDomainSocket(store: Store, path: string): Promise<Server> {
  const server = createServer((socket) => {
    socket.on("error", () => {});
    let hello = Buffer.alloc(0);
    const onHello = (chunk: Buffer): void => {
      hello = Buffer.concat([hello, chunk]);
      const nl = hello.indexOf(0x0a);
      if (nl < 0) {
        if (hello.length > MAX_HELLO) reject("no hello line");
        return;
      }
      const h = parseHello(hello.toString("utf8", 0, nl));
      if (h instanceof Error) return reject(h.message);
      socket.off("data", onHello);
      serve(h, hello.subarray(nl + 1));
    };
    const reject = (why: string): void => {
      store.log(`domain socket: ${why}; closing`);
      socket.destroy();
    };
    const serve = (h: DomainHello, rest: Buffer): void => {
      store.introduceDomain(h.domid, { mfn: h.mfn, port: h.port }, h);
      const transport = new SocketTransport(socket);
      const conn = store.connect(h.domid, transport, `domain ${h.domid} (${h.name})`);
      transport.conn = conn;
      socket.on("data", (chunk: Buffer) => conn.receive(chunk));
      socket.on("close", () => {
        conn.closed();
        if (!transport.closedByStore) store.releaseDomain(h.domid);
      });
      store.log(`domain ${h.domid} (${h.name}) connected`);
      if (rest.length > 0) conn.receive(rest);
    };
    socket.on("data", onHello);
  });
  return listenUnix(server, path);
}
