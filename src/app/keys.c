/*
 * keys.c — DKIM key files and their DNS records; see keys.h.
 */
#include <stdio.h>
#include <string.h>

#include "app/keys.h"
#include "base/error.h"
#include "base/str.h"
#include "msg/dkim.h"

/* A new key and its record. */
int
app_dkim_keygen(const char *type, int bits, const char *path,
                const char *domain, const char *selector, struct buf *txt,
                char *path_out, size_t path_outsz, char *err, size_t errsz)
{
	struct dkim_key *k = NULL;
	enum dkim_alg alg;
	int rc;

	if (strcmp(type, "rsa") == 0)
		alg = DKIM_RSA_SHA256;
	else if (strcmp(type, "ed25519") == 0)
		alg = DKIM_ED25519_SHA256;
	else {
		snprintf(err, errsz, "--type is rsa or ed25519");
		return MC_EINVAL;
	}
	if (path == NULL)
		snprintf(path_out, path_outsz, "%s.%s.%s.pem", selector, domain,
		         type);
	else
		mc_strlcpy(path_out, path, path_outsz);
	rc = dkim_key_generate(alg, bits, path_out, domain, selector, &k, err,
	                       errsz);
	if (rc == 0)
		dkim_key_txt(k, txt);
	dkim_key_free(k);
	return rc;
}

/* The record of an existing key. */
int
app_dkim_txt(const char *path, const char *domain, const char *selector,
             struct buf *txt, char *err, size_t errsz)
{
	struct dkim_key *k = NULL;
	int rc;

	if ((rc = dkim_key_load(path, domain, selector, &k, err, errsz)) == 0)
		dkim_key_txt(k, txt);
	dkim_key_free(k);
	return rc;
}
