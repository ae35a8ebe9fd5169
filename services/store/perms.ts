// Node permissions (xenstore.txt, "Permissions"): a list whose first entry names the owner and
// the access of every domain not listed later; later entries give one domain's access.
// The owner, and privileged domains (Domain-0), may do anything.

import { XsError } from "./error.js";

export const PERM_NONE = 0;
export const PERM_READ = 1;
export const PERM_WRITE = 2;
/** Not on the wire: set in what `accessFor` grants an owner, needed for SET_PERMS. */
export const PERM_OWNER = 4;

export interface Perm {
  readonly id: number;
  /** PERM_READ | PERM_WRITE bits. */
  readonly access: number;
}
export type Perms = readonly Perm[];

const LETTERS = ["n", "r", "w", "b"]; // indexed by access bits
const PERM = /^([nrwb])(\d{1,5})$/;
/** domid_t is 16 bits. */
const DOMID_MAX = 0xffff;

export function parsePerm(s: string): Perm {
  const m = PERM.exec(s);
  const id = m ? Number(m[2]) : NaN;
  if (!m || id > DOMID_MAX) throw new XsError("EINVAL", `bad permission "${s}"`);
  return { id, access: LETTERS.indexOf(m[1]) };
}

export function formatPerm(p: Perm): string {
  return `${LETTERS[p.access]}${p.id}`;
}

export function owner(perms: Perms): number {
  return perms[0].id;
}

/** Who is asking: its domain, whether it is privileged, and the domain it may act for (SET_TARGET). */
export interface Caller {
  readonly domid: number;
  readonly privileged: boolean;
  readonly target: number | undefined;
}

/** The access (PERM_* bits) `caller` has to a node with `perms` (Xen's perm_for_conn). */
export function accessFor(caller: Caller, perms: Perms): number {
  const isMe = (id: number): boolean => id === caller.domid || id === caller.target;
  if (caller.privileged || isMe(perms[0].id)) return PERM_READ | PERM_WRITE | PERM_OWNER;
  for (let i = 1; i < perms.length; i++) {
    if (isMe(perms[i].id)) return perms[i].access;
  }
  return perms[0].access;
}
