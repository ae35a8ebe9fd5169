import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ConfigError } from "./config-error.js";
import { configErrorOf } from "./config-error-of.js";
import { parseDomainConfig } from "./domain-config.js";
import { parseDomainSxp, formatDomainSxp } from "./domain-sxp.js";

const F = "vm.sxp";
const parse = (text: string) => parseDomainSxp(text, F);
const HEAD = "(domain (name vm1) (bootloader /usr/bin/pygrub)\n";

const error = (text: string): ConfigError => configErrorOf(parse, text);

describe("domain SXP: the manual's examples", () => {
  it("reads the xm list -l output of §4.3 (lines 613-618), dropping the running domain's state", () => {
    const text = `(domain
(domid 1)
(bootloader /usr/bin/pygrub) (on_crash destroy) (uuid aa6969f3-8012-24f0-1e3a-35f150001950) (bootloader_args -q) (vcpus 2) (name sles11) (cpus (() ())) (on_reboot restart) (on_poweroff destroy) (maxmem 512) (memory 512) (shadow_memory 0) (features ) (on_xend_start ignore) (on_xend_stop ignore) (start_time 1240210933.16) (cpu_time 35.841108115) (online_vcpus 2)
)`;
    expect(parse(text)).toEqual({
      name: "sles11", uuid: "aa6969f3-8012-24f0-1e3a-35f150001950", memory: 512, maxmem: 512, vcpus: 2, builder: "linux",
      bootloader: "/usr/bin/pygrub", bootargs: "-q", onPoweroff: "destroy", onReboot: "restart", onCrash: "destroy",
      onXendStart: "ignore", onXendStop: "ignore", localtime: false, disk: [], vif: [], vfb: [], pci: [],
    });
  });

  it("reads the vif devices of §2.3 and §5.3.1, with xend's uuid, devid and backend 0", () => {
    const c = parse(`${HEAD}
(device (vif (bridge br0) (uuid e2b8f872-88c7-0a4a-b965-82f7d5bdd31e) (devid 0) (mac 00:16:3e:54:79:a6) (model rtl8139) (type ioemu)))
(device (vif (bridge br0) (mac 00:16:3e:50:66:a4) (script /etc/xen/scripts/vif-bridge) (uuid 0a94b603-8b90-3ba8-bd1a-ac940c326514) (backend 0)))
(device (vif (bridge br0) (uuid e2b8f872-88c7-0a4a-b965-82f7d5bdd31e) (devid 0) (mac 00:16:3e:54:79:a7) (model rtl8139) (type netfront)))
(device (vif (bridge br0) (mac 00:16:3e:4f:94:a9) (rate 100Mb/s) (backend 0) (uuid bf840a86-6aa9-62df-f8df-a7cf8c192c24) (script /etc/xen/scripts/vif-bridge)))
(device (vif (bridge br0) (mac 00:16:3e:4f:94:aa) (rate 100Mb/s@20ms) (backend 0) (uuid bf840a86-6aa9-62df-f8df-a7cf8c192c24) (script /etc/xen/scripts/vif-bridge))))`);
    expect(c.vif).toEqual([
      { bridge: "br0", mac: "00:16:3e:54:79:a6", model: "rtl8139", type: "ioemu" },
      { bridge: "br0", mac: "00:16:3e:50:66:a4", script: "/etc/xen/scripts/vif-bridge" },
      { bridge: "br0", mac: "00:16:3e:54:79:a7", model: "rtl8139", type: "netfront" },
      { bridge: "br0", mac: "00:16:3e:4f:94:a9", rate: { bytesPerSecond: 12_500_000, windowUs: 50_000 }, script: "/etc/xen/scripts/vif-bridge" },
      { bridge: "br0", mac: "00:16:3e:4f:94:aa", rate: { bytesPerSecond: 12_500_000, windowUs: 20_000 }, script: "/etc/xen/scripts/vif-bridge" },
    ]);
  });

  it("reads the vbd of Example 6.2 (line 1212) and a CD reader given by (type cdrom)", () => {
    const c = parse(`${HEAD}(device (vbd (dev xvda:disk) (uname file:/var/lib/xen/images/sles11/disk0) (mode w) (type disk) (backend 0)))
(device (vbd (dev hdc) (uname phy:/dev/cdrom) (mode r) (type cdrom))))`);
    expect(c.disk).toEqual([
      { type: "file", path: "/var/lib/xen/images/sles11/disk0", vdev: "xvda", devtype: "disk", mode: "w" },
      { type: "phy", path: "/dev/cdrom", vdev: "hdc", devtype: "cdrom", mode: "r" },
    ]);
  });

  it("reads a VNC port given as (location localhost:5902) (§6.4.1, line 1032)", () => {
    expect(parse(`${HEAD}(device (vfb (type vnc) (location localhost:5902))))`).vfb).toEqual([{ type: "vnc", vnclisten: "localhost", vncdisplay: 2 }]);
  });

  it("reads the pci device of §2.5.2 (line 357)", () => {
    expect(parse(`${HEAD}(device (pci (dev (slot 0x01) (domain 0x0) (bus 0x06) (vslt 0x0) (func 0x0)))))`).pci).toEqual([{ domain: 0, bus: 6, slot: 1, func: 0 }]);
  });

  it("prints a domain as xm list -l does", () => {
    const c = parseDomainConfig(`name = 'vm1'
memory = 512
vcpus = 2
cpus = '0-3'
builder = 'hvm'
bios = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin'
kernel = '/boot/u-boot.bin'
extra = 'console=ttyS0'
vnc = 1
keymap = 'de'
disk = [ 'file:/images/vm1.img,xvda,w', 'file:/images/sles11.iso,hdc:cdrom,r' ]
vif = [ 'mac=00:16:3e:4f:94:a9,bridge=br0,rate=100Mb/s@20ms' ]
vfb = [ 'type=vnc,vncdisplay=2' ]
pci = [ '06:01.0' ]
`, "vm1");
    expect(formatDomainSxp(c)).toBe(`(domain
    (name vm1)
    (memory 512)
    (maxmem 512)
    (vcpus 2)
    (on_poweroff destroy)
    (on_reboot restart)
    (on_crash restart)
    (on_xend_start ignore)
    (on_xend_stop ignore)
    (cpus ((0 1 2 3) (0 1 2 3)))
    (image
        (hvm
            (kernel /boot/u-boot.bin)
            (args console=ttyS0)
            (loader /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin)
            (localtime 0)
            (keymap de)
            (vnc 1)
        )
    )
    (device (vbd (uname file:/images/vm1.img) (dev xvda) (mode w)))
    (device (vbd (uname file:/images/sles11.iso) (dev hdc:cdrom) (mode r)))
    (device (vif (mac 00:16:3e:4f:94:a9) (bridge br0) (rate 100Mb/s@20ms)))
    (device (vfb (type vnc) (vncdisplay 2)))
    (device (pci (dev (domain 0x0) (bus 0x6) (slot 0x1) (func 0x0) (vslt 0x0))))
)
`);
    expect(parse(formatDomainSxp(c))).toEqual(c);
  });

  it("reads cpus written in the cpus= syntax too", () => {
    expect(parse(`${HEAD}(cpus '0-3,^2'))`).cpus).toEqual([0, 1, 3]);
  });
});

