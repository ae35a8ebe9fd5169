import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bytes,
  cells,
  concat,
  empty,
  FdtError,
  type FdtNode,
  fdtRoot,
  ref,
  reg,
  str,
  strings,
  toDtb,
  u64,
} from "./fdt.js";

// ---- a tiny, strict DTB reader, independent of the writer ----

interface ReadNode {
  name: string;
  props: [string, Uint8Array][];
  children: ReadNode[];
}

interface ReadDtb {
  root: ReadNode;
  version: number;
  lastCompVersion: number;
  bootCpuId: number;
  reservations: [bigint, bigint][];
  strings: Uint8Array;
}

function readDtb(blob: Uint8Array): ReadDtb {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const u32 = (off: number): number => view.getUint32(off);
  if (u32(0) !== 0xd00dfeed) throw new Error("bad magic");
  const [totalsize, offStruct, offStrings, offRsv, version, lastComp, bootCpu, sizeStrings, sizeStruct] = [
    4, 8, 12, 16, 20, 24, 28, 32, 36,
  ].map(u32);
  if (totalsize !== blob.length) throw new Error(`totalsize ${totalsize} != ${blob.length}`);
  if (offRsv % 8 !== 0 || offStruct % 4 !== 0) throw new Error("misaligned block");
  if (offStruct + sizeStruct > offStrings || offStrings + sizeStrings > totalsize) throw new Error("blocks out of bounds");
  const reservations: [bigint, bigint][] = [];
  for (let at = offRsv; ; at += 16) {
    const address = view.getBigUint64(at);
    const size = view.getBigUint64(at + 8);
    if (address === 0n && size === 0n) break;
    reservations.push([address, size]);
  }
  const stringsBlock = blob.subarray(offStrings, offStrings + sizeStrings);
  const cstr = (data: Uint8Array, off: number): string => {
    const end = data.indexOf(0, off);
    if (end < 0) throw new Error("unterminated string");
    return new TextDecoder().decode(data.subarray(off, end));
  };
  let at = offStruct;
  const token = (): number => {
    const t = u32(at);
    at += 4;
    return t;
  };
  const readNode = (): ReadNode => {
    const name = cstr(blob, at);
    at += (name.length + 1 + 3) & ~3;
    const node: ReadNode = { name, props: [], children: [] };
    for (;;) {
      const t = token();
      if (t === 3) {
        const len = token();
        const nameoff = token();
        if (nameoff >= sizeStrings) throw new Error("name offset out of bounds");
        node.props.push([cstr(stringsBlock, nameoff), blob.slice(at, at + len)]);
        at += (len + 3) & ~3;
      } else if (t === 1) {
        node.children.push(readNode());
      } else if (t === 2) {
        return node;
      } else if (t !== 4) {
        throw new Error(`unexpected token ${t} at ${at - 4}`);
      }
    }
  };
  if (token() !== 1) throw new Error("structure block must start with FDT_BEGIN_NODE");
  const root = readNode();
  if (token() !== 9) throw new Error("missing FDT_END");
  if (at !== offStruct + sizeStruct) throw new Error("size_dt_struct does not match the structure");
  return { root, version, lastCompVersion: lastComp, bootCpuId: bootCpu, reservations, strings: stringsBlock };
}

const be32 = (...values: number[]): Uint8Array => {
  const out = new Uint8Array(values.length * 4);
  values.forEach((v, i) => new DataView(out.buffer).setUint32(i * 4, v));
  return out;
};
const text = (...list: string[]): Uint8Array => new TextEncoder().encode(list.map((s) => `${s}\0`).join(""));
const propOf = (node: ReadNode, name: string): Uint8Array | undefined => node.props.find(([n]) => n === name)?.[1];
const childOf = (node: ReadNode, name: string): ReadNode => {
  const child = node.children.find((c) => c.name === name);
  if (!child) throw new Error(`no child ${name}`);
  return child;
};

function dtc(args: string[], input: Uint8Array): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync("dtc", args, { input });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

