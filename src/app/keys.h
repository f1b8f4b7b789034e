/*
 * keys.h — DKIM keys for the front ends: a new key file, or an existing
 * one, and the DNS TXT record to publish for it.
 *
 * The private key is written 0600, never over an existing file, and never
 * returned; only the record (the public part) is.  Errors: MC_EINVAL (an
 * unknown type), MC_EIO (the file cannot be written or read), and what
 * msg/dkim.h returns, with the reason in err.
 */
#ifndef MC_APP_KEYS_H
#define MC_APP_KEYS_H

#include <stddef.h>

#include "base/buf.h"

/* Generate a key of type ("rsa" or "ed25519"; bits for RSA) into path
 * (NULL: "S.D.TYPE.pem", written to path_out) and its record into txt. */
int app_dkim_keygen(const char *type, int bits, const char *path,
                    const char *domain, const char *selector, struct buf *txt,
                    char *path_out, size_t path_outsz, char *err, size_t errsz);
/* The record of the key in path for selector._domainkey.domain. */
int app_dkim_txt(const char *path, const char *domain, const char *selector,
                 struct buf *txt, char *err, size_t errsz);

#endif
