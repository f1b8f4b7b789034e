/*
 * token_keys.c — the store's token key ring (token_keys.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app/token_keys.h"
#include "base/error.h"

struct ring_ctx {
	struct token_keyring *ring;
	int64_t bad_id; /* a stored key that is not one, or 0 */
	bool have_signer;
	bool full; /* more keys than a ring holds */
};

/* Add one stored key to the ring: the newest signer first. */
static int
ring_add(void *arg, int64_t id, const char *hex, bool signs, time_t created)
{
	struct ring_ctx *c = arg;
	struct token_keyring *r = c->ring;
	struct token_key k;

	(void)created;
	if (token_key_from_hex(&k, hex) < 0) {
		c->bad_id = id;
		return 1;
	}
	if (r->n >= TOKEN_RING_MAX) {
		/* key_save() never lets a store hold more: a key left out
		 * would silently stop verifying the links it signed */
		token_key_wipe(&k);
		c->full = true;
		return 1;
	}
	if (signs && !c->have_signer) {
		/* rows come newest first: the first signer goes to the front */
		memmove(&r->keys[1], &r->keys[0], r->n * sizeof(r->keys[0]));
		memmove(&r->ids[1], &r->ids[0], r->n * sizeof(r->ids[0]));
		r->keys[0] = k;
		r->ids[0] = id;
		r->n++;
		c->have_signer = true;
	} else {
		token_keyring_add(r, &k, id);
	}
	token_key_wipe(&k);
	return 0;
}

/* Read the stored keys into ring. */
static int
ring_read(struct store *s, struct token_keyring *ring, bool *signer, char *err,
          size_t errsz)
{
	struct ring_ctx c = {ring, 0, false, false};

	token_keyring_wipe(ring);
	if (store_token_key_each(s, ring_add, &c) < 0) {
		snprintf(err, errsz, "token keys: %s", store_error(s));
		return MC_EIO;
	}
	if (c.full) {
		token_keyring_wipe(ring);
		snprintf(err, errsz, "the store holds more than %d token keys",
		         TOKEN_RING_MAX);
		return MC_ELIMIT;
	}
	if (c.bad_id) {
		token_keyring_wipe(ring);
		snprintf(err, errsz,
		         "token key %lld in the store is not a key (hex of "
		         "%d to %d octets)",
		         (long long)c.bad_id, TOKEN_KEY_MIN, TOKEN_KEY_MAX);
		return MC_EDATA;
	}
	*signer = c.have_signer;
	return 0;
}

/* Count one stored key. */
static int
count_key(void *arg, int64_t id, const char *hex, bool signs, time_t created)
{
	(void)id, (void)hex, (void)signs, (void)created;
	(*(size_t *)arg)++;
	return 0;
}

/* Save key k; 0, MC_ELIMIT (the store holds TOKEN_RING_MAX keys) or
 * MC_EIO. */
static int
key_save(struct store *s, const struct token_key *k, bool signs, int64_t *id,
         char *err, size_t errsz)
{
	char hex[TOKEN_HEX_MAX + 1];
	int64_t tmp;
	size_t n = 0;
	int rc;

	if ((rc = store_token_key_each(s, count_key, &n)) < 0) {
		snprintf(err, errsz, "token keys: %s", store_error(s));
		return MC_EIO;
	}
	if (n >= TOKEN_RING_MAX) {
		/* every key must keep verifying what it signed: refuse
		 * rather than forget the oldest */
		snprintf(err, errsz,
		         "the store already holds %d token keys, the most it "
		         "keeps; none is ever dropped, since each still "
		         "verifies the links it signed",
		         TOKEN_RING_MAX);
		return MC_ELIMIT;
	}
	token_key_hex(k, hex, sizeof(hex));
	rc = store_token_key_add(s, hex, signs, time(NULL), id ? id : &tmp);

	explicit_bzero(hex, sizeof(hex));
	if (rc < 0) {
		snprintf(err, errsz, "token key: %s", store_error(s));
		return MC_EIO;
	}
	return 0;
}

