// Domain-0 is the host itself: in `xm list` it shows the memory xend-config.sxp gives it
// (dom0-min-mem) and the host's CPUs (or dom0-cpus), always running; `xm info` describes the host
// in the keys of Xen's xm info.

import { cpus, hostname, release, version, arch } from "node:os";
import type { HostInfo, DomainState } from "../../kernel/public/protocol.js";
import { DEFAULT_CAP, DEFAULT_WEIGHT } from "../../kernel/public/protocol.js";
import { everyVcpu, type XendDomain, type XendHostInfo } from "../../kernel/public/xend-protocol.js";
import type { XendSettings } from "./xend-config.js";

const RUNNING: DomainState = "running";
/** The ISA Domus gives its guests (kernel/host/machine.ts ISA_STRING). */
const GUEST_ISA = "rv64imafdc_zicsr_zifencei_sstc";
/** Domus's version in Xen's major.minor.extra form (package.json). */
const VERSION = { major: 0, minor: 1, extra: ".0-domus" };

export function dom0Domain(settings: XendSettings, host: HostInfo): XendDomain {
  const all = cpus();
  const vcpus = settings.dom0Cpus > 0 ? Math.min(settings.dom0Cpus, all.length) : all.length;
  // The host's CPU time, as Xen counts Domain-0's: every CPU's busy time.
  const busyMs = all.slice(0, vcpus).reduce((n, c) => n + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
  const memoryMiB = Math.min(settings.dom0MinMem, host.totalMemoryMiB);
  return {
    name: "Domain-0", domid: 0, memoryMiB, maxmemMiB: memoryMiB, vcpus, online: everyVcpu(vcpus), state: RUNNING,
    cpuTimeS: busyMs / 1000, weight: DEFAULT_WEIGHT, cap: DEFAULT_CAP,
    startTime: Date.now() / 1000 - process.uptime(), managed: false, cpus: [],
  };
}

export function hostInfoRows(settings: XendSettings, host: HostInfo, domains: number): XendHostInfo {
  const all = cpus();
  return [
    ["host", hostname()],
    ["release", release()],
    ["version", version()],
    ["machine", arch()],
    ["nr_cpus", String(host.pcpus)],
    ["nr_nodes", "1"],
    ["cores_per_socket", String(host.pcpus)],
    ["threads_per_core", "1"],
    ["cpu_mhz", String(all[0]?.speed ?? 0)],
    ["hw_caps", GUEST_ISA],
    ["virt_caps", "hvm"],
    ["total_memory", String(host.totalMemoryMiB)],
    ["free_memory", String(host.freeMemoryMiB)],
    ["xen_major", String(VERSION.major)],
    ["xen_minor", String(VERSION.minor)],
    ["xen_extra", VERSION.extra],
    ["xen_caps", "hvm-1.0-riscv64"],
    ["xen_scheduler", "credit"],
    ["xen_pagesize", "4096"],
    ["kernel_protocol", String(host.version)],
    ["nr_domains", String(domains + 1)],
    ["dom0_min_mem", String(settings.dom0MinMem)],
    ["xend_config_format", "4"],
  ];
}
