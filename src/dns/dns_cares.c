/*
 * dns_cares.c — the resolver on c-ares, asking one explicit server.
 */
#include <ares.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "dns/dns.h"

struct cares_resolver {
	struct dns_resolver base; /* first: the generic view */
	ares_channel ch;
	int pending;
};

struct cares_query {
	struct cares_resolver *r;
	enum dns_type type;
	dns_cb *cb;
	void *arg;
};

/* Append the TXT records of a reply, strings of one record joined. */
static void
wire_txt(struct dns_answer *a, const unsigned char *wire, int len)
{
	struct ares_txt_ext *txt = NULL, *t;
	char *acc = NULL;
	size_t acclen = 0;
	struct dns_rr rr = {.type = DNS_T_TXT};
	int rc;

	rc = ares_parse_txt_reply_ext(wire, len, &txt);
	if (rc != ARES_SUCCESS) {
		a->status = rc == ARES_ENODATA ? DNS_NODATA : DNS_BADRESP;
		return;
	}
	for (t = txt; t != NULL; t = t->next) {
		if (t->record_start && acc != NULL) {
			rr.text = acc;
			dns_answer_add(a, &rr);
			free(acc);
			acc = NULL;
			acclen = 0;
		}
		if (acclen + t->length > DNS_TXT_MAX)
			continue; /* over the limit: the rest is dropped */
		acc = xrealloc(acc, acclen + t->length + 1);
		memcpy(acc + acclen, t->txt, t->length);
		acclen += t->length;
		acc[acclen] = '\0';
	}
	if (acc != NULL) {
		rr.text = acc;
		dns_answer_add(a, &rr);
		free(acc);
	}
	ares_free_data(txt);
	a->status = DNS_OK;
}

/* Parse a wire-format reply of the given type into a. */
void
dns_answer_from_wire(struct dns_answer *a, enum dns_type type,
                     const unsigned char *wire, size_t len)
{
	struct ares_mx_reply *mx = NULL, *m;
	struct ares_addrttl t4[DNS_RR_MAX];
	struct ares_addr6ttl t6[DNS_RR_MAX];
	struct hostent *he = NULL;
	struct dns_rr rr;
	int rc, n = DNS_RR_MAX, ilen;

	a->type = type;
	a->status = DNS_BADRESP;
	if (len > 65535)
		return;
	ilen = (int)len;
	memset(&rr, 0, sizeof(rr));
	rr.type = type;
	switch (type) {
	case DNS_T_MX:
		rc = ares_parse_mx_reply(wire, ilen, &mx);
		if (rc != ARES_SUCCESS)
			break;
		for (m = mx; m != NULL; m = m->next) {
			rr.pref = m->priority;
			rr.name = m->host;
			dns_answer_add(a, &rr);
		}
		ares_free_data(mx);
		a->status = DNS_OK;
		return;
	case DNS_T_TXT:
		wire_txt(a, wire, ilen);
		return;
	case DNS_T_A:
		rc = ares_parse_a_reply(wire, ilen, NULL, t4, &n);
		if (rc != ARES_SUCCESS)
			break;
		for (int i = 0; i < n; i++) {
			rr.family = AF_INET;
			rr.ttl = (unsigned)t4[i].ttl;
			rr.in4 = t4[i].ipaddr;
			dns_answer_add(a, &rr);
		}
		a->status = DNS_OK;
		return;
	case DNS_T_AAAA:
		rc = ares_parse_aaaa_reply(wire, ilen, NULL, t6, &n);
		if (rc != ARES_SUCCESS)
			break;
		for (int i = 0; i < n; i++) {
			rr.family = AF_INET6;
			rr.ttl = (unsigned)t6[i].ttl;
			memcpy(&rr.in6, &t6[i].ip6addr, sizeof(rr.in6));
			dns_answer_add(a, &rr);
		}
		a->status = DNS_OK;
		return;
	case DNS_T_PTR:
		rc = ares_parse_ptr_reply(wire, ilen, NULL, 0, AF_INET, &he);
		if (rc != ARES_SUCCESS)
			break;
		rr.name = he->h_name;
		dns_answer_add(a, &rr);
		for (char **al = he->h_aliases; al && *al; al++) {
			rr.name = *al;
			dns_answer_add(a, &rr);
		}
		ares_free_hostent(he);
		a->status = DNS_OK;
		return;
	default:
		return;
	}
	a->status = rc == ARES_ENODATA ? DNS_NODATA : DNS_BADRESP;
}

/* Map a c-ares failure to a status. */
static enum dns_status
cares_status(int st)
{
	switch (st) {
	case ARES_ENODATA:
		return DNS_NODATA;
	case ARES_ENOTFOUND:
		return DNS_NXDOMAIN;
	case ARES_ESERVFAIL:
		return DNS_SERVFAIL;
	case ARES_EREFUSED:
		return DNS_REFUSED;
	case ARES_ETIMEOUT:
	case ARES_ECONNREFUSED:
		return DNS_TIMEOUT;
	case ARES_EBADRESP:
	case ARES_EFORMERR:
		return DNS_BADRESP;
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		return DNS_CANCELLED;
	default:
		return DNS_ERROR;
	}
}

