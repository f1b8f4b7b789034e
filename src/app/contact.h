/*
 * contact.h — one person: show, set attributes, delete, erase, history,
 * resubscribe (`mailcast contact`, and GET/PATCH/DELETE
 * /api/v1/contacts/ADDR of a REST API).
 *
 * Every function takes the address as typed (checked and normalised here)
 * and an actor ("cli:alice", "api:token-3"; NULL: "user:$USER") and a
 * reason (why; NULL: none) that land in the contact's audit trail with the
 * time.  Results are JSON the caller owns (NULL on error); errors are
 * negative MC_E* codes with the reason in err: MC_EDATA (not an address,
 * a bad KEY=VALUE), MC_ENOTFOUND (no such contact), MC_EINVAL (an erased
 * contact cannot change), else the store's.  Status model and erasure:
 * docs/contacts.md.
 */
#ifndef MC_APP_CONTACT_H
#define MC_APP_CONTACT_H

#include <stddef.h>

#include <jansson.h>

#include "store/store.h"

/* The actor to record for actor (NULL: "user:" and $USER). */
const char *app_actor(const char *actor);

/* {email, status, subscribed_at, status_changed_at, lists[], attributes,
 *  suppressed: {entry, reason, source} or null}. */
int app_contact_show(struct store *s, const char *address, json_t **out,
                     char *err, size_t errsz);
/* Set attributes: each of sets[0..n) is "KEY=VALUE" (an empty VALUE
 * removes KEY).  *out: the contact as app_contact_show gives it. */
int app_contact_set(struct store *s, const char *address,
                    const char *const *sets, size_t n, const char *actor,
                    const char *why, json_t **out, char *err, size_t errsz);
/* Delete (erase false: the contact and its memberships go, the ledger's
 * history stays) or erase (the right to erasure: see store.h,
 * contact_remove).  *out: {email, deleted|erased: true[, entry]}. */
int app_contact_remove(struct store *s, const char *address, bool erase,
                       const char *actor, const char *why, json_t **out,
                       char *err, size_t errsz);
/* The audit trail: [{at, actor, action, detail}], oldest first. */
int app_contact_history(struct store *s, const char *address, json_t **out,
                        char *err, size_t errsz);
/* Make a contact active again (and lift its own suppression entry); a
 * why is required (consent is recorded).  MC_EINVAL: erased, or no why.
 * *out: the contact. */
int app_contact_resubscribe(struct store *s, const char *address,
                            const char *actor, const char *why, json_t **out,
                            char *err, size_t errsz);
/* Give the contact of address (if there is one) the status that reason
 * means (suppress add); *changed 1 if it changed. */
int app_contact_suppressed(struct store *s, const char *address,
                           enum store_supp_reason reason, const char *actor,
                           const char *source, int *changed);
/* The status of address's contact into status (size statussz), or
 * MC_ENOTFOUND when it is not a contact. */
int app_contact_status(struct store *s, const char *address, char *status,
                       size_t statussz);

#endif
