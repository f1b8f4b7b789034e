/*
 * unsubscribe.h — one-click unsubscribe (RFC 8058) as an application
 * service: what `mailcast serve` does for POST /unsubscribe/TOKEN, and
 * what any other front end (an embedding program, a CGI) can call too.
 *
 * The URL a campaign puts in List-Unsubscribe is a prefix with the
 * recipient's token appended (msg/template.h); its path is TMPL_UNSUB_PATH,
 * and unsub_url_prefix() / unsub_path_token() build and parse exactly that
 * path, so the link in the headers and the route of the server are the
 * same by construction.
 *
 * A token is acted on only when it verifies with a key of the store's key
 * ring (app/token_keys.h) and names a recipient the ledger shows this
 * installation sent to (store delivery_sent): anything else is
 * MC_ENOTFOUND, one answer for forged, tampered, foreign and unsent
 * tokens, so a caller can give no hint whether an address exists.  The
 * effects are those of a mailto unsubscribe (app/ingest.c): the address
 * suppressed (reason "unsubscribed"), the contact's status
 * "unsubscribed", an "unsubscribe" event; in one transaction, idempotent.
 *
 * Errors: MC_ENOTFOUND (as above), MC_EIO (the store, reason in err).
 */
#ifndef MC_APP_UNSUBSCRIBE_H
#define MC_APP_UNSUBSCRIBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bounce/token.h"
#include "msg/template.h"
#include "store/store.h"

#define UNSUB_PATH TMPL_UNSUB_PATH /* "/unsubscribe/" */

/* What a token names, and what unsub_apply() did. */
struct unsub_result {
	int64_t campaign_id, contact_id;
	char address[STORE_ADDRESS_MAX + 1];
	bool already; /* suppressed as unsubscribed before this call */
	bool changed; /* unsub_apply: this call unsubscribed it */
};

/*
 * The List-Unsubscribe URL prefix for a site ("https://lists.example.org"
 * or with a trailing slash): site + UNSUB_PATH, malloc'd; NULL when site
 * is NULL or empty.
 */
char *unsub_url_prefix(const char *site);
/*
 * The token of a request path: "/unsubscribe/TOKEN" gives TOKEN (a
 * pointer into path); NULL when path is not one (another path, an empty
 * or over-long token, a character outside [A-Za-z0-9]).
 */
const char *unsub_path_token(const char *path);
/*
 * Whether a campaign's one-click links are answered: its unsubscribe URL
 * prefix (NULL: the template's https://FROM-DOMAIN/unsubscribe/) is the
 * one of public_url, the site mailcast.conf says `mailcast serve` answers
 * for (NULL: none).  false with the warning in out when not.
 */
bool unsub_served(const char *unsub_url, const char *public_url, char *out,
                  size_t outsz);
/* Check tok without changing anything: 0 with r filled, MC_ENOTFOUND,
 * MC_EIO. */
int unsub_lookup(struct store *s, const struct token_keyring *ring,
                 const char *tok, struct unsub_result *r, char *err,
                 size_t errsz);
/*
 * Unsubscribe tok's contact (see above); source says how ("one-click
 * 192.0.2.7").  Already done: 0 with r->already and nothing written.
 */
int unsub_apply(struct store *s, const struct token_keyring *ring,
                const char *tok, const char *source, time_t now,
                struct unsub_result *r, char *err, size_t errsz);

/*
 * The preferences page's "resubscribe": tok's contact active again and
 * its "unsubscribed" suppression removed, an "resubscribe" event; one
 * transaction.  Refused (MC_EINVAL, reason in err) when the address is
 * suppressed for another reason (a hard bounce, a complaint: not the
 * recipient's click to undo).  Not unsubscribed: 0, nothing written.
 */
int unsub_resubscribe(struct store *s, const struct token_keyring *ring,
                      const char *tok, const char *source, time_t now,
                      struct unsub_result *r, char *err, size_t errsz);
/*
 * Group commit: apply n looked-up results (unsub_lookup, not already) in
 * one transaction, sources[i] saying how each came; r[i].changed set.
 * What a server does with many unsubscribes at once, so that each does
 * not wait for its own commit (and its own turn at SQLite's write lock
 * beside a running campaign).  0, or MC_EIO and none applied.
 */
int unsub_apply_many(struct store *s, struct unsub_result *r,
                     const char *const *sources, size_t n, time_t now,
                     char *err, size_t errsz);

#endif
