/*
 * probe.c — parallel connects, then one thread per open port to talk.
 *
 * The connects share one poll loop so that every filtered port waits on
 * the same clock; each port that connects gets a thread right away for
 * the protocol part (banner, EHLO/CAPA/CAPABILITY, STARTTLS, certificate),
 * bounded by the same deadline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/str.h"
#include "diag/icmperr.h"
#include "diag/probe.h"

#define LINE_MAX_PROBE  1024 /* one protocol line */
#define REPLY_LINES_MAX 64   /* lines of one multi-line reply */

static const char *const state_names[] = {
#define PROBE_ST_NAME(name, label) label,
    PROBE_STATES(PROBE_ST_NAME)
#undef PROBE_ST_NAME
};

/* The label of a state. */
const char *
probe_state_name(enum probe_state s)
{
	if ((size_t)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[s];
}

/* The name of a protocol. */
const char *
probe_proto_name(enum probe_proto p)
{
	switch (p) {
	case PROBE_P_SMTP:
		return "smtp";
	case PROBE_P_POP3:
		return "pop3";
	case PROBE_P_IMAP:
		return "imap";
	case PROBE_P_UNKNOWN:
		break;
	}
	return "unknown";
}

/* Milliseconds of the monotonic clock. */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Defaults: the seven mail ports, 3 s. */
void
probe_opts_default(struct probe_opts *o)
{
	static const unsigned def[] = {25, 587, 465, 110, 995, 143, 993};

	memset(o, 0, sizeof(*o));
	memcpy(o->ports, def, sizeof(def));
	o->nports = sizeof(def) / sizeof(def[0]);
	o->timeout_ms = 3000;
	o->banner_ms = 1000;
	o->app = true;
	o->ehlo = "mailcast.invalid";
}

/* Parse a port list. */
int
probe_parse_ports(const char *list, struct probe_opts *o, char *err,
                  size_t errlen)
{
	const char *p = list;
	size_t n = 0;

	while (*p != '\0') {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *dash = memchr(p, '-', len);
		unsigned long long a, b;

		if (dash != NULL) {
			if (!mc_parse_uint(p, (size_t)(dash - p), 65535, &a) ||
			    !mc_parse_uint(dash + 1,
			                   len - (size_t)(dash - p) - 1, 65535,
			                   &b) ||
			    a == 0 || b < a)
				goto bad;
		} else {
			if (!mc_parse_uint(p, len, 65535, &a) || a == 0)
				goto bad;
			b = a;
		}
		for (unsigned long long v = a; v <= b; v++) {
			if (n >= PROBE_PORTS_MAX) {
				snprintf(err, errlen,
				         "--ports: more than %d ports",
				         PROBE_PORTS_MAX);
				return MC_EINVAL;
			}
			o->ports[n++] = (unsigned)v;
		}
		p += len;
		if (*p == ',')
			p++;
		continue;
	bad:
		snprintf(
		    err, errlen,
		    "--ports: '%.*s' is not a port (1-65535) or a range A-B",
		    (int)len, p);
		return MC_EINVAL;
	}
	if (n == 0) {
		snprintf(err, errlen, "--ports: the list is empty");
		return MC_EINVAL;
	}
	o->nports = n;
	return 0;
}

/* Resolve host: an address literal, or the system's resolver for names. */
int
probe_resolve(const char *host, struct sockaddr_storage *ss, socklen_t *sl,
              char *addr, size_t addrlen, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	int rc;

	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || res == NULL) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host,
		         gai_strerror(rc));
		return MC_ENOHOST;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sl = res->ai_addrlen;
	getnameinfo(res->ai_addr, res->ai_addrlen, addr, (socklen_t)addrlen,
	            NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	return 0;
}

/* A connection that may turn into TLS halfway. */
struct pconn {
	int fd;
	bool tls_on;
	struct tls_conn tls;
	char buf[4096];
	size_t len;
	long long deadline;
};

