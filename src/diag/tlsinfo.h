/*
 * tlsinfo.h — a TLS client handshake that inspects instead of trusting.
 *
 * The doctor must describe a certificate even when it fails verification,
 * so tlsinfo_handshake() completes the handshake with verification
 * recorded, not enforced: the result says whether the chain verified
 * against the trust store (the system's, or ca_file alone when given),
 * whether the name matches, whether it is self-signed or expired, and
 * whether the issuer looks like a TLS-intercepting product.  The context,
 * the SSL object and the words of a failure come from net/tls.h; this file
 * adds the poll-driven blocking handshake and the certificate's facts.
 * It never carries mail (the SMTP AUTH check carries only credentials).
 *
 * Ownership: struct tls_conn owns its SSL objects until tlsinfo_close().
 * Errors: MC_ETLS (handshake failed), MC_ETIMEDOUT (stalled).
 */
#ifndef MC_DIAG_TLSINFO_H
#define MC_DIAG_TLSINFO_H

#include <stdbool.h>
#include <stddef.h>

struct tls_info {
	bool present;
	char subject[160];
	char issuer[160];
	char not_after[40]; /* "2031-01-01 00:00:00 UTC" */
	char version[16];   /* "TLSv1.3" */
	bool verified;      /* chain to a trust anchor */
	char verify_error[96];
	bool name_ok;
	bool self_signed;
	bool expired;
	bool intercepted;  /* issuer names a middlebox product */
	char session[256]; /* protocol, cipher, certificate (tls.h words) */
};

struct tls_conn {
	void *ctx; /* SSL_CTX */
	void *ssl; /* SSL */
	int fd;
};

/*
 * Handshake on a connected fd, within timeout_ms; fills info.  implicit
 * and port are for the words of a failure (TLS expected from the first
 * byte).  Returns 0, MC_ETLS or MC_ETIMEDOUT with the reason in err.
 */
int tlsinfo_handshake(struct tls_conn *c, int fd, const char *host,
                      unsigned port, bool implicit, const char *ca_file,
                      int timeout_ms, struct tls_info *info, char *err,
                      size_t errlen);
/* Read up to len bytes within timeout_ms; bytes read, 0 on EOF, or <0. */
int tlsinfo_read(struct tls_conn *c, char *buf, size_t len, int timeout_ms);
/* Write all of buf within timeout_ms; 0 or MC_EIO / MC_ETIMEDOUT. */
int tlsinfo_write(struct tls_conn *c, const char *buf, size_t len,
                  int timeout_ms);
/* Free the SSL objects (the fd stays open). */
void tlsinfo_close(struct tls_conn *c);
/* Does an issuer string name a known intercepting product? */
bool tlsinfo_is_interceptor(const char *issuer);

#endif