/* c-ares callback: build the answer, hand it on. */
static void
cares_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct cares_query *q = arg;
	struct dns_answer a;

	(void)timeouts;
	dns_answer_init(&a, q->type);
	if (status == ARES_SUCCESS && abuf != NULL && alen > 0)
		dns_answer_from_wire(&a, q->type, abuf, (size_t)alen);
	else {
		a.status = cares_status(status);
		if (status == ARES_ECONNREFUSED)
			snprintf(
			    a.error, sizeof(a.error),
			    "the DNS server refused the connection (nothing "
			    "listens there)");
		else
			snprintf(a.error, sizeof(a.error), "%s",
			         ares_strerror(status));
	}
	if (a.status == DNS_BADRESP && a.error[0] == '\0')
		snprintf(a.error, sizeof(a.error), "malformed %s answer",
		         dns_type_name(q->type));
	q->r->pending--;
	q->cb(&a, q->arg);
	dns_answer_fini(&a);
	free(q);
}

/* Start a query. */
static int
cares_query(struct dns_resolver *base, const char *name, enum dns_type type,
            dns_cb *cb, void *arg)
{
	struct cares_resolver *r = (struct cares_resolver *)base;
	struct cares_query *q = xcalloc(1, sizeof(*q));

	q->r = r;
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	r->pending++;
	ares_query(r->ch, name, ns_c_in, (int)type, cares_cb, q);
	return 0;
}

/* The sockets c-ares wants watched. */
static int
cares_fds(struct dns_resolver *base, struct pollfd *fds, int max,
          int *timeout_ms)
{
	struct cares_resolver *r = (struct cares_resolver *)base;
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct timeval tv, *tvp;
	int bits, n = 0;

	bits = ares_getsock(r->ch, socks, ARES_GETSOCK_MAXNUM);
	for (int i = 0; i < ARES_GETSOCK_MAXNUM && n < max; i++) {
		short ev = 0;

		/* ares.h's macros shift a signed 1 by up to 31: UB. */
		if ((unsigned)bits & (1u << i))
			ev |= POLLIN;
		if ((unsigned)bits & (1u << (i + ARES_GETSOCK_MAXNUM)))
			ev |= POLLOUT;
		if (ev == 0)
			continue;
		fds[n].fd = socks[i];
		fds[n].events = ev;
		fds[n].revents = 0;
		n++;
	}
	tvp = ares_timeout(r->ch, NULL, &tv);
	if (tvp != NULL) {
		int ms = (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000) + 1;

		if (*timeout_ms < 0 || ms < *timeout_ms)
			*timeout_ms = ms;
	}
	return n;
}

/* Let c-ares read, write and expire. */
static void
cares_process(struct dns_resolver *base, const struct pollfd *fds, int n)
{
	struct cares_resolver *r = (struct cares_resolver *)base;

	for (int i = 0; i < n; i++) {
		ares_socket_t rd = ARES_SOCKET_BAD, wr = ARES_SOCKET_BAD;

		if (fds[i].revents & (POLLIN | POLLERR | POLLHUP))
			rd = fds[i].fd;
		if (fds[i].revents & POLLOUT)
			wr = fds[i].fd;
		if (rd != ARES_SOCKET_BAD || wr != ARES_SOCKET_BAD)
			ares_process_fd(r->ch, rd, wr);
	}
	/* Timeouts are handled by a call without sockets. */
	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

/* Queries not yet answered. */
static int
cares_pending(struct dns_resolver *base)
{
	return ((struct cares_resolver *)base)->pending;
}

/* Cancel everything and free. */
static void
cares_free(struct dns_resolver *base)
{
	struct cares_resolver *r = (struct cares_resolver *)base;

	ares_destroy(r->ch);
	free(r);
}

static const struct dns_resolver_ops cares_ops = {
    .query = cares_query,
    .fds = cares_fds,
    .process = cares_process,
    .pending = cares_pending,
    .free = cares_free,
};

/* Create a c-ares resolver asking one server. */
int
dns_cares_new(const char *server, int timeout_ms, int tries,
              struct dns_resolver **out, char *err, size_t errlen)
{
	static int inited;
	struct cares_resolver *r;
	struct ares_options o;
	char host[DNS_NAME_MAX + 1], csv[DNS_NAME_MAX + 16];
	unsigned port;
	int rc;

	*out = NULL;
	if (!inited) {
		ares_library_init(ARES_LIB_INIT_ALL);
		inited = 1;
	}
	if (server != NULL &&
	    dns_split_hostport(server, host, sizeof(host), &port, 53) != 0) {
		snprintf(err, errlen,
		         "DNS server '%s' is not ADDR, ADDR:PORT or [V6]:PORT",
		         server);
		return MC_EINVAL;
	}
	memset(&o, 0, sizeof(o));
	o.timeout = timeout_ms > 0 ? timeout_ms : 2000;
	o.tries = tries > 0 ? tries : 1;
	/* Hand REFUSED and SERVFAIL to us instead of trying elsewhere. */
	o.flags = ARES_FLAG_NOCHECKRESP;
	r = xcalloc(1, sizeof(*r));
	r->base.ops = &cares_ops;
	rc = ares_init_options(
	    &r->ch, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		free(r);
		return MC_EINVAL;
	}
	if (server != NULL) {
		if (strchr(host, ':') != NULL)
			snprintf(csv, sizeof(csv), "[%s]:%u", host, port);
		else
			snprintf(csv, sizeof(csv), "%s:%u", host, port);
		rc = ares_set_servers_ports_csv(r->ch, csv);
		if (rc != ARES_SUCCESS) {
			snprintf(err, errlen, "DNS server '%s': %s", server,
			         ares_strerror(rc));
			ares_destroy(r->ch);
			free(r);
			return MC_EINVAL;
		}
	}
	*out = &r->base;
	return 0;
}
