/*
 * icmperr.h — ICMP errors as the kernel reports them to a socket.
 *
 * With IP_RECVERR (IPV6_RECVERR) set, the kernel queues each ICMP error
 * about a socket's packets on its error queue, with the address of the
 * router or host that sent it.  icmperr_read() takes one entry off that
 * queue; icmperr_describe() names an ICMP type/code in words.
 * Errors: MC_EAGAIN when the queue is empty.
 */
#ifndef MC_DIAG_ICMPERR_H
#define MC_DIAG_ICMPERR_H

#include <netinet/in.h>
#include <stdbool.h>

struct icmperr {
	int err;    /* errno the kernel derived */
	int origin; /* SO_EE_ORIGIN_* */
	int type;   /* ICMP type (origin ICMP/ICMP6) */
	int code;
	unsigned info;               /* next-hop MTU for "frag needed" */
	char from[INET6_ADDRSTRLEN]; /* the sender, "" if local */
	int ttl;                     /* TTL of the error packet, -1 unknown */
};

/* Turn on IP_RECVERR (and IP_RECVTTL) for fd; 0 or MC_EIO. */
int icmperr_enable(int fd, int family);
/* Read one queued error; 0, MC_EAGAIN or MC_EIO. */
int icmperr_read(int fd, struct icmperr *out);
/* "port unreachable", "administratively prohibited", "time exceeded" ... */
const char *icmperr_describe(int family, int type, int code);
/* Is this an ICMP unreachable/prohibited (not a time-exceeded)? */
bool icmperr_is_unreach(const struct icmperr *e);

#endif
