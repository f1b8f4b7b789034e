/*
 * token.h — the VERP / unsubscribe token: (campaign, contact) signed with
 * HMAC-SHA256 so that a bounce or an unsubscribe click can be matched to
 * its recipient and cannot be forged or altered.
 *
 * Layout before encoding: one byte of lengths (bits 5-3: campaign bytes - 1,
 * bits 2-0: contact bytes - 1; bits 7-6: version 0), the two ids big-endian
 * in their shortest form, then the first TOKEN_MAC_LEN bytes (80 bits) of
 * HMAC-SHA256(key, "mailcast-token-v1" || those bytes).  The result is
 * written in lower-case base32 (RFC 4648 alphabet, no padding): safe in an
 * SMTP local part ("bounces+TOKEN@domain") and in a URL path, and decoded
 * case-insensitively since some MTAs fold the case of local parts.
 *
 * The key file holds at least 32 random bytes, as hex text or raw bytes:
 *     openssl rand -hex 32 > token.key && chmod 600 token.key
 * A key ring (struct token_keyring) holds a store's keys: the first signs,
 * every one verifies, so a rotated key keeps the tokens already sent valid
 * (no key id in the token: the ring is tried key by key, newest first).
 * token_key_hex/_from_hex give a key's text form (for a store's table).
 * Errors: MC_EDATA (malformed or tampered), MC_EIO / MC_ECONFIG (key file:
 * missing, a directory, too short).
 */
#ifndef MC_BOUNCE_TOKEN_H
#define MC_BOUNCE_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_KEY_MIN  32 /* octets of key material, at least */
#define TOKEN_KEY_MAX  64 /* octets of key material, at most */
#define TOKEN_MAC_LEN  10 /* octets of HMAC kept: 80 bits */
#define TOKEN_RAW_MAX  (1 + 8 + 8 + TOKEN_MAC_LEN)
#define TOKEN_MAX      ((TOKEN_RAW_MAX * 8 + 4) / 5) /* 44 characters */
#define TOKEN_RING_MAX 256 /* keys a ring holds: a store holds no more */
#define TOKEN_HEX_MAX  (2 * TOKEN_KEY_MAX) /* characters of a key's hex */

struct token_key {
	unsigned char key[TOKEN_KEY_MAX];
	size_t len;
};

/* Load a key file with >= 32 random bytes (hex text or raw); see above. */
int token_key_load(struct token_key *k, const char *path, char *err,
                   size_t errsz);
/* Use key bytes from memory (tests, benchmarks); 0 or MC_EINVAL if short. */
int token_key_set(struct token_key *k, const void *key, size_t len);
/* Wipe a key. */
void token_key_wipe(struct token_key *k);
/* A store's keys, newest first: keys[0] signs, each one verifies. */
struct token_keyring {
	struct token_key keys[TOKEN_RING_MAX];
	int64_t ids[TOKEN_RING_MAX]; /* the store's id of each key */
	size_t n;
};

/* Make a new random key of TOKEN_KEY_MIN octets: 0 or MC_EIO. */
int token_key_generate(struct token_key *k);
/* The key as lower-case hex into out (>= TOKEN_HEX_MAX + 1). */
void token_key_hex(const struct token_key *k, char *out, size_t outsz);
/* A key from its hex text: 0 or MC_EDATA (not hex, too short/long). */
int token_key_from_hex(struct token_key *k, const char *hex);
/* Add a copy of k with id at the end of the ring (the oldest so far);
 * MC_ELIMIT when full. */
int token_keyring_add(struct token_keyring *r, const struct token_key *k,
                      int64_t id);
/* Whether the ring already holds key k. */
int token_keyring_has(const struct token_keyring *r, const struct token_key *k);
/* Wipe every key of the ring. */
void token_keyring_wipe(struct token_keyring *r);
/* token_decode() with each key of the ring, newest first; *key_id (may be
 * NULL) gets the id of the key that matched.  0 or MC_EDATA. */
int token_keyring_decode(const struct token_keyring *r, const char *tok,
                         size_t len, uint64_t *campaign, uint64_t *contact,
                         int64_t *key_id);
/* Encode (campaign, contact) into a compact token usable in an SMTP local part
 * and a URL path (e.g. base32, lower-case); out >= TOKEN_MAX+1 */
int token_encode(const struct token_key *k, uint64_t campaign, uint64_t contact,
                 char *out, size_t outsz);
/* 0, or MC_EDATA when malformed or the HMAC does not match (tampered). */
int token_decode(const struct token_key *k, const char *tok, size_t len,
                 uint64_t *campaign, uint64_t *contact);

#endif
