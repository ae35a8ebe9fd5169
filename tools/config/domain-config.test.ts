import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ConfigError } from "./config-error.js";
import { configErrorOf } from "./config-error-of.js";
import { parseDomainConfig, formatDomainConfig } from "./domain-config.js";
import { KEYMAPS } from "./keymap.js";

const F = "/etc/xen/vm/test";
const PV = "name = 'vm1'\nkernel = '/boot/vmlinuz'\n";

function parse(text: string) {
  return parseDomainConfig(text, F);
}

const error = (text: string): ConfigError => configErrorOf(parse, text);

describe("startup files: the manual's examples", () => {
  it("reads the disk of Table 6.1, with its list closed on a later line as printed (line 1104)", () => {
    const c = parse(`${PV}disk = [ 'file:/var/lib/xen/images/VM1_SLES10/hda,xvda,w'\n]\n`);
    expect(c.disk).toEqual([{ type: "file", path: "/var/lib/xen/images/VM1_SLES10/hda", vdev: "xvda", devtype: "disk", mode: "w" }]);
  });

  it("takes numbers in single quotes, as the manual asks: localtime = '0' (line 1095)", () => {
    expect(parse(`${PV}localtime = '0'\nmemory = '512'\n`)).toMatchObject({ localtime: false, memory: 512 });
    expect(parse(`${PV}localtime = 1\n`).localtime).toBe(true);
  });

  it("reads the vif lines of §8.3.1, with their trailing commas (lines 1705, 1707)", () => {
    expect(parse(`${PV}vif=[ 'mac=00:16:3e:55:24:21,model=pcnet,type=ioemu', ]\n`).vif).toEqual([{ mac: "00:16:3e:55:24:21", model: "pcnet", type: "ioemu" }]);
    expect(parse(`${PV}vif=[ 'mac=00:16:3e:55:24:21', ]\n`).vif).toEqual([{ mac: "00:16:3e:55:24:21" }]);
  });

  it("reads pci=['06:01.0'] (§2.5.2, line 348)", () => {
    expect(parse(`${PV}pci=['06:01.0']\n`).pci).toEqual([{ domain: 0, bus: 6, slot: 1, func: 0 }]);
  });

  it("reads SDL instead of VNC (§6.4.2, lines 1046-1047): vnc=0 and sdl=1 for hvm, vfb for paravirtual", () => {
    expect(parse("name = 'w'\nbuilder = 'hvm'\nvnc=0\nsdl=1\n")).toMatchObject({ builder: "hvm", vnc: false, sdl: true });
    expect(parse(`${PV}vfb=["type=sdl"]\n`).vfb).toEqual([{ type: "sdl" }]);
  });

  it("applies the defaults: memory 128 and vcpus 1 (xm), on_poweroff destroy, on_reboot restart, on_crash restart (§4.5)", () => {
    expect(parse(PV)).toEqual({
      name: "vm1", kernel: "/boot/vmlinuz", memory: 128, maxmem: 128, vcpus: 1, builder: "linux",
      onPoweroff: "destroy", onReboot: "restart", onCrash: "restart", onXendStart: "ignore", onXendStop: "ignore",
      localtime: false, disk: [], vif: [], vfb: [], pci: [],
    });
  });

  it("takes every keymap of Table 6.2", () => {
    for (const keymap of KEYMAPS) expect(parse(`${PV}keymap = '${keymap}'\n`).keymap).toBe(keymap);
  });

  it("reads a complete file the way vm-install writes one", () => {
    const text = `# A SLES 11 guest
name="sles11"
uuid="aa6969f3-8012-24f0-1e3a-35F150001950"
memory=512
maxmem=1024
vcpus=2
cpus="0-3,^2"
on_poweroff="destroy"
on_reboot="restart"
on_crash="rename-restart"
on_xend_start="start"
on_xend_stop="shutdown"
localtime=0
keymap="de"
builder="linux"
bootloader="/usr/bin/pygrub"
bootargs="-q"
extra="root=/dev/xvda2 xen.independent_wallclock=1"
disk=[ 'file:/var/lib/xen/images/sles11/disk0,xvda,w',   # system
       'file:/var/lib/xen/images/sles11/sles11.iso,xvdb:cdrom,r', ]
vif=[ 'mac=00:16:3e:4f:94:a9,bridge=br0,rate=100Mb/s@20ms', '' ]
vfb=[ 'type=vnc,vncunused=1' ]
`;
    expect(parse(text)).toEqual({
      name: "sles11", uuid: "aa6969f3-8012-24f0-1e3a-35f150001950", memory: 512, maxmem: 1024, vcpus: 2, cpus: [0, 1, 3],
      builder: "linux", bootloader: "/usr/bin/pygrub", bootargs: "-q", extra: "root=/dev/xvda2 xen.independent_wallclock=1",
      onPoweroff: "destroy", onReboot: "restart", onCrash: "rename-restart", onXendStart: "start", onXendStop: "shutdown",
      localtime: false, keymap: "de",
      disk: [
        { type: "file", path: "/var/lib/xen/images/sles11/disk0", vdev: "xvda", devtype: "disk", mode: "w" },
        { type: "file", path: "/var/lib/xen/images/sles11/sles11.iso", vdev: "xvdb", devtype: "cdrom", mode: "r" },
      ],
      vif: [{ mac: "00:16:3e:4f:94:a9", bridge: "br0", rate: { bytesPerSecond: 12_500_000, windowUs: 20_000 } }, {}],
      vfb: [{ type: "vnc", vncunused: true }],
      pci: [],
    });
  });

  it("reads Python's string escapes, both quotes, comments and blank lines", () => {
    const c = parse(`\uFEFF\n  # comment\nname = "vm1"  # trailing\nkernel = '/k\\'s\\\\\\x41\\101\\q'\r\nextra = "it's \\"quoted\\""\n`);
    expect(c.kernel).toBe("/k's\\AA\\q"); // an unknown escape (\q) stays as it is, as in Python
    expect(c.extra).toBe('it\'s "quoted"');
  });
});

