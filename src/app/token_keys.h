/*
 * token_keys.h — the store's token keys: the one key ring that signs the
 * VERP envelope and unsubscribe tokens of every campaign (bounce/token.h)
 * and verifies those of bounces and unsubscribes later.
 *
 * The keys live in the store itself (its token_keys table), not in a file
 * beside it: the store is what every sender and every bounce reader of an
 * installation shares (several workers on several hosts once the store is
 * PostgreSQL), it is backed up and moved as one, and it is created 0600.
 * The first use makes a random key; `mailcast token rotate` adds a new one
 * that signs from then on while the older ones still verify.  A
 * campaign's own --token-key file is added as a key that only verifies, so
 * a link it sent stays verifiable from the store alone.
 *
 * Ownership: the ring is the caller's; wipe it (token_keyring_wipe) after
 * use.  Errors: MC_EIO (the store), MC_ENOTFOUND (no key and create was
 * false), MC_EDATA (a stored key that is not a key), reason in err.
 */
#ifndef MC_APP_TOKEN_KEYS_H
#define MC_APP_TOKEN_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bounce/token.h"
#include "store/store.h"

/*
 * The store's keys into ring: keys[0] the newest that signs, then every
 * other key newest first.  With create and no key yet, a random one is
 * made and saved first.
 */
int token_keys_load(struct store *s, bool create, struct token_keyring *ring,
                    char *err, size_t errsz);
/* Add a new random signing key (the older ones keep verifying); *id is
 * its id.  0 or MC_EIO. */
int token_keys_rotate(struct store *s, int64_t *id, char *err, size_t errsz);
/* Keep key k (a campaign's --token-key) to verify, unless the store has
 * it already.  0 or MC_EIO. */
int token_keys_keep(struct store *s, const struct token_key *k, char *err,
                    size_t errsz);

/* One key as `token list` shows it: never the key itself. */
struct token_key_info {
	int64_t id;
	bool signs;   /* a key of the store, else kept only to verify */
	bool current; /* the one that signs now */
	time_t created;
};

/* Each key, newest first: 0, MC_EIO; fn's non-zero stops. */
int token_keys_each(struct store *s,
                    int (*fn)(void *arg, const struct token_key_info *ki),
                    void *arg, char *err, size_t errsz);
/* The keys as a JSON array of {id, created, role} (role: "signs",
 * "verifies (rotated out)", "verifies (a campaign's --token-key)"). */
int token_keys_json(struct store *s, json_t **out, char *err, size_t errsz);
/*
 * Is tok signed by a key of the store?  0 with the campaign and contact it
 * names and the key that signed it, or MC_EDATA (tampered, or from another
 * installation) / what token_keys_load() answers, why in err.
 */
int token_keys_verify(struct store *s, const char *tok, uint64_t *campaign,
                      uint64_t *contact, int64_t *key_id, char *err,
                      size_t errsz);

#endif
