/*
 * dnscheck.h — the DNS facts that decide whether mail from a domain and an
 * address is accepted: MX (ordered, null MX, implicit MX), A/AAAA of each
 * MX, PTR of the sending address and forward confirmation, SPF (lookups
 * counted, does it authorise the address), a DKIM selector's key, DMARC
 * policy, and DNS blocklists (answers in 127.255.255.0/24 are query
 * errors, not listings).
 *
 * dnscheck_run() asks through a dns_resolver (the c-ares one with an
 * explicit server, or the fake in tests).  When the first query times out
 * the rest is skipped and dns_dead set: one timeout, not one per record.
 * Ownership: caller-owned, fixed-size.  No error return: every failure is
 * a fact in the result.
 */
#ifndef MC_DIAG_DNSCHECK_H
#define MC_DIAG_DNSCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "diag/spf.h"
#include "dns/dns.h"

#define DC_MX_MAX    16
#define DC_ADDR_MAX  8
#define DC_DNSBL_MAX 8

struct dc_mx {
	char name[DNS_NAME_MAX + 1];
	unsigned pref;
	size_t naddr;
	char addr[DC_ADDR_MAX][46];
	enum dns_status a_status;
};

enum dc_bl_state { DC_BL_CLEAN, DC_BL_LISTED, DC_BL_ERROR };

struct dc_bl {
	char zone[DNS_NAME_MAX + 1];
	enum dc_bl_state state;
	char answer[46]; /* the A answer, e.g. 127.0.0.2 */
	char text[256];  /* the zone's TXT reason, or why error */
};

struct dnscheck_opts {
	const char *domain;   /* NULL: no domain checks */
	const char *ip;       /* NULL: no PTR/SPF-for-ip/DNSBL */
	const char *selector; /* DKIM selector or NULL */
	const char *dnsbl[DC_DNSBL_MAX];
	size_t ndnsbl;
};

struct dnscheck {
	bool dns_dead; /* the server did not answer */
	char dns_error[128];
	/* MX */
	enum dns_status mx_status;
	bool null_mx, implicit_mx;
	size_t nmx;
	struct dc_mx mx[DC_MX_MAX];
	/* PTR of ip */
	bool ptr_checked;
	enum dns_status ptr_status;
	char ptr_name[DNS_NAME_MAX + 1];
	bool fcrdns; /* the name resolves back to ip */
	/* SPF */
	struct spf_eval spf;
	/* DKIM */
	bool dkim_checked;
	enum dns_status dkim_status;
	char dkim_type[16]; /* "rsa", "ed25519" */
	int dkim_bits;
	bool dkim_revoked; /* empty p= */
	char dkim_error[128];
	/* DMARC */
	bool dmarc_present;
	char dmarc_policy[16];
	int dmarc_pct;
	char dmarc_record[256];
	/* blocklists */
	size_t nbl;
	struct dc_bl bl[DC_DNSBL_MAX];
};

void dnscheck_run(struct dns_resolver *r, const struct dnscheck_opts *o,
                  struct dnscheck *out);
/* The value of tag in a "k=v; k=v" record (DKIM, DMARC); false if absent. */
bool dnscheck_tag(const char *rec, const char *tag, char *val, size_t len);
/* Key type and bits of a DKIM p= value; 0 or MC_EDATA. */
int dnscheck_dkim_key(const char *type, const char *p64, int *bits);
const char *dc_bl_state_name(enum dc_bl_state s);

#endif
