/*
 * addrclass.h — what kind of address is this (RFC 1918, 6598, 3927 ...)?
 *
 * The doctor reasons from these labels: a private or CGNAT source address
 * means NAT, so the world sees another address and the PTR of the machine
 * itself is meaningless.  Pure functions, no I/O.
 */
#ifndef MC_DIAG_ADDRCLASS_H
#define MC_DIAG_ADDRCLASS_H

#include <stdbool.h>

enum addr_class {
	ADDR_INVALID,
	ADDR_PUBLIC,
	ADDR_PRIVATE,   /* 10/8, 172.16/12, 192.168/16, fc00::/7 */
	ADDR_CGNAT,     /* 100.64/10 (RFC 6598) */
	ADDR_LINKLOCAL, /* 169.254/16, fe80::/10 */
	ADDR_LOOPBACK,  /* 127/8, ::1 */
	ADDR_MULTICAST,
	ADDR_UNSPEC, /* 0.0.0.0, :: */
};

/* Classify a textual IPv4 or IPv6 address; ADDR_INVALID for junk. */
enum addr_class addr_classify(const char *addr);
/* "private", "CGNAT", "link-local", "loopback", "public", ... */
const char *addr_class_name(enum addr_class c);
/* Private or CGNAT: the address is translated on the way out. */
bool addr_is_natted(enum addr_class c);

#endif
