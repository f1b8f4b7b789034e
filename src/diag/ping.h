/*
 * ping.h — ICMP echo: RTT, loss, the reply's TTL, ICMP errors decoded.
 *
 * ping_run() uses an unprivileged ICMP "ping socket" (SOCK_DGRAM,
 * IPPROTO_ICMP) when net.ipv4.ping_group_range admits the caller's group,
 * and a raw socket when the caller may open one (root, CAP_NET_RAW).  When
 * neither is allowed it returns MC_EUNSUPP with a message that names the
 * sysctl to change.  IPv4 only.
 *
 * Ownership: caller-owned result.  Errors: MC_EINVAL (not an IPv4 host),
 * MC_ENOHOST, MC_EUNSUPP (no way to send ICMP), MC_EIO.
 */
#ifndef MC_DIAG_PING_H
#define MC_DIAG_PING_H

#include <netinet/in.h>
#include <stdbool.h>

#define PING_COUNT_MAX 1000
#define PING_ERR_MAX   8

struct ping_opts {
	const char *host;
	int count;       /* echo requests */
	int interval_ms; /* between requests */
	int timeout_ms;  /* wait for the last reply */
	int ttl;         /* 0: the system's default */
};

struct ping_icmp_error {
	char from[INET6_ADDRSTRLEN];
	int type, code;
	unsigned mtu; /* fragmentation needed: next-hop MTU */
	char text[64];
};

struct ping_result {
	char addr[INET6_ADDRSTRLEN];
	const char *method; /* "ping socket" or "raw socket" */
	int sent, received;
	double min_ms, avg_ms, max_ms;
	int ttl; /* TTL of the last reply, -1 none */
	double loss_pct;
	int nerr;
	struct ping_icmp_error err[PING_ERR_MAX];
};

void ping_opts_default(struct ping_opts *o);
int ping_run(const struct ping_opts *o, struct ping_result *r, char *err,
             size_t errlen);
/* The ICMP checksum (RFC 1071) of len bytes. */
unsigned short ping_checksum(const void *data, size_t len);

#endif
