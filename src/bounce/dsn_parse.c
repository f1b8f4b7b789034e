/*
 * dsn_parse.c — RFC 3464 delivery-status and RFC 5965 feedback-report
 * field blocks.
 *
 * Both are header-like blocks ("Name: value", folded lines continue with
 * white space).  A DSN has one per-message group, then one group per
 * recipient separated by blank lines; broken reports that omit the blank
 * line are read too, since each Final-Recipient starts a new recipient.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "base/str.h"
#include "base/xmalloc.h"
#include "bounce/bounce_impl.h"

/* One unfolded field: name and value spans into the source text. */
struct field {
	const char *name;
	size_t namelen;
	const char *value;
	size_t valuelen;   /* includes folded continuation lines */
	bool blank_before; /* a blank line came before it */
};

/*
 * Read the next field from s[*pos..n).  Lines that are neither a field nor
 * a continuation are skipped.  Returns false at the end.
 */
static bool
next_field(const char *s, size_t n, size_t *pos, struct field *f)
{
	size_t i = *pos;

	f->blank_before = false;
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) : n;
		size_t c = i;
		if (e == i || (e == i + 1 && s[i] == '\r')) {
			f->blank_before = true;
			i = e + 1;
			continue;
		}
		while (c < e && s[c] != ':' && s[c] != ' ' && s[c] != '\t')
			c++;
		if (c == i || c >= e || s[c] != ':') {
			i = e + 1; /* not a field */
			continue;
		}
		f->name = s + i;
		f->namelen = c - i;
		c++;
		while (c < e && (s[c] == ' ' || s[c] == '\t'))
			c++;
		f->value = s + c;
		/* Continuation lines start with white space. */
		while (e < n && e + 1 < n &&
		       (s[e + 1] == ' ' || s[e + 1] == '\t')) {
			nl = memchr(s + e + 1, '\n', n - e - 1);
			e = nl ? (size_t)(nl - s) : n;
		}
		f->valuelen = (size_t)(s + e - f->value);
		*pos = e < n ? e + 1 : n;
		return true;
	}
	*pos = n;
	return false;
}

/* Is the field called name (case-insensitive)? */
static bool
field_is(const struct field *f, const char *name)
{
	return mc_ieq(f->name, f->namelen, name);
}

/* Copy a value without its "type;" prefix, trimmed, into out. */
static void
copy_typed(const struct field *f, char *out, size_t outsize)
{
	const char *v = f->value;
	size_t n = f->valuelen;
	const char *semi = memchr(v, ';', n);

	if (semi != NULL) {
		n -= (size_t)(semi + 1 - v);
		v = semi + 1;
	}
	while (n > 0 && isspace((unsigned char)*v))
		v++, n--;
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	if (n >= outsize)
		n = outsize - 1;
	for (size_t i = 0; i < n; i++)
		out[i] =
		    (v[i] == '\r' || v[i] == '\n' || v[i] == '\t') ? ' ' : v[i];
	out[n] = '\0';
}

/* Fill in the recipient-level fields of one DSN group. */
struct dsn_group {
	char final[BOUNCE_ADDR_MAX];
	char original[BOUNCE_ADDR_MAX];
	char action[16];
	char status[16];
	char remote_mta[BOUNCE_ADDR_MAX];
	const char *diag;
	size_t diaglen;
	bool any;
};

