/*
 * unsubscribe.c — one-click unsubscribe as a service (unsubscribe.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/unsubscribe.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"

/* site + UNSUB_PATH, without a doubled slash. */
char *
unsub_url_prefix(const char *site)
{
	size_t n;

	if (site == NULL || *site == '\0')
		return NULL;
	n = strlen(site);
	while (n > 0 && site[n - 1] == '/')
		n--;
	return xasprintf("%.*s%s", (int)n, site, UNSUB_PATH);
}

/* TOKEN of "/unsubscribe/TOKEN", or NULL. */
const char *
unsub_path_token(const char *path)
{
	size_t pl = strlen(UNSUB_PATH), n = 0;
	const char *t;

	if (path == NULL || strncmp(path, UNSUB_PATH, pl) != 0)
		return NULL;
	t = path + pl;
	for (; t[n] != '\0'; n++) {
		char c = t[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return NULL;
	}
	return n > 0 && n <= TOKEN_MAX ? t : NULL;
}

/* Are the links answered by the configured server? */
bool
unsub_served(const char *unsub_url, const char *public_url, char *out,
             size_t outsz)
{
	char *want;
	bool ok;

	if (public_url == NULL || *public_url == '\0') {
		snprintf(out, outsz,
		         "no server is configured to answer the one-click "
		         "unsubscribe link (RFC 8058; Gmail and Yahoo require "
		         "it of bulk senders): run `mailcast serve` behind "
		         "https://YOUR-SITE and set public_url = "
		         "https://YOUR-SITE in mailcast.conf (docs/serve.md)");
		return false;
	}
	want = unsub_url_prefix(public_url);
	ok = unsub_url == NULL || strcmp(unsub_url, want) == 0;
	if (!ok)
		snprintf(
		    out, outsz,
		    "the unsubscribe URL %.300s is not the one `mailcast "
		    "serve` answers (%.300sTOKEN, from public_url): one-click "
		    "unsubscribe will fail unless something else answers it",
		    unsub_url, want);
	free(want);
	return ok;
}

/* Verify tok and find the recipient it names; r->already from the
 * suppression list. */
int
unsub_lookup(struct store *s, const struct token_keyring *ring, const char *tok,
             struct unsub_result *r, char *err, size_t errsz)
{
	uint64_t campaign, contact;
	struct store_suppression hit;
	int64_t c_out = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	if (tok == NULL || strlen(tok) > TOKEN_MAX ||
	    token_keyring_decode(ring, tok, strlen(tok), &campaign, &contact,
	                         NULL) != 0 ||
	    campaign == 0 || contact == 0 || campaign > INT64_MAX ||
	    contact > INT64_MAX)
		return mc_fail(MC_ENOTFOUND, err, errsz, "no such token");
	rc = store_delivery_sent(s, (int64_t)campaign, (int64_t)contact, &c_out,
	                         r->address, sizeof(r->address));
	if (rc == MC_ENOTFOUND)
		return mc_fail(MC_ENOTFOUND, err, errsz, "no such token");
	if (rc < 0)
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	r->campaign_id = (int64_t)campaign;
	r->contact_id = (int64_t)contact;
	rc = store_supp_check(s, r->address, &hit);
	if (rc < 0 && rc != MC_ENOTFOUND)
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	r->already = rc == 0 && hit.reason == SUPP_UNSUBSCRIBED &&
	             strcmp(hit.entry, r->address) == 0;
	return 0;
}

/* store_contact_get() callback: the status, copied. */
static int
status_of(void *arg, const struct store_contact *c)
{
	int st = store_contact_status_parse(c->status);

	*(int *)arg = st < 0 ? CONTACT_ACTIVE : st;
	return 0;
}

/* The status of the contact of address (CONTACT_ACTIVE when there is no
 * such contact: the suppression list alone decides then), or MC_EIO. */
static int
contact_status(struct store *s, const char *address, int *status)
{
	int rc;

	*status = CONTACT_ACTIVE;
	rc = store_contact_get(s, address, status_of, status);
	return rc == MC_ENOTFOUND || rc == MC_EUNSUPP ? 0 : rc;
}

/* The writes of one unsubscribe, inside the caller's transaction. */
static int
apply_txn(struct store *s, struct unsub_result *r, const char *source,
          time_t now)
{
	char detail[STORE_ADDRESS_MAX + 300];
	int added = 0, changed = 0, rc;

	int status;

	if ((rc = store_supp_add(s, r->address, SUPP_UNSUBSCRIBED, source, now,
	                         &added)) < 0 ||
	    (rc = contact_status(s, r->address, &status)) < 0)
		return rc;
	/* a bounced or complained contact stays so: that status is stronger
	 * and must not be undone by a later resubscribe from the page */
	if (status == CONTACT_ACTIVE &&
	    (rc = store_contact_set_status(
	         s, r->contact_id, CONTACT_UNSUBSCRIBED, now, &changed)) < 0)
		return rc;
	r->changed = added || changed;
	if (!r->changed)
		return 0;
	snprintf(detail, sizeof(detail), "%s%s%s from %.200s", r->address,
	         added ? " suppressed" : "", changed ? " unsubscribed" : "",
	         source);
	return store_event_add(s, r->campaign_id, r->contact_id, "unsubscribe",
	                       detail, now);
}

/* Many looked-up unsubscribes in one transaction. */
int
unsub_apply_many(struct store *s, struct unsub_result *r,
                 const char *const *sources, size_t n, time_t now, char *err,
                 size_t errsz)
{
	int rc;

	if (n == 0)
		return 0;
	if ((rc = store_begin(s)) < 0)
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	for (size_t i = 0; i < n; i++) {
		const char *src = sources && sources[i] ? sources[i] : NULL;

		if ((rc = apply_txn(s, &r[i], src ? src : "one-click", now)) <
		    0)
			break;
	}
	if (rc < 0 || (rc = store_commit(s)) < 0) {
		mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
		store_rollback(s);
		for (size_t i = 0; i < n; i++)
			r[i].changed = false;
		return MC_EIO;
	}
	return 0;
}

/* Undo an unsubscribe (the recipient's own, never a bounce's). */
int
unsub_resubscribe(struct store *s, const struct token_keyring *ring,
                  const char *tok, const char *source, time_t now,
                  struct unsub_result *r, char *err, size_t errsz)
{
	struct store_suppression hit;
	char detail[STORE_ADDRESS_MAX + 300];
	int rc, changed = 0, status;
	bool listed;

	if ((rc = unsub_lookup(s, ring, tok, r, err, errsz)) < 0)
		return rc;
	rc = store_supp_check(s, r->address, &hit);
	listed = rc == 0;
	if (rc < 0 && rc != MC_ENOTFOUND)
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	if (rc == 0 && (hit.reason != SUPP_UNSUBSCRIBED ||
	                strcmp(hit.entry, r->address) != 0))
		return mc_fail(MC_EINVAL, err, errsz,
		               "suppressed (%s): not undone from the web",
		               store_supp_reason_name(hit.reason));
	/* the suppression list keeps an entry's first reason: a bounce or a
	 * complaint after an unsubscribe shows in the contact's status */
	if ((rc = contact_status(s, r->address, &status)) < 0)
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	if (status != CONTACT_ACTIVE && status != CONTACT_UNSUBSCRIBED)
		return mc_fail(MC_EINVAL, err, errsz,
		               "%s: not undone from the web",
		               store_contact_status_name(status));
	if (store_begin(s) < 0)
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	rc = listed ? store_supp_remove(s, r->address) : 0;
	if (rc == 0)
		rc = store_contact_set_status(s, r->contact_id, CONTACT_ACTIVE,
		                              now, &changed);
	if (rc == 0 && (r->already || changed)) {
		snprintf(detail, sizeof(detail), "%s from %.200s", r->address,
		         source ? source : "web");
		rc = store_event_add(s, r->campaign_id, r->contact_id,
		                     "resubscribe", detail, now);
	}
	if (rc < 0 || store_commit(s) < 0) {
		mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
		store_rollback(s);
		return MC_EIO;
	}
	r->changed = r->already || changed;
	return 0;
}

/* Unsubscribe tok's contact, once. */
int
unsub_apply(struct store *s, const struct token_keyring *ring, const char *tok,
            const char *source, time_t now, struct unsub_result *r, char *err,
            size_t errsz)
{
	int rc;

	if ((rc = unsub_lookup(s, ring, tok, r, err, errsz)) < 0)
		return rc;
	if (r->already)
		return 0;
	if ((rc = store_begin(s)) < 0)
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	if ((rc = apply_txn(s, r, source != NULL ? source : "one-click", now)) <
	        0 ||
	    (rc = store_commit(s)) < 0) {
		mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
		store_rollback(s);
		return MC_EIO;
	}
	return 0;
}
