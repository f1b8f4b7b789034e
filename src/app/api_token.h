/*
 * api_token.h — the REST API's bearer tokens (`mailcast token create`,
 * `token list`, `token revoke`; checked by `mailcast serve` on /api/v1).
 *
 * A token is "mcat_ID_SECRET": ID the row's id (so a check reads one
 * row), SECRET 64 hex digits of a 256-bit random value.  The store keeps
 * only SHA-256(SECRET) in hex: a random 256-bit secret cannot be guessed
 * or found by a dictionary, so a slow password hash (Argon2) would add
 * cost to every API call and no safety.  A check compares the hashes in
 * constant time.  Scopes: "read" (GET routes) and "write" (all routes).
 *
 * Errors: MC_EINVAL (a bad scope, name or id), MC_EAUTH (a token that is
 * malformed, unknown, wrong or revoked: one code, one message, for all),
 * MC_ENOTFOUND (revoke: no such live token), store errors.
 */
#ifndef MC_APP_API_TOKEN_H
#define MC_APP_API_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct store;

#define API_TOKEN_PREFIX "mcat_"

/* `token create`'s options (op.h: the op's opts). */
struct api_token_opts {
	const char *scope; /* "read", "write" (NULL: "read") */
	const char *name;  /* NULL: "" */
};

/* An app_op_fn (op.h; opts a struct api_token_opts, no operands): make a
 * token; *out is {"id","name","scope","token"}, the token shown this
 * once. */
int api_token_create(struct store *s, void *opts, int argc,
                     const char *const *argv, json_t **out, char *err,
                     size_t errsz);

/* Every token: [{"id","name","scope","state","created","revoked"}]
 * (state "active" or "revoked"; revoked null while it works), never the secret
 * nor its hash. */
int api_token_list(struct store *s, json_t **out, char *err, size_t errsz);

/* An app_op_fn: revoke the token whose id is argv[0]: *out
 * {"id","revoked"}. */
int api_token_revoke(struct store *s, void *opts, int argc,
                     const char *const *argv, json_t **out, char *err,
                     size_t errsz);

/* Check a presented token: 0 with its scope in scope[8] and *id, or
 * MC_EAUTH. */
int api_token_check(struct store *s, const char *token, char scope[8],
                    int64_t *id, char *err, size_t errsz);

#endif
