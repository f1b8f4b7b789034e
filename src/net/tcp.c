/*
 * tcp.c — see tcp.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "net/tcp.h"

struct tcp_connect {
	struct event_base *base;
	struct net_addrs addrs;
	size_t next;
	int fd;
	uint32_t timeout_ms;
	struct event *ev;
	struct buf why;
	tcp_connect_cb *cb;
	void *arg;
};

int
net_parse_hostport(const char *s, int default_port, char *host, size_t hostsz,
                   int *port)
{
	const char *colon;
	size_t hlen;
	unsigned long long p = (unsigned long long)default_port;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (end == NULL)
			return MC_EINVAL;
		hlen = (size_t)(end - s - 1);
		s++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && end[1] != ':')
			return MC_EINVAL;
	} else {
		colon = strrchr(s, ':');
		/* A bare IPv6 address has several colons and no port. */
		if (colon && strchr(s, ':') != colon)
			colon = NULL;
		hlen = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (hlen == 0 || hlen >= hostsz)
		return MC_EINVAL;
	if (colon && !mc_parse_uint(colon + 1, strlen(colon + 1), 65535, &p))
		return MC_EINVAL;
	if (p == 0)
		return MC_EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	*port = (int)p;
	return 0;
}

int
net_resolve(const char *host, int port, struct net_addrs *out, char *err,
            size_t errsz)
{
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[16];
	int rc;

	memset(out, 0, sizeof(*out));
	mc_strlcpy(out->host, host, sizeof(out->host));
	out->port = port;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(portstr, sizeof(portstr), "%d", port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc == EAI_ADDRFAMILY || rc == EAI_FAMILY) {
		hints.ai_flags = 0;
		rc = getaddrinfo(host, portstr, &hints, &res);
	}
	if (rc != 0) {
		snprintf(err, errsz, "cannot resolve host \"%s\": %s", host,
		         gai_strerror(rc));
		return rc == EAI_AGAIN ? MC_ETEMPFAIL : MC_ENOHOST;
	}
	for (ai = res; ai && out->n < NET_ADDRS_MAX; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(out->sa[0]))
			continue;
		memcpy(&out->sa[out->n], ai->ai_addr, ai->ai_addrlen);
		out->len[out->n++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	if (out->n == 0) {
		snprintf(err, errsz, "host \"%s\" has no address", host);
		return MC_ENOHOST;
	}
	return 0;
}

const char *
net_addr_str(const struct sockaddr *sa, char *buf, size_t sz)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, sz, "[%s]:%d", ip, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, sz, "%s:%d", ip, ntohs(s4->sin_port));
	} else {
		snprintf(buf, sz, "(family %d)", sa->sa_family);
	}
	return buf;
}

/* This machine's fully qualified name, found once per process (a name
 * lookup must not run for every connection), or "" when it has none. */
static char fqdn[256];
static pthread_once_t fqdn_once = PTHREAD_ONCE_INIT;

static void
fqdn_find(void)
{
	char name[256];
	struct addrinfo hints, *res = NULL;

	if (gethostname(name, sizeof(name)) != 0)
		return;
	name[sizeof(name) - 1] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	if (strchr(name, '.') == NULL &&
	    getaddrinfo(name, NULL, &hints, &res) == 0 && res &&
	    res->ai_canonname)
		mc_strlcpy(name, res->ai_canonname, sizeof(name));
	if (res)
		freeaddrinfo(res);
	if (strchr(name, '.') && strncasecmp(name, "localhost", 9) != 0)
		mc_strlcpy(fqdn, name, sizeof(fqdn));
}

void
net_helo_name(int fd, char *buf, size_t sz)
{
	pthread_once(&fqdn_once, fqdn_find);
	if (fqdn[0] != '\0') {
		mc_strlcpy(buf, fqdn, sz);
		return;
	}
	/* No FQDN: RFC 5321 §4.1.4 asks for an address literal. */
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "127.0.0.1";
	if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET6) {
			inet_ntop(AF_INET6,
			          &((struct sockaddr_in6 *)&ss)->sin6_addr, ip,
			          sizeof(ip));
			snprintf(buf, sz, "[IPv6:%s]", ip);
			return;
		}
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip,
		          sizeof(ip));
	}
	snprintf(buf, sz, "[%s]", ip);
}

