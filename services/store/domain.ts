// Domains known to the store (Xen's xenstored_domain.c): which are introduced, with their ring's
// frame and event channel, and the target a device-model domain acts for (SET_TARGET).
// Domain-0 is always there and privileged.

import { XsError } from "./error.js";

/** Domain ids from here up are reserved by Xen (DOMID_FIRST_RESERVED, xen.h). */
export const DOMID_FIRST_RESERVED = 0x7ff0;

export interface DomainInfo {
  /** Frame of the domain's xenstore ring page, as INTRODUCE gave it (decimal). */
  readonly mfn: string;
  readonly port: number;
  readonly target?: number;
}

/** A guest's id (1 ... DOMID_FIRST_RESERVED-1) from a decimal string; EINVAL otherwise. */
export function parseGuestDomid(s: string): number {
  const n = /^\d{1,5}$/.test(s) ? Number(s) : NaN;
  if (!(n >= 1 && n < DOMID_FIRST_RESERVED)) throw new XsError("EINVAL", `bad domain id "${s}"`);
  return n;
}

/** Any domain id, Domain-0 included. */
export function parseDomid(s: string): number {
  return s === "0" ? 0 : parseGuestDomid(s);
}

export class Domains {
  private readonly introduced = new Map<number, DomainInfo>();

  isIntroduced(domid: number): boolean {
    return domid === 0 || this.introduced.has(domid);
  }

  get(domid: number): DomainInfo | undefined {
    return this.introduced.get(domid);
  }

  /** Returns true if the domain is new (and @introduceDomain is due). */
  introduce(domid: number, info: DomainInfo): boolean {
    const old = this.introduced.get(domid);
    this.introduced.set(domid, { ...info, target: old?.target ?? info.target });
    return old === undefined;
  }

  release(domid: number): void {
    this.introduced.delete(domid);
  }

  setTarget(domid: number, target: number): void {
    const info = this.introduced.get(domid);
    if (info) this.introduced.set(domid, { ...info, target });
  }

  entries(): IterableIterator<[number, DomainInfo]> {
    return this.introduced.entries();
  }
}
