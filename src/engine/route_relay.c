/*
 * route_relay.c — the relay router: every domain goes to the configured
 * relays, tried in the order given (the first is used while it answers,
 * the next ones are failover).  The relays are resolved once, when the
 * router is made, and the one answer is shared by every domain, so a
 * whole campaign is one destination queue with one set of limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "base/xmalloc.h"
#include "engine/route_int.h"

struct router_relay {
	struct router base;
	struct route route;
};

/* Every domain: the one relay route, at once. */
static void
relay_lookup(struct router *r, const char *domain, route_cb *cb, void *arg)
{
	struct router_relay *rr = (struct router_relay *)r;

	cb(arg, domain, &rr->route);
}

/* Free the relay router. */
static void
relay_free(struct router *r)
{
	free(r);
}

static const struct router_ops relay_ops = {relay_lookup, relay_free};

/* Relays: "host:port" strings (port required); all domains go there. */
struct router *
router_new_relay(const char *const *relays, size_t n, char *err, size_t errsz)
{
	struct router_relay *rr;
	size_t off = 0;

	if (n == 0 || n > ROUTE_HOSTS_MAX) {
		snprintf(err, errsz, "give 1 to %d relays", ROUTE_HOSTS_MAX);
		return NULL;
	}
	rr = xcalloc(1, sizeof(*rr));
	rr->base.ops = &relay_ops;
	off = (size_t)snprintf(rr->route.key, sizeof(rr->route.key), "relay");
	for (size_t i = 0; i < n; i++) {
		struct route_host *h = &rr->route.hosts[i];
		char host[256], why[256];
		int port = 0;

		if (net_parse_hostport(relays[i], 0, host, sizeof(host),
		                       &port) < 0 ||
		    port <= 0) {
			snprintf(err, errsz,
			         "relay '%s': give HOST:PORT (the port is "
			         "required)",
			         relays[i]);
			free(rr);
			return NULL;
		}
		if (net_resolve(host, port, &h->addrs, why, sizeof(why)) < 0) {
			snprintf(err, errsz, "relay '%s': %s", relays[i], why);
			free(rr);
			return NULL;
		}
		mc_strlcpy(h->name, host, sizeof(h->name));
		if (off < sizeof(rr->route.key))
			off += (size_t)snprintf(rr->route.key + off,
			                        sizeof(rr->route.key) - off,
			                        " %s", relays[i]);
	}
	rr->route.nhosts = n;
	rr->route.status = ROUTE_OK;
	return &rr->base;
}