/* Read more bytes into pc->buf; >0 bytes, 0 EOF, <0 error/timeout. */
static int
pconn_fill(struct pconn *pc, long long deadline)
{
	long long left = deadline - now_ms();
	int n;

	if (pc->len >= sizeof(pc->buf) - 1)
		return MC_ELIMIT;
	if (left <= 0)
		return MC_ETIMEDOUT;
	if (pc->tls_on)
		return tlsinfo_read(&pc->tls, pc->buf + pc->len,
		                    sizeof(pc->buf) - 1 - pc->len, (int)left);
	{
		struct pollfd p = {.fd = pc->fd, .events = POLLIN};

		if (poll(&p, 1, (int)left) <= 0)
			return MC_ETIMEDOUT;
	}
	n = (int)recv(pc->fd, pc->buf + pc->len, sizeof(pc->buf) - 1 - pc->len,
	              0);
	return n < 0 ? MC_EIO : n;
}

/* One line (CRLF or LF stripped) by deadline; 0 or <0. */
static int
pconn_line(struct pconn *pc, char *line, size_t size, long long deadline)
{
	for (;;) {
		char *nl = memchr(pc->buf, '\n', pc->len);
		int n;

		if (nl != NULL) {
			size_t l = (size_t)(nl - pc->buf), take = l;

			if (take > 0 && pc->buf[take - 1] == '\r')
				take--;
			if (take >= size)
				take = size - 1;
			memcpy(line, pc->buf, take);
			line[take] = '\0';
			memmove(pc->buf, nl + 1, pc->len - l - 1);
			pc->len -= l + 1;
			return 0;
		}
		n = pconn_fill(pc, deadline);
		if (n <= 0)
			return n == 0 ? MC_ECLOSED : n;
		pc->len += (size_t)n;
	}
}

/* Send a command. */
static int
pconn_send(struct pconn *pc, const char *s)
{
	if (pc->tls_on)
		return tlsinfo_write(&pc->tls, s, strlen(s));
	return send(pc->fd, s, strlen(s), MSG_NOSIGNAL) == (ssize_t)strlen(s)
	           ? 0
	           : MC_EIO;
}

/* Append a word to a space-separated list. */
static void
add_word(char *list, size_t size, const char *w, size_t wl)
{
	size_t l = strlen(list);

	if (l + wl + 2 >= size)
		return;
	if (l > 0)
		list[l++] = ' ';
	memcpy(list + l, w, wl);
	list[l + wl] = '\0';
}

/* The job of one connected port. */
struct job {
	const struct probe_opts *o;
	struct probe_port *pp;
	int fd;
	long long deadline;
	char addr[INET6_ADDRSTRLEN];
	pthread_t tid;
	bool started;
};

/* Find "[a.b.c.d]" or a bare address in an EHLO greeting. */
static void
find_seen_addr(const char *line, char *out, size_t size)
{
	const char *p = strchr(line, '[');
	char cand[INET6_ADDRSTRLEN + 8];
	unsigned char b[16];

	if (p != NULL) {
		const char *q = strchr(p, ']');

		if (q != NULL && (size_t)(q - p - 1) < sizeof(cand)) {
			memcpy(cand, p + 1, (size_t)(q - p - 1));
			cand[q - p - 1] = '\0';
			if (strncasecmp(cand, "IPv6:", 5) == 0)
				memmove(cand, cand + 5, strlen(cand + 5) + 1);
			if (inet_pton(AF_INET, cand, b) == 1 ||
			    inet_pton(AF_INET6, cand, b) == 1) {
				mc_strlcpy(out, cand, size);
				return;
			}
		}
	}
}

