/*
 * route.c — the router entry points: dispatch to the implementation.
 *
 * The relay router lives in route_relay.c, the direct (MX) router in
 * route_direct.c; both embed struct router (route_int.h) first.
 */
#include <assert.h>
#include <stddef.h>

#include "engine/route_int.h"

/* Route domain through the router's implementation. */
void
router_lookup(struct router *r, const char *domain, route_cb *cb, void *arg)
{
	assert(r != NULL && r->ops != NULL && r->ops->lookup != NULL);
	assert(domain != NULL && cb != NULL);
	r->ops->lookup(r, domain, cb, arg);
}

/* Free the router; NULL does nothing. */
void
router_free(struct router *r)
{
	if (r == NULL)
		return;
	assert(r->ops != NULL && r->ops->free != NULL);
	r->ops->free(r);
}
