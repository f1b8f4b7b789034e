/*
 * mailbox_url.h — the mailbox a poller reads, as a URL:
 * pop3://USER@HOST[:PORT], pop3s://... (TLS from the first byte),
 * imap://USER@HOST[:PORT][/FOLDER], imaps://...; default ports 110, 995,
 * 143, 993; USER and FOLDER may carry %XX escapes.  A password in the URL
 * is refused (secrets never come from argv).  A control character (CR,
 * LF, NUL, any below 0x20, DEL), raw or %-escaped, anywhere in the URL is
 * refused with the part named ("the user contains a control character"):
 * %0d%0a in the user would put a command on the POP3/IMAP wire.
 * Errors: MC_EINVAL with the reason in err ("--mailbox '...': ...").
 */
#ifndef MC_APP_MAILBOX_URL_H
#define MC_APP_MAILBOX_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "net/mailbox_conn.h"

struct mailbox_url {
	enum mailbox_proto proto;
	bool implicit; /* pop3s, imaps */
	char user[256];
	char host[256];
	int port;
	char folder[IMAP_MAILBOX_MAX + 1]; /* "INBOX" by default */
};

/* Parse url into *u; 0 or MC_EINVAL (why in err). */
int mailbox_url_parse(const char *url, struct mailbox_url *u, char *err,
                      size_t errsz);

#endif