describe("domain SXP: errors say FILE:LINE:COL and what is allowed", () => {
  it.each([
    ["", 1, 1, "expected one (domain …) expression"],
    ["(domain (name a)) (domain (name b))", 1, 19, "expected one (domain …) expression"],
    ["(vm (name a))", 1, 1, "expected (domain …)"],
    ["(domain (name a)\n  bare)", 2, 3, "expected (NAME VALUE) inside (domain …)"],
    [`${HEAD}(colour red))`, 2, 1, "unknown setting \"colour\" in (domain …) (known: name, uuid, memory"],
    [`${HEAD}(toString x))`, 2, 1, "unknown setting \"toString\" in (domain …)"],
    [`${HEAD}(image (linux (constructor x))))`, 2, 15, "unknown setting \"constructor\" in (image (linux …))"],
    [`${HEAD}(memory 512) (memory 256))`, 2, 14, "(memory …) is already given at 2:1"],
    [`${HEAD}(memory 512 MB))`, 2, 13, "(memory VALUE) takes one plain value"],
    [`${HEAD}(memory (512)))`, 2, 9, "(memory VALUE) takes one plain value"],
    [`${HEAD}(memory 0))`, 2, 9, "memory \"0\" is not a whole number from 1 to 1048576"],
    [`${HEAD}(shadow_memory 8))`, 2, 16, "shadow_memory is not supported; leave it as (shadow_memory 0)"],
    [`${HEAD}(cpus ((0 1) (2))))`, 2, 7, "all vCPUs of a domain must be allowed the same CPUs"],
    [`${HEAD}(cpus (0 1)))`, 2, 8, "each vCPU's CPUs are a list like (0 1 2)"],
    [`${HEAD}(image (xen)))`, 2, 8, "expected (image (linux …)) or (image (hvm …))"],
    [`${HEAD}(image (linux (root /dev/xvda1))))`, 2, 15, "unknown setting \"root\" in (image (linux …)) (known: kernel, ramdisk, args, loader"],
    [`${HEAD}(image (linux (loader /fw))))`, 2, 23, "bios applies only to builder = 'hvm'"],
    [`${HEAD}(device (tpm (instance 1))))`, 2, 9, "unknown device \"tpm\" (known: vbd, vif, vfb, pci)"],
    [`${HEAD}(device (vbd (uname file:/x) (dev xvda))))`, 2, 9, "a vbd needs (uname …), (dev …) and (mode …)"],
    [`${HEAD}(device (vbd (uname file:/x) (dev xvda) (mode w) (bootable 1))))`, 2, 9, "vbd: unknown setting \"bootable\""],
    [`${HEAD}(device (vbd (uname file:/x) (dev xvda:disk) (mode r) (type cdrom))))`, 2, 9, "(dev xvda:disk) and (type cdrom) disagree"],
    [`${HEAD}(device (vbd (uname iscsi:iqn.x) (dev xvda) (mode r))))`, 2, 9, "iscsi: disks are not supported"],
    [`${HEAD}(device (vif (mac 00:16:3e:00:00:01) (mac 00:16:3e:00:00:02))))`, 2, 9, "vif: mac is given twice"],
    [`${HEAD}(device (vif (rate 'fast'))))`, 2, 9, "is not NUMBER UNIT/s"],
    [`${HEAD}(device (vif (bridge ' br0'))))`, 2, 9, "the value of bridge starts or ends with a space"],
    [`${HEAD}(device (vfb (type vnc) (location localhost:80))))`, 2, 9, "is not HOST:PORT with a port from 5900 to 65535"],
    [`${HEAD}(device (vfb (type vnc) (location localhost:5901) (vncdisplay 1))))`, 2, 9, "give (location …) or (vnclisten …)/(vncdisplay …), not both"],
    [`${HEAD}(device (pci (dev (bus 0x06) (slot 0x01) (func 0x0) (vslt 0x2)))))`, 2, 14, "choosing the guest's slot (vslt) is not supported"],
    [`${HEAD}(device (pci (dev (bus 0x06) (slot 0x01)))))`, 2, 14, "pci: (func …) is missing"],
    [`${HEAD}(device (pci (slot 0x01))))`, 2, 14, "expected (dev (domain …) (bus …) (slot …) (func …))"],
    ["(domain (memory 64))", 1, 1, "name is required"],
    ["(domain (name a))", 1, 1, "needs kernel = '…' or bootloader = '…'"],
  ])("%j → %i:%i: %s", (text, line, column, reason) => {
    const e = error(text);
    expect(e.message).toBe(`${F}:${line}:${column}: ${e.reason}`);
    expect([e.line, e.column]).toEqual([line, column]);
    expect(e.reason).toContain(reason);
  });

  it("either reads or throws a ConfigError, for any text", () => {
    const fragments = ["(domain", "(name vm1)", "(bootloader /b)", "(memory", "512", ")", "(", " ", "\n", "(device", "(vbd", "(vif",
      "(vfb", "(pci", "(dev", "(uname file:/x)", "(mode w)", "(type vnc)", "(image", "(linux", "(hvm", "(kernel /k)", "(cpus",
      "(()", "(0 1)", "'", "x", "0x1", "(location h:5900)", "(mac 00:16:3e:00:00:01)", "(rate 1Mb/s)"];
    const arb = fc.oneof(fc.string({ maxLength: 100 }), fc.array(fc.constantFrom(...fragments), { maxLength: 40 }).map((p) => p.join(" ")));
    fc.assert(fc.property(arb, (t) => {
      try {
        const c = parse(t);
        expect(parse(formatDomainSxp(c))).toEqual(c);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
      }
    }), { numRuns: 5000 });
  });
});
