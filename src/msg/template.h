/*
 * template.h — message templates: compiled once, rendered per recipient.
 *
 * The file format (docs/template.md, `mailcast help template`) is a block
 * of header fields (From and Subject required; To, Reply-To, List-Id,
 * Feedback-ID, X-* and Attach optional), a blank line, the text body and
 * optionally "%% html" followed by the HTML body.  {{name}} and
 * {{name|default}} are merge fields; {{email}}, {{unsubscribe_url}},
 * {{campaign}} and {{token}} are built in.  tmpl_compile() resolves every
 * field against the caller's list of attribute names, reads attachments
 * and fails with "FILE:LINE: reason" on the first error; rendering never
 * re-parses.  Values are made safe where they land: header values lose
 * CR/LF/NUL, HTML values are escaped, bodies are always re-encoded.
 *
 * Ownership: struct tmpl is immutable after compile and may be shared by
 * rendering threads; struct msg_render is per thread.  Errors: MC_EDATA
 * (template or recipient), MC_EIO (attachment), MC_ELIMIT (a limit below).
 */
#ifndef MC_MSG_TEMPLATE_H
#define MC_MSG_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/buf.h"

#define TMPL_SRC_MAX          (1024 * 1024)      /* template file octets */
#define TMPL_HEADER_MAX       4096               /* one header field */
#define TMPL_HEADERS_MAX      32                 /* header fields */
#define TMPL_FIELD_NAME_MAX   64                 /* {{name}} */
#define TMPL_ATTACH_MAX       16                 /* attachments */
#define TMPL_ATTACH_BYTES_MAX (10 * 1024 * 1024) /* all attachments */
#define TMPL_FIELDS_MAX       256                /* attribute names */
#define TMPL_HVALUE_MAX       900 /* octets of a merge value in a header */
#define MSG_SIZE_MAX          (32 * 1024 * 1024) /* a rendered message */
#define TMPL_ERR_MAX          512
/* The path of the unsubscribe URL under a site (the default prefix is
 * https://FROM-DOMAIN TMPL_UNSUB_PATH): `mailcast serve` answers the same
 * path (app/unsubscribe.h), so link and route cannot drift apart. */
#define TMPL_UNSUB_PATH "/unsubscribe/"

struct tmpl;
struct msg_render;

/* Per-campaign settings; every string is copied by tmpl_compile(). */
struct tmpl_options {
	const char *campaign; /* {{campaign}}; "" if NULL */
	const char
	    *unsubscribe_url; /* URL prefix, the token is appended;
	                       * default https://FROM-DOMAIN/unsubscribe/ */
	const char
	    *unsubscribe_mailto;  /* address; default unsubscribe@FROM-DOMAIN */
	const char *msgid_domain; /* default: the From domain */
	/* click tracking (msg/links.h): the campaign's stored links; a URL
	 * of the bodies equal to links[i] becomes PUBLIC/c/TOKEN-i-MAC,
	 * PUBLIC the unsubscribe URL's site */
	const char *const *links;
	size_t nlinks;
	bool track_opens; /* the open pixel PUBLIC/o/TOKEN-MAC.gif */
};

/* A merge value: s == NULL means absent (the default applies). */
struct tmpl_value {
	const char *s;
	size_t len;
};

/* One recipient, borrowed for the duration of msg_render_one(). */
struct msg_recipient {
	const char *email; /* addr-spec, checked by addr_parse */
	const char *token; /* token_encode() output */
	uint64_t campaign_id, contact_id;
	const struct tmpl_value
	    *values; /* one per name given to tmpl_compile */
	size_t nvalues;
	/* the key that signed token, for tracked links' MACs; NULL: a
	 * tracked link renders as its own URL (previews, tests) */
	const unsigned char *link_key;
	size_t link_key_len;
};

/* Compile src (name is used in errors: "news.tmpl:12: ...").  fields are
 * the attribute names a recipient will have (CSV header, --set keys);
 * attachments are read relative to dir.  On error *out is NULL and err
 * holds "NAME:LINE: reason". */
int tmpl_compile(const char *name, const char *src, size_t len,
                 const char *const *fields, size_t nfields, const char *dir,
                 const struct tmpl_options *opt, struct tmpl **out, char *err,
                 size_t errsz);
/* Read a template file and compile it (dir = the file's directory). */
int tmpl_load(const char *path, const char *const *fields, size_t nfields,
              const struct tmpl_options *opt, struct tmpl **out, char *err,
              size_t errsz);
void tmpl_free(struct tmpl *t);
/* The From addr-spec and its domain (for DKIM d=, VERP defaults). */
const char *tmpl_from_addr(const struct tmpl *t);
const char *tmpl_from_domain(const struct tmpl *t);

struct msg_render *msg_render_new(void);
void msg_render_free(struct msg_render *r);
/* Append the complete message (headers, blank line, body; CRLF; unsigned,
 * not dot-stuffed) for rcpt to out.  now gives Date:.  Returns 0,
 * MC_EDATA (bad recipient address) or MC_ETOOBIG; text in
 * msg_render_error(). */
int msg_render_one(struct msg_render *r, const struct tmpl *t,
                   const struct msg_recipient *rcpt, time_t now,
                   struct buf *out);
const char *msg_render_error(const struct msg_render *r);
/* "bounces+TOKEN@domain", the VERP envelope sender, into out. */
int msg_verp_sender(const char *token, const char *domain, char *out,
                    size_t outsz);

#endif
