import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "./config-error.js";
import { configErrorOf } from "./config-error-of.js";
import { parseXendConfig, readXendConfig, XEND_DEFAULTS } from "./xend-config.js";

const F = "/home/u/.domus/xend-config.sxp";
const parse = (text: string) => parseXendConfig(text, F);

const error = (text: string): ConfigError => configErrorOf(parse, text);

describe("xend-config.sxp", () => {
  it("takes the manual's defaults when a setting is absent", () => {
    expect(parse("")).toEqual({
      logfile: "log/xend.log", loglevel: "DEBUG",
      relocationServer: false, relocationPort: 8002, relocationAddress: "",
      relocationHostsAllow: ["^localhost$", "^localhost\\.localdomain$"],
      vncListen: "127.0.0.1", vncPasswd: "", dom0MinMem: 512, dom0Cpus: 0, enableDom0Ballooning: true,
      networkScript: "", vifScript: "vif-bridge",
      xenstore: { maxNodesPerDomain: 1000, maxWatches: 128, maxNodeSize: 2048, maxTransactions: 10, maxRequests: 20 },
    });
    expect(parse("")).toEqual(XEND_DEFAULTS);
  });

  it("reads the head of the shipped file shown in §4.2 (lines 586-592): comments only", () => {
    const text = `# -*- sh -*-
#
# Xend configuration file.
#
# This example configuration is appropriate for an installation that
# utilizes a bridged network configuration. Access to xend via http
# is disabled.
# Commented out entries show the default for that entry, unless otherwise
# specified.
#(logfile /var/log/xen/xend.log)
#(loglevel DEBUG)
`;
    expect(parse(text)).toEqual(XEND_DEFAULTS);
  });

  it("reads the relocation lines of §4.6.1 (line 683) and their changed form (line 685)", () => {
    const before = parse("#(xend-relocation-server no)\n#(xend-relocation-port 8002)\n(xend-relocation-hosts-allow '^localhost$ ^localhost\\\\.localdomain$')\n");
    expect(before).toMatchObject({ relocationServer: false, relocationPort: 8002, relocationHostsAllow: ["^localhost$", "^localhost\\.localdomain$"] });
    const after = parse("(xend-relocation-server yes)\n(xend-relocation-port 8002)\n(xend-relocation-hosts-allow '')\n");
    expect(after).toMatchObject({ relocationServer: true, relocationPort: 8002, relocationHostsAllow: [] });
  });

  it("reads the live-migration settings of §6.11 (line 1269)", () => {
    expect(parse("(xend-relocation-server yes) (xend-relocation-port 8002) (xend-relocation-address '') (xend-relocation-hosts-allow '')")).toMatchObject({
      relocationServer: true, relocationAddress: "", relocationHostsAllow: [],
    });
  });

  it("reads every other setting", () => {
    expect(parse(`(logfile /var/log/domus/xend.log) (loglevel INFO)
(xend-relocation-address 192.168.0.10) (vnc-listen 0.0.0.0) (vncpasswd 's3cret word') (keymap de)
(dom0-min-mem 196) (dom0-cpus 2) (enable-dom0-ballooning no)
(network-script 'network-bridge netdev=eth1') (vif-script vif-route)
(xenstore-max-nodes-per-domain 500) (xenstore-max-watches 64) (xenstore-max-node-size 4096)
(xenstore-max-transactions 5) (xenstore-max-requests 8)`)).toEqual({
      logfile: "/var/log/domus/xend.log", loglevel: "INFO", relocationServer: false, relocationPort: 8002, relocationAddress: "192.168.0.10",
      relocationHostsAllow: ["^localhost$", "^localhost\\.localdomain$"], vncListen: "0.0.0.0", vncPasswd: "s3cret word", keymap: "de",
      dom0MinMem: 196, dom0Cpus: 2, enableDom0Ballooning: false, networkScript: "network-bridge netdev=eth1", vifScript: "vif-route",
      xenstore: { maxNodesPerDomain: 500, maxWatches: 64, maxNodeSize: 4096, maxTransactions: 5, maxRequests: 8 },
    });
  });

  it("takes (network-script ) as the shipped file writes \"no script\"", () => {
    expect(parse("(network-script )").networkScript).toBe("");
  });

  it.each([
    ["(__proto__ x)", 1, 2, "unknown setting \"__proto__\""],
    ["(xend-http-server yes)", 1, 2, "unknown setting \"xend-http-server\" (known: logfile, loglevel, xend-relocation-server"],
    ["\n  (xend-relocation-server maybe)", 2, 27, "xend-relocation-server \"maybe\" is not yes or no"],
    ["(xend-relocation-port 0)", 1, 23, "xend-relocation-port \"0\" is not a whole number from 1 to 65535"],
    ["(xend-relocation-port 65536)", 1, 23, "is not a whole number from 1 to 65535"],
    ["(xend-relocation-port)", 1, 1, "is not a whole number from 1 to 65535"],
    ["(xend-relocation-port 8002 8003)", 1, 28, "(xend-relocation-port VALUE) takes one plain value"],
    ["(xend-relocation-port (8002))", 1, 23, "takes one plain value"],
    ["(dom0-cpus 1)\n(dom0-cpus 2)", 2, 1, "dom0-cpus is already set at 1:1"],
    ["(xend-relocation-hosts-allow '^ok$ ^(bad$')", 1, 30, "\"^(bad$\" is not a regular expression"],
    ["(keymap us)", 1, 9, "keymap \"us\" is not one of da, de"],
    ["(loglevel debug)", 1, 11, "loglevel \"debug\" is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL"],
    ["(vnc-listen 'any where')", 1, 13, "vnc-listen \"any where\" is not a host name or IP address"],
    ["(vif-script '')", 1, 13, "vif-script is empty"],
    ["xend-port", 1, 1, "expected (NAME VALUE), e.g. (xend-relocation-port 8002)"],
    ["((a) b)", 1, 1, "expected (NAME VALUE)"],
    ["(logfile /x", 1, 1, "this ( is never closed"],
  ])("%j fails at %i:%i: %s", (text, line, column, reason) => {
    const e = error(text);
    expect(e.message).toBe(`${F}:${line}:${column}: ${e.reason}`);
    expect([e.line, e.column]).toEqual([line, column]);
    expect(e.reason).toContain(reason);
  });

  it("either parses or throws a ConfigError, for any text", () => {
    const keys = ["logfile", "loglevel", "xend-relocation-server", "xend-relocation-port", "xend-relocation-hosts-allow", "vnc-listen",
      "keymap", "dom0-min-mem", "enable-dom0-ballooning", "xenstore-max-watches", "x"];
    const entry = fc.tuple(fc.constantFrom(...keys), fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("yes", "no", "8002", "''", "de", "(", ")")))
      .map(([k, v]) => `(${k} ${v})`);
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.array(entry, { maxLength: 6 }).map((e) => e.join("\n"))), (t) => {
      try {
        parse(t);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
      }
    }), { numRuns: 5000 });
  });
});

describe("readXendConfig", () => {
  it("reads DOMUS_HOME/xend-config.sxp, and takes the defaults when there is none", async () => {
    const home = await mkdtemp(join(tmpdir(), "domus-home-"));
    try {
      expect(await readXendConfig(home)).toEqual(XEND_DEFAULTS);
      await writeFile(join(home, "xend-config.sxp"), "(xend-relocation-server yes)\n(xend-relocation-port 18002)\n");
      expect(await readXendConfig(home)).toMatchObject({ relocationServer: true, relocationPort: 18002 });
      await writeFile(join(home, "xend-config.sxp"), "(xend-relocation-port x)\n");
      await expect(readXendConfig(home)).rejects.toThrow(`${join(home, "xend-config.sxp")}:1:23: xend-relocation-port "x" is not a whole number`);
    } finally {
      await rm(home, { recursive: true });
    }
  });
});