/* The store's keys, a first one made with create. */
int
token_keys_load(struct store *s, bool create, struct token_keyring *ring,
                char *err, size_t errsz)
{
	bool signer = false;
	int rc;

	if ((rc = ring_read(s, ring, &signer, err, errsz)) < 0)
		return rc;
	if (signer)
		return 0;
	if (!create) {
		snprintf(err, errsz,
		         "the store has no token key yet (the first campaign "
		         "start or `mailcast token rotate` makes one)");
		return MC_ENOTFOUND;
	}
	/* two first runs at once on a new store: one makes the key, the
	 * other waits for the write lock and then finds it */
	if (store_begin(s) < 0) {
		snprintf(err, errsz, "token keys: %s", store_error(s));
		return MC_EIO;
	}
	if ((rc = ring_read(s, ring, &signer, err, errsz)) == 0 && !signer)
		rc = token_keys_rotate(s, NULL, err, errsz);
	if (rc < 0) {
		store_rollback(s);
		return rc;
	}
	if (store_commit(s) < 0) {
		snprintf(err, errsz, "token keys: %s", store_error(s));
		return MC_EIO;
	}
	return ring_read(s, ring, &signer, err, errsz);
}

/* A new random signing key. */
int
token_keys_rotate(struct store *s, int64_t *id, char *err, size_t errsz)
{
	struct token_key k;
	int rc;

	if (token_key_generate(&k) < 0) {
		snprintf(err, errsz, "token key: no random bytes");
		return MC_EIO;
	}
	rc = key_save(s, &k, true, id, err, errsz);
	token_key_wipe(&k);
	return rc;
}

/* Keep a campaign's own key to verify. */
int
token_keys_keep(struct store *s, const struct token_key *k, char *err,
                size_t errsz)
{
	struct token_keyring ring;
	bool signer;
	int rc, has;

	if ((rc = ring_read(s, &ring, &signer, err, errsz)) < 0)
		return rc;
	has = token_keyring_has(&ring, k);
	token_keyring_wipe(&ring);
	return has ? 0 : key_save(s, k, false, NULL, err, errsz);
}

struct each_ctx {
	int (*fn)(void *arg, const struct token_key_info *ki);
	void *arg;
	bool seen_signer;
};

/* One key's public facts to the caller. */
static int
each_one(void *arg, int64_t id, const char *hex, bool signs, time_t created)
{
	struct each_ctx *c = arg;
	struct token_key_info ki = {id, signs, signs && !c->seen_signer,
	                            created};

	(void)hex;
	if (signs)
		c->seen_signer = true;
	return c->fn(c->arg, &ki);
}

/* Each key, newest first. */
int
token_keys_each(struct store *s,
                int (*fn)(void *arg, const struct token_key_info *ki),
                void *arg, char *err, size_t errsz)
{
	struct each_ctx c = {fn, arg, false};
	int rc = store_token_key_each(s, each_one, &c);

	if (rc < 0) {
		snprintf(err, errsz, "token keys: %s", store_error(s));
		return MC_EIO;
	}
	return rc;
}

/* token_keys_each() into a JSON array. */
static int
json_one(void *arg, const struct token_key_info *ki)
{
	json_array_append_new(
	    arg,
	    json_pack("{s:I,s:I,s:s}", "id", (json_int_t)ki->id, "created",
	              (json_int_t)ki->created, "role",
	              ki->current ? "signs (current)"
	              : ki->signs ? "verifies (rotated out)"
	                          : "verifies (a campaign's --token-key)"));
	return 0;
}

/* The keys as JSON (see token_keys.h). */
int
token_keys_json(struct store *s, json_t **out, char *err, size_t errsz)
{
	int rc;

	*out = json_array();
	if ((rc = token_keys_each(s, json_one, *out, err, errsz)) < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* Check a token against the store's keys (see token_keys.h). */
int
token_keys_verify(struct store *s, const char *tok, uint64_t *campaign,
                  uint64_t *contact, int64_t *key_id, char *err, size_t errsz)
{
	struct token_keyring ring;
	int rc;

	if ((rc = token_keys_load(s, false, &ring, err, errsz)) < 0)
		return rc;
	rc = token_keyring_decode(&ring, tok, strlen(tok), campaign, contact,
	                          key_id);
	token_keyring_wipe(&ring);
	if (rc < 0)
		return mc_fail(
		    MC_EDATA, err, errsz,
		    "token %.60s: not signed by any key of this store "
		    "(tampered, or from another installation)",
		    tok);
	return 0;
}
