/*
 * test_route.c — the direct router (route_direct.c) against the fake
 * resolver: MX order, shuffle, implicit and null MX, NXDOMAIN, SERVFAIL,
 * addresses, shared keys, caching, merging, limits, freeing.
 */
#include <arpa/inet.h>
#include <event2/event.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/clock.h"
#include "dns/dns.h"
#include "engine/route_int.h"

#define MAXGOT 256

/* What the callbacks saw. */
struct got {
	size_t n;
	char domain[MAXGOT][256];
	const struct route *r[MAXGOT];
};

struct fixture {
	struct event_base *evb;
	struct dns_resolver *dns;
	struct router *rt;
	struct got got;
};

/* Record one answer. */
static void
on_route(void *arg, const char *domain, const struct route *r)
{
	struct got *g = arg;

	assert_true(g->n < MAXGOT);
	snprintf(g->domain[g->n], sizeof(g->domain[0]), "%s", domain);
	g->r[g->n++] = r;
}

/* A fresh fake resolver and direct router on port 2525. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->evb = event_base_new();
	f->dns = dns_fake_new();
	f->rt = router_new_direct(f->evb, f->dns, 2525);
	*state = f;
	return 0;
}

/* Free everything (the router before the resolver, as the engine does). */
static int
teardown(void **state)
{
	struct fixture *f = *state;

	router_free(f->rt);
	dns_resolver_free(f->dns);
	event_base_free(f->evb);
	free(f);
	return 0;
}

/* Add "name MX pref host". */
static void
add_mx(struct dns_resolver *d, const char *name, unsigned pref,
       const char *host)
{
	struct dns_rr rr = {.type = DNS_T_MX, .pref = pref};

	rr.name = (char *)host;
	dns_fake_add(d, name, &rr);
}

/* Add an A or AAAA record from an address literal. */
static void
add_addr(struct dns_resolver *d, const char *name, const char *addr)
{
	struct dns_rr rr = {0};

	if (strchr(addr, ':') != NULL) {
		rr.type = DNS_T_AAAA;
		rr.family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr, &rr.in6), 1);
	} else {
		rr.type = DNS_T_A;
		rr.family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &rr.in4), 1);
	}
	dns_fake_add(d, name, &rr);
}

/* Look one domain up and run the loop until it is answered. */
static const struct route *
route_of(struct fixture *f, const char *domain)
{
	size_t before = f->got.n;

	router_lookup(f->rt, domain, on_route, &f->got);
	event_base_dispatch(f->evb);
	assert_int_equal(f->got.n, before + 1);
	assert_string_equal(f->got.domain[before], domain);
	return f->got.r[before];
}

/* "ADDR:PORT" of address i of host h. */
static const char *
addr_of(const struct route_host *h, size_t i)
{
	static char buf[INET6_ADDRSTRLEN + 16];

	assert_true(i < h->addrs.n);
	return net_addr_str((const struct sockaddr *)&h->addrs.sa[i], buf,
	                    sizeof(buf));
}

/* A shuffle that never swaps. */
static unsigned
rnd_last(unsigned bound, void *arg)
{
	(void)arg;
	return bound - 1;
}

/* A shuffle that always swaps with the first. */
static unsigned
rnd_first(unsigned bound, void *arg)
{
	(void)arg;
	(void)bound;
	return 0;
}

/* Lowest preference first, addresses with the MX port. */
static void
test_pref_order(void **state)
{
	struct fixture *f = *state;
	const struct route *r;

	add_mx(f->dns, "a.test", 20, "mx2.p.test");
	add_mx(f->dns, "a.test", 10, "mx1.p.test");
	add_mx(f->dns, "a.test", 30, "mx3.p.test");
	add_addr(f->dns, "mx1.p.test", "127.0.0.11");
	add_addr(f->dns, "mx2.p.test", "127.0.0.12");
	add_addr(f->dns, "mx3.p.test", "127.0.0.13");
	r = route_of(f, "a.test");
	assert_int_equal(r->status, ROUTE_OK);
	assert_int_equal(r->nhosts, 3);
	assert_string_equal(r->hosts[0].name, "mx1.p.test");
	assert_int_equal(r->hosts[0].pref, 10);
	assert_string_equal(r->hosts[1].name, "mx2.p.test");
	assert_string_equal(r->hosts[2].name, "mx3.p.test");
	assert_int_equal(r->hosts[0].addrs.n, 1);
	assert_int_equal(r->hosts[0].addrs.port, 2525);
	assert_string_equal(r->hosts[0].addrs.host, "mx1.p.test");
	assert_string_equal(addr_of(&r->hosts[0], 0), "127.0.0.11:2525");
	assert_string_equal(addr_of(&r->hosts[2], 0), "127.0.0.13:2525");
	assert_string_equal(r->key, "mx:mx1.p.test;mx2.p.test;mx3.p.test");
}

