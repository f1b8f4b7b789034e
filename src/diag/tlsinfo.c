/*
 * tlsinfo.c — handshake with OpenSSL, record what verification says.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/error.h"
#include "base/str.h"
#include "diag/tlsinfo.h"
#include "net/tls.h"

/* Issuer words of products that re-sign TLS on the way through. */
static const char *const interceptors[] = {
    "Fortinet",       "FortiGate", "Sophos",    "Zscaler",      "Kaspersky",
    "Avast",          "AVG",       "ESET",      "Bitdefender",  "Palo Alto",
    "Cisco Umbrella", "Barracuda", "Blue Coat", "Symantec Web", "McAfee Web",
    "WatchGuard",     "Netskope",  "Untangle",  "pfSense",      "Check Point",
    "Forcepoint",     "mitmproxy", NULL,
};

/* Milliseconds of the monotonic clock. */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Does issuer name an intercepting product? */
bool
tlsinfo_is_interceptor(const char *issuer)
{
	for (size_t i = 0; interceptors[i] != NULL; i++)
		if (strcasestr(issuer, interceptors[i]) != NULL)
			return true;
	return false;
}

/* Wait for fd to be ready for what OpenSSL asked. */
static int
wait_ssl(int fd, int sslerr, long long deadline)
{
	struct pollfd p = {.fd = fd};
	long long left = deadline - now_ms();

	if (left <= 0)
		return MC_ETIMEDOUT;
	p.events = sslerr == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
	if (poll(&p, 1, (int)left) <= 0)
		return MC_ETIMEDOUT;
	return 0;
}

/* Describe the peer certificate. */
static void
describe_cert(SSL *ssl, const char *host, struct tls_info *info)
{
	X509 *x = SSL_get1_peer_certificate(ssl);
	const ASN1_TIME *na;
	struct tm tm;
	long vr;

	mc_strlcpy(info->version, SSL_get_version(ssl), sizeof(info->version));
	if (x == NULL)
		return;
	info->present = true;
	X509_NAME_oneline(X509_get_subject_name(x), info->subject,
	                  sizeof(info->subject));
	X509_NAME_oneline(X509_get_issuer_name(x), info->issuer,
	                  sizeof(info->issuer));
	na = X509_get0_notAfter(x);
	if (na != NULL && ASN1_TIME_to_tm(na, &tm) == 1)
		strftime(info->not_after, sizeof(info->not_after),
		         "%Y-%m-%d %H:%M:%S UTC", &tm);
	info->expired = X509_cmp_current_time(na) < 0;
	info->self_signed = X509_check_issued(x, x) == X509_V_OK;
	vr = SSL_get_verify_result(ssl);
	info->verified = vr == X509_V_OK;
	if (!info->verified)
		mc_strlcpy(info->verify_error,
		           X509_verify_cert_error_string(vr),
		           sizeof(info->verify_error));
	{
		unsigned char b[16];

		if (inet_pton(AF_INET, host, b) == 1 ||
		    inet_pton(AF_INET6, host, b) == 1)
			info->name_ok = X509_check_ip_asc(x, host, 0) == 1;
		else
			info->name_ok =
			    X509_check_host(x, host, 0, 0, NULL) == 1;
	}
	info->intercepted = tlsinfo_is_interceptor(info->issuer);
	X509_free(x);
}

/* Handshake, recording verification. */
int
tlsinfo_handshake(struct tls_conn *c, int fd, const char *host, unsigned port,
                  bool implicit, const char *ca_file, int timeout_ms,
                  struct tls_info *info, char *err, size_t errlen)
{
	long long deadline = now_ms() + timeout_ms;
	SSL_CTX *ctx;
	SSL *ssl;
	int rc;

	memset(c, 0, sizeof(*c));
	memset(info, 0, sizeof(*info));
	c->fd = fd;
	/* Verification is recorded, not enforced: see the header. */
	ctx = tls_client_ctx_new(ca_file, false, err, errlen);
	if (ctx == NULL)
		return MC_ETLS;
	c->ctx = ctx;
	ssl = tls_client_new(ctx, host, false);
	if (ssl == NULL) {
		snprintf(err, errlen, "TLS: cannot create a session");
		return MC_ETLS;
	}
	c->ssl = ssl;
	SSL_set_fd(ssl, fd);
	for (;;) {
		rc = SSL_connect(ssl);
		if (rc == 1)
			break;
		rc = SSL_get_error(ssl, rc);
		if (rc != SSL_ERROR_WANT_READ && rc != SSL_ERROR_WANT_WRITE) {
			/* No SSL: with checks off the certificate cannot be
			 * why it failed, whatever its verify result says. */
			tls_describe_failure(NULL, 0, host, (int)port, implicit,
			                     err, errlen);
			return MC_ETLS;
		}
		if (wait_ssl(fd, rc, deadline) != 0) {
			snprintf(err, errlen,
			         "TLS handshake stalled (no answer in %d ms)",
			         timeout_ms);
			return MC_ETIMEDOUT;
		}
	}
	describe_cert(ssl, host, info);
	tls_describe_session(ssl, info->session, sizeof(info->session));
	return 0;
}

/* Read within a timeout. */
int
tlsinfo_read(struct tls_conn *c, char *buf, size_t len, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int rc;

	for (;;) {
		rc = SSL_read(c->ssl, buf, (int)len);
		if (rc > 0)
			return rc;
		rc = SSL_get_error(c->ssl, rc);
		if (rc == SSL_ERROR_ZERO_RETURN)
			return 0;
		if (rc != SSL_ERROR_WANT_READ && rc != SSL_ERROR_WANT_WRITE)
			return MC_EIO;
		if (wait_ssl(c->fd, rc, deadline) != 0)
			return MC_ETIMEDOUT;
	}
}

/* Write everything (small commands only). */
int
tlsinfo_write(struct tls_conn *c, const char *buf, size_t len, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int rc;

	while (len > 0) {
		rc = SSL_write(c->ssl, buf, (int)len);
		if (rc > 0) {
			buf += rc;
			len -= (size_t)rc;
			continue;
		}
		rc = SSL_get_error(c->ssl, rc);
		if (rc != SSL_ERROR_WANT_READ && rc != SSL_ERROR_WANT_WRITE)
			return MC_EIO;
		if (wait_ssl(c->fd, rc, deadline) != 0)
			return MC_ETIMEDOUT;
	}
	return 0;
}

/* Free the SSL objects (the fd stays open). */
void
tlsinfo_close(struct tls_conn *c)
{
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	if (c->ctx != NULL)
		SSL_CTX_free(c->ctx);
	c->ssl = NULL;
	c->ctx = NULL;
}
