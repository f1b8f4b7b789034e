/*
 * dns.c — what every resolver shares: answers, names, the blocking helper.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "dns/dns.h"

static const char *const status_names[] = {
#define DNS_ST_NAME(name, phrase) #name,
    DNS_STATUSES(DNS_ST_NAME)
#undef DNS_ST_NAME
};

static const char *const status_phrases[] = {
#define DNS_ST_PHRASE(name, phrase) phrase,
    DNS_STATUSES(DNS_ST_PHRASE)
#undef DNS_ST_PHRASE
};

/* The symbol of a status. */
const char *
dns_status_name(enum dns_status st)
{
	if ((size_t)st >= sizeof(status_names) / sizeof(status_names[0]))
		return "DNS_?";
	return status_names[st];
}

/* The phrase of a status. */
const char *
dns_status_phrase(enum dns_status st)
{
	if ((size_t)st >= sizeof(status_phrases) / sizeof(status_phrases[0]))
		return "unknown status";
	return status_phrases[st];
}

/* The mnemonic of a record type. */
const char *
dns_type_name(enum dns_type t)
{
	switch (t) {
	case DNS_T_A:
		return "A";
	case DNS_T_AAAA:
		return "AAAA";
	case DNS_T_MX:
		return "MX";
	case DNS_T_TXT:
		return "TXT";
	case DNS_T_PTR:
		return "PTR";
	}
	return "?";
}

/* Start an empty answer of the given type. */
void
dns_answer_init(struct dns_answer *a, enum dns_type type)
{
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->status = DNS_ERROR;
}

/* Free the records of an answer. */
void
dns_answer_fini(struct dns_answer *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->rr[i].name);
		free(a->rr[i].text);
	}
	free(a->rr);
	a->rr = NULL;
	a->n = 0;
}

/* Append a copy of rr. */
bool
dns_answer_add(struct dns_answer *a, const struct dns_rr *rr)
{
	struct dns_rr *d;

	if (a->n >= DNS_RR_MAX)
		return false;
	a->rr = xreallocarray(a->rr, a->n + 1, sizeof(*a->rr));
	d = &a->rr[a->n++];
	*d = *rr;
	d->name = rr->name ? xstrdup(rr->name) : NULL;
	d->text = rr->text ? xstrdup(rr->text) : NULL;
	return true;
}

/* Deep copy. */
void
dns_answer_copy(struct dns_answer *dst, const struct dns_answer *src)
{
	dns_answer_init(dst, src->type);
	dst->status = src->status;
	mc_strlcpy(dst->error, src->error, sizeof(dst->error));
	for (size_t i = 0; i < src->n; i++)
		dns_answer_add(dst, &src->rr[i]);
}

/* Free a resolver of any kind. */
void
dns_resolver_free(struct dns_resolver *r)
{
	if (r != NULL)
		r->ops->free(r);
}

/* Start one query. */
int
dns_query(struct dns_resolver *r, const char *name, enum dns_type type,
          dns_cb *cb, void *arg)
{
	if (name == NULL || strlen(name) > DNS_NAME_MAX || name[0] == '\0')
		return MC_EINVAL;
	return r->ops->query(r, name, type, cb, arg);
}

/* The sockets to watch. */
int
dns_fds(struct dns_resolver *r, struct pollfd *fds, int max, int *timeout_ms)
{
	return r->ops->fds(r, fds, max, timeout_ms);
}

/* Handle ready sockets and expired timers. */
void
dns_process(struct dns_resolver *r, const struct pollfd *fds, int n)
{
	r->ops->process(r, fds, n);
}

/* Milliseconds of the monotonic clock. */
static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Drive all queries until done or timeout. */
int
dns_wait(struct dns_resolver *r, int timeout_ms)
{
	long long deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
	struct pollfd fds[16];

	while (r->ops->pending(r) > 0) {
		int tmo = 1000, n, rc;
		long long left;

		n = r->ops->fds(r, fds, 16, &tmo);
		if (deadline >= 0) {
			left = deadline - mono_ms();
			if (left <= 0)
				break;
			if (tmo < 0 || tmo > left)
				tmo = (int)left;
		}
		rc = poll(fds, (nfds_t)n, tmo);
		r->ops->process(r, fds, rc > 0 ? n : 0);
	}
	return r->ops->pending(r);
}

struct lookup_ctx {
	struct dns_answer *out;
	bool done;
};

/* Copy the answer of a blocking lookup. */
static void
lookup_cb(const struct dns_answer *ans, void *arg)
{
	struct lookup_ctx *c = arg;

	dns_answer_copy(c->out, ans);
	c->done = true;
}

/* One blocking query. */
void
dns_lookup(struct dns_resolver *r, const char *name, enum dns_type type,
           struct dns_answer *out)
{
	struct lookup_ctx c = {.out = out};
	struct dns_answer tmp;

	if (dns_query(r, name, type, lookup_cb, &c) != 0) {
		dns_answer_init(out, type);
		out->status = DNS_ERROR;
		snprintf(out->error, sizeof(out->error),
		         "invalid name for a query");
		return;
	}
	while (!c.done)
		if (dns_wait(r, -1) == 0 && !c.done)
			break;
	if (!c.done) {
		dns_answer_init(&tmp, type);
		tmp.status = DNS_ERROR;
		*out = tmp;
	}
}

/* Reverse-lookup name for addr. */
int
dns_reverse_name(const char *addr, const char *zone, char *out, size_t outlen)
{
	unsigned char b[16];
	char tmp[160];
	size_t off = 0;
	int len;

	if (inet_pton(AF_INET, addr, b) == 1) {
		len = snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u.%s", b[3], b[2],
		               b[1], b[0], zone ? zone : "in-addr.arpa");
	} else if (inet_pton(AF_INET6, addr, b) == 1) {
		for (int i = 15; i >= 0; i--) {
			off +=
			    (size_t)snprintf(tmp + off, sizeof(tmp) - off,
			                     "%x.%x.", b[i] & 0xf, b[i] >> 4);
		}
		len = (int)off + snprintf(tmp + off, sizeof(tmp) - off, "%s",
		                          zone ? zone : "ip6.arpa");
	} else
		return MC_EINVAL;
	if (len < 0 || (size_t)len >= outlen || (size_t)len >= sizeof(tmp))
		return MC_EINVAL;
	memcpy(out, tmp, (size_t)len + 1);
	return 0;
}

/* Split host and port. */
int
dns_split_hostport(const char *s, char *host, size_t hostlen, unsigned *port,
                   unsigned defport)
{
	const char *colon, *h = s;
	size_t hl;
	unsigned long long p;

	*port = defport;
	if (s == NULL || *s == '\0')
		return MC_EINVAL;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL)
			return MC_EINVAL;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb[1] == ':' ? rb + 1 : NULL;
		if (rb[1] != '\0' && colon == NULL)
			return MC_EINVAL;
	} else {
		colon = strrchr(s, ':');
		if (colon != NULL && strchr(s, ':') != colon) {
			colon = NULL; /* a bare IPv6 address */
			hl = strlen(s);
		} else
			hl = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (hl == 0 || hl >= hostlen)
		return MC_EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (colon != NULL) {
		if (!mc_parse_uint(colon + 1, strlen(colon + 1), 65535, &p) ||
		    p == 0)
			return MC_EINVAL;
		*port = (unsigned)p;
	}
	return 0;
}
