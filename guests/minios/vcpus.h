/* vCPU hotplug, as Xen's paravirtual guests do it: the toolstack writes "online" or "offline" to
 * cpu/<n>/availability below the domain's home (xm vcpu-set); minios, watching cpu, starts such a
 * vCPU (SBI HSM hart_start) or has it stop itself (an IPI, then hart_stop). minios runs on vCPU
 * 0 only: the others, while up, just wait for that IPI. vCPU 0 itself is never taken down. */
#ifndef MINIOS_VCPUS_H
#define MINIOS_VCPUS_H

#include "boot.h"

#define VCPUS_PATH "cpu"
#define VCPUS_TOKEN "vcpus"

/* For modes that do not otherwise use xenstore, after control_watch_nowait: count the vCPUs and
 * send the WATCH on cpu without waiting for its reply (the first event brings them up). */
void vcpus_watch_nowait(const struct boot_info *b);

/* On a watch event with VCPUS_TOKEN: read each vCPU's availability and start or stop it to
 * match, printing `minios: vCPU <n> online` or `offline` for each change and `minios: vCPU <n>
 * FAILED: <what>` if it cannot. Makes store requests, so call it where control_check is called. */
void vcpus_check(void);

#endif