describe("toDtb", () => {
  it("writes a version 17 header whose blocks are laid out and sized consistently", () => {
    const root = fdtRoot().prop("model", str("m"));
    root.node("a@1").prop("reg", reg([[1, 2]]));
    const blob = toDtb(root, { bootCpuId: 3 });
    const view = new DataView(blob.buffer);
    expect(view.getUint32(0)).toBe(0xd00dfeed);
    expect(view.getUint32(4)).toBe(blob.length);
    expect(view.getUint32(16)).toBe(40); // reservation block right after the header
    const dtb = readDtb(blob);
    expect(dtb.version).toBe(17);
    expect(dtb.lastCompVersion).toBe(16);
    expect(dtb.bootCpuId).toBe(3);
    expect(dtb.reservations).toEqual([]);
  });

  it("is byte-identical to dtc for the same source", () => {
    const root = fdtRoot().prop("model", str("x")).prop("#address-cells", cells(2));
    root.node("n@1").prop("reg", cells(0, 1, 0, 2)).prop("flag").prop("model", str("y"));
    const source = '/dts-v1/; / { model = "x"; #address-cells = <2>; n@1 { reg = <0 1 0 2>; flag; model = "y"; }; };';
    const r = dtc(["-q", "-I", "dts", "-O", "dtb"], new TextEncoder().encode(source));
    expect(r.status).toBe(0);
    expect(Buffer.from(toDtb(root)).equals(r.stdout)).toBe(true);
  });

  it("stores each property name once in the strings block", () => {
    const root = fdtRoot().prop("reg", cells(1));
    root.node("a").prop("reg", cells(2)).prop("status", str("okay"));
    root.node("b").prop("status", str("okay")).prop("reg", cells(3));
    expect(readDtb(toDtb(root)).strings).toEqual(text("reg", "status"));
  });

  it("encodes every kind of value big-endian and padded", () => {
    const root = fdtRoot()
      .prop("c", cells(1, 0xffffffff))
      .prop("q", u64(0x123456789, 0xfedcba9876543210n))
      .prop("r", reg([[0x80000000, 0x10000000], [0x1_0000_0000n, 1]]))
      .prop("r1", reg([[5, 6]], 1, 1))
      .prop("r0", reg([[7, 0]], 1, 0))
      .prop("s", str("hello"))
      .prop("l", strings("a", "bc", ""))
      .prop("b", bytes(new Uint8Array([1, 2, 3])))
      .prop("e", empty())
      .prop("d")
      .prop("cat", concat(cells(1), str("x"), u64(2)));
    const props = new Map(readDtb(toDtb(root)).root.props);
    expect(props.get("c")).toEqual(be32(1, 0xffffffff));
    expect(props.get("q")).toEqual(be32(0x1, 0x23456789, 0xfedcba98, 0x76543210));
    expect(props.get("r")).toEqual(be32(0, 0x80000000, 0, 0x10000000, 1, 0, 0, 1));
    expect(props.get("r1")).toEqual(be32(5, 6));
    expect(props.get("r0")).toEqual(be32(7));
    expect(props.get("s")).toEqual(text("hello"));
    expect(props.get("l")).toEqual(text("a", "bc", ""));
    expect(props.get("b")).toEqual(new Uint8Array([1, 2, 3]));
    expect(props.get("e")).toEqual(new Uint8Array());
    expect(props.get("d")).toEqual(new Uint8Array());
    expect(props.get("cat")).toEqual(new Uint8Array([0, 0, 0, 1, 0x78, 0, 0, 0, 0, 0, 0, 0, 0, 2]));
  });

  it("writes memory reservations", () => {
    const blob = toDtb(fdtRoot(), {
      reservations: [
        { address: 0x80000000, size: 0x80000 },
        { address: 0xffff_ffff_0000_0000n, size: 1 },
      ],
    });
    expect(readDtb(blob).reservations).toEqual([
      [0x80000000n, 0x80000n],
      [0xffff_ffff_0000_0000n, 1n],
    ]);
  });

  it("gives referenced nodes phandles in document order, and only those", () => {
    const root = fdtRoot();
    const a = root.node("a");
    const b = root.node("b");
    const c = b.node("c");
    root.node("user").prop("one", ref(c)).prop("list", cells(a, 7, c, 9));
    const dtb = readDtb(toDtb(root));
    expect(propOf(childOf(dtb.root, "a"), "phandle")).toEqual(be32(1));
    expect(propOf(childOf(dtb.root, "b"), "phandle")).toBeUndefined();
    expect(propOf(childOf(childOf(dtb.root, "b"), "c"), "phandle")).toEqual(be32(2));
    const user = childOf(dtb.root, "user");
    expect(propOf(user, "one")).toEqual(be32(2));
    expect(propOf(user, "list")).toEqual(be32(1, 7, 2, 9));
  });

  it("rejects references to nodes outside the tree", () => {
    const stranger = fdtRoot().node("elsewhere");
    const root = fdtRoot().prop("p", ref(stranger));
    expect(() => toDtb(root)).toThrow(/outside this tree/);
  });

  it("rejects invalid names, duplicates and out-of-range values", () => {
    const root = fdtRoot();
    const bad: [() => unknown, RegExp][] = [
      [() => root.node(""), /invalid node name/],
      [() => root.node("a/b"), /invalid node name/],
      [() => root.node("a@b@c"), /invalid node name/],
      [() => root.prop("bad name"), /invalid property name/],
      [() => root.prop("phandle", cells(1)), /assigned by the writer/],
      [() => root.node("x").prop("p").prop("p"), /duplicate property/],
      [() => root.node("y") && root.node("y"), /duplicate node/],
      [() => cells(-1), /32-bit/],
      [() => cells(2 ** 32), /32-bit/],
      [() => cells(1.5), /32-bit/],
      [() => u64(-1n), /64-bit/],
      [() => u64(2n ** 64n), /64-bit/],
      [() => u64(2 ** 60), /bigint/],
      [() => reg([[2 ** 32, 1]], 1, 1), /does not fit/],
      [() => reg([[0, 1]], 2, 0), /does not fit/],
      [() => reg([[0, 1]], 3, 1), /unsupported reg layout/],
      [() => str("a\0b"), /NUL/],
      [() => strings("ok", "no\0"), /NUL/],
      [() => toDtb(fdtRoot(), { bootCpuId: -1 }), /32-bit/],
    ];
    for (const [f, message] of bad) {
      let thrown: unknown;
      try {
        f();
      } catch (e) {
        thrown = e;
      }
      expect(thrown, String(message)).toBeInstanceOf(FdtError);
      expect((thrown as Error).message).toMatch(message);
    }
  });

  it("copies raw bytes so later changes to the source do not leak in", () => {
    const data = new Uint8Array([1, 2]);
    const root = fdtRoot().prop("b", bytes(data));
    data[0] = 9;
    expect(propOf(readDtb(toDtb(root)).root, "b")).toEqual(new Uint8Array([1, 2]));
  });
});

