/*
 * dnscheck.c — MX, PTR, SPF, DKIM, DMARC and blocklist facts.
 */
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/base64.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"
#include "diag/dnscheck.h"
#include "dns/mx_order.h"

#define TAG_RECORD_MAX 4096 /* bytes of a tag=value record we look at */

/* The name of a blocklist state. */
const char *
dc_bl_state_name(enum dc_bl_state s)
{
	return s == DC_BL_LISTED  ? "listed"
	       : s == DC_BL_ERROR ? "error"
	                          : "clean";
}

/* Find tag's value in "k=v; k=v". */
bool
dnscheck_tag(const char *rec, const char *tag, char *val, size_t len)
{
	size_t tl = strlen(tag), rl = strnlen(rec, TAG_RECORD_MAX);
	size_t i = 0;

	while (i < rl) {
		size_t s, e, ks, ke;

		while (i < rl &&
		       (rec[i] == ' ' || rec[i] == '\t' || rec[i] == ';'))
			i++;
		s = i;
		while (i < rl && rec[i] != ';')
			i++;
		e = i;
		ks = s;
		ke = s;
		while (ke < e && rec[ke] != '=')
			ke++;
		if (ke == e)
			continue;
		{
			size_t k2 = ke;

			while (k2 > ks &&
			       (rec[k2 - 1] == ' ' || rec[k2 - 1] == '\t'))
				k2--;
			if (k2 - ks != tl || strncasecmp(rec + ks, tag, tl))
				continue;
		}
		ke++;
		while (ke < e && (rec[ke] == ' ' || rec[ke] == '\t'))
			ke++;
		while (e > ke && (rec[e - 1] == ' ' || rec[e - 1] == '\t'))
			e--;
		if (e - ke >= len)
			e = ke + len - 1;
		memcpy(val, rec + ke, e - ke);
		val[e - ke] = '\0';
		return true;
	}
	return false;
}

/* Bits of a DKIM public key. */
int
dnscheck_dkim_key(const char *type, const char *p64, int *bits)
{
	struct buf b, clean;
	const unsigned char *p;
	EVP_PKEY *k;
	int rc = MC_EDATA;

	*bits = 0;
	buf_init(&b);
	buf_init(&clean);
	for (const char *s = p64; *s; s++)
		if (*s != ' ' && *s != '\t')
			buf_putc(&clean, *s);
	if (base64_decode(&b, buf_cstr(&clean), buf_len(&clean),
	                  BASE64_SKIP_SPACE) != 0)
		goto done;
	if (strcasecmp(type, "ed25519") == 0) {
		if (buf_len(&b) == 32) {
			*bits = 256;
			rc = 0;
		}
		goto done;
	}
	p = buf_data(&b);
	k = d2i_PUBKEY(NULL, &p, (long)buf_len(&b));
	if (k != NULL) {
		*bits = EVP_PKEY_get_bits(k);
		EVP_PKEY_free(k);
		rc = 0;
	}
done:
	buf_fini(&b);
	buf_fini(&clean);
	return rc;
}

/* Is this a status that means "the server did not answer"? */
static bool
is_dead(enum dns_status st)
{
	return st == DNS_TIMEOUT || st == DNS_ERROR;
}

/* MX and the addresses of each MX host. */
static void
check_mx(struct dns_resolver *r, const char *domain, struct dnscheck *out)
{
	struct dns_answer a;
	struct mx_list l;
	int rc;

	dns_lookup(r, domain, DNS_T_MX, &a);
	out->mx_status = a.status;
	if (is_dead(a.status)) {
		out->dns_dead = true;
		snprintf(out->dns_error, sizeof(out->dns_error),
		         "MX %.40s: %.70s", domain,
		         a.error[0] ? a.error : dns_status_phrase(a.status));
		dns_answer_fini(&a);
		return;
	}
	rc = mx_order(domain, &a, NULL, NULL, &l);
	dns_answer_fini(&a);
	if (rc == MC_EPERMFAIL) {
		out->null_mx = true;
		return;
	}
	if (rc != 0)
		return;
	out->implicit_mx = l.implicit;
	for (size_t i = 0; i < l.n && out->nmx < DC_MX_MAX; i++) {
		struct dc_mx *m = &out->mx[out->nmx++];

		mc_strlcpy(m->name, l.host[i].name, sizeof(m->name));
		m->pref = l.host[i].pref;
		for (int t = 0; t < 2; t++) {
			dns_lookup(r, m->name, t ? DNS_T_AAAA : DNS_T_A, &a);
			if (t == 0 || m->naddr == 0)
				m->a_status = a.status;
			for (size_t k = 0; k < a.n && m->naddr < DC_ADDR_MAX;
			     k++)
				inet_ntop(a.rr[k].family,
				          a.rr[k].family == AF_INET
				              ? (const void *)&a.rr[k].in4
				              : (const void *)&a.rr[k].in6,
				          m->addr[m->naddr++], 46);
			dns_answer_fini(&a);
		}
		if (m->naddr > 0)
			m->a_status = DNS_OK;
	}
	mx_list_fini(&l);
}

