/*
 * spf.c — RFC 7208 parsing and evaluation over the dns_resolver interface.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/error.h"
#include "base/str.h"
#include "diag/spf.h"

static const char *const result_names[] = {
#define SPF_R_NAME(name, word) word,
    SPF_RESULTS(SPF_R_NAME)
#undef SPF_R_NAME
};

/* The word of a result. */
const char *
spf_result_name(enum spf_result r)
{
	if ((size_t)r >= sizeof(result_names) / sizeof(result_names[0]))
		return "?";
	return result_names[r];
}

/* "v=spf1" followed by a space or the end. */
bool
spf_is_record(const char *text)
{
	return strncasecmp(text, "v=spf1", 6) == 0 &&
	       (text[6] == '\0' || text[6] == ' ');
}

/* Parse "/n" or "//n" or "/n//m" CIDR suffixes off the end of s[0..*len). */
static int
parse_cidr(const char *s, size_t *len, struct spf_term *t)
{
	const char *slash;
	unsigned long long v;
	size_t l = *len;

	/* "//n" is the IPv6 length, possibly after a "/n". */
	for (size_t i = 0; i + 1 < l; i++) {
		if (s[i] == '/' && s[i + 1] == '/') {
			if (!mc_parse_uint(s + i + 2, l - i - 2, 128, &v))
				return MC_EDATA;
			t->cidr6 = (int)v;
			l = i;
			break;
		}
	}
	slash = memchr(s, '/', l);
	if (slash != NULL) {
		size_t at = (size_t)(slash - s);

		if (!mc_parse_uint(slash + 1, l - at - 1, 128, &v))
			return MC_EDATA;
		t->cidr4 = (int)v;
		l = at;
	}
	*len = l;
	return 0;
}