describe("startup files: errors say FILE:LINE and what is allowed", () => {
  it.each([
    // syntax
    ["name = 'vm1'\nmemory 512\n", 2, "expected = after memory, found \"5\""],
    ["= 5\n", 1, "expected a setting such as memory = 512, found \"=\""],
    ["name = vm1\n", 1, "expected a value for name: a quoted string, a number or a [ list ], found \"v\""],
    ["name =\n", 1, "expected a value for name: a quoted string, a number or a [ list ], found the end of the line"],
    ["name = 'vm1\n", 1, "this string has no closing ' on its line"],
    ["name = 'vm1' 'x'\n", 1, "unexpected \"'\" after the value of name"],
    ["name = 'vm1'\nmemory = 512 MB\n", 2, "unexpected \"M\" after the value of memory"],
    ["memory = 0512\n", 1, "a decimal number cannot start with 0"],
    ["memory = 5.5\n", 1, "only whole decimal numbers are allowed"],
    ["memory = 1234567890123456\n", 1, "is too large"],
    ["name = '\\x4'\n", 1, "\\x in a string needs two hex digits"],
    ["name = 'a'\ndisk = [ 'x',\n\n 'y'\n", 2, "this list has no closing ]"],
    ["disk = [ [ 'a' ] ]\n", 1, "lists cannot be nested"],
    ["disk = [ 'a' 'b' ]\n", 1, "expected , or ] after a list item, found \"'\""],
    ["disk = [ , ]\n", 1, "expected a quoted string or a number in the list, found \",\""],
    ["name = 'a'\nname2 = 'b'\n", 2, "unknown setting \"name2\" (known: name, uuid, memory, maxmem, vcpus, cpus, builder"],
    ["toString = 'a'\n", 1, "unknown setting \"toString\""],
    ["__proto__ = 1\n", 1, "unknown setting \"__proto__\""],
    // types
    ["name = 'a'\nname = 'b'\n", 2, "name is already set on line 1"],
    ["name = [ 'a' ]\n", 1, "name takes one value, not a list"],
    ["disk = 'file:/x,xvda,w'\n", 1, "disk takes a list: disk = [ '…', '…' ]"],
    ["disk = [\n 5 ]\n", 2, "disk entries are quoted strings, not numbers"],
    ["name = 5\n", 1, "name is text: put it in quotes (name = '5')"],
    ["memory = 'lots'\n", 1, "memory \"lots\" is not a whole number from 1 to 1048576"],
    // values
    ["kernel = '/k'\n", 1, "name is required (name = 'vm1')"],
    ["name = '42'\n", 1, "is a number; xm would take it for a domain id"],
    ["name = 'Domain-0'\n", 1, "reserved for the control domain"],
    ["name = 'my vm'\n", 1, "must be 1 to 64 of the characters A-Z a-z 0-9 _ . : + -"],
    [`${PV}memory = 0\n`, 3, "memory \"0\" is not a whole number from 1 to 1048576"],
    [`${PV}memory = 512\nmaxmem = 256\n`, 4, "maxmem 256 is less than memory 512"],
    [`${PV}vcpus = 33\n`, 3, "vcpus \"33\" is not a whole number from 1 to 32"],
    [`${PV}cpus = '0-3,^0-3'\n`, 3, "leaves no CPU to run on"],
    [`${PV}builder = 'pv'\n`, 3, "builder \"pv\" is not one of linux, hvm"],
    [`${PV}on_crash = 'coredump-destroy'\n`, 3, "on_crash \"coredump-destroy\" is not one of destroy, restart, preserve, rename-restart"],
    [`${PV}on_xend_stop = 'halt'\n`, 3, "on_xend_stop \"halt\" is not one of ignore, shutdown, suspend"],
    [`${PV}uuid = '1234'\n`, 3, "is not a UUID like aa6969f3-8012-24f0-1e3a-35f150001950"],
    [`${PV}localtime = 2\n`, 3, "localtime \"2\" is not 0 or 1"],
    [`${PV}keymap = 'us'\n`, 3, "keymap \"us\" is not one of da, de, de-ch, en-gb, en-us"],
    [`${PV}extra = "a\\tb"\n`, 3, "extra \"a\\tb\" contains a control character"],
    [`${PV}vnc = 1\n`, 3, "vnc applies only to builder = 'hvm'; a paravirtual domain uses vfb"],
    [`${PV}bios = '/fw.bin'\n`, 3, "bios applies only to builder = 'hvm'; a paravirtual domain uses kernel"],
    ["name = 'a'\nbuilder = 'linux'\n", 2, "a paravirtual (builder = 'linux') domain needs kernel = '…' or bootloader = '…'"],
    [`${PV}bootargs = '-q'\n`, 3, "bootargs is for the boot loader; set bootloader too"],
    [`${PV}disk = [ 'file:/a,xvda,w',\n  'iscsi:iqn.2001-04.com.acme,xvdb,w' ]\n`, 4, "iscsi: disks are not supported"],
    [`${PV}disk = [ 'file:/a,xvda,w',\n  'file:/b,xvda:cdrom,r' ]\n`, 4, "device xvda is already used on line 3"],
    [`${PV}vif = [ 'mac=00:16:3e:00:00:01', 'mac=00:16:3E:00:00:01' ]\n`, 3, "MAC address 00:16:3e:00:00:01 is already used on line 3"],
    [`${PV}vif = [ ${Array(9).fill("''").join(", ")} ]\n`, 3, "a domain can have at most 8 network interfaces"],
    [`${PV}vfb = [ 'type=sdl',\n 'type=vnc' ]\n`, 4, "a domain can have at most 1 framebuffers"],
    [`${PV}pci = [ '06:01.0', '0000:06:01.0' ]\n`, 3, "PCI device 06:01.0 is already used on line 3"],
    [`${PV}vif = [ 'bridge=br0,speed=fast' ]\n`, 3, "vif: unknown setting \"speed\" (known: mac, bridge, ip, script, type, model, rate, backend)"],
  ])("%j → line %i: %s", (text, line, reason) => {
    const e = error(text);
    expect(e.message).toBe(`${F}:${line}: ${e.reason}`);
    expect(e.line).toBe(line);
    expect(e.reason).toContain(reason);
  });

  it("refuses a file larger than 1 MiB without reading it", () => {
    expect(error(`${PV}#${"x".repeat(1 << 20)}`).message).toBe(`${F}:1: the file is longer than 1048576 characters`);
  });
});