/* Equal preferences are shuffled; the key does not depend on it. */
static void
test_equal_shuffled(void **state)
{
	struct fixture *f = *state;
	const struct route *r1, *r2;
	char first1[256], first2[256];

	add_mx(f->dns, "s.test", 10, "x.p.test");
	add_mx(f->dns, "s.test", 10, "y.p.test");
	add_mx(f->dns, "s.test", 20, "z.p.test");
	add_mx(f->dns, "t.test", 10, "x.p.test");
	add_mx(f->dns, "t.test", 10, "y.p.test");
	add_mx(f->dns, "t.test", 20, "z.p.test");
	add_addr(f->dns, "x.p.test", "127.0.0.21");
	add_addr(f->dns, "y.p.test", "127.0.0.22");
	add_addr(f->dns, "z.p.test", "127.0.0.23");
	router_direct_set_rand(f->rt, rnd_last, NULL);
	r1 = route_of(f, "s.test");
	router_direct_set_rand(f->rt, rnd_first, NULL);
	r2 = route_of(f, "t.test");
	snprintf(first1, sizeof(first1), "%s", r1->hosts[0].name);
	snprintf(first2, sizeof(first2), "%s", r2->hosts[0].name);
	/* The two shuffles put the other equal host first ... */
	assert_string_not_equal(first1, first2);
	assert_string_equal(r1->hosts[1].name, first2);
	assert_string_equal(r2->hosts[1].name, first1);
	/* ... the backup stays last, and the key is the same. */
	assert_string_equal(r1->hosts[2].name, "z.p.test");
	assert_string_equal(r2->hosts[2].name, "z.p.test");
	assert_string_equal(r1->key, "mx:x.p.test,y.p.test;z.p.test");
	assert_string_equal(r1->key, r2->key);
}

/* No MX: the domain is its own MX (RFC 5321 §5.1). */
static void
test_implicit_mx(void **state)
{
	struct fixture *f = *state;
	const struct route *r;

	add_addr(f->dns, "nomx.test", "127.0.0.30");
	add_addr(f->dns, "nomx.test", "::1");
	r = route_of(f, "nomx.test");
	assert_int_equal(r->status, ROUTE_OK);
	assert_int_equal(r->nhosts, 1);
	assert_string_equal(r->hosts[0].name, "nomx.test");
	assert_int_equal(r->hosts[0].addrs.n, 2);
	/* IPv6 and IPv4, interleaved, IPv6 first. */
	assert_string_equal(addr_of(&r->hosts[0], 0), "[::1]:2525");
	assert_string_equal(addr_of(&r->hosts[0], 1), "127.0.0.30:2525");
	assert_string_equal(r->key, "mx:nomx.test");
}

/* No MX and no address: failed. */
static void
test_implicit_no_address(void **state)
{
	struct fixture *f = *state;
	const struct route *r;
	struct dns_rr txt = {.type = DNS_T_TXT, .text = (char *)"v=spf1 -all"};

	dns_fake_add(f->dns, "bare.test", &txt);
	r = route_of(f, "bare.test");
	assert_int_equal(r->status, ROUTE_FAIL);
	assert_int_equal(r->nhosts, 0);
	assert_non_null(strstr(r->why, "no MX and no address"));
}

/* MX 0 "." (RFC 7505): failed at once, with the reason. */
static void
test_null_mx(void **state)
{
	struct fixture *f = *state;
	const struct route *r;
	unsigned q;

	add_mx(f->dns, "null.test", 0, ".");
	add_addr(f->dns, "null.test", "127.0.0.40");
	r = route_of(f, "null.test");
	assert_int_equal(r->status, ROUTE_FAIL);
	assert_string_equal(r->why,
	                    "null MX (RFC 7505): the domain accepts no mail");
	assert_int_equal(r->nhosts, 0);
	/* Only the MX query: no address is looked up for a null MX. */
	q = dns_fake_queries(f->dns);
	assert_int_equal(q, 1);
}

/* NXDOMAIN: failed. */
static void
test_nxdomain(void **state)
{
	struct fixture *f = *state;
	const struct route *r = route_of(f, "nowhere.test");

	assert_int_equal(r->status, ROUTE_FAIL);
	assert_string_equal(r->why, "no such domain (NXDOMAIN)");
}

