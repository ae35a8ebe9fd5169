// A flattened device tree (DTB) writer: build nodes and properties, then serialise them.
// Format: Devicetree Specification v0.4, chapter 5 (version 17, last compatible version 16).
// Everything is big-endian; the structure block is a stream of 32-bit tokens padded to 4 bytes.

const FDT_MAGIC = 0xd00dfeed;
const FDT_VERSION = 17;
const FDT_LAST_COMP_VERSION = 16;
const FDT_BEGIN_NODE = 0x1;
const FDT_END_NODE = 0x2;
const FDT_PROP = 0x3;
const FDT_END = 0x9;
const HEADER_SIZE = 40;

/** Thrown for trees that cannot be written as a valid DTB. */
export class FdtError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FdtError";
  }
}

// Character sets from the Devicetree Specification (2.2.1 node names, 2.2.4 property names).
const NODE_NAME = /^[A-Za-z0-9,._+-]+(@[A-Za-z0-9,._+-]+)?$/;
const PROP_NAME = /^[A-Za-z0-9,._+?#-]+$/;

/**
 * A property value. It is kept as a list of byte chunks and node references because a
 * phandle is only known once the whole tree is serialised.
 */
export class PropValue {
  /** @internal use the helper functions below. */
  constructor(readonly parts: readonly (Uint8Array | FdtNode)[]) {}
}

/** One 32-bit cell: a number, or a node standing for its phandle. */
export type Cell = number | FdtNode;

export interface FdtProperty {
  readonly name: string;
  readonly value: PropValue;
}

/** A node: properties in insertion order, then children in insertion order. */
export class FdtNode {
  // Private so every addition goes through the checks in prop() and node().
  private readonly ownProperties: FdtProperty[] = [];
  private readonly ownChildren: FdtNode[] = [];

  /** Use `fdtRoot()` or `parent.node(name)` rather than constructing nodes directly. */
  constructor(readonly name: string) {}

  get properties(): readonly FdtProperty[] {
    return this.ownProperties;
  }

  get children(): readonly FdtNode[] {
    return this.ownChildren;
  }

  /** Adds a property; a missing value makes an empty (boolean) property. Returns this node. */
  prop(name: string, value: PropValue = empty()): this {
    if (!PROP_NAME.test(name)) throw new FdtError(`invalid property name ${JSON.stringify(name)} in ${this.describe()}`);
    // The writer owns phandles so references and numbers cannot disagree.
    if (name === "phandle" || name === "linux,phandle") {
      throw new FdtError(`${this.describe()}: phandles are assigned by the writer; reference the node with ref()`);
    }
    if (this.ownProperties.some((p) => p.name === name)) {
      throw new FdtError(`duplicate property ${JSON.stringify(name)} in ${this.describe()}`);
    }
    this.ownProperties.push({ name, value });
    return this;
  }

  /** Adds a child node and returns it. */
  node(name: string): FdtNode {
    if (!NODE_NAME.test(name)) throw new FdtError(`invalid node name ${JSON.stringify(name)} under ${this.describe()}`);
    if (this.ownChildren.some((c) => c.name === name)) {
      throw new FdtError(`duplicate node ${JSON.stringify(name)} under ${this.describe()}`);
    }
    const child = new FdtNode(name);
    this.ownChildren.push(child);
    return child;
  }

  private describe(): string {
    return this.name === "" ? "the root node" : `node ${JSON.stringify(this.name)}`;
  }
}

/** A new, empty root node. */
export function fdtRoot(): FdtNode {
  return new FdtNode("");
}

// ---- property value helpers ----

function checkU32(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new FdtError(`${what} ${value} is not a 32-bit unsigned integer`);
  }
  return value;
}

function toU64(value: number | bigint, what: string): bigint {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new FdtError(`${what} ${value} is not an exactly representable integer; pass a bigint`);
  }
  const big = BigInt(value);
  if (big < 0n || big > 0xffffffffffffffffn) throw new FdtError(`${what} ${value} is not a 64-bit unsigned integer`);
  return big;
}

