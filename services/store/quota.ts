// Per-domain limits, with Xen's defaults (xenstored's -E, -W, -S, -t, -A, -M and -Q options).
// As in Xen they bind unprivileged domains only; Domain-0 is trusted.

import { XENSTORE_REL_PATH_MAX } from "../../kernel/public/xs-wire.js";

export interface Quotas {
  /** Nodes a domain may own (ENOSPC beyond). */
  nodes: number;
  /** Watches per connection (E2BIG beyond). */
  watches: number;
  /** Bytes in one node: data, child names and 8 per permission, as Xen counts (ENOSPC beyond). */
  nodeSize: number;
  /** Open transactions per connection (ENOSPC beyond). */
  transactions: number;
  /** Requests whose replies the domain has not taken; the store stops reading beyond. */
  outstanding: number;
  /** Entries in one node's permission list (ENOSPC beyond). */
  permissions: number;
  /** Path length below the domain's home (EINVAL beyond). */
  pathMax: number;
  /** Nodes one transaction may touch (ENOSPC beyond). */
  transactionNodes: number;
}

export const XEN_DEFAULT_QUOTAS: Readonly<Quotas> = {
  nodes: 1000,
  watches: 128,
  nodeSize: 2048,
  transactions: 10,
  outstanding: 20,
  permissions: 5,
  pathMax: XENSTORE_REL_PATH_MAX,
  transactionNodes: 1024,
};

export type QuotaName = keyof Quotas;

export function isQuotaName(name: string): name is QuotaName {
  return Object.hasOwn(XEN_DEFAULT_QUOTAS, name);
}

/** Parses "name=value" (as given to --quota); throws with a message naming the problem. */
export function parseQuota(spec: string): [QuotaName, number] {
  const m = /^([A-Za-z]+)=(\d+)$/.exec(spec);
  if (!m) throw new Error(`quota must be NAME=NUMBER, not "${spec}"`);
  if (!isQuotaName(m[1])) throw new Error(`unknown quota "${m[1]}"; known: ${Object.keys(XEN_DEFAULT_QUOTAS).join(", ")}`);
  const n = Number(m[2]);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`quota ${m[1]} must be a positive whole number`);
  return [m[1], n];
}