/* Parse a record. */
int
spf_parse(const char *text, size_t len, struct spf_record *out, char *err,
          size_t errlen)
{
	static const struct {
		const char *name;
		enum spf_mech mech;
	} mechs[] = {
	    {"all", SPF_M_ALL}, {"include", SPF_M_INCLUDE}, {"a", SPF_M_A},
	    {"mx", SPF_M_MX},   {"ptr", SPF_M_PTR},         {"ip4", SPF_M_IP4},
	    {"ip6", SPF_M_IP6}, {"exists", SPF_M_EXISTS},
	};
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	if (len > SPF_RECORD_MAX) {
		snprintf(err, errlen, "SPF record longer than %d bytes",
		         SPF_RECORD_MAX);
		return MC_ELIMIT;
	}
	if (len < 6 || strncasecmp(text, "v=spf1", 6) != 0 ||
	    (len > 6 && text[6] != ' ')) {
		snprintf(err, errlen, "not an SPF record (no v=spf1)");
		return MC_EDATA;
	}
	i = 6;
	while (i < len) {
		size_t start, tl, nl;
		const char *tok, *colon, *eq;
		struct spf_term *t;
		bool found = false;

		while (i < len && text[i] == ' ')
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && text[i] != ' ')
			i++;
		tok = text + start;
		tl = i - start;
		if (out->n >= SPF_TERMS_MAX) {
			snprintf(err, errlen, "more than %d SPF terms",
			         SPF_TERMS_MAX);
			return MC_ELIMIT;
		}
		t = &out->t[out->n];
		memset(t, 0, sizeof(*t));
		t->qual = '+';
		t->cidr4 = t->cidr6 = -1;
		snprintf(
		    t->text, sizeof(t->text), "%.*s",
		    (int)(tl < sizeof(t->text) - 1 ? tl : sizeof(t->text) - 1),
		    tok);
		if (strchr("+-~?", tok[0]) != NULL) {
			t->qual = tok[0];
			tok++;
			tl--;
		}
		eq = memchr(tok, '=', tl);
		colon = memchr(tok, ':', tl);
		nl = strcspn(tok, ":/= ");
		if (nl > tl)
			nl = tl;
		if (eq != NULL && (colon == NULL || eq < colon) &&
		    (size_t)(eq - tok) == nl) {
			size_t vl = tl - nl - 1;

			if (t->qual != '+' && tok[-1] != ' ' &&
			    strchr("+-~?", tok[-1]))
				goto bad;
			if (nl == 8 && strncasecmp(tok, "redirect", 8) == 0)
				t->mech = SPF_M_REDIRECT;
			else if (nl == 3 && strncasecmp(tok, "exp", 3) == 0)
				t->mech = SPF_M_EXP;
			else
				t->mech = SPF_M_OTHER;
			if (vl > DNS_NAME_MAX)
				goto bad;
			memcpy(t->domain, eq + 1, vl);
			t->domain[vl] = '\0';
			if (t->mech != SPF_M_OTHER && vl == 0)
				goto bad;
			out->n++;
			continue;
		}
		for (size_t m = 0; m < sizeof(mechs) / sizeof(mechs[0]); m++) {
			if (strlen(mechs[m].name) == nl &&
			    strncasecmp(tok, mechs[m].name, nl) == 0) {
				t->mech = mechs[m].mech;
				found = true;
			}
		}
		if (!found)
			goto bad;
		{
			const char *arg = tok + nl;
			size_t al = tl - nl;

			if (t->mech == SPF_M_IP4 || t->mech == SPF_M_IP6) {
				char a[64];

				if (al < 2 || arg[0] != ':')
					goto bad;
				arg++;
				al--;
				if (parse_cidr(arg, &al, t) != 0 ||
				    al >= sizeof(a))
					goto bad;
				memcpy(a, arg, al);
				a[al] = '\0';
				if (inet_pton(t->mech == SPF_M_IP4 ? AF_INET
				                                   : AF_INET6,
				              a, t->addr) != 1)
					goto bad;
				if (t->mech == SPF_M_IP4 && t->cidr4 > 32)
					goto bad;
				if (t->mech == SPF_M_IP6 && t->cidr4 >= 0) {
					t->cidr6 = t->cidr4;
					t->cidr4 = -1;
				}
			} else {
				if (t->mech == SPF_M_A || t->mech == SPF_M_MX) {
					if (parse_cidr(arg, &al, t) != 0 ||
					    t->cidr4 > 32)
						goto bad;
				}
				if (al > 0) {
					if (arg[0] != ':' || al < 2 ||
					    t->mech == SPF_M_ALL)
						goto bad;
					if (al - 1 > DNS_NAME_MAX)
						goto bad;
					memcpy(t->domain, arg + 1, al - 1);
					t->domain[al - 1] = '\0';
				} else if (t->mech == SPF_M_INCLUDE ||
				           t->mech == SPF_M_EXISTS)
					goto bad;
			}
		}
		out->n++;
		continue;
	bad:
		snprintf(err, errlen, "SPF syntax error at '%.*s'",
		         (int)(i - start > 80 ? 80 : i - start), text + start);
		return MC_EDATA;
	}
	return 0;
}

/* The state of one evaluation. */
struct spf_ctx {
	struct dns_resolver *r;
	const char *ip;
	int family;
	unsigned char ipb[16];
	unsigned lookups; /* on the evaluated path */
	unsigned voids;
	struct spf_eval *out;
};

/* Expand the macros we support into out; false when one is unsupported. */
static bool
expand(const struct spf_ctx *c, const char *spec, const char *domain, char *out,
       size_t outlen)
{
	size_t o = 0;

	for (const char *p = spec; *p != '\0'; p++) {
		char val[DNS_NAME_MAX + 1];
		const char *v = NULL;

		if (*p != '%') {
			if (o + 1 >= outlen)
				return false;
			out[o++] = *p;
			continue;
		}
		p++;
		if (*p == '%' || *p == '_' || *p == '-') {
			if (o + 1 >= outlen)
				return false;
			out[o++] = *p == '%' ? '%' : *p == '_' ? ' ' : '-';
			continue;
		}
		if (*p != '{')
			return false;
		if (strncmp(p, "{d}", 3) == 0 || strncmp(p, "{o}", 3) == 0 ||
		    strncmp(p, "{h}", 3) == 0)
			v = domain;
		else if (strncmp(p, "{i}", 3) == 0 && c->ip != NULL)
			v = c->ip;
		else if (strncmp(p, "{ir}", 4) == 0 && c->ip != NULL &&
		         c->family == AF_INET) {
			snprintf(val, sizeof(val), "%u.%u.%u.%u", c->ipb[3],
			         c->ipb[2], c->ipb[1], c->ipb[0]);
			v = val;
			p++;
		}
		if (v == NULL)
			return false;
		p += 2;
		if (o + strlen(v) >= outlen)
			return false;
		memcpy(out + o, v, strlen(v));
		o += strlen(v);
	}
	out[o] = '\0';
	return true;
}

