/*
 * trace.h — the hops to a host, and the path MTU (traceroute + tracepath).
 *
 * trace_run() sends one probe per TTL (UDP to port 33434, ICMP echo
 * through a ping socket, or a TCP SYN to --port) and learns each hop from
 * the ICMP time-exceeded that the socket's error queue (IP_RECVERR) hands
 * back, with its sender.  UDP probes are as large as the MTU allows with
 * DF set, so "fragmentation needed" errors reveal the path MTU, as
 * tracepath does.  In TCP mode the probe that gets no answer after the
 * last answering hop tells where the port dies.  It stops when the host
 * answers, when a hop rejects, or after max_silent silent hops in a row.
 * IPv4 only.
 *
 * Errors: MC_EINVAL, MC_ENOHOST, MC_EUNSUPP (ICMP mode without ping
 * sockets), MC_EIO; text in err.
 */
#ifndef MC_DIAG_TRACE_H
#define MC_DIAG_TRACE_H

#include <netinet/in.h>
#include <stdbool.h>

#define TRACE_HOPS_MAX 64

enum trace_mode { TRACE_UDP, TRACE_ICMP, TRACE_TCP };

struct trace_opts {
	const char *host;
	enum trace_mode mode;
	unsigned port; /* TCP: destination port */
	int max_hops;
	int timeout_ms; /* per probe */
	int max_silent; /* silent hops in a row before stopping */
};

struct trace_hop {
	int ttl;
	bool silent; /* no answer */
	char addr[INET6_ADDRSTRLEN];
	double rtt_ms;
	int icmp_type, icmp_code; /* -1 when not ICMP */
	char what[64];            /* "time exceeded", ... */
	unsigned mtu;             /* frag-needed MTU met here */
};

struct trace_result {
	char addr[INET6_ADDRSTRLEN];
	int nhops;
	struct trace_hop hop[TRACE_HOPS_MAX];
	bool reached;
	bool rejected;      /* a hop answered "unreachable" */
	unsigned pmtu;      /* path MTU found (0 unknown) */
	unsigned first_mtu; /* MTU of the way out */
	int last_ttl;       /* last hop that answered */
	char last_addr[INET6_ADDRSTRLEN];
	char summary[256];
};

void trace_opts_default(struct trace_opts *o);
int trace_run(const struct trace_opts *o, struct trace_result *r, char *err,
              size_t errlen);
const char *trace_mode_name(enum trace_mode m);

#endif