/* PTR of ip and whether its name resolves back to ip. */
static void
check_ptr(struct dns_resolver *r, const char *ip, struct dnscheck *out)
{
	char rev[128];
	struct dns_answer a, f;
	bool v6 = strchr(ip, ':') != NULL;

	if (dns_reverse_name(ip, NULL, rev, sizeof(rev)) != 0)
		return;
	out->ptr_checked = true;
	dns_lookup(r, rev, DNS_T_PTR, &a);
	out->ptr_status = a.status;
	if (a.status == DNS_OK && a.n > 0 && a.rr[0].name) {
		mc_strlcpy(out->ptr_name, a.rr[0].name, sizeof(out->ptr_name));
		dns_lookup(r, out->ptr_name, v6 ? DNS_T_AAAA : DNS_T_A, &f);
		for (size_t i = 0; i < f.n; i++) {
			char s[46];

			inet_ntop(f.rr[i].family,
			          f.rr[i].family == AF_INET
			              ? (const void *)&f.rr[i].in4
			              : (const void *)&f.rr[i].in6,
			          s, sizeof(s));
			if (strcmp(s, ip) == 0)
				out->fcrdns = true;
		}
		dns_answer_fini(&f);
	}
	dns_answer_fini(&a);
}

/* The DKIM key of selector._domainkey.domain. */
static void
check_dkim(struct dns_resolver *r, const char *domain, const char *sel,
           struct dnscheck *out)
{
	char name[DNS_NAME_MAX + 1], k[16] = "rsa", p[2048];
	struct dns_answer a;

	out->dkim_checked = true;
	if (snprintf(name, sizeof(name), "%s._domainkey.%s", sel, domain) >=
	    (int)sizeof(name)) {
		snprintf(out->dkim_error, sizeof(out->dkim_error),
		         "selector name too long");
		return;
	}
	dns_lookup(r, name, DNS_T_TXT, &a);
	out->dkim_status = a.status;
	if (a.status != DNS_OK || a.n == 0) {
		snprintf(out->dkim_error, sizeof(out->dkim_error),
		         "no DKIM key at %.80s (%.28s)", name,
		         dns_status_phrase(a.status));
		dns_answer_fini(&a);
		return;
	}
	dnscheck_tag(a.rr[0].text, "k", k, sizeof(k));
	mc_strlcpy(out->dkim_type, k, sizeof(out->dkim_type));
	if (!dnscheck_tag(a.rr[0].text, "p", p, sizeof(p)))
		snprintf(out->dkim_error, sizeof(out->dkim_error),
		         "the record has no p= tag");
	else if (p[0] == '\0')
		out->dkim_revoked = true;
	else if (dnscheck_dkim_key(k, p, &out->dkim_bits) != 0)
		snprintf(out->dkim_error, sizeof(out->dkim_error),
		         "p= is not a valid %s public key", k);
	dns_answer_fini(&a);
}

