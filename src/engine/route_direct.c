/*
 * route_direct.c — the direct router: MX lookups through src/dns.
 *
 * A domain is resolved in two steps: its MX answer (mx_order: preference
 * order, equal preferences shuffled, implicit and null MX), then A and AAAA
 * of every MX host, through the same resolver.  Host answers are kept in a
 * cache of their own, so 10,000 domains hosted on one provider cost one MX
 * query each but the provider's hosts are resolved once.  Lookups of a
 * domain (or host) already in flight wait for that answer instead of
 * asking again.
 *
 * Memory: a struct route is about 20 KiB (ROUTE_HOSTS_MAX hosts of
 * NET_ADDRS_MAX addresses each), so routes are interned: domains whose
 * answers are identical (same status, reason, key, hosts in the same order
 * with the same addresses) share one struct route.  A campaign to a
 * million recipients on a few providers holds a handful of them.
 *
 * DEFER answers are kept ROUTE_DEFER_TTL_MS, then asked again; the earlier
 * struct route stays valid (interned routes live until router_free).
 *
 * Event loop: the resolver is poll-based.  After every change the router
 * asks dns_fds() for the sockets and the next deadline and arms one
 * one-shot event per socket plus a timer; when one fires, all are removed
 * before dns_process() runs (c-ares may close a socket while processing).
 */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <event2/event.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "dns/dns.h"
#include "dns/mx_order.h"
#include "engine/route_int.h"

#define DIRECT_FDS_MAX 16 /* resolver sockets watched at once */

/* Why a failed route failed, also the text the ledger shows. */
#define WHY_NULL_MX  "null MX (RFC 7505): the domain accepts no mail"
#define WHY_NXDOMAIN "no such domain (NXDOMAIN)"

/* A chained hash table of named nodes (domains, hosts, routes). */
struct hnode {
	struct hnode *next;
	char *name;
	uint64_t hash;
};

struct htab {
	struct hnode **b;
	size_t nb, n;
};

enum look_state {
	LOOK_BUSY, /* queries in flight */
	LOOK_DONE,
};

/* One MX host: its addresses, shared by every domain that names it. */
struct mxhost {
	struct hnode node; /* first */
	enum look_state state;
	int nq; /* A/AAAA queries in flight */
	struct in_addr v4[NET_ADDRS_MAX];
	size_t n4;
	struct in6_addr v6[NET_ADDRS_MAX];
	size_t n6;
	bool temp;     /* a query failed temporarily */
	char why[128]; /* the first failure, for the route's reason */
	uint64_t done_ms;
	struct domain **wait; /* domains waiting for this host */
	size_t nwait;
};

struct waiter {
	route_cb *cb;
	void *arg;
};

/* One recipient domain. */
struct domain {
	struct hnode node; /* first */
	enum look_state state;
	const struct route *route; /* interned; NULL while busy */
	uint64_t done_ms;
	struct waiter *w;
	size_t nw;
	struct mxhost *host[ROUTE_HOSTS_MAX]; /* MX hosts, in order */
	unsigned pref[ROUTE_HOSTS_MAX];
	size_t nhost;
	size_t npending; /* hosts not yet resolved */
	bool implicit;
};

/* An interned route; node.name is its signature. */
struct iroute {
	struct hnode node; /* first */
	struct route route;
};

/* One query in flight; orphaned (r = NULL) when the router is freed. */
struct ticket {
	struct direct_router *r;
	struct ticket *prev, *next;
	void *obj; /* struct domain (MX) or struct mxhost (A, AAAA) */
	enum dns_type type;
};

struct direct_router {
	struct router base; /* first */
	struct event_base *evb;
	struct dns_resolver *dns;
	int port;
	struct htab doms, hosts, routes;
	struct ticket *tickets;
	struct event *fdev[DIRECT_FDS_MAX];
	int nfdev;
	struct event *timer;
	int depth;  /* >0 while inside the router's own call chain */
	bool dying; /* router_free() was called at depth > 0 */
	bool dirty; /* the resolver's sockets may have changed */
	mx_rand_fn *rnd;
	void *rnd_arg;
	const struct mc_clock *clock;
	unsigned defer_ttl;
};

static void direct_rearm(struct direct_router *r);
static void host_start(struct direct_router *r, struct mxhost *h);
static void domain_finish(struct direct_router *r, struct domain *d);

