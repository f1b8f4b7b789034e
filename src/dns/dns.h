/*
 * dns.h — the resolver interface of mailcast (MX, A, AAAA, TXT, PTR).
 *
 * A struct dns_resolver is a table of operations plus private state: the
 * c-ares implementation (dns_cares_new) talks to one explicit server
 * "ADDR:PORT" and never reads /etc/resolv.conf unless asked with NULL; the
 * fake (dns_fake_new) answers from records a test adds.  Queries are
 * asynchronous: dns_query() starts one and the callback runs from
 * dns_wait() or dns_process() (the fake never calls it from inside
 * dns_query(); c-ares may, for a query that fails at once).
 * dns_lookup() is the blocking convenience for one query.
 *
 * Ownership: the resolver is freed with dns_resolver_free(), which cancels
 * outstanding queries (their callbacks run with DNS_CANCELLED).  A struct
 * dns_answer given to a callback is borrowed for the callback only;
 * dns_lookup() fills a caller-owned answer released by dns_answer_fini().
 * Errors: MC_EINVAL for a bad name or server, MC_ELIMIT past the limits.
 */
#ifndef MC_DNS_DNS_H
#define MC_DNS_DNS_H

#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#define DNS_NAME_MAX 255  /* presentation length of a name */
#define DNS_TXT_MAX  4096 /* one TXT record, its strings joined */
#define DNS_RR_MAX   64   /* records kept from one answer */
#define DNS_ERR_MAX  128

enum dns_type {
	DNS_T_A = 1,
	DNS_T_PTR = 12,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
};

/* X(name, phrase): the outcome of one query. */
#define DNS_STATUSES(X)                                                        \
	X(DNS_OK, "answer")                                                    \
	X(DNS_NODATA, "no record of that type")                                \
	X(DNS_NXDOMAIN, "no such domain")                                      \
	X(DNS_SERVFAIL, "server failure")                                      \
	X(DNS_REFUSED, "query refused")                                        \
	X(DNS_TIMEOUT, "no answer (timeout)")                                  \
	X(DNS_BADRESP, "malformed answer")                                     \
	X(DNS_CANCELLED, "cancelled")                                          \
	X(DNS_ERROR, "resolver error")

enum dns_status {
#define DNS_ST_ENUM(name, phrase) name,
	DNS_STATUSES(DNS_ST_ENUM)
#undef DNS_ST_ENUM
};

struct dns_rr {
	enum dns_type type;
	unsigned ttl;
	unsigned pref; /* MX preference */
	char *name;    /* MX exchange, PTR target ("" = root) */
	char *text;    /* TXT: strings concatenated */
	int family;    /* A: AF_INET, AAAA: AF_INET6 */
	struct in_addr in4;
	struct in6_addr in6;
};

struct dns_answer {
	enum dns_status status;
	enum dns_type type;
	size_t n;
	struct dns_rr *rr;
	char error[DNS_ERR_MAX]; /* human text when not DNS_OK */
};

typedef void dns_cb(const struct dns_answer *ans, void *arg);

struct dns_resolver;

struct dns_resolver_ops {
	int (*query)(struct dns_resolver *, const char *name,
	             enum dns_type type, dns_cb *cb, void *arg);
	/* Fill at most max pollfds; *timeout_ms gets the next deadline. */
	int (*fds)(struct dns_resolver *, struct pollfd *fds, int max,
	           int *timeout_ms);
	void (*process)(struct dns_resolver *, const struct pollfd *fds, int n);
	int (*pending)(struct dns_resolver *);
	void (*free)(struct dns_resolver *);
};

struct dns_resolver {
	const struct dns_resolver_ops *ops;
	char last_error[DNS_ERR_MAX];
};

/* A c-ares resolver asking server "ADDR:PORT" (or "ADDR", port 53; NULL =
 * the system's).  Each try waits timeout_ms; tries attempts in all.
 * Returns 0 or MC_EINVAL (text in err). */
int dns_cares_new(const char *server, int timeout_ms, int tries,
                  struct dns_resolver **out, char *err, size_t errlen);
/* A fake resolver for tests: empty until dns_fake_add*() fill it. */
struct dns_resolver *dns_fake_new(void);
/* Add an answer record; the fake answers NXDOMAIN for names it has never
 * heard of and NODATA for known names without records of that type. */
void dns_fake_add(struct dns_resolver *r, const char *name,
                  const struct dns_rr *rr);
/* Make every query for (name, type) end with status (e.g. DNS_TIMEOUT). */
void dns_fake_fail(struct dns_resolver *r, const char *name, enum dns_type type,
                   enum dns_status status);
/* Number of queries the fake has received (for lookup-count tests). */
unsigned dns_fake_queries(struct dns_resolver *r);

void dns_resolver_free(struct dns_resolver *r);
/* Start a query; cb runs later from dns_wait()/dns_process(). */
int dns_query(struct dns_resolver *r, const char *name, enum dns_type type,
              dns_cb *cb, void *arg);
/* Drive queries until none is pending or timeout_ms passes (-1: no limit).
 * Returns the number still pending. */
int dns_wait(struct dns_resolver *r, int timeout_ms);
/* Event-loop integration: the sockets to watch, and what to do when they
 * are ready (or when the timeout passed: call with n == 0). */
int dns_fds(struct dns_resolver *r, struct pollfd *fds, int max,
            int *timeout_ms);
void dns_process(struct dns_resolver *r, const struct pollfd *fds, int n);
/* Blocking: one query, its answer copied into *out (dns_answer_fini). */
void dns_lookup(struct dns_resolver *r, const char *name, enum dns_type type,
                struct dns_answer *out);

void dns_answer_init(struct dns_answer *a, enum dns_type type);
void dns_answer_fini(struct dns_answer *a);
/* Deep copy of src into a fresh dst. */
void dns_answer_copy(struct dns_answer *dst, const struct dns_answer *src);
/* Append a record (copied); false when DNS_RR_MAX is reached. */
bool dns_answer_add(struct dns_answer *a, const struct dns_rr *rr);
/* Turn a wire-format reply into an answer (c-ares parsers). */
void dns_answer_from_wire(struct dns_answer *a, enum dns_type type,
                          const unsigned char *wire, size_t len);

const char *dns_status_name(enum dns_status st);   /* "DNS_NXDOMAIN" */
const char *dns_status_phrase(enum dns_status st); /* "no such domain" */
const char *dns_type_name(enum dns_type t);        /* "MX" */
/* The reverse-lookup name of an address ("4.3.2.1.in-addr.arpa", or the
 * nibble form for IPv6) under zone (NULL: in-addr.arpa / ip6.arpa).
 * Returns 0 or MC_EINVAL for a string that is not an address. */
int dns_reverse_name(const char *addr, const char *zone, char *out,
                     size_t outlen);
/* Split "ADDR:PORT", "[V6]:PORT" or "ADDR"; 0 or MC_EINVAL. */
int dns_split_hostport(const char *s, char *host, size_t hostlen,
                       unsigned *port, unsigned defport);

#endif
