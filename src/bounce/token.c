/*
 * token.c — see token.h.  The MAC input starts with a fixed label so that a
 * key reused elsewhere by mistake cannot produce valid tokens by accident.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base/error.h"
#include "bounce/token.h"

#define TOKEN_LABEL    "mailcast-token-v1"
#define TOKEN_FILE_MAX 4096 /* a key file larger than this is not a key */

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

int
token_key_set(struct token_key *k, const void *key, size_t len)
{
	if (len < TOKEN_KEY_MIN || len > TOKEN_KEY_MAX)
		return MC_EINVAL;
	memcpy(k->key, key, len);
	k->len = len;
	return 0;
}

void
token_key_wipe(struct token_key *k)
{
	explicit_bzero(k, sizeof(*k));
}

/* Value of a hex digit, or -1. */
static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
token_key_load(struct token_key *k, const char *path, char *err, size_t errsz)
{
	unsigned char raw[TOKEN_FILE_MAX + 1];
	struct stat sb;
	size_t n, t;
	FILE *fp;
	int rc = 0;

	memset(k, 0, sizeof(*k));
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return mc_fail(MC_ECONFIG, err, errsz,
		               "token key %s is a directory, not a key file",
		               path);
	if ((fp = fopen(path, "rb")) == NULL)
		return mc_fail(MC_EIO, err, errsz, "token key %s: %s", path,
		               strerror(errno));
	n = fread(raw, 1, sizeof(raw), fp);
	if (ferror(fp)) {
		fclose(fp);
		return mc_fail(MC_EIO, err, errsz, "token key %s: read error",
		               path);
	}
	fclose(fp);
	if (n > TOKEN_FILE_MAX) {
		rc = mc_fail(MC_ECONFIG, err, errsz,
		             "token key %s: file too large to be a key", path);
		goto done;
	}
	/* Hex text, possibly with a final newline? */
	t = n;
	while (t > 0 && isspace(raw[t - 1]))
		t--;
	bool hex = t > 0 && t % 2 == 0;
	for (size_t i = 0; hex && i < t; i++)
		if (hexval(raw[i]) < 0)
			hex = false;
	if (hex) {
		if (t / 2 < TOKEN_KEY_MIN || t / 2 > TOKEN_KEY_MAX) {
			rc = mc_fail(
			    MC_ECONFIG, err, errsz,
			    "token key %s: %zu bytes of hex key; need %d to %d "
			    "(create one with: openssl rand -hex 32 > %s)",
			    path, t / 2, TOKEN_KEY_MIN, TOKEN_KEY_MAX, path);
			goto done;
		}
		for (size_t i = 0; i < t / 2; i++)
			k->key[i] = (unsigned char)(hexval(raw[2 * i]) << 4 |
			                            hexval(raw[2 * i + 1]));
		k->len = t / 2;
		goto done;
	}
	if (n < TOKEN_KEY_MIN || n > TOKEN_KEY_MAX) {
		rc = mc_fail(
		    MC_ECONFIG, err, errsz,
		    "token key %s: %zu bytes; need %d to %d random bytes "
		    "(create one with: openssl rand -hex 32 > %s)",
		    path, n, TOKEN_KEY_MIN, TOKEN_KEY_MAX, path);
		goto done;
	}
	memcpy(k->key, raw, n);
	k->len = n;
done:
	explicit_bzero(raw, sizeof(raw));
	return rc;
}

/* A new random key. */
int
token_key_generate(struct token_key *k)
{
	memset(k, 0, sizeof(*k));
	if (RAND_bytes(k->key, TOKEN_KEY_MIN) != 1)
		return MC_EIO;
	k->len = TOKEN_KEY_MIN;
	return 0;
}

/* The key as hex. */
void
token_key_hex(const struct token_key *k, char *out, size_t outsz)
{
	static const char hx[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < k->len && o + 2 < outsz; i++) {
		out[o++] = hx[k->key[i] >> 4];
		out[o++] = hx[k->key[i] & 15];
	}
	if (outsz > 0)
		out[o] = '\0';
}