describe("startup files: hostile input", () => {
  const fragments = ["name", "memory", "disk", "vif", "=", " ", "\n", "[", "]", ",", "'", '"', "\\", "#", "0", "512", "'vm1'",
    "'file:/x,xvda,w'", "'mac=00:16:3e:00:00:01'", "builder", "'hvm'", "kernel", "'/k'", "\r", "\t", "é", "\u0000"];
  const configish = fc.array(fc.constantFrom(...fragments), { maxLength: 40 }).map((parts) => parts.join(""));

  it("either parses or throws a ConfigError on a line of the file, for any text", () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "binary", maxLength: 100 }), configish), (text) => {
      try {
        parse(text);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        const { line } = e as ConfigError;
        expect(line).toBeGreaterThanOrEqual(1);
        expect(line).toBeLessThanOrEqual(text.split("\n").length);
      }
    }), { numRuns: 5000 });
  });

  it("reads back what it writes from a valid file with random damage, or reports a ConfigError", () => {
    const base = formatDomainConfig(parse(`${PV}memory = 256\ndisk = [ 'file:/a,xvda,w' ]\nvif = [ 'bridge=br0' ]\n`));
    fc.assert(fc.property(fc.nat(base.length), fc.nat(base.length), fc.string({ maxLength: 5 }), (at, length, insert) => {
      const text = base.slice(0, at) + insert + base.slice(at + length);
      try {
        const c = parse(text);
        expect(parse(formatDomainConfig(c))).toEqual(c);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
      }
    }), { numRuns: 3000 });
  });

  it("reads long runs of list items, comments and blank lines in linear time", () => {
    const many = `${PV}pci = [\n${Array.from({ length: 20000 }, (_, i) => `  '${(i >> 8).toString(16).padStart(4, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}:00.0', # ${i}`).join("\n")}\n]\n${"\n".repeat(100000)}`;
    const start = performance.now();
    expect(parse(many).pci).toHaveLength(20000);
    expect(performance.now() - start).toBeLessThan(5000);
  });
});
