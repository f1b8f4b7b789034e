/*
 * dkim.h — the DKIM signer (RFC 6376), rsa-sha256 and ed25519-sha256
 * (RFC 8463), relaxed/relaxed, no l=.
 *
 * A struct dkim_key (a PEM private key with its d= and s=) is loaded once
 * and is read-only afterwards: rendering threads may share it.  A struct
 * dkim_signer is per thread: it borrows up to DKIM_KEYS_MAX keys (they
 * must outlive it), keeps its OpenSSL contexts and scratch buffers, hashes
 * the canonical body once for all its keys, and appends one
 * DKIM-Signature field per key.  Signed fields: From (over-signed, so no
 * second From can be added), To, Subject, Date, Message-ID, MIME-Version,
 * Content-Type, List-Unsubscribe, List-Unsubscribe-Post — those present.
 * Errors: MC_EIO (key file), MC_ECONFIG (bad key or name), MC_EDATA
 * (message without a header/body separator), text in the err buffer or
 * dkim_signer_error().  Private keys are never printed.
 */
#ifndef MC_MSG_DKIM_H
#define MC_MSG_DKIM_H

#include <stddef.h>
#include <time.h>

#include "base/buf.h"

#define DKIM_KEYS_MAX     2   /* signatures per message */
#define DKIM_HEADERS_MAX  128 /* header fields looked at */
#define DKIM_SELECTOR_MAX 63
#define DKIM_RSA_BITS_MIN 1024 /* RFC 8301 */

enum dkim_alg {
	DKIM_RSA_SHA256,
	DKIM_ED25519_SHA256,
};

struct dkim_key;
struct dkim_signer;

/* "rsa-sha256" or "ed25519-sha256". */
const char *dkim_alg_name(enum dkim_alg alg);
/* Load a PEM private key (RSA >= 1024 bits, or Ed25519) for d=domain,
 * s=selector. */
int dkim_key_load(const char *path, const char *domain, const char *selector,
                  struct dkim_key **out, char *err, size_t errsz);
void dkim_key_free(struct dkim_key *k);
enum dkim_alg dkim_key_alg(const struct dkim_key *k);
/* Append the DNS TXT record value ("v=DKIM1; k=...; p=...") of k. */
void dkim_key_txt(const struct dkim_key *k, struct buf *out);
/* Generate a key (bits for RSA; ignored for Ed25519), write it as PKCS#8
 * PEM to path (created 0600, never overwritten) and load it. */
int dkim_key_generate(enum dkim_alg alg, int bits, const char *path,
                      const char *domain, const char *selector,
                      struct dkim_key **out, char *err, size_t errsz);

struct dkim_signer *dkim_signer_new(void);
void dkim_signer_free(struct dkim_signer *s);
/* Borrow k; returns MC_ELIMIT after DKIM_KEYS_MAX keys. */
int dkim_signer_add(struct dkim_signer *s, const struct dkim_key *k);
/* Append the DKIM-Signature fields for msg[0..len) (CRLF, headers then a
 * blank line then the body) to out; they go before the message. */
int dkim_sign(struct dkim_signer *s, const char *msg, size_t len, time_t now,
              struct buf *out);
const char *dkim_signer_error(const struct dkim_signer *s);

#endif