/* EHLO: read the capabilities into caps/auth. */
static int
smtp_ehlo(struct job *j, struct pconn *pc, char *auth, size_t authlen)
{
	char line[LINE_MAX_PROBE], cmd[300];
	int rc;

	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", j->o->ehlo);
	if ((rc = pconn_send(pc, cmd)) != 0)
		return rc;
	for (int i = 0; i < REPLY_LINES_MAX; i++) {
		if ((rc = pconn_line(pc, line, sizeof(line), j->deadline)) != 0)
			return rc;
		if (strncmp(line, "250", 3) != 0)
			return MC_EPROTO;
		if (i == 0) {
			find_seen_addr(line, j->pp->seen_addr,
			               sizeof(j->pp->seen_addr));
		} else {
			const char *kw = line + 4;

			if (strncasecmp(kw, "AUTH", 4) == 0 &&
			    (kw[4] == ' ' || kw[4] == '=')) {
				auth[0] = '\0';
				mc_strlcpy(auth, kw + 5, authlen);
			}
			if (strcasecmp(kw, "STARTTLS") == 0)
				j->pp->starttls = true;
			if (!pc->tls_on)
				add_word(j->pp->caps, sizeof(j->pp->caps), kw,
				         strcspn(kw, " "));
		}
		if (line[3] == ' ' || line[3] == '\0')
			return 0;
	}
	return MC_ELIMIT;
}

/* POP3 CAPA; also collects SASL mechanisms. */
static int
pop3_capa(struct job *j, struct pconn *pc, char *auth, size_t authlen)
{
	char line[LINE_MAX_PROBE];
	int rc;

	if ((rc = pconn_send(pc, "CAPA\r\n")) != 0)
		return rc;
	if ((rc = pconn_line(pc, line, sizeof(line), j->deadline)) != 0)
		return rc;
	if (strncmp(line, "+OK", 3) != 0)
		return MC_EPROTO;
	for (int i = 0; i < REPLY_LINES_MAX; i++) {
		if ((rc = pconn_line(pc, line, sizeof(line), j->deadline)) != 0)
			return rc;
		if (strcmp(line, ".") == 0)
			return 0;
		if (strncasecmp(line, "SASL ", 5) == 0)
			mc_strlcpy(auth, line + 5, authlen);
		if (strcasecmp(line, "STLS") == 0)
			j->pp->starttls = true;
		if (!pc->tls_on)
			add_word(j->pp->caps, sizeof(j->pp->caps), line,
			         strcspn(line, " "));
	}
	return MC_ELIMIT;
}

/* Parse an IMAP capability list into caps/auth. */
static void
imap_caps(struct job *j, struct pconn *pc, const char *list, char *auth,
          size_t authlen)
{
	const char *p = list;

	while (*p != '\0') {
		size_t wl;

		while (*p == ' ')
			p++;
		wl = strcspn(p, " ]");
		if (wl == 0)
			break;
		if (wl > 5 && strncasecmp(p, "AUTH=", 5) == 0)
			add_word(auth, authlen, p + 5, wl - 5);
		else if (wl == 8 && strncasecmp(p, "STARTTLS", 8) == 0)
			j->pp->starttls = true;
		if (!pc->tls_on)
			add_word(j->pp->caps, sizeof(j->pp->caps), p, wl);
		p += wl;
		if (*p == ']')
			break;
	}
}

/* IMAP CAPABILITY with a tag. */
static int
imap_capability(struct job *j, struct pconn *pc, const char *tag, char *auth,
                size_t authlen)
{
	char line[LINE_MAX_PROBE], cmd[64];
	int rc;

	snprintf(cmd, sizeof(cmd), "%s CAPABILITY\r\n", tag);
	if ((rc = pconn_send(pc, cmd)) != 0)
		return rc;
	auth[0] = '\0';
	for (int i = 0; i < REPLY_LINES_MAX; i++) {
		if ((rc = pconn_line(pc, line, sizeof(line), j->deadline)) != 0)
			return rc;
		if (strncasecmp(line, "* CAPABILITY ", 13) == 0)
			imap_caps(j, pc, line + 13, auth, authlen);
		if (strncmp(line, tag, strlen(tag)) == 0)
			return 0;
	}
	return MC_ELIMIT;
}

