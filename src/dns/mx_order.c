/*
 * mx_order.c — the hosts to try for a domain, in RFC 5321 §5.1 order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xmalloc.h"
#include "dns/mx_order.h"

/* random(3) as an mx_rand_fn. */
static unsigned
default_rand(unsigned bound, void *arg)
{
	(void)arg;
	return (unsigned)random() % bound;
}

/* Preference order; stable ties are shuffled afterwards. */
static int
cmp_pref(const void *a, const void *b)
{
	const struct mx_host *x = a, *y = b;

	return x->pref < y->pref ? -1 : x->pref > y->pref;
}

/* Is this exchange the root, i.e. a null MX target? */
static int
is_root(const char *name)
{
	return name == NULL || name[0] == '\0' || strcmp(name, ".") == 0;
}

/* Order an MX answer. */
int
mx_order(const char *domain, const struct dns_answer *mx, mx_rand_fn *rnd,
         void *rnd_arg, struct mx_list *out)
{
	size_t i, j;

	memset(out, 0, sizeof(*out));
	if (rnd == NULL)
		rnd = default_rand;
	switch (mx->status) {
	case DNS_OK:
		break;
	case DNS_NODATA:
		/* RFC 5321 §5.1: no MX, the domain is its own implicit MX. */
		out->implicit = true;
		out->n = 1;
		out->host = xcalloc(1, sizeof(*out->host));
		out->host[0].name = xstrdup(domain);
		return 0;
	case DNS_NXDOMAIN:
		return MC_ENOHOST;
	case DNS_BADRESP:
		return MC_EDATA;
	default:
		return MC_ETEMPFAIL;
	}
	/* RFC 7505: a single MX whose exchange is "." says "no mail". */
	if (mx->n == 1 && is_root(mx->rr[0].name)) {
		out->null_mx = true;
		return MC_EPERMFAIL;
	}
	out->host = xcalloc(mx->n ? mx->n : 1, sizeof(*out->host));
	for (i = 0; i < mx->n; i++) {
		/* A "." among real hosts is a misconfiguration: skip it. */
		if (mx->rr[i].type != DNS_T_MX || is_root(mx->rr[i].name))
			continue;
		out->host[out->n].name = xstrdup(mx->rr[i].name);
		out->host[out->n].pref = mx->rr[i].pref;
		out->n++;
	}
	if (out->n == 0) {
		mx_list_fini(out);
		out->implicit = true;
		out->n = 1;
		out->host = xcalloc(1, sizeof(*out->host));
		out->host[0].name = xstrdup(domain);
		return 0;
	}
	qsort(out->host, out->n, sizeof(*out->host), cmp_pref);
	/* Fisher-Yates within each run of equal preference. */
	for (i = 0; i < out->n; i = j) {
		for (j = i + 1;
		     j < out->n && out->host[j].pref == out->host[i].pref; j++)
			;
		for (size_t k = j - 1; k > i; k--) {
			size_t pick = i + rnd((unsigned)(k - i + 1), rnd_arg);
			struct mx_host t = out->host[k];

			out->host[k] = out->host[pick];
			out->host[pick] = t;
		}
	}
	return 0;
}

/* Free the names. */
void
mx_list_fini(struct mx_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->host[i].name);
	free(l->host);
	l->host = NULL;
	l->n = 0;
}