/* Does addr (family) fall in net/bits? */
static bool
in_net(const unsigned char *a, const unsigned char *net, int bits, int alen)
{
	int full = bits / 8, rest = bits % 8;

	if (bits < 0)
		bits = alen * 8;
	full = bits / 8;
	rest = bits % 8;
	if (memcmp(a, net, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ net[full]) & (0xff << (8 - rest))) == 0;
}

/* Count a DNS-querying term; false once over the limit. */
static bool
count_lookup(struct spf_ctx *c)
{
	return ++c->lookups <= SPF_LOOKUP_LIMIT;
}

/* Does any A/AAAA of host match the address within the CIDR? */
static int
match_host(struct spf_ctx *c, const char *host, const struct spf_term *t)
{
	struct dns_answer a;
	int m = 0;

	dns_lookup(c->r, host, c->family == AF_INET ? DNS_T_A : DNS_T_AAAA, &a);
	if (a.status == DNS_TIMEOUT || a.status == DNS_SERVFAIL)
		m = -1;
	else if (a.status != DNS_OK)
		c->voids++;
	for (size_t i = 0; i < a.n && m == 0; i++) {
		const unsigned char *b =
		    c->family == AF_INET ? (const unsigned char *)&a.rr[i].in4
		                         : (const unsigned char *)&a.rr[i].in6;

		if (a.rr[i].family == c->family &&
		    in_net(c->ipb, b,
		           c->family == AF_INET ? t->cidr4 : t->cidr6,
		           c->family == AF_INET ? 4 : 16))
			m = 1;
	}
	dns_answer_fini(&a);
	return m;
}

static enum spf_result eval_domain(struct spf_ctx *c, const char *domain,
                                   int depth);

/* Evaluate one mechanism: 1 match, 0 no match, <0 an spf_result error. */
static int
eval_term(struct spf_ctx *c, const struct spf_term *t, const char *domain,
          int depth)
{
	char target[DNS_NAME_MAX + 1];
	struct dns_answer a;
	enum spf_result sub;
	int m = 0;

	if (t->domain[0] == '\0')
		mc_strlcpy(target, domain, sizeof(target));
	else if (!expand(c, t->domain, domain, target, sizeof(target))) {
		snprintf(c->out->note, sizeof(c->out->note),
		         "unsupported macro in '%.200s'", t->domain);
		return -(int)SPF_PERMERROR;
	}
	switch (t->mech) {
	case SPF_M_ALL:
		return 1;
	case SPF_M_IP4:
		return c->family == AF_INET &&
		       in_net(c->ipb, t->addr, t->cidr4, 4);
	case SPF_M_IP6:
		return c->family == AF_INET6 &&
		       in_net(c->ipb, t->addr, t->cidr6, 16);
	case SPF_M_INCLUDE:
		if (!count_lookup(c))
			return -(int)SPF_PERMERROR;
		sub = eval_domain(c, target, depth + 1);
		if (sub == SPF_PASS)
			return 1;
		if (sub == SPF_TEMPERROR)
			return -(int)SPF_TEMPERROR;
		if (sub == SPF_NONE || sub == SPF_PERMERROR)
			return -(int)SPF_PERMERROR;
		return 0;
	case SPF_M_A:
		if (!count_lookup(c))
			return -(int)SPF_PERMERROR;
		m = match_host(c, target, t);
		return m < 0 ? -(int)SPF_TEMPERROR : m;
	case SPF_M_MX:
		if (!count_lookup(c))
			return -(int)SPF_PERMERROR;
		dns_lookup(c->r, target, DNS_T_MX, &a);
		if (a.status != DNS_OK)
			c->voids++;
		for (size_t i = 0; i < a.n && i < 10 && m == 0; i++)
			if (a.rr[i].name && a.rr[i].name[0])
				m = match_host(c, a.rr[i].name, t);
		dns_answer_fini(&a);
		return m < 0 ? -(int)SPF_TEMPERROR : m;
	case SPF_M_EXISTS:
		if (!count_lookup(c))
			return -(int)SPF_PERMERROR;
		dns_lookup(c->r, target, DNS_T_A, &a);
		m = a.status == DNS_OK && a.n > 0;
		if (!m)
			c->voids++;
		dns_answer_fini(&a);
		return m;
	case SPF_M_PTR:
		/* Deprecated (RFC 7208 §5.5); counted, never matched here. */
		if (!count_lookup(c))
			return -(int)SPF_PERMERROR;
		return 0;
	default:
		return 0;
	}
}

