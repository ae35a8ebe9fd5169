/* mode=server / mode=client: two domains find each other without xenstore, swap one granted
 * page each way, and check what they got. The convention is described in README.md. */
#ifndef MINIOS_EXCHANGE_H
#define MINIOS_EXCHANGE_H

#include "boot.h"
#include "options.h"

/* Both print "minios: exchange ok (<n> bytes)" and return 0, or print
 * "minios: exchange FAILED: <why>" and return -1. */
int exchange_server(const struct boot_info *b, const struct options *o);
int exchange_client(const struct boot_info *b, const struct options *o);

#endif
