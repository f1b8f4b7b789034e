/*
 * tls_probe.c — see tls_probe.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "base/clock.h"
#include "net/tls_probe.h"

/* Wait for fd to be ready for events, at most until deadline. */
static bool
wait_fd(int fd, short events, uint64_t deadline)
{
	uint64_t now = mc_clock_mono_ms(mc_clock_system());
	struct pollfd pfd = {.fd = fd, .events = events};

	if (now >= deadline)
		return false;
	return poll(&pfd, 1, (int)(deadline - now)) == 1;
}

bool
tls_probe(const struct net_addrs *addrs, uint32_t timeout_ms)
{
	uint64_t deadline = mc_clock_mono_ms(mc_clock_system()) + timeout_ms;
	bool ok = false;

	for (size_t i = 0; i < addrs->n && !ok; i++) {
		const struct sockaddr *sa =
		    (const struct sockaddr *)&addrs->sa[i];
		int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, sa, addrs->len[i]) != 0 &&
		    (errno != EINPROGRESS || !wait_fd(fd, POLLOUT, deadline))) {
			close(fd);
			continue;
		}
		SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
		SSL *ssl = ctx ? SSL_new(ctx) : NULL;
		if (ssl) {
			SSL_set_fd(ssl, fd);
			SSL_set_tlsext_host_name(ssl, addrs->host);
			for (;;) {
				int rc = SSL_connect(ssl);
				if (rc == 1) {
					ok = true;
					break;
				}
				int e = SSL_get_error(ssl, rc);
				if (e == SSL_ERROR_WANT_READ &&
				    wait_fd(fd, POLLIN, deadline))
					continue;
				if (e == SSL_ERROR_WANT_WRITE &&
				    wait_fd(fd, POLLOUT, deadline))
					continue;
				break;
			}
			SSL_free(ssl);
		}
		SSL_CTX_free(ctx);
		close(fd);
		break; /* one reachable address is enough to tell */
	}
	return ok;
}
