/*
 * preview.h — the exact message one recipient would get: a template
 * rendered with one CSV row and/or KEY=VALUE settings, its VERP sender and
 * token, signed when DKIM keys are given.
 *
 * The message has CRLF line ends and is not dot-stuffed; a DKIM-Signature
 * comes first when signed.  Without a token key a fixed demo key is used
 * (out->demo_key says so: its tokens will not verify).  Strings in opts
 * are borrowed.  Returns 0, or MC_EINVAL (options that do not go
 * together, or no recipient: no field "email"),
 * MC_ENOTFOUND (the CSV or the template cannot be read), MC_EDATA (no such
 * row, a bad CSV), or what template, token and DKIM loading return; the
 * reason is in out->err.  app_preview_fini() frees out.
 */
#ifndef MC_APP_PREVIEW_H
#define MC_APP_PREVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "base/buf.h"
#include "msg/address.h"
#include "msg/dkim.h"

struct app_preview_opts {
	const char *template_path;
	const char *const *sets; /* "KEY=VALUE", over the CSV row */
	size_t nsets;
	const char *csv;          /* NULL: the settings only */
	const char *email_column; /* the CSV's address column; NULL: "email",
	                             "email address", "e-mail" */
	unsigned long row; /* the N-th data row after the header, from 1 */
	const char *dkim_key[DKIM_KEYS_MAX];
	const char *dkim_selector[DKIM_KEYS_MAX];
	size_t ndkim, nselectors; /* one selector per key */
	const char *dkim_domain;  /* NULL: the From domain */
	const char *token_key;    /* file; NULL: the demo key */
	const char *campaign;     /* {{campaign}} */
	unsigned long long campaign_id, contact_id;
	const char *unsubscribe_url, *unsubscribe_mailto;
	const char *bounce_domain; /* NULL: the From domain */
	time_t date;               /* 0: now */
};

struct app_preview {
	struct buf msg; /* the signature, then the message */
	char mail_from[ADDR_PATH_MAX + 16]; /* the VERP sender, or "" */
	char rcpt_to[1024];
	bool demo_key;
	char err[512];
};

/* Render; see above. */
int app_preview_render(const struct app_preview_opts *o,
                       struct app_preview *out);
/* Free what out holds. */
void app_preview_fini(struct app_preview *out);

#endif
