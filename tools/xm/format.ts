// xm's tables, column for column as Xen's xm prints them (xm/main.py): list, sched-credit,
// vcpu-list and info. Python's "%-40s %5s" formats are reproduced with padStart/padEnd.

import type { XendDomain, XendHostInfo, XendVbd, XendVcpu, XendVif } from "../../kernel/public/xend-protocol.js";
import { stateLetters } from "../xend/state-letters.js";

const l = (s: string, n: number): string => s.padEnd(n);
const r = (s: string, n: number): string => s.padStart(n);

/** `xm list`: Name ID Mem VCPUs State Time(s). */
export function formatList(domains: readonly XendDomain[]): string {
  const lines = [`${l("Name", 40)} ${r("ID", 5)} ${r("Mem", 5)} ${r("VCPUs", 5)} ${r("State", 10)} ${r("Time(s)", 9)}`];
  for (const d of domains) {
    const state = d.state === null ? "" : stateLetters(d.state);
    lines.push(`${l(d.name, 40)} ${r(d.domid === null ? "" : String(d.domid), 5)} ${r(String(Math.floor(d.memoryMiB)), 5)} ${r(String(d.online.length), 5)} ${r(state, 10)} ${r(d.cpuTimeS.toFixed(1), 8)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** `xm sched-credit` without -w/-c: Name ID Weight Cap. */
export function formatSchedCredit(domains: readonly XendDomain[]): string {
  const lines = [`${l("Name", 33)} ${r("ID", 4)} ${r("Weight", 6)} ${r("Cap", 4)}`];
  for (const d of domains) {
    lines.push(`${l(d.name, 32)} ${r(d.domid === null ? "" : String(d.domid), 5)} ${r(String(d.weight), 6)} ${r(String(d.cap), 4)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** CPU numbers as Xen's ranges ("0-3,6"); "any cpu" when none are named or all are. */
export function formatAffinity(cpus: readonly number[], hostCpus: number): string {
  const sorted = [...new Set(cpus)].filter((c) => c < hostCpus).sort((a, b) => a - b);
  if (sorted.length === 0 || sorted.length === hostCpus) return "any cpu";
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** `xm vcpu-list`: Name ID VCPU CPU State Time(s) CPU Affinity. */
export function formatVcpuList(vcpus: readonly XendVcpu[], hostCpus: number): string {
  const lines = [`${l("Name", 32)} ${r("ID", 5)} ${r("VCPU", 5)} ${r("CPU", 5)} ${r("State", 5)} ${r("Time(s)", 9)} CPU Affinity`];
  for (const v of vcpus) {
    const state = v.state === "offline" ? "--p" : `${v.state === "running" ? "r" : "-"}${v.state === "blocked" ? "b" : "-"}${v.state === "paused" ? "p" : "-"}`;
    lines.push(`${l(v.name, 32)} ${r(String(v.domid), 5)} ${r(String(v.vcpu), 5)} ${r(v.cpu === null ? "-" : String(v.cpu), 5)} ${r(state, 5)}  ${r(v.cpuTimeS.toFixed(1), 8)} ${formatAffinity(v.affinity, hostCpus)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** `xm info`: "key                    : value". */
export function formatInfo(rows: XendHostInfo): string {
  return rows.map(([k, v]) => `${l(k, 23)}: ${v}\n`).join("");
}

/** Columns as wide as their widest cell, the last one unpadded. */
function table(head: readonly string[], rows: readonly string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join(" ");
  return [line(head), ...rows.map(line)].join("\n") + "\n";
}

/** `xm block-list`: Xen's columns Vdev BE handle state evt-ch ring-ref BE-path (handle: the vdev's low 16 bits). */
export function formatBlockList(vbds: readonly XendVbd[]): string {
  return table(["Vdev", "BE", "handle", "state", "evt-ch", "ring-ref", "BE-path"],
    vbds.map((v) => [String(v.vdev), String(v.backendId), String(v.vdev & 0xffff), String(v.state), String(v.eventChannel), String(v.ringRef), v.backendPath]));
}

/** `xm network-list`: Xen's columns Idx BE MAC Addr. handle state evt-ch tx-/rx-ring-ref BE-path. */
export function formatNetworkList(vifs: readonly XendVif[]): string {
  return table(["Idx", "BE", "MAC Addr.", "handle", "state", "evt-ch", "tx-/rx-ring-ref", "BE-path"],
    vifs.map((v) => [String(v.idx), String(v.backendId), v.mac, String(v.handle), String(v.state), String(v.eventChannel), `${v.txRingRef}/${v.rxRingRef}`, v.backendPath]));
}
