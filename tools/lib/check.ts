// Small shape checks for messages that enter a toolstack process (replies, events, requests).
// Each throws ProtocolViolation naming the field, so a bad message is reported, never trusted.

import { ProtocolViolation } from "./frame-connection.js";

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

export function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new ProtocolViolation(`${what} must be a map, not ${describe(v)}`);
  return v;
}

export function num(o: Obj, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ProtocolViolation(`${what}.${key} must be a number, not ${describe(v)}`);
  return v;
}

export function int(o: Obj, key: string, what: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  const v = num(o, key, what);
  if (!Number.isInteger(v) || v < min || v > max) throw new ProtocolViolation(`${what}.${key} must be a whole number from ${min} to ${max}, not ${v}`);
  return v;
}

export function optInt(o: Obj, key: string, what: string, min?: number, max?: number): number | undefined {
  return o[key] === undefined || o[key] === null ? undefined : int(o, key, what, min, max);
}

export function str(o: Obj, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== "string") throw new ProtocolViolation(`${what}.${key} must be a string, not ${describe(v)}`);
  return v;
}

export function optStr(o: Obj, key: string, what: string): string | undefined {
  return o[key] === undefined || o[key] === null ? undefined : str(o, key, what);
}

export function bool(o: Obj, key: string, what: string): boolean {
  const v = o[key];
  if (typeof v !== "boolean") throw new ProtocolViolation(`${what}.${key} must be true or false, not ${describe(v)}`);
  return v;
}

export function oneOf<T extends string>(o: Obj, key: string, what: string, values: readonly T[]): T {
  const v = o[key];
  if (typeof v !== "string" || !(values as readonly string[]).includes(v)) {
    throw new ProtocolViolation(`${what}.${key} must be one of ${values.join(", ")}, not ${describe(v)}`);
  }
  return v as T;
}

export function arr(o: Obj, key: string, what: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new ProtocolViolation(`${what}.${key} must be a list, not ${describe(v)}`);
  return v;
}

export function intList(o: Obj, key: string, what: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number[] {
  return arr(o, key, what).map((v, i) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw new ProtocolViolation(`${what}.${key}[${i}] must be a whole number from ${min} to ${max}, not ${describe(v)}`);
    }
    return v;
  });
}

export function bytes(o: Obj, key: string, what: string): Uint8Array {
  const v = o[key];
  if (!(v instanceof Uint8Array)) throw new ProtocolViolation(`${what}.${key} must be bytes, not ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return "missing";
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  const s = JSON.stringify(v);
  return s === undefined ? typeof v : s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
