/*
 * address.c — see address.h.  The grammar is RFC 5321 4.1.2 with the
 * UTF-8 extensions of RFC 6531 3.3; comments and obsolete forms of RFC 5322
 * are not accepted: a list of recipients is no place for them.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/str.h"
#include "base/utf8.h"
#include "msg/address.h"

/* RFC 5322 atext for the ASCII range. */
static bool
is_atext(unsigned char c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* Describe a byte that may not appear, for error messages. */
static const char *
bad_byte_name(unsigned char c)
{
	if (c == ' ' || c == '\t')
		return "space";
	if (c < 0x20 || c == 0x7f)
		return "control character";
	if (c >= 0x80)
		return "invalid UTF-8";
	return NULL;
}

/* Check a local part; sets *utf8.  Returns 0 or MC_EDATA. */
static int
parse_local(const unsigned char *s, size_t n, bool *utf8, char *err,
            size_t errsz)
{
	*utf8 = false;
	if (n == 0)
		return mc_fail(MC_EDATA, err, errsz,
		               "empty local part before '@'");
	if (n > ADDR_LOCAL_MAX)
		return mc_fail(MC_EDATA, err, errsz,
		               "local part longer than %d octets",
		               ADDR_LOCAL_MAX);
	if (s[0] == '"') {
		if (n < 2 || s[n - 1] != '"')
			return mc_fail(MC_EDATA, err, errsz,
			               "unterminated quoted local part");
		for (size_t i = 1; i < n - 1;) {
			unsigned char c = s[i];
			if (c == '\\') {
				if (i + 1 >= n - 1 || s[i + 1] < 32 ||
				    s[i + 1] > 126)
					return mc_fail(
					    MC_EDATA, err, errsz,
					    "bad backslash escape in quoted "
					    "local part");
				i += 2;
			} else if (c >= 0x80) {
				size_t k = utf8_decode(s + i, n - 1 - i, NULL);
				if (k == 0)
					return mc_fail(
					    MC_EDATA, err, errsz,
					    "invalid UTF-8 in local part");
				*utf8 = true;
				i += k;
			} else if (c == '"') {
				return mc_fail(
				    MC_EDATA, err, errsz,
				    "unescaped '\"' inside quoted local part");
			} else if (c < 32 || c == 127) {
				return mc_fail(
				    MC_EDATA, err, errsz,
				    "control character in local part");
			} else if (c == ' ' || c == '<' || c == '>') {
				/* valid in RFC 5321's quoted string, but no
				 * SMTP client here puts it in a command (RFC
				 * 5321 4.1.2: such mailboxes SHOULD be
				 * avoided): one rule for import and send */
				return mc_fail(
				    MC_EDATA, err, errsz,
				    "'%c' in a quoted local part is not "
				    "sent by mailcast",
				    c);
			} else {
				i++;
			}
		}
		return 0;
	}
	if (s[0] == '.' || s[n - 1] == '.')
		return mc_fail(MC_EDATA, err, errsz,
		               "local part starts or ends with '.'");
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c == '.') {
			if (s[i + 1] == '.')
				return mc_fail(
				    MC_EDATA, err, errsz,
				    "two dots in a row in local part");
			i++;
		} else if (c >= 0x80) {
			size_t k = utf8_decode(s + i, n - i, NULL);
			if (k == 0)
				return mc_fail(MC_EDATA, err, errsz,
				               "invalid UTF-8 in local part");
			*utf8 = true;
			i += k;
		} else if (is_atext(c)) {
			i++;
		} else {
			const char *what = bad_byte_name(c);
			if (what != NULL)
				return mc_fail(MC_EDATA, err, errsz,
				               "%s in local part", what);
			return mc_fail(
			    MC_EDATA, err, errsz,
			    "character '%c' in local part needs quoting", c);
		}
	}
	return 0;
}

bool
addr_domain_valid(const char *s, size_t n)
{
	size_t label = 0;
	size_t last_start = 0;
	bool all_digits = true;

	if (n == 0 || n > ADDR_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0 || label > ADDR_LABEL_MAX)
				return false;
			if (s[i - label] == '-' || s[i - 1] == '-')
				return false;
			last_start = i - label;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
		label++;
	}
	/* A top-level label of digits only is an IP address, not a name. */
	for (size_t i = last_start; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			all_digits = false;
	return !all_digits;
}

/* Parse an address literal "[...]" into out->domain. */
static int
parse_literal(const char *s, size_t n, struct addr *out, char *err,
              size_t errsz)
{
	char tmp[64]; /* the longest IPv6 literal is 45 */
	unsigned char bin[16];

	if (n < 3 || s[n - 1] != ']' || n - 2 >= sizeof(tmp))
		return mc_fail(MC_EDATA, err, errsz,
		               "malformed address literal");
	memcpy(tmp, s + 1, n - 2);
	tmp[n - 2] = '\0';
	if (mc_istarts(tmp, n - 2, "IPv6:")) {
		if (inet_pton(AF_INET6, tmp + 5, bin) != 1)
			return mc_fail(MC_EDATA, err, errsz,
			               "bad IPv6 address literal");
		snprintf(out->domain, sizeof(out->domain), "[IPv6:");
		size_t o = strlen(out->domain);
		for (size_t i = 5; tmp[i]; i++)
			out->domain[o++] = (char)tolower((unsigned char)tmp[i]);
		out->domain[o++] = ']';
		out->domain[o] = '\0';
		return 0;
	}
	if (inet_pton(AF_INET, tmp, bin) != 1)
		return mc_fail(MC_EDATA, err, errsz,
		               "bad IPv4 address literal");
	snprintf(out->domain, sizeof(out->domain), "[%s]", tmp);
	return 0;
}

