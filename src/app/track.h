/*
 * track.h — click and open tracking (docs/tracking.md, msg/links.h): a
 * campaign's link table, and what /c/TOKEN and /o/TOKEN.gif of
 * `mailcast serve` do with a token.
 *
 * The link table is made once, on the campaign's first run with
 * --track-clicks, from its (frozen) template: each distinct trackable URL
 * gets an index, kept in the store; a link's target is always read from
 * there, never from the request.  Errors: MC_EIO (store or template
 * file), MC_ENOTFOUND (a token that is forged, tampered, or names no
 * stored link — the caller answers the one 404), MC_EUNSUPP (PostgreSQL:
 * not yet).
 */
#ifndef MC_APP_TRACK_H
#define MC_APP_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "bounce/token.h"
#include "store/store.h"

/* A campaign's tracked links, index order; owned. */
struct track_links {
	char **url;
	size_t n;
};

/* The links of campaign id into out: the stored ones, else those of the
 * template at path, stored first. */
int track_links_prepare(struct store *s, int64_t id, const char *path,
                        struct track_links *out, char *err, size_t errsz);
void track_links_fini(struct track_links *l);

/* A click on /c/tok ("TOKEN-IDX-MAC"): counted when count (a GET; a
 * HEAD is a link checker's, not a reader's), and the stored target into
 * url (HTML's &amp; decoded).  0 or MC_ENOTFOUND / MC_EIO. */
int track_click(struct store *s, const struct token_keyring *ring,
                const char *tok, time_t now, bool count, char *url,
                size_t urlsz);
/* An open of /o/tok ("TOKEN-MAC.gif"): counted when count.  0 or
 * MC_ENOTFOUND. */
int track_open(struct store *s, const struct token_keyring *ring,
               const char *tok, time_t now, bool count);

/* The campaign's links with clicks and clickers, and the opens:
 * {"links":[{"index","url","clicks","contacts"}],"opens","openers"}. */
int track_report_json(struct store *s, int64_t id, json_t **out);

#endif
