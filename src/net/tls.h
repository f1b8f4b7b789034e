/*
 * tls.h — client TLS with OpenSSL: contexts, per-connection setup, and
 * failures told in words a user can act on.
 *
 * Certificate checks are on by default: the chain must lead to a trusted
 * root (the system's, or the --ca-file given) and the certificate must name
 * the host (DNS name or IP address).  Turning them off is an explicit
 * choice of the caller (verify == false).  SNI is sent for host names.
 *
 * Ownership: tls_client_ctx_new() returns an SSL_CTX the caller frees with
 * SSL_CTX_free(); tls_client_new() an SSL the caller (or the bufferevent
 * it is given to) frees.
 */
#ifndef MC_NET_TLS_H
#define MC_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

/* NULL on failure, with the reason in err ("cannot read CA file ..."). */
SSL_CTX *tls_client_ctx_new(const char *ca_file, bool verify, char *err,
                            size_t errsz);
/* A client SSL for host (SNI and name check unless verify is off). */
SSL *tls_client_new(SSL_CTX *ctx, const char *host, bool verify);
/*
 * After a failed handshake: describe why into buf and return MC_ECERT
 * (the certificate was not trusted or names another host), or MC_ETLS.
 * osslerr is the OpenSSL error code seen (0: take it from the queue);
 * implicit says TLS was spoken from the first byte, port is for the words.
 */
int tls_describe_failure(SSL *ssl, unsigned long osslerr, const char *host,
                         int port, bool implicit, char *buf, size_t sz);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384, CN=mx.example (issuer CN=...)" */
void tls_describe_session(SSL *ssl, char *buf, size_t sz);

#endif
