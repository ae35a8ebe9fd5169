// Serves xend's management protocol: each checked request becomes one call on Xend.

import type { XendRequest } from "../../kernel/public/xend-protocol.js";
import { XEND_PROTOCOL_VERSION } from "../../kernel/public/xend-protocol.js";
import { checkXendRequest } from "./requests.js";
import type { Xend } from "./xend.js";

export async function handleXendRequest(xend: Xend, raw: unknown): Promise<unknown> {
  const req: XendRequest = checkXendRequest(raw);
  switch (req.op) {
    case "hello": return { version: XEND_PROTOCOL_VERSION };
    case "domain.list": return xend.list(req.domains);
    case "domain.sxp": return xend.sxp(req.domain);
    case "domain.create": return xend.create(req.config, req.source, req.paused === true);
    case "domain.new": return xend.newManaged(req.config, req.source);
    case "domain.delete": return xend.deleteManaged(req.domain);
    case "domain.start": return xend.startManaged(req.domain, req.paused === true);
    case "domain.shutdown": return xend.shutdown(req.domain, req.reason);
    case "domain.destroy": return xend.destroy(req.domain);
    case "domain.pause": return xend.pause(req.domain, true);
    case "domain.unpause": return xend.pause(req.domain, false);
    case "domain.sched-credit": return xend.schedCredit(req.domain, req.weight, req.cap);
    case "domain.vcpu-list": return xend.vcpuList(req.domains);
    case "domain.vcpu-pin": return xend.changeResources(req.domain, { pin: { vcpu: req.vcpu, cpus: req.cpus } }, "vCPU affinity");
    case "domain.vcpu-set": return xend.changeResources(req.domain, { vcpus: req.vcpus }, "vCPU count");
    case "domain.mem-set": return xend.changeResources(req.domain, { memoryMiB: req.memoryMiB }, "memory");
    case "domain.mem-max": return xend.changeResources(req.domain, { maxmemMiB: req.maxmemMiB }, "maximum memory");
    case "domain.block-attach": return xend.blockAttach(req.domain, req.uname, req.dev, req.mode);
    case "domain.block-detach": return xend.blockDetach(req.domain, req.dev);
    case "domain.block-list": return xend.blockList(req.domain);
    case "domain.network-attach": return xend.networkAttach(req.domain, req.settings);
    case "domain.network-detach": return xend.networkDetach(req.domain, req.devid);
    case "domain.network-list": return xend.networkList(req.domain);
    case "host.info": return xend.hostInfo();
    case "host.dmesg": return xend.dmesg(req.clear === true);
  }
}