/* SERVFAIL and timeouts defer; the answer is asked again after the TTL. */
static void
test_servfail_defer(void **state)
{
	struct fixture *f = *state;
	const struct route *r;
	struct mc_clock clk;
	unsigned q;

	mc_clock_fake_init(&clk, 1700000000);
	router_direct_set_clock(f->rt, &clk);
	router_direct_set_defer_ttl(f->rt, 5000);
	dns_fake_fail(f->dns, "broken.test", DNS_T_MX, DNS_SERVFAIL);
	dns_fake_fail(f->dns, "slow.test", DNS_T_MX, DNS_TIMEOUT);
	r = route_of(f, "broken.test");
	assert_int_equal(r->status, ROUTE_DEFER);
	assert_non_null(strstr(r->why, "DNS_SERVFAIL"));
	r = route_of(f, "slow.test");
	assert_int_equal(r->status, ROUTE_DEFER);
	assert_non_null(strstr(r->why, "DNS_TIMEOUT"));
	q = dns_fake_queries(f->dns);
	/* Within the TTL: the cached DEFER, no query. */
	mc_clock_fake_advance(&clk, 4000);
	r = route_of(f, "broken.test");
	assert_int_equal(r->status, ROUTE_DEFER);
	assert_int_equal(dns_fake_queries(f->dns), q);
	/* After it: asked again. */
	mc_clock_fake_advance(&clk, 2000);
	r = route_of(f, "broken.test");
	assert_int_equal(r->status, ROUTE_DEFER);
	assert_int_equal(dns_fake_queries(f->dns), q + 1);
}

/* An MX host without addresses is skipped; the next one is used. */
static void
test_host_without_address(void **state)
{
	struct fixture *f = *state;
	const struct route *r;

	add_mx(f->dns, "h.test", 10, "gone.p.test");
	add_mx(f->dns, "h.test", 20, "ok.p.test");
	add_addr(f->dns, "ok.p.test", "127.0.0.50");
	add_addr(f->dns, "ok.p.test", "127.0.0.51");
	r = route_of(f, "h.test");
	assert_int_equal(r->status, ROUTE_OK);
	assert_int_equal(r->nhosts, 1);
	assert_string_equal(r->hosts[0].name, "ok.p.test");
	assert_int_equal(r->hosts[0].addrs.n, 2);
	/* The key is still the MX host set. */
	assert_string_equal(r->key, "mx:gone.p.test;ok.p.test");
}

/* Every MX host unknown: failed; one with SERVFAIL: deferred. */
static void
test_hosts_unresolvable(void **state)
{
	struct fixture *f = *state;
	const struct route *r;

	add_mx(f->dns, "u.test", 10, "gone1.p.test");
	add_mx(f->dns, "u.test", 20, "gone2.p.test");
	r = route_of(f, "u.test");
	assert_int_equal(r->status, ROUTE_FAIL);
	assert_non_null(strstr(r->why, "no address for any MX host"));

	add_mx(f->dns, "v.test", 10, "gone1.p.test");
	add_mx(f->dns, "v.test", 20, "sick.p.test");
	dns_fake_fail(f->dns, "sick.p.test", DNS_T_A, DNS_SERVFAIL);
	r = route_of(f, "v.test");
	assert_int_equal(r->status, ROUTE_DEFER);
	assert_non_null(strstr(r->why, "no address for any MX host"));
}

/* 100 domains on one provider: one key, one route, hosts resolved once. */
static void
test_shared_key(void **state)
{
	struct fixture *f = *state;
	char name[64];

	add_addr(f->dns, "mx1.big.test", "127.0.0.61");
	add_addr(f->dns, "mx2.big.test", "127.0.0.62");
	router_direct_set_rand(f->rt, rnd_last, NULL);
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "d%d.test", i);
		add_mx(f->dns, name, 10, "mx1.big.test");
		add_mx(f->dns, name, 20, "MX2.big.test."); /* case, dot */
	}
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "d%d.test", i);
		router_lookup(f->rt, name, on_route, &f->got);
	}
	event_base_dispatch(f->evb);
	assert_int_equal(f->got.n, 100);
	for (size_t i = 0; i < 100; i++) {
		assert_int_equal(f->got.r[i]->status, ROUTE_OK);
		assert_string_equal(f->got.r[i]->key,
		                    "mx:mx1.big.test;mx2.big.test");
		/* Identical answers share one struct route. */
		assert_ptr_equal(f->got.r[i], f->got.r[0]);
	}
	assert_string_equal(f->got.r[0]->hosts[1].name, "mx2.big.test");
	/* 100 MX queries + A and AAAA of the two hosts. */
	assert_int_equal(dns_fake_queries(f->dns), 104);
}

