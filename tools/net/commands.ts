// `domus brctl show`, `domus net ports`, `domus net top PORT` and `domus net capture`: the host's
// bridges as Linux's tools show them, from the network service's control socket.

import { resolve } from "node:path";
import type { NetBridge, NetPort } from "../../kernel/public/net-protocol.js";
import { NetClient } from "./net-client.js";

/** `brctl show`: bridge name, bridge id, STP enabled, interfaces (one per line after the first). */
export function formatBrctl(bridges: readonly NetBridge[]): string {
  const lines = ["bridge name\tbridge id\t\tSTP enabled\tinterfaces"];
  for (const b of bridges) {
    const [first, ...rest] = b.interfaces;
    lines.push(`${b.name}\t\t${b.id}\t${b.stp}\t\t${first ?? ""}`);
    for (const i of rest) lines.push(`\t\t\t\t\t\t\t${i}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Per-port counters, as `ip -s link` counts a vif on the host (RX: from the guest). */
export function formatPorts(ports: readonly NetPort[]): string {
  const head = ["bridge", "port", "rx-packets", "rx-bytes", "rx-dropped", "rx-errors", "tx-packets", "tx-bytes", "tx-dropped"];
  const rows = ports.map((p) => [p.bridge, p.name, p.rxPackets, p.rxBytes, p.rxDropped, p.rxErrors, p.txPackets, p.txBytes, p.txDropped].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n") + "\n";
}

function rate(bytes: number, seconds: number): string {
  const bits = (bytes * 8) / seconds;
  return bits >= 1e6 ? `${(bits / 1e6).toFixed(2)}Mb` : bits >= 1e3 ? `${(bits / 1e3).toFixed(2)}Kb` : `${bits.toFixed(0)}b`;
}

/** A live view of one port in the spirit of `iftop -i vif5.0`: its rates every second, until interrupted. */
export async function top(home: string, port: string, out: (s: string) => void, rounds = Infinity): Promise<number> {
  const client = await NetClient.connect(home);
  try {
    let last = (await client.ports()).find((p) => p.name === port);
    if (last === undefined) throw new Error(`there is no port ${port} (see \`domus net ports\`)`);
    out(`${port} on ${last.bridge}: rates over the last second (RX from the guest, TX to it)\n`);
    for (let i = 0; i < rounds; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = (await client.ports()).find((p) => p.name === port);
      if (now === undefined) throw new Error(`port ${port} is gone`);
      out(`RX ${rate(now.rxBytes - last.rxBytes, 1).padStart(10)} ${String(now.rxPackets - last.rxPackets).padStart(6)} pkt/s   ` +
        `TX ${rate(now.txBytes - last.txBytes, 1).padStart(10)} ${String(now.txPackets - last.txPackets).padStart(6)} pkt/s   ` +
        `dropped ${now.rxDropped + now.txDropped}  errors ${now.rxErrors}\n`);
      last = now;
    }
    return 0;
  } finally {
    client.close();
  }
}

/** Capture a bridge or port to a pcap file for `seconds` (or until interrupted). */
export async function capture(home: string, target: string, file: string, seconds: number | undefined, out: (s: string) => void): Promise<number> {
  const client = await NetClient.connect(home);
  try {
    const id = await client.startCapture(target, resolve(file));
    out(`capturing ${target} to ${resolve(file)}${seconds === undefined ? " (Ctrl-C stops)" : ` for ${seconds} s`}\n`);
    await new Promise<void>((done) => {
      const t = seconds === undefined ? undefined : setTimeout(done, seconds * 1000);
      process.once("SIGINT", () => { if (t !== undefined) clearTimeout(t); done(); });
    });
    const r = await client.stopCapture(id);
    out(`${r.packets} packets captured${r.dropped > 0 ? `, ${r.dropped} dropped (the file could not keep up)` : ""}\n`);
    return 0;
  } finally {
    client.close();
  }
}

export async function brctlShow(home: string, out: (s: string) => void): Promise<number> {
  const client = await NetClient.connect(home);
  try {
    out(formatBrctl(await client.bridges()));
    return 0;
  } finally {
    client.close();
  }
}

export async function ports(home: string, json: boolean, out: (s: string) => void): Promise<number> {
  const client = await NetClient.connect(home);
  try {
    const all = await client.ports();
    out(json ? `${JSON.stringify(all, null, 2)}\n` : formatPorts(all));
    return 0;
  } finally {
    client.close();
  }
}