// ---- property-based: random trees survive our reader and dtc ----

type ValueSpec =
  | { kind: "cells"; v: number[] }
  | { kind: "u64"; v: bigint[] }
  | { kind: "str"; v: string }
  | { kind: "strings"; v: string[] }
  | { kind: "bytes"; v: Uint8Array }
  | { kind: "empty" }
  | { kind: "ref"; target: number };

interface NodeSpec {
  name: string;
  props: { name: string; value: ValueSpec }[];
  children: NodeSpec[];
}

const nameTail = (chars: string, max: number) =>
  fc.array(fc.constantFrom(...chars), { maxLength: max }).map((cs) => cs.join(""));
// Prefixes keep random names clear of names dtc treats specially (phandle, chosen, name, ...).
const propName = nameTail("abcxyz0189,._+?#-", 12).map((t) => `x${t}`);
const nodeName = fc
  .tuple(nameTail("abcxyz0189,._+-", 10), fc.option(nameTail("0123456789abcdef,", 6).filter((u) => u.length > 0)))
  .map(([t, unit]) => `n${t}${unit === null ? "" : `@${unit}`}`);
const noNul = fc.string({ unit: "grapheme", maxLength: 10 }).filter((s) => !s.includes("\0"));
const valueSpec: fc.Arbitrary<ValueSpec> = fc.oneof(
  fc.record({ kind: fc.constant("cells" as const), v: fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 5 }) }),
  fc.record({ kind: fc.constant("u64" as const), v: fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { maxLength: 3 }) }),
  fc.record({ kind: fc.constant("str" as const), v: noNul }),
  fc.record({ kind: fc.constant("strings" as const), v: fc.array(noNul, { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant("bytes" as const), v: fc.uint8Array({ maxLength: 9 }) }),
  fc.record({ kind: fc.constant("empty" as const) }),
  fc.record({ kind: fc.constant("ref" as const), target: fc.nat() }),
);
const propsSpec = fc.uniqueArray(fc.record({ name: propName, value: valueSpec }), {
  maxLength: 5,
  selector: (p) => p.name,
});
const treeSpec = fc.letrec<{ node: NodeSpec; children: NodeSpec[] }>((tie) => ({
  node: fc.record({ name: nodeName, props: propsSpec, children: tie("children") }),
  children: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant<NodeSpec[]>([]),
    fc.uniqueArray(tie("node"), { maxLength: 3, selector: (n) => n.name }),
  ),
})).children.map((children): NodeSpec => ({ name: "", props: [], children }));

