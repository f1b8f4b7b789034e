/*
 * mx_order.h — where mail for a domain goes (RFC 5321 §5.1, RFC 7505).
 *
 * mx_order() turns the answer to an MX query into the ordered list of hosts
 * to try: lowest preference first, hosts of equal preference shuffled (the
 * shuffle takes a random function so tests can fix it); no MX records
 * (NODATA) means the implicit MX, the domain itself; a single MX "." is the
 * null MX: the domain accepts no mail.  NXDOMAIN and failures are errors.
 *
 * Ownership: struct mx_list is caller-owned; mx_list_fini() frees the names.
 * Errors: MC_ENOHOST (NXDOMAIN), MC_EPERMFAIL (null MX), MC_ETEMPFAIL
 * (timeout, SERVFAIL, refused), MC_EDATA (a malformed answer).
 */
#ifndef MC_DNS_MX_ORDER_H
#define MC_DNS_MX_ORDER_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/dns.h"

struct mx_host {
	char *name;
	unsigned pref;
};

struct mx_list {
	size_t n;
	struct mx_host *host;
	bool implicit; /* no MX: the domain itself */
	bool null_mx;  /* RFC 7505 */
};

/* Returns a number in [0, bound). */
typedef unsigned mx_rand_fn(unsigned bound, void *arg);

/* Order the MX answer for domain; rnd NULL uses random(3). */
int mx_order(const char *domain, const struct dns_answer *mx, mx_rand_fn *rnd,
             void *rnd_arg, struct mx_list *out);
void mx_list_fini(struct mx_list *l);

#endif
