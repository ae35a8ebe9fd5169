// A bridge's way to the host: Debian's passt (user-mode networking, no root) connected as QEMU
// connects to it, a stream socket with QEMU's framing, plugged into the bridge as port "uplink".
// passt answers the guests' ARP and DHCP itself and turns their TCP, UDP and ICMP echo into
// ordinary sockets of the host. TCP and UDP to the gateway address reach the host's 127.0.0.1;
// an ICMP echo goes to the address it names, so it is answered only if that address is one of the
// host's own (and net.ipv4.ping_group_range lets passt's group use ping sockets).
//
// Nothing may leave the host: passt's options below confine it to the loopback interface.
//
// passt serves one guest: it has one DHCP lease, and sends to the guest address and MAC it saw
// last. So a bridge's uplink (uplink-port.ts) gives each guest a passt of its own.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import type { Bridge } from "./bridge.js";
import { attachStream, checkSocketPath, type StreamPort, type StreamPortOptions } from "./stream-socket.js";

export const UPLINK_PORT = "uplink";

/** The guests' network, as QEMU's user-mode networking numbers it. */
export const DEFAULT_GUEST_ADDRESS = "10.0.2.15";
export const DEFAULT_PREFIX_LENGTH = 24;
export const DEFAULT_GATEWAY = "10.0.2.2";
/** passt's own address on the bridge; locally administered, so no vendor's. */
export const DEFAULT_PASST_MAC = "9a:55:9a:55:9a:55";

export interface PasstUplinkOptions extends StreamPortOptions {
  /** Where passt's socket and log go, e.g. DOMUS_HOME/run/net/passt-<bridge>. */
  readonly runDir: string;
  /** What passt offers by DHCP. Only one guest gets the address: passt has a single lease. */
  readonly address?: string;
  readonly prefixLength?: number;
  readonly gateway?: string;
  readonly mac?: string;
  /** The program and leading arguments that run passt; ["passt"] unless a test wraps it. */
  readonly command?: readonly string[];
  readonly startTimeoutMs?: number;
}

/** passt's command line; every option is explained here, since together they keep it on loopback. */
export function passtArguments(socket: string, log: string, o: PasstUplinkOptions): string[] {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  return [
    // Stay our child, so stop() and a crash are ours to see; exit when our connection closes,
    // so a net service that dies leaves no passt behind.
    "--foreground", "--one-off",
    "--socket", socket,
    // Its messages go to a file in the run directory, not to syslog or our stderr.
    "--log-file", log,
    // The guests' addresses are set here rather than copied from the host's interface: guests
    // learn nothing about the host's network, and a host without a default route works too.
    "--address", o.address ?? DEFAULT_GUEST_ADDRESS,
    "--netmask", String(o.prefixLength ?? DEFAULT_PREFIX_LENGTH),
    "--gateway", o.gateway ?? DEFAULT_GATEWAY,
    "--mac-addr", o.mac ?? DEFAULT_PASST_MAC,
    // passt would offer an MTU of 65520; the bridge carries standard 1500-byte frames only.
    "--mtu", "1500",
    // Loopback only, twice over: outbound sockets are bound to the lo device (SO_BINDTODEVICE),
    // so they can send through no other interface, and to source 127.0.0.1, which the kernel
    // refuses to route to any address not on this host (EINVAL). A guest's traffic to any other
    // address fails at passt's socket; TCP and UDP to the gateway are mapped to 127.0.0.1.
    "--outbound-if4", "lo", "--outbound", "127.0.0.1",
    // No IPv6 at all (its sockets would not be bound as above), and so no NDP, DHCPv6 or router
    // advertisements; the three are implied by --ipv4-only and said again in case one is not.
    "--ipv4-only", "--no-ndp", "--no-dhcpv6", "--no-ra",
    // No DNS: no resolver is offered by DHCP and none is forwarded to, nor the host's search list.
    "--dns", "none", "--search", "none",
    // Nothing from outside reaches the guests: no host ports are forwarded in (passt's default).
    "--tcp-ports", "none", "--udp-ports", "none",
    // As root, passt would switch to "nobody", who cannot create the socket in our run directory;
    // it keeps our identity instead (and still drops every capability in its own namespaces).
    ...(uid === 0 && gid !== undefined ? ["--runas", `${uid}:${gid}`] : []),
  ];
}

