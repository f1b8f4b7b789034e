/*
 * api_token.c — the REST API's bearer tokens (api_token.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "app/api_token.h"
#include "base/error.h"
#include "base/str.h"
#include "store/store.h"

#define SECRET_BYTES 32 /* 256 bits */
#define SECRET_HEX   (2 * SECRET_BYTES)

/* Hex text of b[0..n) into out (2n + 1 bytes). */
static void
hex_of(const unsigned char *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The hex SHA-256 of secret into out[65]. */
static void
hash_secret(const char *secret, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(secret, strlen(secret), md, &mdlen, EVP_sha256(), NULL);
	hex_of(md, 32, out);
	OPENSSL_cleanse(md, sizeof(md));
}

/* A positive decimal id from text, or 0. */
static int64_t
id_parse(const char *text, const char **end)
{
	char *e;
	long long v;

	if (text == NULL || *text < '1' || *text > '9')
		return 0;
	errno = 0;
	v = strtoll(text, &e, 10);
	if (errno != 0 || v <= 0)
		return 0;
	*end = e;
	return (int64_t)v;
}

/* Make a token. */
int
api_token_create(struct store *s, void *opts, int argc, const char *const *argv,
                 json_t **out, char *err, size_t errsz)
{
	const struct api_token_opts *o = opts;
	const char *scope = o && o->scope ? o->scope : "read";
	const char *name = o && o->name ? o->name : "";
	struct store_api_token t = {0};
	unsigned char raw[SECRET_BYTES];
	char secret[SECRET_HEX + 1],
	    token[sizeof(API_TOKEN_PREFIX) + 24 + SECRET_HEX];
	int64_t id;
	int rc;

	(void)argc, (void)argv;
	if (strcmp(scope, "read") != 0 && strcmp(scope, "write") != 0)
		return mc_fail(MC_EINVAL, err, errsz,
		               "scope: '%s' is neither read nor write", scope);
	if (strlen(name) > STORE_API_TOKEN_NAME_MAX)
		return mc_fail(MC_EINVAL, err, errsz,
		               "name: longer than %d bytes",
		               STORE_API_TOKEN_NAME_MAX);
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return mc_fail(MC_EIO, err, errsz, "no random bytes");
	hex_of(raw, sizeof(raw), secret);
	OPENSSL_cleanse(raw, sizeof(raw));
	mc_strlcpy(t.name, name, sizeof(t.name));
	mc_strlcpy(t.scope, scope, sizeof(t.scope));
	hash_secret(secret, t.hash);
	t.created = time(NULL);
	if ((rc = store_api_token_add(s, &t, &id)) < 0) {
		OPENSSL_cleanse(secret, sizeof(secret));
		return mc_fail(rc, err, errsz, "%s", store_error(s));
	}
	snprintf(token, sizeof(token), "%s%lld_%s", API_TOKEN_PREFIX,
	         (long long)id, secret);
	*out = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)id, "name",
	                 name, "scope", scope, "token", token);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(token, sizeof(token));
	return 0;
}

/* One token's row into the array arg. */
static int
list_row(void *arg, const struct store_api_token *t)
{
	json_array_append_new(
	    arg,
	    json_pack("{s:I,s:s,s:s,s:s,s:I,s:o}", "id", (json_int_t)t->id,
	              "name", t->name, "scope", t->scope, "state",
	              t->revoked ? "revoked" : "active", "created",
	              (json_int_t)t->created, "revoked",
	              t->revoked ? json_integer(t->revoked) : json_null()));
	return 0;
}

/* Every token. */
int
api_token_list(struct store *s, json_t **out, char *err, size_t errsz)
{
	json_t *a = json_array();
	int rc = store_api_token_each(s, 0, list_row, a);

	if (rc < 0) {
		json_decref(a);
		return mc_fail(rc, err, errsz, "%s", store_error(s));
	}
	*out = a;
	return 0;
}

/* Revoke one. */
int
api_token_revoke(struct store *s, void *opts, int argc, const char *const *argv,
                 json_t **out, char *err, size_t errsz)
{
	const char *end = NULL;
	int64_t id = argc == 1 ? id_parse(argv[0], &end) : 0;
	time_t now = time(NULL);
	int rc;

	(void)opts;
	if (id == 0 || *end != '\0')
		return mc_fail(MC_EINVAL, err, errsz, "id: not a token id: %s",
		               argc == 1 ? argv[0] : "(none)");
	if ((rc = store_api_token_revoke(s, id, now)) < 0)
		return mc_fail(rc, err, errsz, "%s", store_error(s));
	*out = json_pack("{s:I,s:I}", "id", (json_int_t)id, "revoked",
	                 (json_int_t)now);
	return 0;
}

struct check_ctx {
	struct store_api_token t;
	bool found;
};

/* Keep the one row asked for. */
static int
check_row(void *arg, const struct store_api_token *t)
{
	struct check_ctx *c = arg;

	c->t = *t;
	c->found = true;
	return 0;
}

/* Check a presented token. */
int
api_token_check(struct store *s, const char *token, char scope[8], int64_t *id,
                char *err, size_t errsz)
{
	const size_t plen = sizeof(API_TOKEN_PREFIX) - 1;
	struct check_ctx c = {.found = false};
	const char *end = NULL, *secret;
	char hash[65];
	int64_t n;
	int rc, same;

	if (token == NULL || strncmp(token, API_TOKEN_PREFIX, plen) != 0 ||
	    (n = id_parse(token + plen, &end)) == 0 || *end != '_')
		return mc_fail(MC_EAUTH, err, errsz, "not a valid token");
	secret = end + 1;
	if (strlen(secret) != SECRET_HEX)
		return mc_fail(MC_EAUTH, err, errsz, "not a valid token");
	if ((rc = store_api_token_each(s, n, check_row, &c)) < 0)
		return mc_fail(rc, err, errsz, "%s", store_error(s));
	/* hash even when no row matched, so timing tells nothing of ids */
	hash_secret(secret, hash);
	same = CRYPTO_memcmp(hash, c.t.hash, sizeof(hash) - 1) == 0;
	if (!c.found || !same || c.t.revoked != 0)
		return mc_fail(MC_EAUTH, err, errsz, "not a valid token");
	mc_strlcpy(scope, c.t.scope, 8);
	*id = n;
	return 0;
}
