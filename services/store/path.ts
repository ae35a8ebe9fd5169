// Node names as xenstore.txt defines them: absolute ("/a/b"), relative to the caller's home
// (/local/domain/<domid>), or special ("@releaseDomain", for watches and permissions only).

import { XENSTORE_ABS_PATH_MAX, XENSTORE_REL_PATH_MAX } from "../../kernel/public/xs-wire.js";
import { XsError } from "./error.js";

const VALID_CHARS = /^[A-Za-z0-9\-/_@]+$/;
/** The home prefix that path length limits do not count (Xen reads it with "%5u"). */
const HOME_PREFIX = /^\/local\/domain\/\d{1,5}\//;

/** A domain's home directory: the base of its relative paths, and GET_DOMAIN_PATH's answer. */
export function domainPath(domid: number): string {
  return `/local/domain/${domid}`;
}

export function isSpecial(path: string): boolean {
  return path.startsWith("@");
}

/**
 * The absolute name for `raw` as sent by domain `domid`, or EINVAL. `pathMax` limits the length
 * below a domain's home (a quota on unprivileged domains); XENSTORE_ABS_PATH_MAX always applies.
 */
export function canonicalize(raw: string, domid: number, allowSpecial: boolean, pathMax?: number): string {
  if (!VALID_CHARS.test(raw)) throw new XsError("EINVAL", "empty path or invalid character");
  if (isSpecial(raw)) {
    if (!allowSpecial) throw new XsError("EINVAL", "special path not allowed here");
    if (raw.length > XENSTORE_REL_PATH_MAX) throw new XsError("EINVAL", "special path too long");
    return raw;
  }
  const path = raw.startsWith("/") ? raw : `${domainPath(domid)}/${raw}`;
  if (path.length > 1 && path.endsWith("/")) throw new XsError("EINVAL", "trailing /");
  if (path.includes("//")) throw new XsError("EINVAL", "empty path component");
  if (path.length > XENSTORE_ABS_PATH_MAX) throw new XsError("EINVAL", "path too long");
  if (pathMax !== undefined) {
    const home = HOME_PREFIX.exec(path)?.[0].length ?? 0;
    if (path.length - home > pathMax) throw new XsError("EINVAL", "path too long");
  }
  return path;
}

/** The parent of an absolute path other than "/". */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === 0 ? "/" : path.slice(0, slash);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

export function childPath(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

/** Xen's is_child: `path` is `ancestor` or below it; everything, even "@..." names, is below "/". */
export function isAtOrBelow(path: string, ancestor: string): boolean {
  if (ancestor === "/") return true;
  return path.startsWith(ancestor) && (path.length === ancestor.length || path[ancestor.length] === "/");
}