/* A key from hex. */
int
token_key_from_hex(struct token_key *k, const char *hex)
{
	size_t n = hex ? strlen(hex) : 0;

	memset(k, 0, sizeof(*k));
	if (n % 2 || n / 2 < TOKEN_KEY_MIN || n / 2 > TOKEN_KEY_MAX)
		return MC_EDATA;
	for (size_t i = 0; i < n; i++)
		if (hexval((unsigned char)hex[i]) < 0)
			return MC_EDATA;
	for (size_t i = 0; i < n / 2; i++)
		k->key[i] = (unsigned char)(hexval(hex[2 * i]) << 4 |
		                            hexval(hex[2 * i + 1]));
	k->len = n / 2;
	return 0;
}

/* Add a key to the end of the ring. */
int
token_keyring_add(struct token_keyring *r, const struct token_key *k,
                  int64_t id)
{
	if (r->n >= TOKEN_RING_MAX)
		return MC_ELIMIT;
	r->keys[r->n] = *k;
	r->ids[r->n++] = id;
	return 0;
}

/* Whether the ring holds k. */
int
token_keyring_has(const struct token_keyring *r, const struct token_key *k)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->keys[i].len == k->len &&
		    CRYPTO_memcmp(r->keys[i].key, k->key, k->len) == 0)
			return 1;
	return 0;
}

/* Wipe the ring. */
void
token_keyring_wipe(struct token_keyring *r)
{
	explicit_bzero(r, sizeof(*r));
}

/* Decode with each key of the ring. */
int
token_keyring_decode(const struct token_keyring *r, const char *tok, size_t len,
                     uint64_t *campaign, uint64_t *contact, int64_t *key_id)
{
	for (size_t i = 0; i < r->n; i++)
		if (token_decode(&r->keys[i], tok, len, campaign, contact) ==
		    0) {
			if (key_id)
				*key_id = r->ids[i];
			return 0;
		}
	return MC_EDATA;
}

/*
 * HMAC-SHA256 (RFC 2104) with the key's inner and outer pad states hashed
 * once and kept per thread: the one-shot HMAC() fetches and sets up a MAC
 * on every call, which cost more than the rest of a message's render.
 * The cache holds a copy of the last key used by this thread.
 */
struct mac_cache {
	unsigned char key[TOKEN_KEY_MAX];
	size_t len;
	EVP_MD *md;
	EVP_MD_CTX *inner, *outer, *work;
};
static _Thread_local struct mac_cache mac_cache;
static pthread_key_t mac_cache_key;
static pthread_once_t mac_cache_once = PTHREAD_ONCE_INIT;

/* A thread ends: free its cache (a server's worker threads come and go;
 * the main thread's lives as long as the process). */
static void
mac_cache_free(void *arg)
{
	struct mac_cache *c = arg;

	EVP_MD_CTX_free(c->inner);
	EVP_MD_CTX_free(c->outer);
	EVP_MD_CTX_free(c->work);
	EVP_MD_free(c->md);
	explicit_bzero(c, sizeof(*c));
}

/* The key whose destructor frees a thread's cache. */
static void
mac_cache_key_make(void)
{
	pthread_key_create(&mac_cache_key, mac_cache_free);
}

/* Point the cache at k; false if OpenSSL fails. */
static bool
mac_cache_set(const struct token_key *k)
{
	struct mac_cache *c = &mac_cache;
	unsigned char ipad[64], opad[64];

	if (c->md != NULL && c->len == k->len &&
	    CRYPTO_memcmp(c->key, k->key, k->len) == 0)
		return true;
	if (c->md == NULL) {
		c->md = EVP_MD_fetch(NULL, "SHA256", NULL);
		c->inner = EVP_MD_CTX_new();
		c->outer = EVP_MD_CTX_new();
		c->work = EVP_MD_CTX_new();
		pthread_once(&mac_cache_once, mac_cache_key_make);
		pthread_setspecific(mac_cache_key, c);
		if (c->md == NULL || c->inner == NULL || c->outer == NULL ||
		    c->work == NULL)
			return false;
	}
	memset(ipad, 0x36, sizeof(ipad));
	memset(opad, 0x5c, sizeof(opad));
	for (size_t i = 0; i < k->len; i++) {
		ipad[i] ^= k->key[i];
		opad[i] ^= k->key[i];
	}
	bool ok = EVP_DigestInit_ex(c->inner, c->md, NULL) == 1 &&
	          EVP_DigestUpdate(c->inner, ipad, sizeof(ipad)) == 1 &&
	          EVP_DigestInit_ex(c->outer, c->md, NULL) == 1 &&
	          EVP_DigestUpdate(c->outer, opad, sizeof(opad)) == 1;
	explicit_bzero(ipad, sizeof(ipad));
	explicit_bzero(opad, sizeof(opad));
	if (!ok)
		return false;
	memcpy(c->key, k->key, k->len);
	c->len = k->len;
	return true;
}

