/*
 * mailbox_url.c — pop3[s]://USER@HOST[:PORT] and
 * imap[s]://USER@HOST[:PORT][/FOLDER] (mailbox_url.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/mailbox_url.h"
#include "base/error.h"
#include "base/str.h"
#include "net/tcp.h"

/* Is c a control character (below 0x20, or 0x7f)? */
static bool
is_ctl(long c)
{
	return (c >= 0 && c < 0x20) || c == 0x7f;
}

/*
 * Which part of url holds a control character, raw or %-escaped: "user",
 * "password", "host", "folder", or "scheme"; NULL when none does.
 */
static const char *
ctl_part(const char *url)
{
	const char *sep = strstr(url, "://");
	const char *p = sep ? sep + 3 : url;
	const char *slash = strchr(p, '/');
	const char *at = NULL;

	for (const char *q = p; *q && (slash == NULL || q < slash); q++)
		if (*q == '@')
			at = q;
	for (const char *q = url; *q; q++) {
		long c = (unsigned char)*q;
		if (*q == '%' && isxdigit((unsigned char)q[1]) &&
		    isxdigit((unsigned char)q[2])) {
			char hex[3] = {q[1], q[2], 0};
			c = strtol(hex, NULL, 16);
		}
		if (!is_ctl(c))
			continue;
		if (q < p)
			return "scheme";
		if (slash && q > slash)
			return "folder";
		if (at && q < at) {
			const char *colon = memchr(p, ':', (size_t)(at - p));
			return colon && q > colon ? "password" : "user";
		}
		return "host";
	}
	return NULL;
}

/*
 * Decode %XX escapes in place; false on a bad one, or on one that decodes
 * to a control character (%00 would cut the value short, %0d%0a would put
 * a command on the POP3/IMAP wire).
 */
static bool
pct_decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '%') {
			if (!isxdigit((unsigned char)s[1]) ||
			    !isxdigit((unsigned char)s[2]))
				return false;
			char hex[3] = {s[1], s[2], 0};
			long v = strtol(hex, NULL, 16);
			if (is_ctl(v)) /* ctl_part() found them first */
				return false;
			*o++ = (char)v;
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return true;
}

/* Parse pop3[s]://USER@HOST[:PORT] or imap[s]://USER@HOST[:PORT][/FOLDER]. */
int
mailbox_url_parse(const char *url, struct mailbox_url *u, char *err,
                  size_t errsz)
{
	static const struct {
		const char *scheme;
		enum mailbox_proto proto;
		bool implicit;
		int port;
	} schemes[] = {
	    {"pop3://", MAILBOX_POP3, false, 110},
	    {"pop3s://", MAILBOX_POP3, true, 995},
	    {"imap://", MAILBOX_IMAP, false, 143},
	    {"imaps://", MAILBOX_IMAP, true, 993},
	};
	const char *rest = NULL, *at, *slash;
	char hostport[300];

	memset(u, 0, sizeof(*u));
	/* %00 would cut a value short, %0d%0a put a command on the wire.
	 * The URL is not quoted back: it is what may be hostile. */
	const char *part = ctl_part(url);
	if (part) {
		snprintf(err, errsz,
		         "--mailbox: the %s contains a control character "
		         "(CR, LF, NUL, raw or %%-escaped)",
		         part);
		return MC_EINVAL;
	}
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i].scheme);
		if (strncasecmp(url, schemes[i].scheme, n) == 0) {
			rest = url + n;
			u->proto = schemes[i].proto;
			u->implicit = schemes[i].implicit;
			u->port = schemes[i].port;
		}
	}
	if (rest == NULL) {
		snprintf(err, errsz,
		         "--mailbox '%s': the URL must start with pop3://, "
		         "pop3s://, imap:// or imaps://",
		         url);
		return MC_EINVAL;
	}
	slash = strchr(rest, '/');
	size_t hl = slash ? (size_t)(slash - rest) : strlen(rest);
	at = NULL;
	for (size_t i = 0; i < hl; i++)
		if (rest[i] == '@')
			at = rest + i;
	if (at == NULL || at == rest) {
		snprintf(err, errsz,
		         "--mailbox '%s': the user is missing "
		         "(pop3://USER@HOST)",
		         url);
		return MC_EINVAL;
	}
	if ((size_t)(at - rest) >= sizeof(u->user) ||
	    hl - (size_t)(at - rest) >= sizeof(hostport)) {
		snprintf(err, errsz, "--mailbox: the URL is too long");
		return MC_EINVAL;
	}
	memcpy(u->user, rest, (size_t)(at - rest));
	u->user[at - rest] = '\0';
	if (strchr(u->user, ':')) {
		snprintf(err, errsz,
		         "--mailbox: no password in the URL, please: use "
		         "--password-file or MAILCAST_MAILBOX_PASSWORD");
		return MC_EINVAL;
	}
	if (!pct_decode(u->user)) {
		snprintf(err, errsz, "--mailbox: a bad %%-escape in the user");
		return MC_EINVAL;
	}
	memcpy(hostport, at + 1, hl - (size_t)(at - rest) - 1);
	hostport[hl - (size_t)(at - rest) - 1] = '\0';
	if (net_parse_hostport(hostport, u->port, u->host, sizeof(u->host),
	                       &u->port) != 0 ||
	    u->host[0] == '\0' || u->port < 1 || u->port > 65535) {
		snprintf(err, errsz, "--mailbox '%s': a bad host or port", url);
		return MC_EINVAL;
	}
	mc_strlcpy(u->folder, "INBOX", sizeof(u->folder));
	if (slash && slash[1]) {
		if (u->proto == MAILBOX_POP3) {
			snprintf(err, errsz,
			         "--mailbox: POP3 has no folders ('%s')",
			         slash + 1);
			return MC_EINVAL;
		}
		if (strlen(slash + 1) >= sizeof(u->folder)) {
			snprintf(err, errsz,
			         "--mailbox: the folder name is "
			         "too long");
			return MC_EINVAL;
		}
		mc_strlcpy(u->folder, slash + 1, sizeof(u->folder));
		if (!pct_decode(u->folder)) {
			snprintf(err, errsz,
			         "--mailbox: a bad %%-escape in the folder");
			return MC_EINVAL;
		}
	}
	return 0;
}
