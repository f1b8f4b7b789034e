/*
 * sasl.h — the client side of SASL, shared by SMTP AUTH (RFC 4954), POP3
 * AUTH (RFC 5034) and IMAP AUTHENTICATE (RFC 3501).
 *
 * The engine knows mechanisms, not protocols: it makes the base64 initial
 * response and answers each base64 challenge; the protocol core frames them
 * ("AUTH PLAIN <ir>", "334 <challenge>", "+ <challenge>").  Mechanisms:
 * PLAIN (RFC 4616), LOGIN (the de-facto draft), CRAM-MD5 (RFC 2195) and
 * XOAUTH2 (the secret is an OAuth 2 bearer token).
 *
 * Ownership: struct sasl_client is caller-owned and borrows user and
 * secret, which must outlive it; sasl_client_fini() wipes what it derived
 * from the secret.  Responses are appended to the caller's buffer, which the
 * caller must wipe (explicit_bzero) once sent: it holds the credentials.
 */
#ifndef MC_PROTO_SASL_H
#define MC_PROTO_SASL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

enum sasl_mech {
	SASL_NONE = 0,
	SASL_PLAIN,
	SASL_LOGIN,
	SASL_CRAM_MD5,
	SASL_XOAUTH2,
};

struct sasl_client {
	enum sasl_mech mech;
	const char *user;
	const char *secret;
	int step;
};

/* "PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"; "none". */
const char *sasl_mech_name(enum sasl_mech mech);
/* The mechanism of that name (any case), or SASL_NONE. */
enum sasl_mech sasl_mech_lookup(const char *name, size_t len);
/*
 * Pick a mechanism from the server's space-separated list.  wanted, when not
 * SASL_NONE, must be on the list.  Otherwise the order of preference is
 * XOAUTH2 only when wanted; PLAIN, LOGIN over TLS; CRAM-MD5 without TLS
 * (the only one that does not reveal the password on the wire).  Returns
 * SASL_NONE when nothing fits.
 */
enum sasl_mech sasl_choose(const char *offered, size_t len, bool tls,
                           enum sasl_mech wanted);
/* Does the mechanism send the secret in clear (base64 is not a cipher)? */
bool sasl_mech_is_cleartext(enum sasl_mech mech);

/*
 * Check credentials before any protocol uses them (wire_value.h): the user
 * name may hold no control character (CR, LF, NUL, and the ^A that
 * separates XOAUTH2's fields), the secret no CR, LF, NUL or ^A.  NULL
 * passes.  0, or MC_EINVAL with "user name contains a line break" (or
 * "password ...") in err; never the secret itself.
 */
int sasl_credentials_check(const char *user, const char *secret, char *err,
                           size_t errsize);

void sasl_client_init(struct sasl_client *s, enum sasl_mech mech,
                      const char *user, const char *secret);
void sasl_client_fini(struct sasl_client *s);
/*
 * The initial response, base64, appended to out; returns true when the
 * mechanism has one (PLAIN, XOAUTH2), false when the exchange starts with a
 * server challenge (LOGIN, CRAM-MD5).
 */
bool sasl_client_initial(struct sasl_client *s, struct buf *out);
/*
 * Answer one base64 challenge; the base64 response is appended to out.
 * Returns 0, or MC_EDATA when the challenge is not valid base64, or
 * MC_EPROTO when the mechanism expected no further challenge.
 */
int sasl_client_step(struct sasl_client *s, const char *challenge, size_t len,
                     struct buf *out);

#endif
