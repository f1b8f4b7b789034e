/*
 * route_relay.c — the relay router.  Without weights every domain goes to
 * the configured relays, tried in the order given (the first is used while
 * it answers, the next ones are failover): a whole campaign is one
 * destination queue with one set of limits.  With weights each relay is
 * its own destination; a domain's relay is picked by a hash of the domain
 * against the cumulative weights, the other relays following it as
 * failover.  The relays are resolved once, when the router is made.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "base/xmalloc.h"
#include "engine/route_int.h"

#define RELAY_WEIGHT_MAX 1000000

struct router_relay {
	struct router base;
	size_t nroutes;                       /* 1, or one per relay */
	unsigned weights[ROUTE_HOSTS_MAX];    /* weighted: each relay's */
	struct route routes[ROUTE_HOSTS_MAX]; /* [0] unweighted */
};

/* Which of n relays of these weights a domain goes to. */
size_t
route_relay_pick(const char *domain, const unsigned *weights, size_t n)
{
	uint64_t h = 1469598103934665603ull, total = 0, at;

	for (const unsigned char *p = (const unsigned char *)domain; *p; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	for (size_t i = 0; i < n; i++)
		total += weights[i] ? weights[i] : 1;
	if (n == 0 || total == 0)
		return 0;
	at = h % total;
	for (size_t i = 0; i < n; i++) {
		uint64_t w = weights[i] ? weights[i] : 1;

		if (at < w)
			return i;
		at -= w;
	}
	return n - 1;
}

/* Every domain: its relay route, at once. */
static void
relay_lookup(struct router *r, const char *domain, route_cb *cb, void *arg)
{
	struct router_relay *rr = (struct router_relay *)r;
	size_t i = 0;

	if (rr->nroutes > 1)
		i = route_relay_pick(domain, rr->weights, rr->nroutes);
	cb(arg, domain, &rr->routes[i]);
}

/* Free the relay router. */
static void
relay_free(struct router *r)
{
	free(r);
}

static const struct router_ops relay_ops = {relay_lookup, relay_free};

/* Resolve "host:port" into h; 0 or -1 with the reason in err. */
static int
relay_host(const char *relay, struct route_host *h, char *err, size_t errsz)
{
	char host[256], why[256];
	int port = 0;

	if (net_parse_hostport(relay, 0, host, sizeof(host), &port) < 0 ||
	    port <= 0) {
		snprintf(err, errsz,
		         "relay '%s': give HOST:PORT (the port is required)",
		         relay);
		return -1;
	}
	if (net_resolve(host, port, &h->addrs, why, sizeof(why)) < 0) {
		snprintf(err, errsz, "relay '%s': %s", relay, why);
		return -1;
	}
	mc_strlcpy(h->name, host, sizeof(h->name));
	return 0;
}

/* Resolve every relay into hosts[]; NULL after a refusal. */
static struct router_relay *
relay_new(const char *const *relays, size_t n, struct route_host *hosts,
          char *err, size_t errsz)
{
	struct router_relay *rr;

	if (n == 0 || n > ROUTE_HOSTS_MAX) {
		snprintf(err, errsz, "give 1 to %d relays", ROUTE_HOSTS_MAX);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		memset(&hosts[i], 0, sizeof(hosts[i]));
		if (relay_host(relays[i], &hosts[i], err, errsz) < 0)
			return NULL;
	}
	rr = xcalloc(1, sizeof(*rr));
	rr->base.ops = &relay_ops;
	return rr;
}

/* Relays: "host:port" strings (port required); all domains go there. */
struct router *
router_new_relay(const char *const *relays, size_t n, char *err, size_t errsz)
{
	struct route_host hosts[ROUTE_HOSTS_MAX];
	struct router_relay *rr = relay_new(relays, n, hosts, err, errsz);
	struct route *rt;
	size_t off;

	if (rr == NULL)
		return NULL;
	rr->nroutes = 1;
	rt = &rr->routes[0];
	off = (size_t)snprintf(rt->key, sizeof(rt->key), "relay");
	for (size_t i = 0; i < n; i++) {
		rt->hosts[i] = hosts[i];
		if (off < sizeof(rt->key))
			off += (size_t)snprintf(rt->key + off,
			                        sizeof(rt->key) - off, " %s",
			                        relays[i]);
	}
	rt->nhosts = n;
	rt->status = ROUTE_OK;
	return &rr->base;
}

/* Weighted relays: one destination per relay, see route.h. */
struct router *
router_new_relay_weighted(const char *const *relays, const unsigned *weights,
                          size_t n, char *err, size_t errsz)
{
	struct route_host hosts[ROUTE_HOSTS_MAX];
	struct router_relay *rr;

	for (size_t i = 0; i < n && i < ROUTE_HOSTS_MAX; i++)
		if (weights[i] < 1 || weights[i] > RELAY_WEIGHT_MAX) {
			snprintf(err, errsz,
			         "relay '%s': weight %u is not 1 to %d",
			         relays[i], weights[i], RELAY_WEIGHT_MAX);
			return NULL;
		}
	if ((rr = relay_new(relays, n, hosts, err, errsz)) == NULL)
		return NULL;
	rr->nroutes = n;
	for (size_t i = 0; i < n; i++) {
		struct route *rt = &rr->routes[i];

		rr->weights[i] = weights[i];
		snprintf(rt->key, sizeof(rt->key), "relay %s", relays[i]);
		for (size_t k = 0; k < n; k++) {
			size_t at = (i + k) % n;

			rt->hosts[k] = hosts[at];
			rt->hosts[k].relay = (unsigned)at + 1;
		}
		rt->nhosts = n;
		rt->status = ROUTE_OK;
	}
	return &rr->base;
}
