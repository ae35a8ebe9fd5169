// Xen's `cpus=` syntax: the physical CPUs a domain's vCPUs may run on, e.g. "0-3,^2" or "1,3,5-7".
// Items are read left to right as Xen does: "N" and "N-M" add, "^N" and "^N-M" take away from
// what is chosen so far.

import { ValueError, show } from "./config-error.js";

/** pCPU numbers run from 0 to MAX_PCPUS - 1 (Xen's NR_CPUS of the time was 256 on x86). */
export const MAX_PCPUS = 256;

const ITEM = /^(\^?)(\d{1,4})(?:-(\d{1,4}))?$/;

/** Parses a cpus= string into the sorted, distinct pCPU numbers it names. */
export function parseCpus(text: string): number[] {
  if (text.length > 4096) throw new ValueError("cpus is longer than 4096 characters");
  const chosen = new Set<number>();
  for (const raw of text.split(",")) {
    const item = raw.trim();
    const m = ITEM.exec(item);
    if (m === null) {
      throw new ValueError(`cpus: ${show(item)} is not a CPU number or range (write e.g. "0-3,^2": N, N-M, ^N or ^N-M)`);
    }
    const from = Number(m[2]);
    const to = m[3] === undefined ? from : Number(m[3]);
    if (to < from) throw new ValueError(`cpus: range ${show(item)} runs backwards`);
    if (to >= MAX_PCPUS) throw new ValueError(`cpus: CPU ${to} is out of range (0 to ${MAX_PCPUS - 1})`);
    for (let cpu = from; cpu <= to; cpu++) {
      if (m[1] === "^") chosen.delete(cpu);
      else chosen.add(cpu);
    }
  }
  if (chosen.size === 0) throw new ValueError(`cpus ${show(text)} leaves no CPU to run on`);
  return [...chosen].sort((a, b) => a - b);
}

/** Writes pCPU numbers in the shortest cpus= form: runs of three or more become ranges. */
export function formatCpus(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    if (j - i >= 2) parts.push(`${sorted[i]}-${sorted[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(sorted[k]));
    i = j + 1;
  }
  return parts.join(",");
}
