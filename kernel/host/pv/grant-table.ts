// Grant tables (v1) of a paravirtual domain: its table lives in the hypervisor's special pages of
// its RAM (kernel/host/pv/pv-layout.ts), which the guest fills. Another domain may copy to or
// from a granted frame only if the entry names it; copies are batched as in GNTTABOP_copy.
// Mappings are grant-maps.ts's.

import {
  GRANT_ENTRY_V1_SIZE, GE_DOMID, GE_FLAGS, GE_FRAME, GTF_permit_access, GTF_readonly, GTF_type_mask,
  GRANT_TABLE_FRAMES, GNTST_bad_copy_arg, GNTST_bad_domain, GNTST_bad_gntref, GNTST_okay,
  GNTST_permission_denied, GNTCOPY_dest_gref, GNTCOPY_source_gref,
} from "../../public/xen/grant-table.js";
import { DOMID_SELF } from "../../public/xen/hypercall.js";
import type { GuestMemory } from "../guest-memory.js";
import { PAGE } from "./pv-layout.js";

export const GRANT_ENTRIES = (GRANT_TABLE_FRAMES * PAGE) / GRANT_ENTRY_V1_SIZE;

/** What a grant-copy segment needs from the domain it names. */
export interface GrantingDomain {
  readonly domid: number;
  readonly mem: GuestMemory;
  readonly grantTable: readonly number[];
}

export interface CopySide {
  readonly refOrFrame: number;
  readonly domid: number;
  readonly offset: number;
}

/** Guest-physical address of `owner`'s grant entry `ref`, or undefined beyond its table. */
export function grantEntryAddress(owner: GrantingDomain, ref: number): number | undefined {
  if (!Number.isInteger(ref) || ref < 0 || ref >= GRANT_ENTRIES) return undefined;
  const perFrame = PAGE / GRANT_ENTRY_V1_SIZE;
  return owner.grantTable[Math.floor(ref / perFrame)] + (ref % perFrame) * GRANT_ENTRY_V1_SIZE;
}

/** Guest-physical address of grant `ref` of `owner` for use by `user`, or a GNTST_* error. */
export function grantedAddress(owner: GrantingDomain, ref: number, user: number, write: boolean): number {
  const at = grantEntryAddress(owner, ref);
  if (at === undefined) return GNTST_bad_gntref;
  const e = owner.mem.dataView(at, GRANT_ENTRY_V1_SIZE);
  const flags = e.getUint16(GE_FLAGS, true);
  if ((flags & GTF_type_mask) !== GTF_permit_access) return GNTST_bad_gntref;
  if (e.getUint16(GE_DOMID, true) !== user) return GNTST_permission_denied;
  if (write && (flags & GTF_readonly) !== 0) return GNTST_permission_denied;
  return e.getUint32(GE_FRAME, true) * PAGE;
}

/**
 * One GNTTABOP_copy segment for `caller`. A side given by frame must be the caller's own memory;
 * a side given by grant reference must be granted to the caller by the domain it names.
 */
export function grantCopy(
  caller: GrantingDomain,
  lookup: (domid: number) => GrantingDomain | undefined,
  src: CopySide, dst: CopySide, len: number, flags: number,
): number {
  if (len < 0 || src.offset + len > PAGE || dst.offset + len > PAGE) return GNTST_bad_copy_arg;
  const resolve = (side: CopySide, byRef: boolean, write: boolean): { mem: GuestMemory; gpa: number } | number => {
    const domid = side.domid === DOMID_SELF ? caller.domid : side.domid;
    if (!byRef) {
      if (domid !== caller.domid) return GNTST_permission_denied;
      return { mem: caller.mem, gpa: side.refOrFrame * PAGE + side.offset };
    }
    const owner = domid === caller.domid ? caller : lookup(domid);
    if (owner === undefined) return GNTST_bad_domain;
    const base = grantedAddress(owner, side.refOrFrame, caller.domid, write);
    return base < 0 ? base : { mem: owner.mem, gpa: base + side.offset };
  };
  const from = resolve(src, (flags & GNTCOPY_source_gref) !== 0, false);
  if (typeof from === "number") return from;
  const to = resolve(dst, (flags & GNTCOPY_dest_gref) !== 0, true);
  if (typeof to === "number") return to;
  try {
    to.mem.write(to.gpa, from.mem.view(from.gpa, len).slice());
  } catch {
    return GNTST_bad_copy_arg;
  }
  return GNTST_okay;
}

/** A backend named a grant it may not use, or bytes outside the granted page. */
export class GrantError extends Error {
  override name = "GrantError";
}

/** One piece of a granted page: grant `ref`, `len` bytes from `offset`. */
export interface GrantSegment {
  readonly ref: number;
  readonly offset: number;
  readonly len: number;
}

/** Guest-physical address of a segment of `owner`'s grant that `user` may read (or write). */
export function segmentAddress(owner: GrantingDomain, s: GrantSegment, user: number, write: boolean): number {
  if (!Number.isInteger(s.offset) || !Number.isInteger(s.len) || s.offset < 0 || s.len < 0 || s.offset + s.len > PAGE) {
    throw new GrantError(`grant segment ${s.offset}+${s.len} is outside a page`);
  }
  const base = grantedAddress(owner, s.ref, user, write);
  if (base < GNTST_okay) throw new GrantError(`grant ${s.ref} is not ${write ? "writably " : ""}granted to domain ${user} (GNTST ${base})`);
  return base + s.offset;
}

/** The bytes of `segments` of `owner`'s grants to `user`, one after another (a batched GNTTABOP_copy). */
export function copyFromGrants(owner: GrantingDomain, user: number, segments: readonly GrantSegment[]): Uint8Array {
  const out = new Uint8Array(segments.reduce((n, s) => n + s.len, 0));
  let at = 0;
  for (const s of segments) {
    out.set(owner.mem.view(segmentAddress(owner, s, user, false), s.len), at);
    at += s.len;
  }
  return out;
}

/** Write `data` into `segments` of `owner`'s grants to `user`, checking every segment first. */
export function copyToGrants(owner: GrantingDomain, user: number, segments: readonly GrantSegment[], data: Uint8Array): void {
  const targets = segments.map((s) => segmentAddress(owner, s, user, true));
  let at = 0;
  segments.forEach((s, i) => {
    owner.mem.write(targets[i], data.subarray(at, at + s.len));
    at += s.len;
  });
}