/* TLS on the connection; fills pp->cert. */
static int
start_tls(struct job *j, struct pconn *pc)
{
	char err[160];
	long long left = j->deadline - now_ms();
	int rc;

	if (left <= 0)
		return MC_ETIMEDOUT;
	rc = tlsinfo_handshake(&pc->tls, pc->fd, j->o->host, j->o->ca_file,
	                       (int)left, &j->pp->cert, err, sizeof(err));
	if (rc != 0) {
		mc_strlcpy(j->pp->detail, err, sizeof(j->pp->detail));
		if (rc == MC_ETIMEDOUT)
			j->pp->tls_stalled = true;
		tlsinfo_close(&pc->tls);
		return rc;
	}
	pc->tls_on = true;
	pc->len = 0;
	j->pp->tls = true;
	return 0;
}

/* Recognise the protocol by its greeting. */
static enum probe_proto
greeting_proto(const char *l)
{
	if (strncmp(l, "220", 3) == 0)
		return PROBE_P_SMTP;
	if (strncmp(l, "+OK", 3) == 0)
		return PROBE_P_POP3;
	if (strncmp(l, "* OK", 4) == 0 || strncmp(l, "* PREAUTH", 9) == 0)
		return PROBE_P_IMAP;
	return PROBE_P_UNKNOWN;
}

/* Talk the protocol of the greeting; after an implicit TLS start too. */
static void
converse(struct job *j, struct pconn *pc, const char *greeting)
{
	struct probe_port *pp = j->pp;
	char line[LINE_MAX_PROBE];
	char *auth = pc->tls_on ? pp->auth_tls : pp->auth;
	size_t authlen = sizeof(pp->auth);
	bool implicit = pc->tls_on;

	pp->proto = greeting_proto(greeting);
	switch (pp->proto) {
	case PROBE_P_SMTP:
		/* A multi-line greeting: read to its last line. */
		mc_strlcpy(line, greeting, sizeof(line));
		for (int i = 0; i < REPLY_LINES_MAX && line[3] == '-'; i++)
			if (pconn_line(pc, line, sizeof(line), j->deadline))
				return;
		if (smtp_ehlo(j, pc, auth, authlen) != 0)
			return;
		if (implicit || !pp->starttls)
			break;
		if (pconn_send(pc, "STARTTLS\r\n") != 0 ||
		    pconn_line(pc, line, sizeof(line), j->deadline) != 0 ||
		    strncmp(line, "220", 3) != 0 || start_tls(j, pc) != 0)
			return;
		smtp_ehlo(j, pc, pp->auth_tls, sizeof(pp->auth_tls));
		break;
	case PROBE_P_POP3:
		if (pop3_capa(j, pc, auth, authlen) != 0)
			return;
		if (implicit || !pp->starttls)
			break;
		if (pconn_send(pc, "STLS\r\n") != 0 ||
		    pconn_line(pc, line, sizeof(line), j->deadline) != 0 ||
		    strncmp(line, "+OK", 3) != 0 || start_tls(j, pc) != 0)
			return;
		pop3_capa(j, pc, pp->auth_tls, sizeof(pp->auth_tls));
		break;
	case PROBE_P_IMAP:
		if (imap_capability(j, pc, "a1", auth, authlen) != 0)
			return;
		if (implicit || !pp->starttls)
			break;
		if (pconn_send(pc, "a2 STARTTLS\r\n") != 0 ||
		    pconn_line(pc, line, sizeof(line), j->deadline) != 0 ||
		    strncmp(line, "a2 OK", 5) != 0 || start_tls(j, pc) != 0)
			return;
		imap_capability(j, pc, "a3", pp->auth_tls,
		                sizeof(pp->auth_tls));
		break;
	case PROBE_P_UNKNOWN:
		break;
	}
}

/* Ports where the client speaks first, in TLS (RFC 8314). */
static bool
tls_first_port(unsigned port)
{
	return port == 465 || port == 993 || port == 995;
}