/** passt, running and connected to a bridge. */
export class PasstUplink {
  private constructor(
    readonly port: StreamPort,
    private readonly child: ChildProcess,
    /** Why passt ended (exit status and its last messages); settles when it has. */
    readonly exited: Promise<string>,
    private readonly socketPath: string,
  ) {}

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(bridge: Bridge, opts: PasstUplinkOptions): Promise<PasstUplink> {
    const socketPath = join(opts.runDir, "passt.sock");
    const logPath = join(opts.runDir, "passt.log");
    checkSocketPath(socketPath);
    await mkdir(opts.runDir, { recursive: true, mode: 0o700 });
    await rm(socketPath, { force: true });
    await rm(logPath, { force: true });
    const [program, ...lead] = opts.command ?? ["passt"];
    const child = spawn(program, [...lead, ...passtArguments(socketPath, logPath, opts)], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(0, 4000)));
    const words = () => lastWords(logPath, stderr);
    const exited = new Promise<string>((resolve) => {
      const done = (status: string) => void words().then((w) => resolve(`passt ${status}${w}`));
      child.once("error", (e) => done(`could not be started: ${e.message}`));
      child.once("exit", (code, signal) => done(signal !== null ? `was killed by ${signal}` : `exited with status ${code}`));
    });
    let socket: Socket;
    try {
      socket = await connectWhenReady(socketPath, exited, opts.startTimeoutMs ?? 10_000, words);
    } catch (e) {
      child.kill("SIGKILL");
      throw e;
    }
    const gateway = ipv4Bytes(opts.gateway ?? DEFAULT_GATEWAY);
    const port = attachStream(bridge, UPLINK_PORT, socket, { ...opts, accept: (frame) => !foreignArpReply(frame, gateway) });
    return new PasstUplink(port, child, exited, socketPath);
  }

  /** Disconnects from the bridge; passt then exits by itself (--one-off), or is killed. */
  async stop(): Promise<void> {
    this.port.close();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)));
    await Promise.race([this.exited, late]);
    clearTimeout(timer);
    this.child.kill("SIGKILL");
    await this.exited;
    await rm(this.socketPath, { force: true });
  }
}

/**
 * Whether a frame from passt is an ARP reply for an address other than the gateway. passt is made
 * for a single guest and answers ARP for every address but that guest's; on a bridge those answers
 * would draw the other guests' traffic to each other into passt, which cannot deliver it. The
 * bridge sees only passt's answers for the gateway, the one address it stands for.
 */
export function foreignArpReply(frame: Uint8Array, gateway: readonly number[]): boolean {
  const arpReply = frame.length >= 42 && frame[12] === 0x08 && frame[13] === 0x06 && frame[20] === 0 && frame[21] === 2;
  return arpReply && gateway.some((b, i) => frame[28 + i] !== b);
}

function ipv4Bytes(text: string): number[] {
  const bytes = text.split(".").map(Number);
  if (bytes.length !== 4 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) {
    throw new Error(`the uplink's gateway ${text} is not an IPv4 address`);
  }
  return bytes;
}

/** Connects once passt listens; fails with passt's own words if it exits or takes too long. */
async function connectWhenReady(
  path: string, exited: Promise<string>, timeoutMs: number, words: () => Promise<string>,
): Promise<Socket> {
  let why: string | undefined;
  void exited.then((w) => (why = w));
  for (const deadline = Date.now() + timeoutMs; ;) {
    if (why !== undefined) throw new Error(`the network uplink could not start: ${why}`);
    const socket = await tryConnect(path);
    if (socket !== undefined) return socket;
    if (Date.now() > deadline) {
      throw new Error(`the network uplink could not start: passt did not listen on ${path} within ${timeoutMs} ms${await words()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function tryConnect(path: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => { s.removeAllListeners("error"); resolve(s); });
    s.once("error", () => resolve(undefined));
  });
}

/**
 * What passt last logged; or, if it ended before opening its log, the start of what it said on
 * stderr (an error, then usage). A running passt also prints its settings there.
 */
async function lastWords(logPath: string, stderr: string): Promise<string> {
  // Without a syslog daemon, passt says so after every message it printed before its log file.
  const lines = (text: string) => text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !/^Failed to send \d+ bytes to syslog$/.test(l));
  const log = lines(await readFile(logPath, "utf8").catch(() => ""));
  const words = log.length > 0 ? log.slice(-5) : lines(stderr).slice(0, 3);
  return words.length === 0 ? "" : `: ${words.join(" / ")}`;
}