function beCells(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v));
  return out;
}

/** A list of 32-bit cells; a node in the list stands for its phandle (`<&node>` in DTS). */
export function cells(...values: Cell[]): PropValue {
  return new PropValue(values.map((v) => (typeof v === "number" ? beCells([checkU32(v, "cell")]) : v)));
}

/** A single phandle reference to `node`. */
export function ref(node: FdtNode): PropValue {
  return new PropValue([node]);
}

/** 64-bit values, each written as two cells, high cell first. */
export function u64(...values: (number | bigint)[]): PropValue {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigUint64(i * 8, toU64(v, "u64 value")));
  return new PropValue([out]);
}

/** Splits a value into `count` cells (0, 1 or 2), checking that it fits. */
function addressCells(value: number | bigint, count: number, what: string): number[] {
  const big = toU64(value, what);
  if (count === 2) return [Number(big >> 32n), Number(big & 0xffffffffn)];
  if (count === 1 && big <= 0xffffffffn) return [Number(big)];
  if (count === 0 && big === 0n) return [];
  throw new FdtError(`${what} ${value} does not fit in ${count} cell(s)`);
}

/**
 * A `reg` value: (address, size) pairs encoded with the parent's #address-cells and
 * #size-cells (2 and 2 by default, as on the RISC-V virt board's root and soc nodes).
 */
export function reg(
  pairs: readonly (readonly [address: number | bigint, size: number | bigint])[],
  addressCellCount = 2,
  sizeCellCount = 2,
): PropValue {
  if (![1, 2].includes(addressCellCount) || ![0, 1, 2].includes(sizeCellCount)) {
    throw new FdtError(`unsupported reg layout: ${addressCellCount} address cell(s), ${sizeCellCount} size cell(s)`);
  }
  const all: number[] = [];
  for (const [address, size] of pairs) {
    all.push(...addressCells(address, addressCellCount, "reg address"), ...addressCells(size, sizeCellCount, "reg size"));
  }
  return new PropValue([beCells(all)]);
}

const utf8 = new TextEncoder();

function encodeString(s: string): Uint8Array {
  if (s.includes("\0")) throw new FdtError(`string ${JSON.stringify(s)} contains a NUL character`);
  const text = utf8.encode(s);
  const out = new Uint8Array(text.length + 1);
  out.set(text);
  return out;
}

/** A NUL-terminated string. */
export function str(s: string): PropValue {
  return new PropValue([encodeString(s)]);
}

/** A list of NUL-terminated strings, e.g. a `compatible` list (most specific first). */
export function strings(...list: string[]): PropValue {
  return new PropValue(list.map(encodeString));
}

/** Raw bytes, copied. */
export function bytes(data: Uint8Array): PropValue {
  return new PropValue([data.slice()]);
}

/** The empty value of a boolean property such as `interrupt-controller`. */
export function empty(): PropValue {
  return new PropValue([]);
}

/** Several values one after another, e.g. `interrupts-extended` built per hart. */
export function concat(...values: PropValue[]): PropValue {
  return new PropValue(values.flatMap((v) => v.parts));
}

// ---- serialisation ----

/** A memory-reservation block entry: a physical range the OS must leave alone. */
export interface MemoryReservation {
  readonly address: number | bigint;
  readonly size: number | bigint;
}

export interface DtbOptions {
  /** Physical id of the boot CPU (header field boot_cpuid_phys). */
  readonly bootCpuId?: number;
  readonly reservations?: readonly MemoryReservation[];
}