/* Thread: banner, protocol, TLS for one connected port. */
static void *
job_run(void *arg)
{
	struct job *j = arg;
	struct probe_port *pp = j->pp;
	struct pconn *pc = calloc(1, sizeof(*pc));
	char line[LINE_MAX_PROBE];
	long long banner_by;
	int rc;

	if (pc == NULL)
		return NULL;
	pc->fd = j->fd;
	pp->state = PROBE_OPEN;
	if (!tls_first_port(pp->port)) {
		banner_by = now_ms() + j->o->banner_ms;
		if (banner_by > j->deadline)
			banner_by = j->deadline;
		rc = pconn_line(pc, line, sizeof(line), banner_by);
		if (rc == 0) {
			mc_strlcpy(pp->banner, line, sizeof(pp->banner));
			snprintf(pp->detail, sizeof(pp->detail),
			         "banner: %.200s", line);
			converse(j, pc, line);
			goto done;
		}
		if (rc != MC_ETIMEDOUT) {
			snprintf(pp->detail, sizeof(pp->detail),
			         "connected, then closed without a banner");
			goto done;
		}
	}
	/* Silent: does it expect TLS from the first byte? */
	if (start_tls(j, pc) == 0) {
		pp->state = PROBE_TLS_EXPECTED;
		banner_by = now_ms() + j->o->banner_ms;
		if (banner_by > j->deadline)
			banner_by = j->deadline;
		if (pconn_line(pc, line, sizeof(line), banner_by) == 0) {
			mc_strlcpy(pp->banner, line, sizeof(pp->banner));
			snprintf(pp->detail, sizeof(pp->detail),
			         "TLS from the first byte; banner: %.180s",
			         line);
			converse(j, pc, line);
		} else
			snprintf(pp->detail, sizeof(pp->detail),
			         "TLS from the first byte; no banner after it");
	} else if (pp->detail[0] == '\0' || !pp->tls_stalled)
		snprintf(pp->detail, sizeof(pp->detail),
		         "connected, but silent (no banner, no TLS)");
done:
	if (pc->tls_on)
		tlsinfo_close(&pc->tls);
	free(pc);
	close(j->fd);
	return NULL;
}

/* TCP_INFO and IP_MTU of a connected socket. */
static void
tcp_facts(int fd, int family, struct probe_port *pp)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	int mtu = 0;

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) == 0) {
		pp->mss = ti.tcpi_snd_mss;
		pp->advmss = ti.tcpi_advmss;
		pp->pmtu = ti.tcpi_pmtu;
		pp->rcv_wnd = ti.tcpi_rcv_space;
	}
	l = sizeof(mtu);
	if (getsockopt(fd, family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
	               family == AF_INET6 ? IPV6_MTU : IP_MTU, &mtu, &l) == 0 &&
	    mtu > 0)
		pp->pmtu = (unsigned)mtu;
	pp->mss_ok = pp->pmtu == 0 ||
	             pp->mss <= pp->pmtu - (family == AF_INET6 ? 60u : 40u);
}

/* A connect finished with an error: closed, rejected or filtered. */
static void
classify_error(int fd, int soerr, struct probe_port *pp)
{
	struct icmperr e;

	if (icmperr_read(fd, &e) == 0 && e.from[0] != '\0' &&
	    icmperr_is_unreach(&e)) {
		pp->state = PROBE_REJECTED;
		mc_strlcpy(pp->icmp_from, e.from, sizeof(pp->icmp_from));
		pp->icmp_type = e.type;
		pp->icmp_code = e.code;
		snprintf(pp->detail, sizeof(pp->detail),
		         "ICMP %s (type %d code %d) from %s",
		         icmperr_describe(e.origin == 3 ? AF_INET6 : AF_INET,
		                          e.type, e.code),
		         e.type, e.code, e.from);
		return;
	}
	switch (soerr) {
	case ECONNREFUSED:
		pp->state = PROBE_CLOSED;
		snprintf(pp->detail, sizeof(pp->detail),
		         "connection refused (TCP reset)");
		break;
	case ETIMEDOUT:
		pp->state = PROBE_FILTERED;
		snprintf(pp->detail, sizeof(pp->detail), "no answer");
		break;
	default:
		pp->state = PROBE_REJECTED;
		snprintf(pp->detail, sizeof(pp->detail), "%s", strerror(soerr));
	}
}

