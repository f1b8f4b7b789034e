/*
 * spf.h — Sender Policy Framework (RFC 7208): parse a record, count its
 * DNS lookups against the limit of 10, and evaluate it for an address.
 *
 * spf_parse() is pure (fuzzed): it splits "v=spf1 ..." into terms, with
 * hard limits on the record's length and number of terms.  spf_check()
 * fetches the domain's record through a dns_resolver and evaluates it for
 * an IPv4/IPv6 address (or only counts, when ip is NULL).  Lookups are
 * counted over the whole tree of include:/redirect=, not just the path the
 * evaluation took, because the limit applies to whichever path a receiver
 * takes.  Macros: %{d} %{i} %{ir} %{h} %{o} are expanded; others make the
 * term unusable (noted in the result).
 *
 * Ownership: caller-owned structs, fixed sizes.  Errors: MC_EDATA (a
 * syntax error; text in err), MC_ELIMIT (over the limits).
 */
#ifndef MC_DIAG_SPF_H
#define MC_DIAG_SPF_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/dns.h"

#define SPF_RECORD_MAX   DNS_TXT_MAX
#define SPF_TERMS_MAX    64
#define SPF_LOOKUP_LIMIT 10 /* RFC 7208 §4.6.4 */
#define SPF_VOID_LIMIT   2
#define SPF_DEPTH_MAX    10 /* include nesting we follow */

enum spf_mech {
	SPF_M_ALL,
	SPF_M_INCLUDE,
	SPF_M_A,
	SPF_M_MX,
	SPF_M_PTR,
	SPF_M_IP4,
	SPF_M_IP6,
	SPF_M_EXISTS,
	SPF_M_REDIRECT, /* modifier */
	SPF_M_EXP,      /* modifier */
	SPF_M_OTHER     /* an unknown modifier, ignored */
};

struct spf_term {
	char qual; /* '+', '-', '~', '?' */
	enum spf_mech mech;
	char domain[DNS_NAME_MAX + 1]; /* "" = the current domain */
	unsigned char addr[16];        /* ip4 / ip6 */
	int cidr4, cidr6;              /* -1 = none given */
	char text[80];                 /* the term as written (cut) */
};

struct spf_record {
	size_t n;
	struct spf_term t[SPF_TERMS_MAX];
};

/* X(name, word) */
#define SPF_RESULTS(X)                                                         \
	X(SPF_NONE, "none")                                                    \
	X(SPF_NEUTRAL, "neutral")                                              \
	X(SPF_PASS, "pass")                                                    \
	X(SPF_FAIL, "fail")                                                    \
	X(SPF_SOFTFAIL, "softfail")                                            \
	X(SPF_TEMPERROR, "temperror")                                          \
	X(SPF_PERMERROR, "permerror")

enum spf_result {
#define SPF_R_ENUM(name, word) name,
	SPF_RESULTS(SPF_R_ENUM)
#undef SPF_R_ENUM
};

struct spf_eval {
	enum spf_result result; /* for ip; SPF_NONE without a record */
	bool present;           /* the domain publishes a record */
	char record[512];       /* the top record, truncated */
	unsigned lookups;       /* whole tree, counted to 99 */
	unsigned voids;
	bool over_limit;   /* lookups > SPF_LOOKUP_LIMIT */
	char matched[128]; /* the term that decided */
	char note[256];    /* why permerror / temperror */
};

/* Parse a record's text; 0, MC_EDATA or MC_ELIMIT (text in err). */
int spf_parse(const char *text, size_t len, struct spf_record *out, char *err,
              size_t errlen);
/* Fetch and evaluate domain's policy for ip (NULL: only count). */
void spf_check(struct dns_resolver *r, const char *domain, const char *ip,
               struct spf_eval *out);
const char *spf_result_name(enum spf_result r);
/* Is text an SPF record ("v=spf1" then a space or the end)? */
bool spf_is_record(const char *text);

#endif
