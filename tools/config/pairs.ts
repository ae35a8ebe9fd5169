// The 'key=value,key=value' strings of vif= and vfb= entries.

import { ValueError, show } from "./config-error.js";

export type Pair = readonly [key: string, value: string];

/** Splits 'a=1,b=2' into pairs; the empty string has none. A value may itself hold '='. */
export function splitPairs(what: string, entry: string): Pair[] {
  if (entry.trim() === "") return [];
  return entry.split(",").map((part) => {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new ValueError(`${what} ${show(entry)}: ${show(part)} is not key=value`);
    return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()] as const;
  });
}

/** Collects pairs into a map, refusing unknown and repeated keys. */
export function pairMap(what: string, pairs: readonly Pair[], known: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const [key, value] of pairs) {
    if (!known.includes(key)) throw new ValueError(`${what}: unknown setting ${show(key)} (known: ${known.join(", ")})`);
    if (map.has(key)) throw new ValueError(`${what}: ${key} is given twice`);
    // An entry string can carry neither (its commas split it, and Xen trims around each value).
    if (value.includes(",")) throw new ValueError(`${what}: the value of ${key} contains a comma`);
    if (value !== value.trim()) throw new ValueError(`${what}: the value of ${key} starts or ends with a space`);
    map.set(key, value);
  }
  return map;
}

/** Writes pairs back in the order given, leaving out undefined values. */
export function joinPairs(pairs: readonly (readonly [string, string | number | undefined])[]): string {
  return pairs.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`).join(",");
}
