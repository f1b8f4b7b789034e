/*
 * tls.c — see tls.h.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "base/error.h"
#include "net/tls.h"

SSL_CTX *
tls_client_ctx_new(const char *ca_file, bool verify, char *err, size_t errsz)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		snprintf(err, errsz, "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (ca_file) {
		if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
			snprintf(err, errsz, "cannot read CA file \"%s\": %s",
			         ca_file,
			         ERR_reason_error_string(ERR_get_error()));
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else {
		SSL_CTX_set_default_verify_paths(ctx);
	}
	SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
	                   NULL);
	return ctx;
}

static bool
is_ip_literal(const char *host)
{
	unsigned char tmp[16];

	return inet_pton(AF_INET, host, tmp) == 1 ||
	       inet_pton(AF_INET6, host, tmp) == 1;
}

SSL *
tls_client_new(SSL_CTX *ctx, const char *host, bool verify)
{
	SSL *ssl = SSL_new(ctx);

	if (ssl == NULL)
		return NULL;
	if (!is_ip_literal(host))
		SSL_set_tlsext_host_name(ssl, host);
	if (verify) {
		if (is_ip_literal(host))
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
			                              host);
		else
			SSL_set1_host(ssl, host);
	}
	return ssl;
}

int
tls_describe_failure(SSL *ssl, unsigned long osslerr, const char *host,
                     int port, bool implicit, char *buf, size_t sz)
{
	long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
	unsigned long e = osslerr ? osslerr : ERR_peek_last_error();
	int reason = ERR_GET_REASON(e);

	if (vr != X509_V_OK) {
		const char *hint = "";
		if (vr == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
		    vr == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
		    vr == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
			hint = " (trust it with --ca-file FILE, or turn checks "
			       "off with --tls-verify no)";
		else if (vr == X509_V_ERR_HOSTNAME_MISMATCH ||
		         vr == X509_V_ERR_IP_ADDRESS_MISMATCH)
			hint = " (connect by the name on the certificate)";
		snprintf(buf, sz, "TLS certificate of %s:%d not trusted: %s%s",
		         host, port, X509_verify_cert_error_string(vr), hint);
		ERR_clear_error();
		return MC_ECERT;
	}
	if (implicit && (reason == SSL_R_WRONG_VERSION_NUMBER ||
	                 reason == SSL_R_UNKNOWN_PROTOCOL ||
	                 reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
	                 reason == SSL_R_HTTP_REQUEST ||
	                 reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		snprintf(
		    buf, sz,
		    "%s:%d answered in plain text, not TLS: port %d expects "
		    "STARTTLS or no TLS (use --tls starttls or --tls none)",
		    host, port, port);
		ERR_clear_error();
		return MC_ETLS;
	}
	snprintf(buf, sz, "TLS handshake with %s:%d failed: %s", host, port,
	         e ? ERR_reason_error_string(e) ? ERR_reason_error_string(e)
	                                        : "unknown error"
	           : "the connection was closed during the handshake");
	ERR_clear_error();
	return MC_ETLS;
}

void
tls_describe_session(SSL *ssl, char *buf, size_t sz)
{
	X509 *cert = SSL_get1_peer_certificate(ssl);
	char subj[256] = "", issuer[256] = "";

	if (cert) {
		X509_NAME_oneline(X509_get_subject_name(cert), subj,
		                  sizeof(subj));
		X509_NAME_oneline(X509_get_issuer_name(cert), issuer,
		                  sizeof(issuer));
		X509_free(cert);
	}
	snprintf(buf, sz, "%s %s, certificate %s (issuer %s)",
	         SSL_get_version(ssl), SSL_get_cipher_name(ssl),
	         subj[0] ? subj : "none", issuer[0] ? issuer : "none");
}
