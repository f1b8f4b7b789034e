/*
 * route_probe.c — a test tool: route domains through the direct router
 * with a real DNS server, print one line per domain, in the order given:
 *
 *   DOMAIN<TAB>STATUS<TAB>KEY<TAB>HOSTS<TAB>WHY
 *
 * HOSTS is "name/pref=addr,addr name/pref=addr" in the order to try.
 * Every lookup is started before the event loop runs, so lookups of one
 * domain given twice are merged and hosts shared by domains are asked once.
 *
 * Usage: route_probe DNS_SERVER MX_PORT DOMAIN...
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "dns/dns.h"
#include "engine/route.h"

static const char *status_name[] = {"OK", "DEFER", "FAIL"};

/* Keep the answer for domain i. */
static void
on_route(void *arg, const char *domain, const struct route *r)
{
	const struct route **slot = arg;

	(void)domain;
	*slot = r;
}

int
main(int argc, char **argv)
{
	struct dns_resolver *dns;
	struct event_base *evb;
	struct router *rt;
	const struct route **got;
	char err[256];
	int nd, port, rc = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: route_probe DNS_SERVER MX_PORT "
		                "DOMAIN...\n");
		return EX_USAGE;
	}
	port = atoi(argv[2]);
	if (dns_cares_new(argv[1], 1000, 3, &dns, err, sizeof(err)) < 0) {
		fprintf(stderr, "route_probe: %s\n", err);
		return EX_USAGE;
	}
	evb = event_base_new();
	rt = router_new_direct(evb, dns, port);
	nd = argc - 3;
	got = calloc((size_t)nd, sizeof(*got));
	for (int i = 0; i < nd; i++)
		router_lookup(rt, argv[3 + i], on_route, &got[i]);
	event_base_dispatch(evb);
	for (int i = 0; i < nd; i++) {
		const struct route *r = got[i];

		if (r == NULL) {
			printf("%s\tNONE\t\t\tno answer\n", argv[3 + i]);
			rc = 1;
			continue;
		}
		printf("%s\t%s\t%s\t", argv[3 + i], status_name[r->status],
		       r->key);
		for (size_t h = 0; h < r->nhosts; h++) {
			const struct route_host *rh = &r->hosts[h];

			printf("%s%s/%d=", h ? " " : "", rh->name, rh->pref);
			for (size_t a = 0; a < rh->addrs.n; a++) {
				char buf[80];

				printf("%s%s", a ? "," : "",
				       net_addr_str((const struct sockaddr *)&rh
				                        ->addrs.sa[a],
				                    buf, sizeof(buf)));
			}
		}
		printf("\t%s\n", r->why);
	}
	router_free(rt);
	dns_resolver_free(dns);
	event_base_free(evb);
	free(got);
	return rc;
}