/* Turn a finished group into a recipient of r. */
static int
group_flush(struct dsn_group *g, struct bounce_result *r)
{
	char addr[BOUNCE_ADDR_MAX];
	struct bounce_rcpt *rc;
	int added = 0;

	if (g->any && (bounce_first_addr(g->final, strlen(g->final), addr,
	                                 sizeof(addr)) ||
	               bounce_first_addr(g->original, strlen(g->original), addr,
	                                 sizeof(addr)))) {
		rc = bounce_add_rcpt(r, addr);
		if (rc != NULL) {
			for (size_t i = 0; g->action[i]; i++)
				g->action[i] =
				    (char)tolower((unsigned char)g->action[i]);
			if (g->action[0])
				mc_strlcpy(rc->action, g->action,
				           sizeof(rc->action));
			if (g->status[0]) {
				/* "5.1.1 (user unknown)" -> "5.1.1" */
				char st[16] = "";
				int code = -1;
				bounce_find_codes(g->status, strlen(g->status),
				                  st, sizeof(st), &code);
				if (st[0])
					mc_strlcpy(rc->status, st,
					           sizeof(rc->status));
			}
			if (g->remote_mta[0])
				mc_strlcpy(rc->remote_mta, g->remote_mta,
				           sizeof(rc->remote_mta));
			if (g->diag != NULL && rc->diagnostic == NULL) {
				const char *d = g->diag;
				size_t dl = g->diaglen;
				const char *semi =
				    memchr(d, ';', dl < 16 ? dl : 16);
				if (semi != NULL) {
					dl -= (size_t)(semi + 1 - d);
					d = semi + 1;
				}
				rc->diagnostic = bounce_clean_text(d, dl);
			}
			added = 1;
		}
	}
	memset(g, 0, sizeof(*g));
	return added;
}

/* RFC 3464 delivery-status (see bounce_impl.h). */
int
dsn_parse(const char *s, size_t n, struct bounce_result *r)
{
	struct dsn_group g;
	struct field f;
	size_t pos = 0;
	int added = 0;

	memset(&g, 0, sizeof(g));
	while (next_field(s, n, &pos, &f)) {
		bool starts = field_is(&f, "Final-Recipient") ||
		              field_is(&f, "Original-Recipient");
		if (g.any &&
		    (f.blank_before ||
		     (field_is(&f, "Final-Recipient") && g.final[0]) ||
		     (field_is(&f, "Original-Recipient") && g.original[0])))
			added += group_flush(&g, r);
		if (field_is(&f, "Final-Recipient"))
			copy_typed(&f, g.final, sizeof(g.final));
		else if (field_is(&f, "Original-Recipient"))
			copy_typed(&f, g.original, sizeof(g.original));
		else if (field_is(&f, "Action"))
			copy_typed(&f, g.action, sizeof(g.action));
		else if (field_is(&f, "Status"))
			copy_typed(&f, g.status, sizeof(g.status));
		else if (field_is(&f, "Remote-MTA"))
			copy_typed(&f, g.remote_mta, sizeof(g.remote_mta));
		else if (field_is(&f, "Diagnostic-Code")) {
			g.diag = f.value;
			g.diaglen = f.valuelen;
		} else if (!starts)
			continue;
		if (starts)
			g.any = true;
	}
	added += group_flush(&g, r);
	return added;
}

/* RFC 5965 feedback-report (see bounce_impl.h). */
int
arf_parse(const char *s, size_t n, struct bounce_result *r)
{
	struct field f;
	size_t pos = 0;
	int added = 0;
	char addr[BOUNCE_ADDR_MAX];

	while (next_field(s, n, &pos, &f)) {
		if (field_is(&f, "Feedback-Type")) {
			copy_typed(&f, r->feedback_type,
			           sizeof(r->feedback_type));
			for (char *p = r->feedback_type; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		} else if (field_is(&f, "Original-Rcpt-To") ||
		           field_is(&f, "Removal-Recipient")) {
			if (bounce_first_addr(f.value, f.valuelen, addr,
			                      sizeof(addr)) &&
			    bounce_add_rcpt(r, addr) != NULL)
				added++;
		}
	}
	return added;
}

/* The first value of a header field in a header block. */
bool
bounce_header_value(const char *s, size_t n, const char *name, char *out,
                    size_t outsize)
{
	struct field f;
	size_t pos = 0;

	while (next_field(s, n, &pos, &f)) {
		if (f.blank_before)
			break; /* the end of the header block */
		if (field_is(&f, name)) {
			size_t l = f.valuelen;
			while (l > 0 && isspace((unsigned char)f.value[l - 1]))
				l--;
			if (l >= outsize)
				l = outsize - 1;
			memcpy(out, f.value, l);
			out[l] = '\0';
			return true;
		}
	}
	return false;
}
