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

/* Decode %XX escapes in place; false on a bad one. */
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
			*o++ = (char)strtol(hex, NULL, 16);
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
