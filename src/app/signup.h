/*
 * signup.h — signup with double opt-in as an application service: what
 * `mailcast serve` does for POST /subscribe/LIST and /confirm/TOKEN, and
 * what any other front end can call too.
 *
 * signup_request() takes an address for a list.  A new address becomes a
 * pending contact on the list (store.h: pending contacts get no campaign)
 * and a confirmation message is due; so for a pending one again, and for
 * an active contact not yet on that list (it joins when it confirms).
 * An address already on the list and active, or unsubscribed, bounced,
 * complained, blocklisted, erased or suppressed, gets nothing.  Whatever
 * the case, at most one confirmation message per address per
 * SIGNUP_RESEND_S (store signup_mark), so nobody can make the server mail
 * a third party more than once a day.  The caller answers every case the
 * same way, so the answer says nothing about the address.
 *
 * The confirmation token is (list, contact, time issued) signed with the
 * store's token keys (app/token_keys.h) under a key derived for this one
 * purpose (HMAC(key, "mailcast-confirm-v1")): an unsubscribe or VERP token
 * never verifies as a confirmation token nor the other way round.  It
 * expires SIGNUP_TTL_S after it was issued.
 *
 * Errors: MC_ENOTFOUND (no such list; a token that is not ours),
 * MC_ETIMEDOUT (a token of ours, expired), MC_EDATA (a bad address or
 * attributes, why in err), MC_EIO (the store, why in err).
 */
#ifndef MC_APP_SIGNUP_H
#define MC_APP_SIGNUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bounce/token.h"
#include "store/store.h"

#define SIGNUP_PATH      "/subscribe/"
#define CONFIRM_PATH     "/confirm/"
#define SIGNUP_TTL_S     (48 * 3600) /* a confirmation link's life */
#define SIGNUP_RESEND_S  (24 * 3600) /* one confirmation per address */
#define SIGNUP_ATTRS_MAX 32          /* attributes a signup may carry */

struct mc_conf;

/* One signup, as a form or a JSON body gives it (borrowed strings). */
struct signup_in {
	const char *list;    /* the list's name */
	const char *address; /* as typed */
	const char *name;    /* or NULL */
	const char *attrs;   /* a JSON object of strings, or NULL */
	const char *ip;      /* who asked (the audit, the signups row) */
};

/* What signup_request() decided. */
struct signup_out {
	bool send; /* a confirmation message is due (address, token) */
	char address[STORE_ADDRESS_MAX + 1];
	char token[TOKEN_MAX + 1];
	const char *what; /* for the log: "new", "pending", "joining",
	                     "member", "sent lately", "not mailable" */
};

/* Take a signup (above): 0 with out filled, MC_ENOTFOUND, MC_EDATA,
 * MC_EIO. */
int signup_request(struct store *s, const struct token_keyring *ring,
                   const struct signup_in *in, time_t now,
                   struct signup_out *out, char *err, size_t errsz);

/* A confirmation token for (list_id, contact_id) issued at now. */
int signup_token_make(const struct token_keyring *ring, int64_t list_id,
                      int64_t contact_id, time_t now, char *out, size_t outsz);
/* Verify tok at now: 0 with the ids, MC_ENOTFOUND, MC_ETIMEDOUT. */
int signup_token_check(const struct token_keyring *ring, const char *tok,
                       time_t now, int64_t *list_id, int64_t *contact_id);

/* The token of a request path "/confirm/TOKEN", or NULL. */
const char *signup_path_token(const char *path);

/* What a confirmation did. */
struct signup_confirm_result {
	char address[STORE_ADDRESS_MAX + 1];
	bool changed; /* this call made it active or joined the list */
};

/*
 * Confirm tok: check only (apply false: what GET shows), or make its
 * contact active (from pending, recorded in the contact's audit with
 * actor "web IP") and a member of the token's list.  An address that
 * became unsubscribed, bounced ... meanwhile is MC_ENOTFOUND, as is a
 * deleted contact or list.  0, MC_ENOTFOUND, MC_ETIMEDOUT, MC_EIO.
 */
int signup_confirm(struct store *s, const struct token_keyring *ring,
                   const char *tok, const char *ip, bool apply, time_t now,
                   struct signup_confirm_result *r, char *err, size_t errsz);

/* The confirmation message to address (CRLF lines, malloc'd) with the
 * link public_url + CONFIRM_PATH + token, from from. */
char *signup_message(const char *from, const char *public_url,
                     const char *address, const char *token, time_t now);

/* Send msg to address through the relay the configuration gives
 * campaigns (its first relay, its TLS and AUTH; from as the envelope
 * sender).  0, or MC_ECONFIG (no relay, no from) / what the relay did,
 * why in err. */
int signup_send(const struct mc_conf *conf, const char *address,
                const char *msg, char *err, size_t errsz);

#endif
