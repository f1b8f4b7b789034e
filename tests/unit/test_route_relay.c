/*
 * test_route_relay.c — the relay router: every domain gets the same
 * route (one destination key, the relays in the order given), answered at
 * once; bad relay strings are refused with the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/route.h"

struct got {
	int calls;
	const struct route *r;
};

static void
on_route(void *arg, const char *domain, const struct route *r)
{
	struct got *g = arg;

	(void)domain;
	g->calls++;
	g->r = r;
}

static void
test_relays_in_order(void **state)
{
	const char *relays[] = {"127.0.0.1:26010", "[::1]:26011"};
	struct got a = {0, NULL}, b = {0, NULL};
	char err[256];
	struct router *r = router_new_relay(relays, 2, err, sizeof(err));

	(void)state;
	assert_non_null(r);
	router_lookup(r, "a.example", on_route, &a);
	router_lookup(r, "b.example", on_route, &b);
	assert_int_equal(a.calls, 1); /* answered before lookup returned */
	assert_int_equal(b.calls, 1);
	assert_ptr_equal(a.r, b.r); /* one destination for every domain */
	assert_int_equal(a.r->status, ROUTE_OK);
	assert_int_equal(a.r->nhosts, 2);
	assert_string_equal(a.r->hosts[0].name, "127.0.0.1");
	assert_int_equal(a.r->hosts[0].addrs.port, 26010);
	assert_string_equal(a.r->hosts[1].name, "::1");
	assert_non_null(strstr(a.r->key, "127.0.0.1:26010"));
	router_free(r);
}

static void
test_weighted_relays(void **state)
{
	const char *relays[] = {"127.0.0.1:26010", "127.0.0.1:26011"};
	const unsigned w[] = {3, 1}, zero[] = {0, 1};
	const struct route *first = NULL, *second = NULL;
	char err[256], dom[64];
	struct router *r =
	    router_new_relay_weighted(relays, w, 2, err, sizeof(err));
	unsigned n0 = 0;

	(void)state;
	assert_non_null(r);
	for (int i = 0; i < 400; i++) {
		struct got g = {0, NULL};

		snprintf(dom, sizeof(dom), "d%d.example", i);
		router_lookup(r, dom, on_route, &g);
		assert_int_equal(g.calls, 1);
		assert_int_equal(g.r->nhosts, 2);
		if (g.r->hosts[0].addrs.port == 26010) {
			n0++;
			first = g.r;
		} else {
			second = g.r;
		}
	}
	assert_true(n0 > 250 && n0 < 350); /* about 3:1 */
	assert_non_null(first);
	assert_non_null(second);
	/* each relay its own destination, the other one its failover */
	assert_string_equal(first->key, "relay 127.0.0.1:26010");
	assert_string_equal(second->key, "relay 127.0.0.1:26011");
	assert_int_equal(first->hosts[0].relay, 1);
	assert_int_equal(first->hosts[1].relay, 2);
	assert_int_equal(first->hosts[1].addrs.port, 26011);
	assert_int_equal(second->hosts[0].relay, 2);
	assert_int_equal(second->hosts[1].relay, 1);
	router_free(r);
	assert_null(
	    router_new_relay_weighted(relays, zero, 2, err, sizeof(err)));
	assert_non_null(strstr(err, "weight 0"));
}

static void
test_bad_relays(void **state)
{
	const char *noport[] = {"127.0.0.1"};
	char err[256];

	(void)state;
	assert_null(router_new_relay(noport, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "the port is required"));
	assert_null(router_new_relay(noport, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "relays"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_relays_in_order),
	    cmocka_unit_test(test_bad_relays),
	    cmocka_unit_test(test_weighted_relays),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
