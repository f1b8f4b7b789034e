/*
 * tcp.h — name resolution and TCP connects with a timeout, for libevent.
 *
 * net_resolve() turns "host" and a port into the list of addresses to try
 * (IPv6 and IPv4, in the resolver's order).  tcp_connect_start() tries them
 * one after the other, each with its own timeout, and calls back once with
 * a connected non-blocking socket or with the reason every address failed
 * ("127.0.0.1:2: connection refused; [::1]:2: connection refused").
 *
 * Ownership: struct net_addrs is caller-owned (net_addrs_free).  A
 * struct tcp_connect frees itself after its callback; cancel it before that
 * with tcp_connect_cancel() (no callback then).  The socket handed to the
 * callback belongs to the callee.
 */
#ifndef MC_NET_TCP_H
#define MC_NET_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;

#define NET_ADDRS_MAX 16

struct net_addrs {
	struct sockaddr_storage sa[NET_ADDRS_MAX];
	socklen_t len[NET_ADDRS_MAX];
	size_t n;
	char host[256];
	int port;
};

/*
 * Resolve host (a name or an address literal, "[v6]" accepted) for port.
 * Returns 0, MC_ENOHOST (name unknown; err says so), or MC_EINVAL.
 */
int net_resolve(const char *host, int port, struct net_addrs *out, char *err,
                size_t errsz);
/* "HOST[:PORT]" or "[v6]:PORT" into host and port (default_port if none). */
int net_parse_hostport(const char *s, int default_port, char *host,
                       size_t hostsz, int *port);
/* "127.0.0.1:25" or "[::1]:25". */
const char *net_addr_str(const struct sockaddr *sa, char *buf, size_t sz);
/* The name to give in EHLO: the FQDN of this machine, else the address
 * literal of the socket's local address ("[192.0.2.1]"); never "localhost". */
void net_helo_name(int fd, char *buf, size_t sz);

typedef void tcp_connect_cb(int fd, int err, const char *why, void *arg);

struct tcp_connect;

struct tcp_connect *tcp_connect_start(struct event_base *base,
                                      const struct net_addrs *addrs,
                                      uint32_t timeout_ms, tcp_connect_cb *cb,
                                      void *arg);
void tcp_connect_cancel(struct tcp_connect *tc);

#endif