/* Fetch domain's SPF record; SPF_NONE, SPF_TEMPERROR, SPF_PERMERROR or
 * SPF_PASS (meaning: found, in rec). */
static enum spf_result
fetch(struct spf_ctx *c, const char *domain, struct spf_record *rec, char *text,
      size_t textlen)
{
	struct dns_answer a;
	const char *found = NULL;
	int n = 0;
	char err[128];

	dns_lookup(c->r, domain, DNS_T_TXT, &a);
	if (a.status == DNS_TIMEOUT || a.status == DNS_SERVFAIL ||
	    a.status == DNS_REFUSED || a.status == DNS_ERROR) {
		snprintf(c->out->note, sizeof(c->out->note),
		         "TXT %.180s: %.40s", domain,
		         dns_status_phrase(a.status));
		dns_answer_fini(&a);
		return SPF_TEMPERROR;
	}
	for (size_t i = 0; i < a.n; i++)
		if (a.rr[i].text && spf_is_record(a.rr[i].text)) {
			found = a.rr[i].text;
			n++;
		}
	if (n == 0) {
		dns_answer_fini(&a);
		return SPF_NONE;
	}
	if (n > 1) {
		snprintf(c->out->note, sizeof(c->out->note),
		         "%.180s publishes %d SPF records (one allowed)",
		         domain, n);
		dns_answer_fini(&a);
		return SPF_PERMERROR;
	}
	mc_strlcpy(text, found, textlen);
	if (spf_parse(found, strlen(found), rec, err, sizeof(err)) != 0) {
		snprintf(c->out->note, sizeof(c->out->note), "%.100s: %.120s",
		         domain, err);
		dns_answer_fini(&a);
		return SPF_PERMERROR;
	}
	dns_answer_fini(&a);
	return SPF_PASS;
}