/* The DMARC record of _dmarc.domain. */
static void
check_dmarc(struct dns_resolver *r, const char *domain, struct dnscheck *out)
{
	char name[DNS_NAME_MAX + 1], pct[8];
	struct dns_answer a;

	if (snprintf(name, sizeof(name), "_dmarc.%s", domain) >=
	    (int)sizeof(name))
		return;
	dns_lookup(r, name, DNS_T_TXT, &a);
	for (size_t i = 0; i < a.n; i++) {
		const char *t = a.rr[i].text;

		if (t == NULL || strncasecmp(t, "v=DMARC1", 8) != 0)
			continue;
		out->dmarc_present = true;
		mc_strlcpy(out->dmarc_record, t, sizeof(out->dmarc_record));
		if (!dnscheck_tag(t, "p", out->dmarc_policy,
		                  sizeof(out->dmarc_policy)))
			mc_strlcpy(out->dmarc_policy, "(missing)",
			           sizeof(out->dmarc_policy));
		out->dmarc_pct = 100;
		if (dnscheck_tag(t, "pct", pct, sizeof(pct)))
			out->dmarc_pct = atoi(pct);
		break;
	}
	dns_answer_fini(&a);
}

/* One blocklist. */
static void
check_bl(struct dns_resolver *r, const char *ip, const char *zone,
         struct dc_bl *bl)
{
	char name[DNS_NAME_MAX + 1];
	struct dns_answer a, t;

	memset(bl, 0, sizeof(*bl));
	mc_strlcpy(bl->zone, zone, sizeof(bl->zone));
	if (dns_reverse_name(ip, zone, name, sizeof(name)) != 0) {
		bl->state = DC_BL_ERROR;
		snprintf(bl->text, sizeof(bl->text), "name too long");
		return;
	}
	dns_lookup(r, name, DNS_T_A, &a);
	if (a.status == DNS_NXDOMAIN || a.status == DNS_NODATA) {
		bl->state = DC_BL_CLEAN;
	} else if (a.status != DNS_OK || a.n == 0) {
		bl->state = DC_BL_ERROR;
		snprintf(bl->text, sizeof(bl->text), "query failed: %s",
		         dns_status_phrase(a.status));
	} else {
		unsigned char *b = (unsigned char *)&a.rr[0].in4;

		inet_ntop(AF_INET, &a.rr[0].in4, bl->answer,
		          sizeof(bl->answer));
		if (b[0] == 127 && b[1] == 255 && b[2] == 255) {
			/* e.g. Spamhaus 127.255.255.254: query via a public
			 * resolver; .252 typing error; .255 rate limited. */
			bl->state = DC_BL_ERROR;
			snprintf(
			    bl->text, sizeof(bl->text),
			    "the list refused the query (%s: an error code, "
			    "not a listing; use your own resolver)",
			    bl->answer);
		} else if (b[0] == 127) {
			bl->state = DC_BL_LISTED;
			dns_lookup(r, name, DNS_T_TXT, &t);
			if (t.status == DNS_OK && t.n > 0 && t.rr[0].text)
				mc_strlcpy(bl->text, t.rr[0].text,
				           sizeof(bl->text));
			dns_answer_fini(&t);
		} else {
			bl->state = DC_BL_ERROR;
			snprintf(bl->text, sizeof(bl->text),
			         "unexpected answer %s (not 127.0.0.0/8: a "
			         "hijacking resolver?)",
			         bl->answer);
		}
	}
	dns_answer_fini(&a);
}

/* Run every check that the options ask for. */
void
dnscheck_run(struct dns_resolver *r, const struct dnscheck_opts *o,
             struct dnscheck *out)
{
	memset(out, 0, sizeof(*out));
	if (o->domain != NULL) {
		check_mx(r, o->domain, out);
		if (out->dns_dead)
			return;
		spf_check(r, o->domain, o->ip, &out->spf);
		check_dmarc(r, o->domain, out);
		if (o->selector != NULL)
			check_dkim(r, o->domain, o->selector, out);
	}
	if (o->ip != NULL) {
		check_ptr(r, o->ip, out);
		if (o->domain == NULL && is_dead(out->ptr_status)) {
			out->dns_dead = true;
			snprintf(out->dns_error, sizeof(out->dns_error),
			         "PTR %.46s: %.60s", o->ip,
			         dns_status_phrase(out->ptr_status));
			return;
		}
		for (size_t i = 0; i < o->ndnsbl && i < DC_DNSBL_MAX; i++)
			check_bl(r, o->ip, o->dnsbl[i], &out->bl[out->nbl++]);
	}
}
