/*
 * route.h — where the mail for a recipient domain goes.
 *
 * The campaign engine asks a router for each recipient domain; the answer
 * (struct route) names the destination the message joins — a queue key and
 * the hosts to try in order.  Two routers implement it:
 *   relay  (route_relay.c): every domain goes to the configured relay(s),
 *          one destination per relay set, answered at once;
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
