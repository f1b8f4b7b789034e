/*
 * dns_fake.c — a resolver answering from records a test adds.
 *
 * Answers are delivered from dns_wait()/dns_process(), as a real resolver
 * would, so callers cannot come to rely on synchronous callbacks.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/str.h"
#include "base/xmalloc.h"
#include "dns/dns.h"

struct fake_entry {
	char *name;
	struct dns_rr rr; /* rr.type 0: a forced failure */
	enum dns_type fail_type;
	enum dns_status fail_status;
};

struct fake_query {
	char *name;
	enum dns_type type;
	dns_cb *cb;
	void *arg;
};

struct fake_resolver {
	struct dns_resolver base;
	struct fake_entry *e;
	size_t ne;
	struct fake_query *q;
	size_t nq;
	unsigned queries;
};

/* Names compare without case and without a trailing dot. */
static bool
name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* Answer one query from the table. */
static void
fake_answer(struct fake_resolver *r, const char *name, enum dns_type type,
            struct dns_answer *a)
{
	bool known = false;

	dns_answer_init(a, type);
	for (size_t i = 0; i < r->ne; i++) {
		struct fake_entry *e = &r->e[i];

		if (!name_eq(e->name, name))
			continue;
		known = true;
		if (e->rr.type == 0 && e->fail_type == type) {
			dns_answer_fini(a);
			a->status = e->fail_status;
			mc_strlcpy(a->error, dns_status_phrase(e->fail_status),
			           sizeof(a->error));
			return;
		}
		if (e->rr.type == type)
			dns_answer_add(a, &e->rr);
	}
	if (a->n > 0)
		a->status = DNS_OK;
	else
		a->status = known ? DNS_NODATA : DNS_NXDOMAIN;
	if (a->status != DNS_OK)
		mc_strlcpy(a->error, dns_status_phrase(a->status),
		           sizeof(a->error));
}

/* Queue a query. */
static int
fake_query(struct dns_resolver *base, const char *name, enum dns_type type,
           dns_cb *cb, void *arg)
{
	struct fake_resolver *r = (struct fake_resolver *)base;
	struct fake_query *q;

	r->q = xreallocarray(r->q, r->nq + 1, sizeof(*r->q));
	q = &r->q[r->nq++];
	q->name = xstrdup(name);
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	r->queries++;
	return 0;
}

/* No sockets; a zero timeout so loops come straight back. */
static int
fake_fds(struct dns_resolver *base, struct pollfd *fds, int max,
         int *timeout_ms)
{
	(void)fds;
	(void)max;
	if (((struct fake_resolver *)base)->nq > 0)
		*timeout_ms = 0;
	return 0;
}

/* Deliver every queued answer (and those queued by the callbacks). */
static void
fake_process(struct dns_resolver *base, const struct pollfd *fds, int n)
{
	struct fake_resolver *r = (struct fake_resolver *)base;

	(void)fds;
	(void)n;
	while (r->nq > 0) {
		struct fake_query q = r->q[0];
		struct dns_answer a;

		memmove(r->q, r->q + 1, (r->nq - 1) * sizeof(*r->q));
		r->nq--;
		fake_answer(r, q.name, q.type, &a);
		q.cb(&a, q.arg);
		dns_answer_fini(&a);
		free(q.name);
	}
}

/* Queries not yet answered. */
static int
fake_pending(struct dns_resolver *base)
{
	return (int)((struct fake_resolver *)base)->nq;
}

/* Cancel pending queries and free. */
static void
fake_free(struct dns_resolver *base)
{
	struct fake_resolver *r = (struct fake_resolver *)base;

	for (size_t i = 0; i < r->nq; i++) {
		struct dns_answer a;

		dns_answer_init(&a, r->q[i].type);
		a.status = DNS_CANCELLED;
		r->q[i].cb(&a, r->q[i].arg);
		free(r->q[i].name);
	}
	for (size_t i = 0; i < r->ne; i++) {
		free(r->e[i].name);
		free(r->e[i].rr.name);
		free(r->e[i].rr.text);
	}
	free(r->q);
	free(r->e);
	free(r);
}

static const struct dns_resolver_ops fake_ops = {
    .query = fake_query,
    .fds = fake_fds,
    .process = fake_process,
    .pending = fake_pending,
    .free = fake_free,
};

/* An empty fake resolver. */
struct dns_resolver *
dns_fake_new(void)
{
	struct fake_resolver *r = xcalloc(1, sizeof(*r));

	r->base.ops = &fake_ops;
	return &r->base;
}

/* Add one record. */
void
dns_fake_add(struct dns_resolver *base, const char *name,
             const struct dns_rr *rr)
{
	struct fake_resolver *r = (struct fake_resolver *)base;
	struct fake_entry *e;

	r->e = xreallocarray(r->e, r->ne + 1, sizeof(*r->e));
	e = &r->e[r->ne++];
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	e->rr = *rr;
	e->rr.name = rr->name ? xstrdup(rr->name) : NULL;
	e->rr.text = rr->text ? xstrdup(rr->text) : NULL;
}

/* Make queries for (name, type) fail. */
void
dns_fake_fail(struct dns_resolver *base, const char *name, enum dns_type type,
              enum dns_status status)
{
	struct fake_resolver *r = (struct fake_resolver *)base;
	struct fake_entry *e;

	r->e = xreallocarray(r->e, r->ne + 1, sizeof(*r->e));
	e = &r->e[r->ne++];
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	e->fail_type = type;
	e->fail_status = status;
}

/* Count of queries received. */
unsigned
dns_fake_queries(struct dns_resolver *base)
{
	return ((struct fake_resolver *)base)->queries;
}
