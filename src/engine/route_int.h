/*
 * route_int.h — the private side of route.h, shared by the routers.
 *
 * A router is a table of operations plus the implementation's state: each
 * implementation (route_relay.c, route_direct.c) embeds struct router as
 * the first member of its own struct and sets ops; router_lookup() and
 * router_free() in route.c dispatch through the table.  Nothing outside
 * src/engine/route*.c includes this header.
 *
 * Ownership: ops->free releases everything the implementation owns,
 * including the struct routes it handed to callbacks.
 * The router_direct_set_*() knobs exist for tests (a fixed shuffle, a fake
 * clock) and for the engine (how long a DEFER answer is kept).
 */
#ifndef MC_ENGINE_ROUTE_INT_H
#define MC_ENGINE_ROUTE_INT_H

#include "base/clock.h"
#include "dns/mx_order.h"
#include "engine/route.h"

struct router_ops {
	/* Answer for domain through cb, now or later from the event loop. */
	void (*lookup)(struct router *, const char *domain, route_cb *cb,
	               void *arg);
	/* Release the router and everything it owns. */
	void (*free)(struct router *);
};

struct router {
	const struct router_ops *ops;
};

/* How long a direct router keeps a DEFER answer before asking again. */
#define ROUTE_DEFER_TTL_MS 60000

/* The shuffle of equal MX preferences (NULL: random(3)). */
void router_direct_set_rand(struct router *r, mx_rand_fn *rnd, void *arg);
/* The clock that ages DEFER answers (default: the system clock). */
void router_direct_set_clock(struct router *r, const struct mc_clock *c);
/* Keep DEFER answers ms milliseconds (default ROUTE_DEFER_TTL_MS). */
void router_direct_set_defer_ttl(struct router *r, unsigned ms);

#endif
