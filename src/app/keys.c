/*
 * keys.c — DKIM key files and their DNS records; see keys.h.
 */
#include <stdio.h>
#include <string.h>

#include "app/keys.h"
#include "app/secrets.h"
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

	secret_file_check(path, "DKIM key");
	if ((rc = dkim_key_load(path, domain, selector, &k, err, errsz)) == 0)
		dkim_key_txt(k, txt);
	dkim_key_free(k);
	return rc;
}

/* NAME. IN TXT ( "..." ... ) */
void
app_dkim_zone_line(const char *selector, const char *domain, const char *value,
                   struct buf *out)
{
	buf_printf(out, "%s._domainkey.%s. IN TXT (", selector, domain);
	for (size_t off = 0, n = strlen(value); off < n; off += 250)
		buf_printf(out, " \"%.*s\"",
		           (int)(n - off < 250 ? n - off : 250), value + off);
	buf_puts(out, " )\n");
}

/* {name, type, value[, key_file]} */
json_t *
app_dkim_record_json(const char *selector, const char *domain,
                     const char *value, const char *key_file)
{
	char name[600];
	json_t *o;

	snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain);
	o = json_pack("{s:s, s:s, s:s}", "name", name, "type", "TXT", "value",
	              value);
	if (key_file != NULL)
		json_object_set_new(o, "key_file", json_string(key_file));
	return o;
}
