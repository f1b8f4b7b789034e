/*
 * route.h — where the mail for a recipient domain goes.
 *
 * The campaign engine asks a router for each recipient domain; the answer
 * (struct route) names the destination the message joins — a queue key and
 * the hosts to try in order.  Two routers implement it:
 *   relay  (route_relay.c): every domain goes to the configured relay(s),
 *          answered at once: either one destination for the whole set
 *          (the relays in failover order), or, with weights, one
 *          destination per relay, a domain's relay picked by a stable
 *          hash against the weights and the other relays after it as
 *          failover;
 *   direct (route_direct.c): MX lookup through src/dns (c-ares, a given DNS
 *          server), RFC 5321 §5 order with equal preferences shuffled,
 *          implicit MX (A/AAAA of the domain), null MX (RFC 7505) failed at
 *          once, NXDOMAIN failed, SERVFAIL/timeout deferred.  Domains with
 *          the same MX host set share one destination key, so one
 *          provider's many domains share one queue and its limits.
 * Answers are cached per domain for the lifetime of the router (a
 * campaign); lookups in flight for the same domain are merged.
 *
 * Ownership: a router is created and freed by the engine and borrows the
 * event base (and, for direct, the resolver).  The struct route handed to a
 * callback is the router's and stays valid until router_free(): the engine
 * may keep the pointer.
 */
#ifndef MC_ENGINE_ROUTE_H
#define MC_ENGINE_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "net/tcp.h"

#define ROUTE_HOSTS_MAX 8

struct event_base;
struct dns_resolver;

struct route_host {
	char name[256];         /* MX or relay host name */
	int pref;               /* MX preference (0 for relays) */
	struct net_addrs addrs; /* addresses to try, port set */
	unsigned relay;         /* weighted relays: 1 + index; 0: none */
};

enum route_status {
	ROUTE_OK = 0,
	ROUTE_DEFER, /* temporary (SERVFAIL, timeout): try again later */
	ROUTE_FAIL,  /* permanent (NXDOMAIN, null MX, no address) */
};

struct route {
	enum route_status status;
	char why[256]; /* for DEFER/FAIL: "null MX (RFC 7505)" */
	char key[512]; /* destination key: same key, same queue */
	size_t nhosts;
	struct route_host hosts[ROUTE_HOSTS_MAX]; /* in the order to try */
};

typedef void route_cb(void *arg, const char *domain, const struct route *r);

struct router;

/* Relays: "host:port" strings (port required); all domains go there. */
struct router *router_new_relay(const char *const *relays, size_t n, char *err,
                                size_t errsz);
/*
 * Weighted relays: relay i is its own destination (key "relay HOST:PORT"),
 * hosts [i, i+1, ..., i-1] (failover), each host's relay field 1 + its
 * index; a domain goes to relay i with probability weights[i] / sum,
 * decided by a hash of the domain (the same domain, the same relay).
 * weights[i] >= 1; at most ROUTE_HOSTS_MAX relays.
 */
struct router *router_new_relay_weighted(const char *const *relays,
                                         const unsigned *weights, size_t n,
                                         char *err, size_t errsz);
/* Which of n relays of these weights a domain goes to (the hash above). */
size_t route_relay_pick(const char *domain, const unsigned *weights, size_t n);
/* Direct delivery: MX lookups through dns, connecting to mx_port. */
struct router *router_new_direct(struct event_base *base,
                                 struct dns_resolver *dns, int mx_port);
void router_free(struct router *r);
/*
 * Route domain (lower-case A-labels).  The callback may run before this
 * returns (cached answers, relays) or later from the event loop.
 */
void router_lookup(struct router *r, const char *domain, route_cb *cb,
                   void *arg);

#endif
