import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ConfigError } from "./config-error.js";
import { readSxp, plain, printSxp, showSxp, MAX_SXP_DEPTH, type Sxp } from "./sxp.js";

const F = "x.sxp";
const read = (text: string) => readSxp(text, F).map(plain);

function error(text: string): ConfigError {
  try {
    readSxp(text, F);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("no error");
}

describe("SXP reader", () => {
  it("reads the manual's vif device (§2.3, lines 264-268)", () => {
    const text = "(device\n(vif\n(bridge br0) (uuid e2b8f872-88c7-0a4a-b965-82f7d5bdd31e) (devid 0)\n(mac 00:16:3e:54:79:a6) (model rtl8139) (type ioemu)\n)\n)";
    expect(read(text)).toEqual([["device", ["vif", ["bridge", "br0"], ["uuid", "e2b8f872-88c7-0a4a-b965-82f7d5bdd31e"], ["devid", "0"],
      ["mac", "00:16:3e:54:79:a6"], ["model", "rtl8139"], ["type", "ioemu"]]]]);
  });

  it("reads the relocation settings of §4.6.1 (line 683): comments, and \\\\ in a quoted string", () => {
    expect(read("#(xend-relocation-server no) #(xend-relocation-port 8002)\n(xend-relocation-hosts-allow '^localhost$ ^localhost\\\\.localdomain$')")).toEqual([
      ["xend-relocation-hosts-allow", "^localhost$ ^localhost\\.localdomain$"],
    ]);
  });

  it("reads (features ) as Xen prints an empty value, and (cpus (() ())) (§4.3, line 616)", () => {
    expect(read("(features ) (cpus (() ()))")).toEqual([["features"], ["cpus", [[], []]]]);
  });

  it("reads Xen's escapes and keeps unknown ones as they are", () => {
    expect(read(String.raw`"a\tb\n\x41\x4g\101\7\q\"\'" 'it''s'`)).toEqual(["a\tb\nA\x04gA\x07\\q\"'", "it", "s"]);
    expect(read("don't (a#comment\nb)")).toEqual(["don't", ["a", "b"]]);
    expect(read("'multi\nline'")).toEqual(["multi\nline"]);
  });

  it("records where each node starts", () => {
    const [node] = readSxp("\n  (a\n   'b')", F);
    expect(node).toMatchObject({ kind: "list", line: 2, column: 3, items: [{ value: "a", line: 2, column: 4 }, { value: "b", line: 3, column: 4 }] });
  });

  it.each([
    ["(a (b)", 1, 1, "this ( is never closed"],
    ["(a)\n  )", 2, 3, "unexpected ) with no ( to close"],
    ["(a\n 'bc)", 2, 6, "the string opened at 2:2 has no closing '"],
    ["(a \"b\\", 1, 7, "has no closing \""],
    ["(a '\\xZ')", 1, 6, "\\x must be followed by one or two hex digits"],
    ["'\\777'", 1, 3, "the escape \\777 is larger than 0xff"],
    ["(a\u0001)", 1, 3, "invalid character U+0001"],
    ["(ab\u007f)", 1, 4, "invalid character U+007f"],
    ["(".repeat(MAX_SXP_DEPTH + 1), 1, MAX_SXP_DEPTH + 1, "nested deeper than 64 levels"],
  ])("%j fails at %i:%i: %s", (text, line, column, reason) => {
    const e = error(text);
    expect(e.message).toBe(`${F}:${line}:${column}: ${e.reason}`);
    expect([e.line, e.column]).toEqual([line, column]);
    expect(e.reason).toContain(reason);
  });

  it("refuses text larger than 1 MiB", () => {
    expect(error(" ".repeat((1 << 20) + 1)).message).toBe(`${F}:1:1: the text is longer than 1048576 characters`);
  });
});

describe("SXP printer", () => {
  it("lays lists out as xm list -l does: one line if it fits in 80 columns, else a child a line", () => {
    const value: Sxp = ["domain", ["name", "vm1"], ["memory", "512"], ["cpus", [[], []]],
      ["device", ["vif", ["bridge", "br0"], ["mac", "00:16:3e:4f:94:a9"], ["rate", "100Mb/s@20ms"], ["script", "/etc/xen/scripts/vif-bridge"]]],
      ["args", "root=/dev/xvda2 console=hvc0"], ["empty", ""], ["quote", "it's"]];
    expect(printSxp(value)).toBe(`(domain
    (name vm1)
    (memory 512)
    (cpus (() ()))
    (device
        (vif
            (bridge br0)
            (mac 00:16:3e:4f:94:a9)
            (rate 100Mb/s@20ms)
            (script /etc/xen/scripts/vif-bridge)
        )
    )
    (args 'root=/dev/xvda2 console=hvc0')
    (empty '')
    (quote 'it\\'s')
)
`);
    expect(showSxp(["a", ["b", "c d"], []])).toBe("(a (b 'c d') ())");
  });

  const text = fc.oneof(fc.stringMatching(/^[a-z0-9:/._@-]{1,12}$/), fc.string({ maxLength: 12 }), fc.string({ unit: "binary", maxLength: 8 }));
  const { sxp } = fc.letrec<{ sxp: Sxp }>((tie) => ({
    sxp: fc.oneof({ depthSize: "small", withCrossShrink: true }, text, fc.array(tie("sxp"), { maxLength: 6 })),
  }));

  it("round-trips any value through the pretty and the one-line printer", () => {
    fc.assert(fc.property(sxp, fc.integer({ min: 0, max: 100 }), (v, width) => {
      expect(read(printSxp(v, width))).toEqual([v]);
      expect(read(showSxp(v))).toEqual([v]);
    }), { numRuns: 3000 });
  });
});

describe("SXP reader: hostile input", () => {
  const fragments = ["(", ")", " ", "\n", "'", '"', "\\", "#", "x", "a b", "\\x4", "\\1", "é", "\u0000", "\t", "(domain", ")"];
  it("either reads or throws a ConfigError inside the text, for any text", () => {
    const arb = fc.oneof(fc.string({ maxLength: 100 }), fc.string({ unit: "binary", maxLength: 60 }), fc.array(fc.constantFrom(...fragments), { maxLength: 50 }).map((p) => p.join("")));
    fc.assert(fc.property(arb, (t) => {
      try {
        readSxp(t, F);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        const { line, column } = e as ConfigError;
        const lines = t.split("\n");
        expect(line).toBeGreaterThanOrEqual(1);
        expect(line).toBeLessThanOrEqual(lines.length);
        expect(column).toBeGreaterThanOrEqual(1);
        expect(column).toBeLessThanOrEqual(lines[line - 1].length + 1);
      }
    }), { numRuns: 5000 });
  });

  it("reads deep and long input without recursion or quadratic time", () => {
    const deep = `${"(a ".repeat(MAX_SXP_DEPTH)}${")".repeat(MAX_SXP_DEPTH)}`;
    expect(readSxp(deep, F)).toHaveLength(1);
    const wide = `(${"(k v) ".repeat(100000)})`;
    const start = performance.now();
    expect(readSxp(wide, F)[0]).toMatchObject({ kind: "list" });
    expect(performance.now() - start).toBeLessThan(5000);
  });
});