/* FNV-1a, 64 bits. */
static uint64_t
hash_str(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

/* Find a node by name. */
static struct hnode *
htab_get(const struct htab *t, const char *name)
{
	uint64_t h = hash_str(name);

	if (t->nb == 0)
		return NULL;
	for (struct hnode *n = t->b[h & (t->nb - 1)]; n != NULL; n = n->next)
		if (n->hash == h && strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

/* Insert a node whose name is set (it must not be there yet). */
static void
htab_put(struct htab *t, struct hnode *n)
{
	n->hash = hash_str(n->name);
	if (t->n >= t->nb) {
		size_t nb = t->nb ? t->nb * 2 : 64;
		struct hnode **b = xcalloc(nb, sizeof(*b));

		for (size_t i = 0; i < t->nb; i++) {
			struct hnode *x, *next;

			for (x = t->b[i]; x != NULL; x = next) {
				next = x->next;
				x->next = b[x->hash & (nb - 1)];
				b[x->hash & (nb - 1)] = x;
			}
		}
		free(t->b);
		t->b = b;
		t->nb = nb;
	}
	n->next = t->b[n->hash & (t->nb - 1)];
	t->b[n->hash & (t->nb - 1)] = n;
	t->n++;
}

/* Free every node with fn, then the table. */
static void
htab_fini(struct htab *t, void (*fn)(struct hnode *))
{
	for (size_t i = 0; i < t->nb; i++) {
		struct hnode *x, *next;

		for (x = t->b[i]; x != NULL; x = next) {
			next = x->next;
			fn(x);
		}
	}
	free(t->b);
	memset(t, 0, sizeof(*t));
}

/* A domain or host name in canonical form: lower case, no final dot.
 * Returns false for a name that cannot be looked up. */
static bool
name_canon(const char *in, char *out, size_t outsz)
{
	size_t n = strlen(in);

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n > DNS_NAME_MAX - 2 || n >= outsz)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (!isalnum(c) && c != '-' && c != '.' && c != '_')
			return false;
		if (c == '.' && (i == 0 || in[i - 1] == '.'))
			return false;
		out[i] = (char)tolower(c);
	}
	out[n] = '\0';
	return true;
}

/* The router's clock, now. */
static uint64_t
now_ms(const struct direct_router *r)
{
	return mc_clock_mono_ms(r->clock);
}

/* Start a query with a ticket that survives router_free(). */
static void
ticket_query(struct direct_router *r, const char *name, enum dns_type type,
             void *obj, dns_cb *cb)
{
	struct ticket *t = xcalloc(1, sizeof(*t));

	t->r = r;
	t->obj = obj;
	t->type = type;
	t->next = r->tickets;
	if (r->tickets != NULL)
		r->tickets->prev = t;
	r->tickets = t;
	r->dirty = true;
	(void)dns_query(r->dns, name, type, cb, t);
}

/* Take a ticket off the router's list and free it; its router (NULL
 * when orphaned) is returned. */
static struct direct_router *
ticket_done(struct ticket *t)
{
	struct direct_router *r = t->r;

	if (r != NULL) {
		if (t->prev != NULL)
			t->prev->next = t->next;
		else
			r->tickets = t->next;
		if (t->next != NULL)
			t->next->prev = t->prev;
	}
	free(t);
	return r;
}

/* Release everything; no callback runs afterwards. */
static void direct_destroy(struct direct_router *r);

/* Leave the router's call chain; free it if router_free() came meanwhile. */
static void
direct_leave(struct direct_router *r)
{
	assert(r->depth > 0);
	if (--r->depth > 0)
		return;
	if (r->dying)
		direct_destroy(r);
	else if (r->dirty) {
		r->dirty = false;
		direct_rearm(r);
	}
}

/* A libevent socket or timer event: hand it to the resolver. */
static void
on_event(evutil_socket_t fd, short what, void *arg)
{
	struct direct_router *r = arg;
	struct pollfd p;

	/* Remove every event first: processing may close sockets. */
	for (int i = 0; i < r->nfdev; i++)
		event_free(r->fdev[i]);
	r->nfdev = 0;
	evtimer_del(r->timer);
	r->dirty = true;
	r->depth++;
	if (what & (EV_READ | EV_WRITE)) {
		p.fd = fd;
		p.events = 0;
		p.revents = (short)(((what & EV_READ) ? POLLIN : 0) |
		                    ((what & EV_WRITE) ? POLLOUT : 0));
		dns_process(r->dns, &p, 1);
	} else
		dns_process(r->dns, NULL, 0);
	direct_leave(r);
}

/* Watch the resolver's sockets and deadline (nothing when idle). */
static void
direct_rearm(struct direct_router *r)
{
	struct pollfd fds[DIRECT_FDS_MAX];
	struct timeval tv;
	int n, tmo = -1;

	for (int i = 0; i < r->nfdev; i++)
		event_free(r->fdev[i]);
	r->nfdev = 0;
	evtimer_del(r->timer);
	if (r->dns->ops->pending(r->dns) == 0)
		return;
	n = dns_fds(r->dns, fds, DIRECT_FDS_MAX, &tmo);
	for (int i = 0; i < n; i++) {
		short ev = (short)(((fds[i].events & POLLIN) ? EV_READ : 0) |
		                   ((fds[i].events & POLLOUT) ? EV_WRITE : 0));

		if (ev == 0)
			continue;
		r->fdev[r->nfdev] =
		    event_new(r->evb, fds[i].fd, ev, on_event, r);
		event_add(r->fdev[r->nfdev], NULL);
		r->nfdev++;
	}
	/* Queries pending without a deadline: look again soon anyway. */
	if (tmo < 0)
		tmo = 1000;
	tv.tv_sec = tmo / 1000;
	tv.tv_usec = (tmo % 1000) * 1000;
	evtimer_add(r->timer, &tv);
}

/* The route's signature: everything a user of the route can see. */
static char *
route_signature(const struct route *rt)
{
	struct buf b;
	char *s;

	buf_init(&b);
	buf_printf(&b, "%d|%s|%s|", (int)rt->status, rt->why, rt->key);
	for (size_t i = 0; i < rt->nhosts; i++) {
		const struct route_host *h = &rt->hosts[i];

		buf_printf(&b, "%s %d", h->name, h->pref);
		for (size_t j = 0; j < h->addrs.n; j++) {
			char a[INET6_ADDRSTRLEN + 16];

			net_addr_str((const struct sockaddr *)&h->addrs.sa[j],
			             a, sizeof(a));
			buf_printf(&b, " %s", a);
		}
		buf_printf(&b, ";");
	}
	s = buf_steal(&b, NULL);
	return s;
}

/* The shared copy of rt. */
static const struct route *
route_intern(struct direct_router *r, const struct route *rt)
{
	char *sig = route_signature(rt);
	struct hnode *n = htab_get(&r->routes, sig);
	struct iroute *ir;

	if (n != NULL) {
		free(sig);
		return &((struct iroute *)n)->route;
	}
	ir = xcalloc(1, sizeof(*ir));
	ir->node.name = sig;
	ir->route = *rt;
	htab_put(&r->routes, &ir->node);
	return &ir->route;
}

/* Order MX hosts for the key: preference, then name. */
static int
cmp_key(const void *a, const void *b)
{
	const struct mx_host *x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * The destination key: the MX host set, names sorted within each
 * preference, preference groups separated by ';' in order ("mx:a,b;c").
 * Domains with the same MX records share it.  A key longer than the
 * field is replaced by a hash of it.
 */
static void
domain_key(const struct domain *d, char *key, size_t keysz)
{
	struct mx_host hs[ROUTE_HOSTS_MAX];
	struct buf b;

	for (size_t i = 0; i < d->nhost; i++) {
		hs[i].name = d->host[i]->node.name;
		hs[i].pref = d->pref[i];
	}
	qsort(hs, d->nhost, sizeof(hs[0]), cmp_key);
	buf_init(&b);
	buf_printf(&b, "mx:");
	for (size_t i = 0; i < d->nhost; i++) {
		if (i > 0)
			buf_printf(&b, "%s",
			           hs[i].pref == hs[i - 1].pref ? "," : ";");
		buf_printf(&b, "%s", hs[i].name);
	}
	if (buf_len(&b) < keysz)
		mc_strlcpy(key, buf_cstr(&b), keysz);
	else
		snprintf(key, keysz, "mx#%016llx",
		         (unsigned long long)hash_str(buf_cstr(&b)));
	buf_fini(&b);
}

/* The host's addresses for port: IPv6 and IPv4 interleaved, IPv6 first. */
static void
host_addrs(const struct mxhost *h, int port, struct net_addrs *a)
{
	size_t i4 = 0, i6 = 0;

	memset(a, 0, sizeof(*a));
	mc_strlcpy(a->host, h->node.name, sizeof(a->host));
	a->port = port;
	while (a->n < NET_ADDRS_MAX && (i4 < h->n4 || i6 < h->n6)) {
		if (i6 < h->n6 && (a->n % 2 == 0 || i4 >= h->n4)) {
			struct sockaddr_in6 *s6 =
			    (struct sockaddr_in6 *)&a->sa[a->n];

			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons((uint16_t)port);
			s6->sin6_addr = h->v6[i6++];
			a->len[a->n++] = sizeof(*s6);
		} else {
			struct sockaddr_in *s4 =
			    (struct sockaddr_in *)&a->sa[a->n];

			s4->sin_family = AF_INET;
			s4->sin_port = htons((uint16_t)port);
			s4->sin_addr = h->v4[i4++];
			a->len[a->n++] = sizeof(*s4);
		}
	}
}

/* Deliver a domain's answer to everyone waiting for it. */
static void
domain_deliver(struct direct_router *r, struct domain *d)
{
	struct waiter *w = d->w;
	size_t nw = d->nw;

	d->w = NULL;
	d->nw = 0;
	for (size_t i = 0; i < nw && !r->dying; i++)
		w[i].cb(w[i].arg, d->node.name, d->route);
	free(w);
}

/* A domain's answer without hosts. */
static void
domain_fail(struct direct_router *r, struct domain *d, enum route_status st,
            const char *why)
{
	struct route rt;

	memset(&rt, 0, sizeof(rt));
	rt.status = st;
	mc_strlcpy(rt.why, why, sizeof(rt.why));
	d->route = route_intern(r, &rt);
	d->state = LOOK_DONE;
	d->done_ms = now_ms(r);
	d->nhost = 0;
	domain_deliver(r, d);
}

/* Every MX host of d is resolved: build, intern and deliver the route. */
static void
domain_finish(struct direct_router *r, struct domain *d)
{
	struct route *rt = xcalloc(1, sizeof(*rt));
	const struct mxhost *firstbad = NULL;
	bool temp = false;

	for (size_t i = 0; i < d->nhost; i++) {
		const struct mxhost *h = d->host[i];
		struct route_host *rh;

		if (h->n4 + h->n6 == 0) {
			temp |= h->temp;
			if (firstbad == NULL)
				firstbad = h;
			continue;
		}
		rh = &rt->hosts[rt->nhosts++];
		mc_strlcpy(rh->name, h->node.name, sizeof(rh->name));
		rh->pref = (int)d->pref[i];
		host_addrs(h, r->port, &rh->addrs);
	}
	if (rt->nhosts > 0) {
		rt->status = ROUTE_OK;
		domain_key(d, rt->key, sizeof(rt->key));
	} else {
		rt->status = temp ? ROUTE_DEFER : ROUTE_FAIL;
		if (d->implicit)
			snprintf(rt->why, sizeof(rt->why),
			         "no MX and no address for the domain: %s",
			         firstbad ? firstbad->why : "?");
		else
			snprintf(rt->why, sizeof(rt->why),
			         "no address for any MX host (%s: %s)",
			         firstbad ? firstbad->node.name : "?",
			         firstbad ? firstbad->why : "?");
	}
	d->route = route_intern(r, rt);
	free(rt);
	d->state = LOOK_DONE;
	d->done_ms = now_ms(r);
	domain_deliver(r, d);
}

/* Is this cached answer still good? (DEFER answers age.) */
static bool
domain_fresh(const struct direct_router *r, const struct domain *d)
{
	return d->route->status != ROUTE_DEFER ||
	       now_ms(r) - d->done_ms < r->defer_ttl;
}

/* Is this host's cached answer still good? (temporary failures age.) */
static bool
host_fresh(const struct direct_router *r, const struct mxhost *h)
{
	return h->n4 + h->n6 > 0 || !h->temp ||
	       now_ms(r) - h->done_ms < r->defer_ttl;
}

/* An A or AAAA answer for an MX host. */
static void
on_addr(const struct dns_answer *ans, void *arg)
{
	struct ticket *t = arg;
	enum dns_type type = t->type;
	struct mxhost *h = t->obj;
	struct direct_router *r = ticket_done(t);
	struct domain **wait;
	size_t nwait;

	if (r == NULL)
		return;
	if (ans->status == DNS_OK) {
		for (size_t i = 0; i < ans->n; i++) {
			const struct dns_rr *rr = &ans->rr[i];

			if (type == DNS_T_A && rr->family == AF_INET &&
			    h->n4 < NET_ADDRS_MAX)
				h->v4[h->n4++] = rr->in4;
			else if (type == DNS_T_AAAA && rr->family == AF_INET6 &&
			         h->n6 < NET_ADDRS_MAX)
				h->v6[h->n6++] = rr->in6;
		}
	} else if (ans->status != DNS_NODATA) {
		bool temp = ans->status != DNS_NXDOMAIN;

		/* The first reason, or a temporary one over a permanent. */
		if (h->why[0] == '\0' || (temp && !h->temp))
			snprintf(
			    h->why, sizeof(h->why), "%s %s: %.80s",
			    dns_type_name(type), dns_status_name(ans->status),
			    ans->error[0] ? ans->error
			                  : dns_status_phrase(ans->status));
		h->temp |= temp;
	}
	if (--h->nq > 0)
		return;
	if (h->n4 + h->n6 == 0 && h->why[0] == '\0')
		mc_strlcpy(h->why, "no A or AAAA record", sizeof(h->why));
	h->state = LOOK_DONE;
	h->done_ms = now_ms(r);
	wait = h->wait;
	nwait = h->nwait;
	h->wait = NULL;
	h->nwait = 0;
	for (size_t i = 0; i < nwait && !r->dying; i++)
		if (--wait[i]->npending == 0)
			domain_finish(r, wait[i]);
	free(wait);
}

/* Ask for a host's addresses (again). */
static void
host_start(struct direct_router *r, struct mxhost *h)
{
	h->state = LOOK_BUSY;
	h->n4 = h->n6 = 0;
	h->temp = false;
	h->why[0] = '\0';
	h->nq = 2;
	ticket_query(r, h->node.name, DNS_T_AAAA, h, on_addr);
	ticket_query(r, h->node.name, DNS_T_A, h, on_addr);
}

/* The host entry for name, created (not started) when new. */
static struct mxhost *
host_get(struct direct_router *r, const char *name, bool *isnew)
{
	struct hnode *n = htab_get(&r->hosts, name);
	struct mxhost *h;

	*isnew = n == NULL;
	if (n != NULL)
		return (struct mxhost *)n;
	h = xcalloc(1, sizeof(*h));
	h->node.name = xstrdup(name);
	htab_put(&r->hosts, &h->node);
	return h;
}

/* Make d wait for h, starting h's queries when it has no good answer. */
static void
domain_use_host(struct direct_router *r, struct domain *d, struct mxhost *h,
                bool isnew)
{
	if (h->state == LOOK_DONE && !isnew && host_fresh(r, h))
		return;
	h->wait = xreallocarray(h->wait, h->nwait + 1, sizeof(*h->wait));
	h->wait[h->nwait++] = d;
	d->npending++;
	if (isnew || h->state == LOOK_DONE)
		host_start(r, h);
}

/* The MX answer for a domain. */
static void
on_mx(const struct dns_answer *ans, void *arg)
{
	struct ticket *t = arg;
	struct domain *d = t->obj;
	struct direct_router *r = ticket_done(t);
	struct mx_list mx;
	char why[256];
	int rc;

	if (r == NULL)
		return;
	rc = mx_order(d->node.name, ans, r->rnd, r->rnd_arg, &mx);
	switch (rc) {
	case 0:
		break;
	case MC_ENOHOST:
		domain_fail(r, d, ROUTE_FAIL, WHY_NXDOMAIN);
		return;
	case MC_EPERMFAIL:
		domain_fail(r, d, ROUTE_FAIL, WHY_NULL_MX);
		return;
	default:
		snprintf(why, sizeof(why), "MX lookup: %s (%s)",
		         ans->error[0] ? ans->error
		                       : dns_status_phrase(ans->status),
		         dns_status_name(ans->status));
		domain_fail(r, d, ROUTE_DEFER, why);
		return;
	}
	d->implicit = mx.implicit;
	d->nhost = 0;
	d->npending = 0;
	for (size_t i = 0; i < mx.n && d->nhost < ROUTE_HOSTS_MAX; i++) {
		char name[DNS_NAME_MAX + 1];
		bool dup = false, isnew;

		if (!name_canon(mx.host[i].name, name, sizeof(name)))
			continue;
		for (size_t j = 0; j < d->nhost; j++)
			dup |= strcmp(d->host[j]->node.name, name) == 0;
		if (dup)
			continue;
		d->pref[d->nhost] = mx.host[i].pref;
		d->host[d->nhost++] = host_get(r, name, &isnew);
		domain_use_host(r, d, d->host[d->nhost - 1], isnew);
	}
	mx_list_fini(&mx);
	if (d->nhost == 0)
		domain_fail(r, d, ROUTE_FAIL, "no usable MX host name");
	else if (d->npending == 0)
		domain_finish(r, d);
}

/* The router_lookup() of direct routers. */
static void
direct_lookup(struct router *base, const char *domain, route_cb *cb, void *arg)
{
	struct direct_router *r = (struct direct_router *)base;
	char name[DNS_NAME_MAX + 1];
	struct hnode *n;
	struct domain *d;
	struct route rt;

	r->depth++;
	if (!name_canon(domain, name, sizeof(name))) {
		memset(&rt, 0, sizeof(rt));
		rt.status = ROUTE_FAIL;
		mc_strlcpy(rt.why, "not a valid domain name", sizeof(rt.why));
		cb(arg, domain, route_intern(r, &rt));
		goto done;
	}
	n = htab_get(&r->doms, name);
	d = (struct domain *)n;
	if (d != NULL && d->state == LOOK_DONE && domain_fresh(r, d)) {
		cb(arg, domain, d->route);
		goto done;
	}
	if (d == NULL) {
		d = xcalloc(1, sizeof(*d));
		d->node.name = xstrdup(name);
		d->state = LOOK_DONE; /* started below */
		htab_put(&r->doms, &d->node);
	}
	d->w = xreallocarray(d->w, d->nw + 1, sizeof(*d->w));
	d->w[d->nw].cb = cb;
	d->w[d->nw].arg = arg;
	d->nw++;
	if (d->state == LOOK_DONE) {
		d->state = LOOK_BUSY;
		d->route = NULL;
		ticket_query(r, name, DNS_T_MX, d, on_mx);
	}
done:
	direct_leave(r);
}

/* Free a domain node. */
static void
free_domain(struct hnode *n)
{
	struct domain *d = (struct domain *)n;

	free(d->w);
	free(d->node.name);
	free(d);
}

/* Free a host node. */
static void
free_host(struct hnode *n)
{
	struct mxhost *h = (struct mxhost *)n;

	free(h->wait);
	free(h->node.name);
	free(h);
}

/* Free an interned route. */
static void
free_route(struct hnode *n)
{
	free(n->name);
	free(n);
}

/* Release everything; queries still in flight are orphaned. */
static void
direct_destroy(struct direct_router *r)
{
	for (struct ticket *t = r->tickets; t != NULL; t = t->next)
		t->r = NULL;
	for (int i = 0; i < r->nfdev; i++)
		event_free(r->fdev[i]);
	event_free(r->timer);
	htab_fini(&r->doms, free_domain);
	htab_fini(&r->hosts, free_host);
	htab_fini(&r->routes, free_route);
	free(r);
}

/* The router_free() of direct routers (deferred inside callbacks). */
static void
direct_free(struct router *base)
{
	struct direct_router *r = (struct direct_router *)base;

	if (r->depth > 0)
		r->dying = true;
	else
		direct_destroy(r);
}

static const struct router_ops direct_ops = {
    .lookup = direct_lookup,
    .free = direct_free,
};

/* A direct router on base and dns, connecting to port mx_port. */
struct router *
router_new_direct(struct event_base *base, struct dns_resolver *dns,
                  int mx_port)
{
	struct direct_router *r = xcalloc(1, sizeof(*r));

	r->base.ops = &direct_ops;
	r->evb = base;
	r->dns = dns;
	r->port = mx_port;
	r->timer = evtimer_new(base, on_event, r);
	r->clock = mc_clock_system();
	r->defer_ttl = ROUTE_DEFER_TTL_MS;
	return &r->base;
}

/* Set the shuffle of equal preferences. */
void
router_direct_set_rand(struct router *base, mx_rand_fn *rnd, void *arg)
{
	struct direct_router *r = (struct direct_router *)base;

	assert(base->ops == &direct_ops);
	r->rnd = rnd;
	r->rnd_arg = arg;
}

/* Set the clock that ages DEFER answers. */
void
router_direct_set_clock(struct router *base, const struct mc_clock *c)
{
	assert(base->ops == &direct_ops);
	((struct direct_router *)base)->clock = c;
}

/* Set how long DEFER answers are kept. */
void
router_direct_set_defer_ttl(struct router *base, unsigned ms)
{
	assert(base->ops == &direct_ops);
	((struct direct_router *)base)->defer_ttl = ms;
}