/* Probe every port. */
int
probe_run(const struct probe_opts *o, struct probe_port *out, char *err,
          size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char addr[INET6_ADDRSTRLEN];
	struct pollfd pfd[PROBE_PORTS_MAX];
	struct job jobs[PROBE_PORTS_MAX];
	long long start, deadline;
	size_t i, left = 0;
	int rc;

	if (o->nports == 0 || o->nports > PROBE_PORTS_MAX) {
		snprintf(err, errlen, "no ports to probe");
		return MC_EINVAL;
	}
	rc = probe_resolve(o->host, &ss, &sl, addr, sizeof(addr), err, errlen);
	if (rc != 0)
		return rc;
	start = now_ms();
	deadline = start + o->timeout_ms;
	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < o->nports; i++) {
		struct probe_port *pp = &out[i];
		int fd;

		memset(pp, 0, sizeof(*pp));
		pp->port = o->ports[i];
		pp->state = PROBE_ERROR;
		pfd[i].fd = -1;
		pfd[i].events = POLLOUT;
		fd = socket(ss.ss_family,
		            SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(pp->detail, sizeof(pp->detail), "socket: %s",
			         strerror(errno));
			continue;
		}
		icmperr_enable(fd, ss.ss_family);
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port =
			    htons((uint16_t)pp->port);
		else
			((struct sockaddr_in6 *)&ss)->sin6_port =
			    htons((uint16_t)pp->port);
		if (connect(fd, (struct sockaddr *)&ss, sl) != 0 &&
		    errno != EINPROGRESS) {
			classify_error(fd, errno, pp);
			close(fd);
			continue;
		}
		pfd[i].fd = fd;
		left++;
	}
	while (left > 0) {
		long long rem = deadline - now_ms();

		if (rem <= 0)
			break;
		if (poll(pfd, (nfds_t)o->nports, (int)rem) <= 0)
			continue;
		for (i = 0; i < o->nports; i++) {
			int soerr = 0;
			socklen_t el = sizeof(soerr);

			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			out[i].connect_ms = (unsigned)(now_ms() - start);
			getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &soerr,
			           &el);
			left--;
			if (soerr != 0) {
				classify_error(pfd[i].fd, soerr, &out[i]);
				close(pfd[i].fd);
			} else {
				tcp_facts(pfd[i].fd, ss.ss_family, &out[i]);
				out[i].state = PROBE_OPEN;
				snprintf(out[i].detail, sizeof(out[i].detail),
				         "connected");
				if (o->app) {
					jobs[i].o = o;
					jobs[i].pp = &out[i];
					jobs[i].fd = pfd[i].fd;
					jobs[i].deadline = deadline;
					mc_strlcpy(jobs[i].addr, addr,
					           sizeof(jobs[i].addr));
					jobs[i].started =
					    pthread_create(&jobs[i].tid, NULL,
					                   job_run,
					                   &jobs[i]) == 0;
					if (!jobs[i].started)
						close(pfd[i].fd);
				} else
					close(pfd[i].fd);
			}
			pfd[i].fd = -1;
		}
	}
	for (i = 0; i < o->nports; i++) {
		if (pfd[i].fd >= 0) {
			out[i].state = PROBE_FILTERED;
			out[i].connect_ms = (unsigned)o->timeout_ms;
			snprintf(
			    out[i].detail, sizeof(out[i].detail),
			    "no answer within %d ms (SYN dropped on the way)",
			    o->timeout_ms);
			close(pfd[i].fd);
		}
	}
	for (i = 0; i < o->nports; i++)
		if (jobs[i].started)
			pthread_join(jobs[i].tid, NULL);
	return 0;
}