/** A growable big-endian byte buffer. */
class ByteWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v);
    this.length += 4;
  }

  u64(v: bigint): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, v);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Zero-pads to a multiple of `n` (fresh buffer bytes are already zero). */
  align(n: number): void {
    const pad = (n - (this.length % n)) % n;
    this.reserve(pad);
    this.length += pad;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Gives every referenced node a phandle, numbered from 1 in document order. */
function assignPhandles(root: FdtNode): Map<FdtNode, number> {
  const order: FdtNode[] = [];
  const walk = (node: FdtNode): void => {
    order.push(node);
    node.children.forEach(walk);
  };
  walk(root);
  const inTree = new Set(order);
  const referenced = new Set<FdtNode>();
  for (const node of order) {
    for (const { name, value } of node.properties) {
      for (const part of value.parts) {
        if (part instanceof Uint8Array) continue;
        if (!inTree.has(part)) {
          throw new FdtError(`property ${JSON.stringify(name)} of node ${JSON.stringify(node.name)} references a node outside this tree`);
        }
        referenced.add(part);
      }
    }
  }
  const phandles = new Map<FdtNode, number>();
  for (const node of order) if (referenced.has(node)) phandles.set(node, phandles.size + 1);
  return phandles;
}

/** Serialises the tree rooted at `root` into a DTB blob. */
export function toDtb(root: FdtNode, options: DtbOptions = {}): Uint8Array {
  if (root.name !== "") throw new FdtError(`the root node must have an empty name, not ${JSON.stringify(root.name)}`);
  const bootCpuId = checkU32(options.bootCpuId ?? 0, "boot CPU id");
  const phandles = assignPhandles(root);

  const strs = new ByteWriter();
  const stringOffsets = new Map<string, number>();
  const nameOffset = (name: string): number => {
    let off = stringOffsets.get(name);
    if (off === undefined) {
      off = strs.length;
      stringOffsets.set(name, off);
      strs.bytes(encodeString(name));
    }
    return off;
  };

  const struct = new ByteWriter();
  const writeProp = (name: string, parts: readonly Uint8Array[]): void => {
    const len = parts.reduce((n, p) => n + p.length, 0);
    struct.u32(FDT_PROP);
    struct.u32(len);
    struct.u32(nameOffset(name));
    parts.forEach((p) => struct.bytes(p));
    struct.align(4);
  };
  const writeNode = (node: FdtNode): void => {
    struct.u32(FDT_BEGIN_NODE);
    struct.bytes(encodeString(node.name));
    struct.align(4);
    const own = phandles.get(node);
    if (own !== undefined) writeProp("phandle", [beCells([own])]);
    for (const { name, value } of node.properties) {
      writeProp(name, value.parts.map((p) => (p instanceof Uint8Array ? p : beCells([phandles.get(p) as number]))));
    }
    node.children.forEach(writeNode);
    struct.u32(FDT_END_NODE);
  };
  writeNode(root);
  struct.u32(FDT_END);

  const out = new ByteWriter();
  out.bytes(new Uint8Array(HEADER_SIZE)); // filled in below, once the offsets are known
  out.align(8); // the reservation block holds 64-bit pairs
  const offMemRsvmap = out.length;
  for (const r of options.reservations ?? []) {
    out.u64(toU64(r.address, "reservation address"));
    out.u64(toU64(r.size, "reservation size"));
  }
  out.u64(0n); // the list ends with a zero entry
  out.u64(0n);
  const offDtStruct = out.length;
  out.bytes(struct.result());
  const offDtStrings = out.length;
  out.bytes(strs.result()); // unpadded, like dtc: totalsize need not be aligned

  const blob = out.result();
  const header = new DataView(blob.buffer);
  const fields = [
    FDT_MAGIC,
    blob.length, // totalsize
    offDtStruct,
    offDtStrings,
    offMemRsvmap,
    FDT_VERSION,
    FDT_LAST_COMP_VERSION,
    bootCpuId,
    strs.length, // size_dt_strings
    struct.length, // size_dt_struct
  ];
  fields.forEach((v, i) => header.setUint32(i * 4, v));
  return blob;
}