/* The first TOKEN_MAC_LEN bytes of the HMAC over the label and data. */
static void
token_mac(const struct token_key *k, const unsigned char *data, size_t n,
          unsigned char mac[TOKEN_MAC_LEN])
{
	struct mac_cache *c = &mac_cache;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!mac_cache_set(k) || EVP_MD_CTX_copy_ex(c->work, c->inner) != 1 ||
	    EVP_DigestUpdate(c->work, TOKEN_LABEL, sizeof(TOKEN_LABEL) - 1) !=
	        1 ||
	    EVP_DigestUpdate(c->work, data, n) != 1 ||
	    EVP_DigestFinal_ex(c->work, md, &mdlen) != 1 ||
	    EVP_MD_CTX_copy_ex(c->work, c->outer) != 1 ||
	    EVP_DigestUpdate(c->work, md, mdlen) != 1 ||
	    EVP_DigestFinal_ex(c->work, md, &mdlen) != 1) {
		/* Fail closed: a MAC nobody can match. */
		memset(mac, 0, TOKEN_MAC_LEN);
		RAND_bytes(mac, TOKEN_MAC_LEN);
		return;
	}
	memcpy(mac, md, TOKEN_MAC_LEN);
}

/* Bytes needed for v big-endian, at least 1. */
static size_t
id_len(uint64_t v)
{
	size_t n = 1;

	while (n < 8 && (v >> (8 * n)) != 0)
		n++;
	return n;
}

int
token_encode(const struct token_key *k, uint64_t campaign, uint64_t contact,
             char *out, size_t outsz)
{
	unsigned char raw[TOKEN_RAW_MAX];
	size_t lc = id_len(campaign), lk = id_len(contact), n = 0, o = 0;
	unsigned acc = 0;
	int bits = 0;

	if (k->len < TOKEN_KEY_MIN)
		return MC_EINVAL;
	raw[n++] = (unsigned char)((lc - 1) << 3 | (lk - 1));
	for (size_t i = lc; i > 0; i--)
		raw[n++] = (unsigned char)(campaign >> (8 * (i - 1)));
	for (size_t i = lk; i > 0; i--)
		raw[n++] = (unsigned char)(contact >> (8 * (i - 1)));
	token_mac(k, raw, n, raw + n);
	n += TOKEN_MAC_LEN;
	if (outsz < (n * 8 + 4) / 5 + 1)
		return MC_ELIMIT;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

int
token_decode(const struct token_key *k, const char *tok, size_t len,
             uint64_t *campaign, uint64_t *contact)
{
	unsigned char raw[TOKEN_RAW_MAX], mac[TOKEN_MAC_LEN];
	size_t n = 0, lc, lk;
	unsigned acc = 0;
	int bits = 0;
	uint64_t c = 0, r = 0;

	if (k->len < TOKEN_KEY_MIN || len == 0 || len > TOKEN_MAX)
		return MC_EDATA;
	for (size_t i = 0; i < len; i++) {
		int ch = tolower((unsigned char)tok[i]);
		const char *p = ch ? strchr(b32, ch) : NULL;
		if (p == NULL)
			return MC_EDATA;
		acc = (acc << 5) | (unsigned)(p - b32);
		bits += 5;
		if (bits >= 8) {
			raw[n++] = (unsigned char)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	/* Canonical form only: leftover bits fewer than 5 and all zero. */
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
		return MC_EDATA;
	if (n < 1 + 2 + TOKEN_MAC_LEN || (raw[0] & 0xc0) != 0)
		return MC_EDATA;
	lc = ((raw[0] >> 3) & 7) + 1;
	lk = (raw[0] & 7) + 1;
	if (n != 1 + lc + lk + TOKEN_MAC_LEN)
		return MC_EDATA;
	token_mac(k, raw, 1 + lc + lk, mac);
	if (CRYPTO_memcmp(mac, raw + 1 + lc + lk, TOKEN_MAC_LEN) != 0)
		return MC_EDATA;
	for (size_t i = 0; i < lc; i++)
		c = (c << 8) | raw[1 + i];
	for (size_t i = 0; i < lk; i++)
		r = (r << 8) | raw[1 + lc + i];
	*campaign = c;
	*contact = r;
	return 0;
}