/* Lookups in flight merge; a cached answer comes back at once. */
static void
test_merge_and_cache(void **state)
{
	struct fixture *f = *state;

	add_mx(f->dns, "m.test", 10, "mx.m.test");
	add_addr(f->dns, "mx.m.test", "127.0.0.70");
	router_lookup(f->rt, "m.test", on_route, &f->got);
	router_lookup(f->rt, "m.test", on_route, &f->got);
	router_lookup(f->rt, "m.test", on_route, &f->got);
	assert_int_equal(f->got.n, 0);
	event_base_dispatch(f->evb);
	assert_int_equal(f->got.n, 3);
	assert_ptr_equal(f->got.r[0], f->got.r[1]);
	assert_ptr_equal(f->got.r[0], f->got.r[2]);
	/* One MX query, one A, one AAAA. */
	assert_int_equal(dns_fake_queries(f->dns), 3);
	/* Cached: the callback runs before router_lookup() returns. */
	router_lookup(f->rt, "M.test.", on_route, &f->got);
	assert_int_equal(f->got.n, 4);
	assert_ptr_equal(f->got.r[3], f->got.r[0]);
	assert_int_equal(dns_fake_queries(f->dns), 3);
}

/* At most ROUTE_HOSTS_MAX hosts and NET_ADDRS_MAX addresses each. */
static void
test_limits(void **state)
{
	struct fixture *f = *state;
	const struct route *r;
	char host[64], addr[64];

	for (int i = 0; i < 12; i++) {
		snprintf(host, sizeof(host), "mx%02d.l.test", i);
		add_mx(f->dns, "l.test", (unsigned)(10 + i), host);
		snprintf(addr, sizeof(addr), "127.0.1.%d", i + 1);
		add_addr(f->dns, host, addr);
	}
	for (int i = 0; i < 20; i++) {
		snprintf(addr, sizeof(addr), "127.0.2.%d", i + 1);
		add_addr(f->dns, "mx00.l.test", addr);
	}
	r = route_of(f, "l.test");
	assert_int_equal(r->status, ROUTE_OK);
	assert_int_equal(r->nhosts, ROUTE_HOSTS_MAX);
	assert_string_equal(r->hosts[ROUTE_HOSTS_MAX - 1].name, "mx07.l.test");
	assert_int_equal(r->hosts[0].addrs.n, NET_ADDRS_MAX);
}

/* Duplicate MX names count once; a bad name fails without a query. */
static void
test_duplicates_and_bad_names(void **state)
{
	struct fixture *f = *state;
	const struct route *r;

	add_mx(f->dns, "dup.test", 10, "mx.dup.test");
	add_mx(f->dns, "dup.test", 20, "MX.dup.test");
	add_addr(f->dns, "mx.dup.test", "127.0.0.80");
	r = route_of(f, "dup.test");
	assert_int_equal(r->nhosts, 1);
	assert_int_equal(r->hosts[0].pref, 10);
	r = route_of(f, "bad..test");
	assert_int_equal(r->status, ROUTE_FAIL);
	assert_string_equal(r->why, "not a valid domain name");
}

/* Freed with queries in flight: no callback, nothing leaks (ASan). */
static void
test_free_pending(void **state)
{
	struct fixture *f = *state;

	add_mx(f->dns, "p.test", 10, "mx.p.test");
	router_lookup(f->rt, "p.test", on_route, &f->got);
	router_free(f->rt);
	f->rt = NULL;
	/* The resolver answers later: the orphaned queries are dropped. */
	dns_process(f->dns, NULL, 0);
	assert_int_equal(f->got.n, 0);
}

/* Freeing the router from inside its callback. */
static void
on_route_free(void *arg, const char *domain, const struct route *r)
{
	struct fixture *f = arg;

	(void)domain;
	(void)r;
	f->got.n++;
	router_free(f->rt);
	f->rt = NULL;
}

/* router_free() from a callback is safe; later waiters are not called. */
static void
test_free_in_callback(void **state)
{
	struct fixture *f = *state;

	add_mx(f->dns, "c.test", 10, "mx.c.test");
	add_addr(f->dns, "mx.c.test", "127.0.0.90");
	router_lookup(f->rt, "c.test", on_route_free, f);
	router_lookup(f->rt, "c.test", on_route_free, f);
	event_base_dispatch(f->evb);
	assert_int_equal(f->got.n, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pref_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_equal_shuffled, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_implicit_mx, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_implicit_no_address, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_null_mx, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nxdomain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_servfail_defer, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_host_without_address, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_hosts_unresolvable, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_shared_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_merge_and_cache, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicates_and_bad_names,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_pending, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_in_callback, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
