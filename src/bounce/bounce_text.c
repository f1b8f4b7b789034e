/*
 * bounce_text.c — small text helpers of the bounce parser: addresses,
 * status and reply codes in free text, cleaning diagnostics, the
 * recipient list.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "base/str.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "bounce/bounce_impl.h"

/* May c appear in the local part of an unquoted addr-spec? */
static bool
is_local_char(unsigned char c)
{
	return isalnum(c) || (c != 0 && strchr(".!#$%&'*+/=?^_`{|}~-", c));
}

/* May c appear in a domain name? */
static bool
is_domain_char(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_';
}

/* Find the next addr-spec in s[0..n) from *pos (see bounce_impl.h). */
bool
bounce_next_addr(const char *s, size_t n, size_t *pos, char *out,
                 size_t outsize, size_t *start)
{
	size_t i = *pos;

	while (i < n) {
		const char *at = memchr(s + i, '@', n - i);
		if (at == NULL)
			break;
		size_t a = (size_t)(at - s), l = a, e = a + 1;
		while (l > 0 && is_local_char((unsigned char)s[l - 1]) &&
		       a - l < 64)
			l--;
		while (l < a && (s[l] == '.' || s[l] == '\'' || s[l] == '/' ||
		                 s[l] == '=' || s[l] == '`'))
			l++;
		while (e < n && is_domain_char((unsigned char)s[e]) &&
		       e - a < 255)
			e++;
		while (e > a + 1 && (s[e - 1] == '.' || s[e - 1] == '-'))
			e--;
		i = a + 1;
		if (l == a || e <= a + 1)
			continue;
		/* A domain needs a dot and must not be an IP literal. */
		if (memchr(s + a + 1, '.', e - a - 1) == NULL)
			continue;
		if (isdigit((unsigned char)s[e - 1]))
			continue;
		size_t len = e - l;
		if (len + 1 > outsize)
			continue;
		for (size_t k = 0; k < len; k++)
			out[k] = (char)tolower((unsigned char)s[l + k]);
		out[len] = '\0';
		*pos = e;
		if (start != NULL)
			*start = l;
		return true;
	}
	*pos = n;
	return false;
}

/* The first addr-spec of s[0..n). */
bool
bounce_first_addr(const char *s, size_t n, char *out, size_t outsize)
{
	size_t pos = 0;

	return bounce_next_addr(s, n, &pos, out, outsize, NULL);
}

/* Does s[i..] hold a status code "[245].d{1,3}.d{1,3}"?  Its length. */
static size_t
status_at(const char *s, size_t n, size_t i)
{
	size_t j = i + 1, k;

	if (i > 0 && (isdigit((unsigned char)s[i - 1]) || s[i - 1] == '.'))
		return 0;
	if (s[i] != '2' && s[i] != '4' && s[i] != '5')
		return 0;
	for (int part = 0; part < 2; part++) {
		if (j >= n || s[j] != '.')
			return 0;
		j++;
		for (k = 0; k < 3 && j < n && isdigit((unsigned char)s[j]); k++)
			j++;
		if (k == 0)
			return 0;
	}
	if (j < n &&
	    (isdigit((unsigned char)s[j]) ||
	     (s[j] == '.' && j + 1 < n && isdigit((unsigned char)s[j + 1]))))
		return 0;
	return j - i;
}

/* Does s[i..] hold a reply code "[245]dd" standing alone? */
static bool
code_at(const char *s, size_t n, size_t i)
{
	if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '.' ||
	              s[i - 1] == '-' || s[i - 1] == '/' || s[i - 1] == ':' ||
	              s[i - 1] == '#'))
		return false;
	if (i + 3 > n || (s[i] != '2' && s[i] != '4' && s[i] != '5') ||
	    !isdigit((unsigned char)s[i + 1]) ||
	    !isdigit((unsigned char)s[i + 2]))
		return false;
	if (s[i + 1] > '5')
		return false;
	if (i + 3 == n)
		return true;
	return s[i + 3] == ' ' || s[i + 3] == '-' || s[i + 3] == '\t' ||
	       s[i + 3] == '\n' || s[i + 3] == ']' || s[i + 3] == ')';
}

/* Status and reply code in free text (see bounce_impl.h). */
void
bounce_find_codes(const char *s, size_t n, char *status, size_t statussize,
                  int *code)
{
	bool want_status = status[0] == '\0', want_code = *code == 0;

	for (size_t i = 0; i < n && (want_status || want_code); i++) {
		unsigned char c = (unsigned char)s[i];
		if (c != '2' && c != '4' && c != '5')
			continue;
		size_t sl;
		if (want_status && (sl = status_at(s, n, i)) != 0) {
			if (sl < statussize) {
				memcpy(status, s + i, sl);
				status[sl] = '\0';
			}
			want_status = false;
			i += sl - 1;
			continue;
		}
		if (want_code && code_at(s, n, i)) {
			*code = (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 +
			        (s[i + 2] - '0');
			want_code = false;
		}
	}
}

/* A clean, bounded heap copy of a diagnostic (see bounce_impl.h). */
char *
bounce_clean_text(const char *s, size_t n)
{
	char *out = xmalloc(BOUNCE_MAX_DIAGNOSTIC + 1);
	size_t o = 0;
	bool space = true; /* drop leading white space */

	for (size_t i = 0; i < n && o < BOUNCE_MAX_DIAGNOSTIC;) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
		    c == 0x1b) {
			if (!space)
				out[o++] = ' ';
			space = true;
			i++;
			continue;
		}
		space = false;
		if (c < 0x20 || c == 0x7f) {
			out[o++] = '?';
			i++;
			continue;
		}
		size_t l =
		    utf8_decode((const unsigned char *)s + i, n - i, NULL);
		if (l == 0) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + l > BOUNCE_MAX_DIAGNOSTIC)
			break;
		memcpy(out + o, s + i, l);
		o += l;
		i += l;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

/* Add (or find) the recipient with this address. */
struct bounce_rcpt *
bounce_add_rcpt(struct bounce_result *r, const char *address)
{
	struct bounce_rcpt *rc;

	for (size_t i = 0; i < r->nrcpts; i++)
		if (strcmp(r->rcpts[i].address, address) == 0)
			return &r->rcpts[i];
	if (r->nrcpts >= BOUNCE_MAX_RCPTS)
		return NULL;
	/* Grow by powers of two from 4. */
	if (r->nrcpts == 0 ||
	    (r->nrcpts >= 4 && (r->nrcpts & (r->nrcpts - 1)) == 0))
		r->rcpts =
		    xreallocarray(r->rcpts, r->nrcpts < 4 ? 4 : r->nrcpts * 2,
		                  sizeof(*r->rcpts));
	rc = &r->rcpts[r->nrcpts++];
	memset(rc, 0, sizeof(*rc));
	mc_strlcpy(rc->address, address, sizeof(rc->address));
	return rc;
}

/* Remember an address the text scanner must skip. */
void
bounce_exclude_add(struct bounce_exclude *x, const char *addr)
{
	if (addr[0] == '\0' || x->n >= BOUNCE_MAX_EXCLUDE ||
	    bounce_exclude_has(x, addr))
		return;
	mc_strlcpy(x->addr[x->n++], addr, BOUNCE_ADDR_MAX);
}

/* Is addr one the scanner must skip? */
bool
bounce_exclude_has(const struct bounce_exclude *x, const char *addr)
{
	for (int i = 0; i < x->n; i++)
		if (strcmp(x->addr[i], addr) == 0)
			return true;
	return false;
}