/* Parse and normalise a domain into out->domain. */
static int
parse_domain(const char *s, size_t n, struct addr *out, char *err, size_t errsz)
{
	bool ascii = true;

	if (n == 0)
		return mc_fail(MC_EDATA, err, errsz, "empty domain after '@'");
	if (s[0] == '[')
		return parse_literal(s, n, out, err, errsz);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			ascii = false;
			continue;
		}
		const char *what = bad_byte_name(c);
		if (what != NULL)
			return mc_fail(MC_EDATA, err, errsz, "%s in domain",
			               what);
	}
	if (ascii) {
		if (n > ADDR_DOMAIN_MAX)
			return mc_fail(MC_EDATA, err, errsz,
			               "domain longer than %d octets",
			               ADDR_DOMAIN_MAX);
		for (size_t i = 0; i < n; i++)
			out->domain[i] = (char)tolower((unsigned char)s[i]);
		out->domain[n] = '\0';
	} else {
		/* libidn2 wants a NUL-terminated string; n is bounded by
		 * ADDR_INPUT_MAX. */
		char tmp[ADDR_INPUT_MAX + 1];
		char *alabel = NULL;
		int rc;

		for (size_t i = 0; i < n;) {
			if ((unsigned char)s[i] < 0x80) {
				i++;
				continue;
			}
			size_t k = utf8_decode((const unsigned char *)s + i,
			                       n - i, NULL);
			if (k == 0)
				return mc_fail(MC_EDATA, err, errsz,
				               "invalid UTF-8 in domain");
			i += k;
		}
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		rc = idn2_lookup_u8((const uint8_t *)tmp, (uint8_t **)&alabel,
		                    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK)
			return mc_fail(MC_EDATA, err, errsz,
			               "bad internationalised domain: %s",
			               idn2_strerror(rc));
		size_t alen = strlen(alabel);
		if (alen > ADDR_DOMAIN_MAX) {
			idn2_free(alabel);
			return mc_fail(MC_EDATA, err, errsz,
			               "domain longer than %d octets",
			               ADDR_DOMAIN_MAX);
		}
		for (size_t i = 0; i <= alen; i++)
			out->domain[i] =
			    (char)tolower((unsigned char)alabel[i]);
		idn2_free(alabel);
	}
	size_t dlen = strlen(out->domain);
	if (dlen == 0)
		return mc_fail(MC_EDATA, err, errsz, "empty domain after '@'");
	if (!addr_domain_valid(out->domain, dlen)) {
		if (out->domain[dlen - 1] == '.')
			return mc_fail(MC_EDATA, err, errsz,
			               "domain ends with '.'");
		for (size_t i = 0, l = 0; i <= dlen; i++, l++) {
			if (i == dlen || out->domain[i] == '.') {
				if (l == 0)
					return mc_fail(MC_EDATA, err, errsz,
					               "empty label in domain");
				if (l > ADDR_LABEL_MAX)
					return mc_fail(
					    MC_EDATA, err, errsz,
					    "domain label longer than %d "
					    "octets",
					    ADDR_LABEL_MAX);
				l = (size_t)-1;
			}
		}
		return mc_fail(
		    MC_EDATA, err, errsz,
		    "domain is not a host name (letters, digits, '-' "
		    "between dots; an IP address goes in brackets)");
	}
	return 0;
}

/*
 * The canonical form of a local part parse_local() accepted, into out
 * (ADDR_LOCAL_MAX + 1 bytes): a quoted one loses the escapes it does not
 * need, and its quotes when what is inside is a dot-atom (RFC 5321 4.1.2:
 * a quoted string is sent only when a dot-string will not do), so
 * "jo.e"@d, "j\o.e"@d and jo.e@d are one mailbox: one contact, one
 * suppression entry.  Never longer than the input.
 */