/** Builds the FdtNode tree; returns it with its nodes in document order. */
function build(spec: NodeSpec): { root: FdtNode; order: FdtNode[]; specs: NodeSpec[] } {
  const root = fdtRoot();
  const order: FdtNode[] = [];
  const specs: NodeSpec[] = [];
  const make = (node: FdtNode, s: NodeSpec): void => {
    order.push(node);
    specs.push(s);
    for (const c of s.children) make(node.node(c.name), c);
  };
  make(root, spec);
  // Properties go in a second pass so references can point anywhere in the tree.
  order.forEach((node, i) => {
    for (const { name, value } of specs[i].props) {
      const v =
        value.kind === "cells" ? cells(...value.v)
        : value.kind === "u64" ? u64(...value.v)
        : value.kind === "str" ? str(value.v)
        : value.kind === "strings" ? strings(...value.v)
        : value.kind === "bytes" ? bytes(value.v)
        : value.kind === "empty" ? empty()
        : ref(order[value.target % order.length]);
      node.prop(name, v);
    }
  });
  return { root, order, specs };
}

function expectedBytes(value: ValueSpec): Uint8Array | undefined {
  switch (value.kind) {
    case "cells":
      return be32(...value.v);
    case "u64": {
      const out = new Uint8Array(value.v.length * 8);
      value.v.forEach((v, i) => new DataView(out.buffer).setBigUint64(i * 8, v));
      return out;
    }
    case "str":
      return text(value.v);
    case "strings":
      return text(...value.v);
    case "bytes":
      return value.v;
    case "empty":
      return new Uint8Array();
    case "ref":
      return undefined; // checked against the target's phandle instead
  }
}

/** Checks that `read` holds exactly the names and values of `spec`, phandles resolved. */
function checkTree(spec: NodeSpec, read: ReadNode): void {
  const flat: [NodeSpec, ReadNode][] = [];
  const pair = (s: NodeSpec, r: ReadNode): void => {
    flat.push([s, r]);
    expect(r.name).toBe(s.name);
    expect(r.children.map((c) => c.name)).toEqual(s.children.map((c) => c.name));
    s.children.forEach((c, i) => pair(c, r.children[i]));
  };
  pair(spec, read);
  const phandleOf = (r: ReadNode): number | undefined => {
    const p = propOf(r, "phandle");
    return p === undefined ? undefined : new DataView(p.buffer).getUint32(0);
  };
  const referenced = new Set<number>();
  for (const [s, r] of flat) {
    const own = r.props.filter(([n]) => n !== "phandle");
    expect(own.map(([n]) => n)).toEqual(s.props.map((p) => p.name));
    s.props.forEach(({ value }, i) => {
      const got = own[i][1];
      const want = expectedBytes(value);
      if (want !== undefined) {
        expect(got).toEqual(want);
      } else if (value.kind === "ref") {
        const target = value.target % flat.length;
        referenced.add(target);
        expect(got).toEqual(be32(phandleOf(flat[target][1]) ?? -1));
      }
    });
  }
  // Exactly the referenced nodes carry a phandle, and phandles are unique and non-zero.
  const handles = flat.map(([, r]) => phandleOf(r));
  handles.forEach((h, i) => expect(h !== undefined).toBe(referenced.has(i)));
  const defined = handles.filter((h): h is number => h !== undefined);
  expect(new Set(defined).size).toBe(defined.length);
  expect(defined.every((h) => h > 0 && h < 0xffffffff)).toBe(true);
}

describe("toDtb on random trees", () => {
  it("round-trips through our reader", () => {
    fc.assert(
      fc.property(treeSpec, (spec) => {
        checkTree(spec, readDtb(toDtb(build(spec).root)).root);
      }),
      { numRuns: 300 },
    );
  });

  it("is accepted by dtc, which reads back the same names and values", () => {
    fc.assert(
      fc.property(treeSpec, (spec) => {
        const blob = toDtb(build(spec).root);
        const r = dtc(["-q", "-I", "dtb", "-O", "dtb"], blob);
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        checkTree(spec, readDtb(new Uint8Array(r.stdout)).root);
      }),
      { numRuns: 40 },
    );
  });

  it("decompiles with dtc to the expected source", () => {
    const root = fdtRoot().prop("compatible", strings("acme,board", "simple"));
    const dev = root.node("dev@10");
    dev.prop("reg", cells(0x10)).prop("phandle-user", ref(root.node("target")));
    const r = dtc(["-I", "dtb", "-O", "dts"], toDtb(root));
    expect(r.stdout.toString()).toBe(
      [
        "/dts-v1/;",
        "",
        "/ {",
        '\tcompatible = "acme,board\\0simple";',
        "",
        "\tdev@10 {",
        "\t\treg = <0x10>;",
        "\t\tphandle-user = <0x01>;",
        "\t};",
        "",
        "\ttarget {",
        "\t\tphandle = <0x01>;",
        "\t};",
        "};",
        "",
      ].join("\n"),
    );
  });
});
