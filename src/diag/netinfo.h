/*
 * netinfo.h — this machine's network as the kernel sees it (netlink).
 *
 * netinfo_collect() reads links (name, MAC, MTU), addresses (labelled by
 * addrclass.h), the main routing table, the default gateway and its
 * neighbour (ARP/NDP) entry, and the DNS servers of resolv.conf.  When the
 * gateway has no neighbour entry yet, one UDP datagram is sent to it (port
 * 9, discard) so the kernel resolves its MAC, and the table is read again.
 * netinfo_route_to() tells which source address and MTU reach a host.
 *
 * Ownership: struct netinfo is caller-owned and fixed-size (limits below:
 * what does not fit is dropped and counted in `truncated`).
 * Errors: MC_EIO (netlink unavailable), text in err.
 */
#ifndef MC_DIAG_NETINFO_H
#define MC_DIAG_NETINFO_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "diag/addrclass.h"

#define NI_LINK_MAX  32
#define NI_ADDR_MAX  8 /* per link */
#define NI_ROUTE_MAX 64
#define NI_DNS_MAX   8
#define NI_ADDRSTR   INET6_ADDRSTRLEN

struct ni_addr {
	int family;
	char addr[NI_ADDRSTR];
	int prefixlen;
	enum addr_class cls;
};

struct ni_link {
	char name[IF_NAMESIZE];
	int ifindex;
	char mac[24]; /* "" when the link has none */
	unsigned mtu;
	bool up;
	size_t naddr;
	struct ni_addr addr[NI_ADDR_MAX];
};

struct ni_route {
	int family;
	char dst[NI_ADDRSTR + 4]; /* "default" or "10.0.0.0/24" */
	char gw[NI_ADDRSTR];      /* "" when on-link */
	char dev[IF_NAMESIZE];
	unsigned metric;
};

struct netinfo {
	size_t nlink;
	struct ni_link link[NI_LINK_MAX];
	size_t nroute;
	struct ni_route route[NI_ROUTE_MAX];
	char gw[NI_ADDRSTR]; /* IPv4 default gateway or "" */
	char gw_dev[IF_NAMESIZE];
	char gw_mac[24];   /* "" when unresolved */
	char gw_state[32]; /* neighbour state */
	size_t ndns;
	char dns[NI_DNS_MAX][NI_ADDRSTR];
	unsigned truncated;
};

/* Collect everything; resolv_conf NULL means /etc/resolv.conf. */
int netinfo_collect(struct netinfo *ni, const char *resolv_conf, char *err,
                    size_t errlen);
/* The source address and path MTU the kernel would use towards host
 * (an address).  0, MC_EINVAL or MC_ECONN (no route; text in err). */
int netinfo_route_to(const char *host, char *src, size_t srclen, unsigned *mtu,
                     char *err, size_t errlen);
/* Parse the nameserver lines of a resolv.conf text. */
size_t netinfo_parse_resolv(const char *text, char out[][NI_ADDRSTR],
                            size_t max);

#endif