static void
local_canonical(const unsigned char *s, size_t n, char *out)
{
	char raw[ADDR_LOCAL_MAX + 1];
	size_t k = 0, o = 0;
	bool atom;

	if (s[0] != '"') {
		memcpy(out, s, n);
		out[n] = '\0';
		return;
	}
	for (size_t i = 1; i < n - 1; i++)
		raw[k++] = (char)s[i] == '\\' ? (char)s[++i] : (char)s[i];
	atom = k > 0 && raw[0] != '.' && raw[k - 1] != '.';
	for (size_t i = 0; i < k && atom; i++) {
		unsigned char c = (unsigned char)raw[i];
		atom = c >= 0x80 || is_atext(c) ||
		       (c == '.' && i + 1 < k && raw[i + 1] != '.');
	}
	if (atom) {
		memcpy(out, raw, k);
		out[k] = '\0';
		return;
	}
	out[o++] = '"';
	for (size_t i = 0; i < k; i++) {
		if (raw[i] == '"' || raw[i] == '\\')
			out[o++] = '\\';
		out[o++] = raw[i];
	}
	out[o++] = '"';
	out[o] = '\0';
}

int
addr_parse(const char *s, size_t len, struct addr *out, char *err, size_t errsz)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t at;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return mc_fail(MC_EDATA, err, errsz, "empty address");
	if (len > ADDR_INPUT_MAX)
		return mc_fail(MC_EDATA, err, errsz,
		               "address longer than %d octets",
		               ADDR_PATH_MAX - 2);
	if (u[0] == '@' && memchr(u, ':', len) != NULL)
		return mc_fail(MC_EDATA, err, errsz,
		               "a source route (@host:) is not accepted");
	/* Find the '@' that ends the local part: after the closing quote of
	 * a quoted local part, else the first one. */
	if (u[0] == '"') {
		size_t i = 1;
		while (i < len && u[i] != '"') {
			if (u[i] == '\\' && i + 1 < len)
				i++;
			i++;
		}
		if (i >= len)
			return mc_fail(MC_EDATA, err, errsz,
			               "unterminated quoted local part");
		at = i + 1;
		if (at >= len || u[at] != '@')
			return mc_fail(MC_EDATA, err, errsz,
			               "no '@' after the quoted local part");
	} else {
		const unsigned char *p = memchr(u, '@', len);
		if (p == NULL)
			return mc_fail(MC_EDATA, err, errsz,
			               "no '@' in address");
		at = (size_t)(p - u);
	}
	if ((rc = parse_local(u, at, &out->utf8, err, errsz)) != 0)
		return rc;
	if (memchr(u + at + 1, '@', len - at - 1) != NULL)
		return mc_fail(MC_EDATA, err, errsz,
		               "more than one '@' in address");
	if ((rc = parse_domain(s + at + 1, len - at - 1, out, err, errsz)) != 0)
		return rc;
	local_canonical(u, at, out->local);
	if (at + 1 + strlen(out->domain) > ADDR_PATH_MAX - 2)
		return mc_fail(MC_EDATA, err, errsz,
		               "address longer than %d octets",
		               ADDR_PATH_MAX - 2);
	return 0;
}

void
addr_format(const struct addr *a, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s@%s", a->local, a->domain);
}

/* Trim ASCII spaces and tabs from both ends of s[*start..*end). */
static void
trim(const char *s, size_t *start, size_t *end)
{
	while (*start < *end && (s[*start] == ' ' || s[*start] == '\t'))
		(*start)++;
	while (*end > *start && (s[*end - 1] == ' ' || s[*end - 1] == '\t'))
		(*end)--;
}

int
addr_parse_mailbox(const char *s, size_t len, struct addr *out, char *name,
                   size_t namesz, char *err, size_t errsz)
{
	size_t b = 0, e = len;
	size_t o = 0;

	if (name != NULL && namesz > 0)
		name[0] = '\0';
	if (len > ADDR_INPUT_MAX)
		return mc_fail(MC_EDATA, err, errsz,
		               "address longer than %d octets", ADDR_INPUT_MAX);
	trim(s, &b, &e);
	if (e == b || s[e - 1] != '>')
		return addr_parse(s + b, e - b, out, err, errsz);
	const char *lt = NULL;
	for (size_t i = e - 1; i > b; i--) {
		if (s[i - 1] == '<') {
			lt = s + i - 1;
			break;
		}
	}
	if (lt == NULL)
		return mc_fail(MC_EDATA, err, errsz,
		               "'>' without '<' in address");
	size_t ne = (size_t)(lt - s), nb = b;
	trim(s, &nb, &ne);
	if (ne > nb && s[nb] == '"') {
		if (ne - nb < 2 || s[ne - 1] != '"')
			return mc_fail(MC_EDATA, err, errsz,
			               "unterminated quoted name");
		nb++;
		ne--;
	}
	for (size_t i = nb; i < ne; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\' && i + 1 < ne)
			c = (unsigned char)s[++i];
		if (c < 0x20 || c == 0x7f)
			return mc_fail(MC_EDATA, err, errsz,
			               "control character in display name");
		if (name != NULL && o + 1 < namesz)
			name[o++] = (char)c;
	}
	if (name != NULL && namesz > 0)
		name[o] = '\0';
	if (ne - nb > ADDR_NAME_MAX)
		return mc_fail(MC_EDATA, err, errsz,
		               "display name longer than %d octets",
		               ADDR_NAME_MAX);
	size_t ab = (size_t)(lt - s) + 1;
	return addr_parse(s + ab, e - 1 - ab, out, err, errsz);
}
