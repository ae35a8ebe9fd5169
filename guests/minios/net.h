/* mode=net: connect netfront to the first network interface and be a tiny IPv4 host on it:
 * answer ARP for our address, ICMP echo requests and UDP echo (port 7), and optionally ping a
 * peer and flood an address and port with UDP datagrams (README.md, "The network"). */
#ifndef MINIOS_NET_H
#define MINIOS_NET_H

#include "boot.h"
#include "options.h"

/* Prints `minios: net up <ip> mac <mac>` and serves the network until the domain is shut down
 * (the wake hook stops it); returns only after a `minios: net FAILED: <why>` line. */
void net_run(const struct boot_info *b, const struct options *o);

/* Before a shutdown: once the network was up, end a flood still going (its `flood done` line)
 * and print what went through the interface. */
void net_report(void);

#endif