/* Evaluate the policy of domain for c->ip. */
static enum spf_result
eval_domain(struct spf_ctx *c, const char *domain, int depth)
{
	struct spf_record *rec;
	const struct spf_term *redirect = NULL;
	char text[SPF_RECORD_MAX + 1];
	enum spf_result res;

	if (depth > SPF_DEPTH_MAX) {
		snprintf(c->out->note, sizeof(c->out->note),
		         "include nesting deeper than %d", SPF_DEPTH_MAX);
		return SPF_PERMERROR;
	}
	rec = malloc(sizeof(*rec));
	if (rec == NULL)
		return SPF_TEMPERROR;
	res = fetch(c, domain, rec, text, sizeof(text));
	if (depth == 0 && res != SPF_TEMPERROR && res != SPF_NONE) {
		c->out->present = true;
		mc_strlcpy(c->out->record, text, sizeof(c->out->record));
	}
	if (res != SPF_PASS) {
		free(rec);
		return res;
	}
	for (size_t i = 0; i < rec->n; i++) {
		const struct spf_term *t = &rec->t[i];
		int m;

		if (t->mech == SPF_M_REDIRECT) {
			redirect = t;
			continue;
		}
		if (t->mech == SPF_M_EXP || t->mech == SPF_M_OTHER)
			continue;
		m = eval_term(c, t, domain, depth);
		if (c->voids > SPF_VOID_LIMIT) {
			snprintf(c->out->note, sizeof(c->out->note),
			         "more than %d void lookups", SPF_VOID_LIMIT);
			free(rec);
			return SPF_PERMERROR;
		}
		if (m < 0) {
			if (m == -(int)SPF_PERMERROR && c->out->note[0] == '\0')
				snprintf(c->out->note, sizeof(c->out->note),
				         "more than %d DNS lookups",
				         SPF_LOOKUP_LIMIT);
			free(rec);
			return (enum spf_result)(-m);
		}
		if (m == 1) {
			if (depth == 0)
				mc_strlcpy(c->out->matched, t->text,
				           sizeof(c->out->matched));
			res = t->qual == '-'   ? SPF_FAIL
			      : t->qual == '~' ? SPF_SOFTFAIL
			      : t->qual == '?' ? SPF_NEUTRAL
			                       : SPF_PASS;
			free(rec);
			return res;
		}
	}
	if (redirect != NULL) {
		char target[DNS_NAME_MAX + 1];

		if (!expand(c, redirect->domain, domain, target,
		            sizeof(target)) ||
		    !count_lookup(c)) {
			free(rec);
			return SPF_PERMERROR;
		}
		free(rec);
		res = eval_domain(c, target, depth + 1);
		return res == SPF_NONE ? SPF_PERMERROR : res;
	}
	free(rec);
	return SPF_NEUTRAL;
}

/* Count the lookups of the whole tree under domain. */
static void
count_tree(struct spf_ctx *c, const char *domain, int depth, unsigned *n)
{
	struct spf_record *rec;
	char text[SPF_RECORD_MAX + 1];
	char note[sizeof(c->out->note)];

	if (depth > SPF_DEPTH_MAX || *n > 99)
		return;
	rec = malloc(sizeof(*rec));
	if (rec == NULL)
		return;
	memcpy(note, c->out->note, sizeof(note));
	if (fetch(c, domain, rec, text, sizeof(text)) != SPF_PASS) {
		memcpy(c->out->note, note, sizeof(note));
		free(rec);
		return;
	}
	for (size_t i = 0; i < rec->n && *n <= 99; i++) {
		const struct spf_term *t = &rec->t[i];
		char target[DNS_NAME_MAX + 1];

		switch (t->mech) {
		case SPF_M_INCLUDE:
		case SPF_M_REDIRECT:
			(*n)++;
			if (expand(c, t->domain, domain, target,
			           sizeof(target)))
				count_tree(c, target, depth + 1, n);
			break;
		case SPF_M_A:
		case SPF_M_MX:
		case SPF_M_PTR:
		case SPF_M_EXISTS:
			(*n)++;
			break;
		default:
			break;
		}
	}
	free(rec);
}

/* Fetch, count and evaluate. */
void
spf_check(struct dns_resolver *r, const char *domain, const char *ip,
          struct spf_eval *out)
{
	struct spf_ctx c;
	unsigned n = 0;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.out = out;
	c.ip = ip;
	if (ip != NULL) {
		if (inet_pton(AF_INET, ip, c.ipb) == 1)
			c.family = AF_INET;
		else if (inet_pton(AF_INET6, ip, c.ipb) == 1)
			c.family = AF_INET6;
		else
			c.ip = NULL;
	}
	if (c.ip == NULL) {
		/* No address: evaluate nothing, but still fetch and parse. */
		c.family = AF_INET;
		memset(c.ipb, 0, sizeof(c.ipb));
	}
	out->result = eval_domain(&c, domain, 0);
	out->voids = c.voids;
	if (out->present) {
		count_tree(&c, domain, 0, &n);
		out->lookups = n;
		out->over_limit = n > SPF_LOOKUP_LIMIT;
	}
	if (ip == NULL && out->result != SPF_NONE &&
	    out->result != SPF_TEMPERROR && out->result != SPF_PERMERROR)
		out->result = SPF_NEUTRAL;
}