static void try_next(struct tcp_connect *tc);

static void
finish(struct tcp_connect *tc, int fd, int err)
{
	tcp_connect_cb *cb = tc->cb;
	void *arg = tc->arg;
	char why[1024];

	mc_strlcpy(why, buf_cstr(&tc->why), sizeof(why));
	if (tc->ev)
		event_free(tc->ev);
	buf_fini(&tc->why);
	free(tc);
	cb(fd, err, why, arg);
}

static void
note_failure(struct tcp_connect *tc, const char *what)
{
	char addr[128];
	size_t i = tc->next - 1;

	if (buf_len(&tc->why))
		buf_puts(&tc->why, "; ");
	buf_printf(&tc->why, "%s: %s",
	           net_addr_str((struct sockaddr *)&tc->addrs.sa[i], addr,
	                        sizeof(addr)),
	           what);
}

static void
on_connect(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_connect *tc = arg;
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	event_free(tc->ev);
	tc->ev = NULL;
	if (what & EV_TIMEOUT) {
		char msg[64];
		snprintf(msg, sizeof(msg), "no answer within %u s (filtered?)",
		         tc->timeout_ms / 1000);
		note_failure(tc, msg);
		close(fd);
		try_next(tc);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
		soerr = errno;
	if (soerr != 0) {
		note_failure(tc, soerr == ECONNREFUSED ? "connection refused"
		                                       : strerror(soerr));
		close(fd);
		try_next(tc);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	finish(tc, fd, 0);
}

static void
try_next(struct tcp_connect *tc)
{
	while (tc->next < tc->addrs.n) {
		size_t i = tc->next++;
		const struct sockaddr *sa = (struct sockaddr *)&tc->addrs.sa[i];
		int fd = socket(sa->sa_family,
		                SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			note_failure(tc, strerror(errno));
			continue;
		}
		if (connect(fd, sa, tc->addrs.len[i]) != 0 &&
		    errno != EINPROGRESS) {
			note_failure(tc, errno == ECONNREFUSED
			                     ? "connection refused"
			                     : strerror(errno));
			close(fd);
			continue;
		}
		struct timeval tv = {tc->timeout_ms / 1000,
		                     (tc->timeout_ms % 1000) * 1000};
		tc->ev = event_new(tc->base, fd, EV_WRITE, on_connect, tc);
		event_add(tc->ev, &tv);
		return;
	}
	/* Every address failed; refused everywhere is its own class. */
	int err = strstr(buf_cstr(&tc->why), "refused") &&
	                  !strstr(buf_cstr(&tc->why), "no answer")
	              ? MC_ECONNREFUSED
	          : strstr(buf_cstr(&tc->why), "no answer") ? MC_ETIMEDOUT
	                                                    : MC_ECONN;
	finish(tc, -1, err);
}

static void
on_start(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_connect *tc = arg;

	(void)fd;
	(void)what;
	event_free(tc->ev);
	tc->ev = NULL;
	try_next(tc);
}

struct tcp_connect *
tcp_connect_start(struct event_base *base, const struct net_addrs *addrs,
                  uint32_t timeout_ms, tcp_connect_cb *cb, void *arg)
{
	struct tcp_connect *tc = xcalloc(1, sizeof(*tc));

	tc->base = base;
	tc->addrs = *addrs;
	tc->timeout_ms = timeout_ms ? timeout_ms : 30000;
	tc->cb = cb;
	tc->arg = arg;
	tc->fd = -1;
	buf_init(&tc->why);
	/* Start from the loop, so the callback never runs before this
	 * function has returned the handle. */
	tc->ev = evtimer_new(base, on_start, tc);
	struct timeval zero = {0, 0};
	evtimer_add(tc->ev, &zero);
	return tc;
}

void
tcp_connect_cancel(struct tcp_connect *tc)
{
	if (tc == NULL)
		return;
	if (tc->ev) {
		if (event_get_fd(tc->ev) >= 0)
			close(event_get_fd(tc->ev));
		event_free(tc->ev);
	}
	buf_fini(&tc->why);
	free(tc);
}
