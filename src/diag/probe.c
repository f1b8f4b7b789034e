/*
 * probe.c — parallel connects, then one thread per open port to talk.
 *
 * The connects share one poll loop so that every filtered port waits on
 * the same clock; each port that connects gets a thread right away for
 * the protocol part (banner, EHLO/CAPA/CAPABILITY, STARTTLS, certificate),
 * bounded by the same deadline.  SMTP goes through the sans-I/O client
 * core, moved by smtp_talk(), a blocking loop: the thread is the
 * parallelism, so an event loop would add nothing.  POP3 and IMAP keep
 * small readers here: their cores (proto/pop3_client.h, imap_client.h)
 * always go on to log in after the capabilities, which a probe without
 * credentials must not do.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/str.h"
#include "diag/icmperr.h"
#include "diag/probe.h"
#include "proto/smtp_client.h"

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

/* Send len bytes by the connection's deadline. */
static int
pconn_write(struct pconn *pc, const void *data, size_t len)
{
	long long left = pc->deadline - now_ms();
	const char *p = data;

	if (left <= 0)
		return MC_ETIMEDOUT;
	if (pc->tls_on)
		return tlsinfo_write(&pc->tls, p, len, (int)left);
	while (len > 0) {
		struct pollfd pf = {.fd = pc->fd, .events = POLLOUT};
		ssize_t n;

		left = pc->deadline - now_ms();
		if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
			return MC_ETIMEDOUT;
		n = send(pc->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return MC_EIO;
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	return 0;
}

/* Send a command line. */
static int
pconn_send(struct pconn *pc, const char *s)
{
	return pconn_write(pc, s, strlen(s));
}

/* Wait until a whole first line is buffered and copy it (CRLF stripped)
 * without consuming it; 0 or <0. */
static int
pconn_peek_line(struct pconn *pc, char *line, size_t size, long long deadline)
{
	for (;;) {
		char *nl = memchr(pc->buf, '\n', pc->len);
		int n;

		if (nl != NULL) {
			size_t take = (size_t)(nl - pc->buf);

			if (take > 0 && pc->buf[take - 1] == '\r')
				take--;
			if (take >= size)
				take = size - 1;
			memcpy(line, pc->buf, take);
			line[take] = '\0';
			return 0;
		}
		n = pconn_fill(pc, deadline);
		if (n <= 0)
			return n == 0 ? MC_ECLOSED : n;
		pc->len += (size_t)n;
	}
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

/* TLS on the connection; fills pp->cert.  implicit: before any byte. */
static int
start_tls(struct job *j, struct pconn *pc, bool implicit)
{
	char err[256];
	long long left = j->deadline - now_ms();
	int rc;

	if (left <= 0)
		return MC_ETIMEDOUT;
	rc = tlsinfo_handshake(&pc->tls, pc->fd, j->o->host, j->pp->port,
	                       implicit, j->o->ca_file, (int)left, &j->pp->cert,
	                       err, sizeof(err));
	if (rc != 0) {
		mc_strlcpy(j->pp->detail, err, sizeof(j->pp->detail));
		mc_strlcpy(j->pp->error, err, sizeof(j->pp->error));
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
	if (strncmp(l, "+OK", 3) == 0)
		return PROBE_P_POP3;
	if (strncmp(l, "* OK", 4) == 0 || strncmp(l, "* PREAUTH", 9) == 0)
		return PROBE_P_IMAP;
	/* Any reply code: a 554 greeting is SMTP refusing the session. */
	if (l[0] >= '2' && l[0] <= '5' && isdigit((unsigned char)l[1]) &&
	    isdigit((unsigned char)l[2]) &&
	    (l[3] == ' ' || l[3] == '-' || l[3] == '\0'))
		return PROBE_P_SMTP;
	return PROBE_P_UNKNOWN;
}

/* The SMTP_EXT_* bits the core knows, as EHLO keywords. */
static void
smtp_ext_words(unsigned ext, char *out, size_t size)
{
	static const struct {
		unsigned bit;
		const char *word;
	} w[] = {
	    {SMTP_EXT_SIZE, "SIZE"},
	    {SMTP_EXT_PIPELINING, "PIPELINING"},
	    {SMTP_EXT_8BITMIME, "8BITMIME"},
	    {SMTP_EXT_SMTPUTF8, "SMTPUTF8"},
	    {SMTP_EXT_DSN, "DSN"},
	    {SMTP_EXT_CHUNKING, "CHUNKING"},
	    {SMTP_EXT_ENHANCEDSTATUSCODES, "ENHANCEDSTATUSCODES"},
	    {SMTP_EXT_STARTTLS, "STARTTLS"},
	    {SMTP_EXT_AUTH, "AUTH"},
	};

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (ext & w[i].bit)
			add_word(out, size, w[i].word, strlen(w[i].word));
}

/* What the core learnt from the last EHLO, in clear or over TLS. */
static void
smtp_facts(struct probe_port *pp, const struct smtp_client *c)
{
	unsigned ext = smtp_client_extensions(c);
	bool tls = smtp_client_tls_active(c);
	char *auth = tls ? pp->auth_tls : pp->auth;

	if (smtp_client_ehlo_text(c)[0] == '\0')
		return; /* no EHLO (or HELO) reply yet */
	if (ext & SMTP_EXT_STARTTLS)
		pp->starttls = true;
	/* The mechanisms are only current when AUTH was in this reply. */
	mc_strlcpy(auth, (ext & SMTP_EXT_AUTH) ? smtp_client_auth_mechs(c) : "",
	           sizeof(pp->auth));
	if (pp->caps[0] == '\0')
		smtp_ext_words(ext, pp->caps, sizeof(pp->caps));
	if (pp->seen_addr[0] == '\0')
		find_seen_addr(smtp_client_ehlo_text(c), pp->seen_addr,
		               sizeof(pp->seen_addr));
}

/* The core's transcript: only the AUTH mechanism it chose is kept. */
static void
smtp_trace(void *arg, char dir, const char *line, size_t len)
{
	struct probe_port *pp = arg;

	if (dir == 'C' && len > 5 && strncasecmp(line, "AUTH ", 5) == 0) {
		size_t ml = strcspn(line + 5, " ");

		if (ml >= sizeof(pp->auth_mech))
			ml = sizeof(pp->auth_mech) - 1;
		memcpy(pp->auth_mech, line + 5, ml);
		pp->auth_mech[ml] = '\0';
	}
}

/* Multi-line reply texts (joined by '\n') on one line of a report. */
static void
one_line(char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

/* The session ended without READY: how far did AUTH get? */
static void
smtp_auth_failed(struct probe_port *pp, const struct smtp_client *c, int err)
{
	const struct smtp_result *r = smtp_client_last_reply(c);

	pp->auth_tried = true;
	if (pp->auth_mech[0] != '\0' && r != NULL &&
	    (err == MC_EAUTH || err == MC_ETEMPFAIL)) {
		/* The server answered AUTH: its reply is the evidence. */
		pp->auth_code = r->code;
		snprintf(pp->auth_reply, sizeof(pp->auth_reply),
		         "%d %s%s%.200s", r->code, r->enh, r->enh[0] ? " " : "",
		         r->text);
	} else
		mc_strlcpy(pp->auth_reply, smtp_client_last_error(c),
		           sizeof(pp->auth_reply));
	one_line(pp->auth_reply);
}

/*
 * SMTP through the core: greeting, EHLO, STARTTLS and EHLO again, AUTH
 * when credentials are given for this port, QUIT.  The bytes already read
 * (the greeting, or part of it) are in pc->buf.  Everything by j->deadline.
 */
static void
smtp_talk(struct job *j, struct pconn *pc)
{
	struct probe_port *pp = j->pp;
	struct smtp_client_config cfg;
	struct smtp_client *c;
	struct smtp_event ev;
	long long left = j->deadline - now_ms();
	uint32_t tmo = left > 0 ? (uint32_t)left : 1;
	bool auth = j->o->auth_user != NULL && pp->port == j->o->auth_port;
	bool done = false, ready = false;

	memset(&cfg, 0, sizeof(cfg));
	cfg.helo_name = j->o->ehlo;
	cfg.tls = pc->tls_on ? SMTP_TLS_IMPLICIT : SMTP_TLS_OPPORTUNISTIC;
	if (auth) {
		cfg.auth_user = j->o->auth_user;
		cfg.auth_secret = j->o->auth_secret;
	}
	cfg.timeouts =
	    (struct smtp_timeouts){tmo, tmo, tmo, tmo, tmo, tmo, tmo};
	cfg.trace = smtp_trace;
	cfg.trace_arg = pp;
	c = smtp_client_new(&cfg);
	smtp_client_start(c, pc->tls_on, (uint64_t)now_ms());
	smtp_client_feed(c, pc->buf, pc->len, (uint64_t)now_ms());
	pc->len = 0;
	while (!done) {
		const unsigned char *out;
		size_t n;
		long long until;
		int rc;

		while (!done && smtp_client_next_event(c, &ev)) {
			switch (ev.type) {
			case SMTP_EV_STARTTLS:
				smtp_facts(pp, c);
				rc = start_tls(j, pc, false);
				smtp_client_tls_done(c, rc == 0, pp->error,
				                     (uint64_t)now_ms());
				break;
			case SMTP_EV_READY:
				ready = true;
				smtp_facts(pp, c);
				if (auth) {
					pp->auth_tried = pp->auth_ok = true;
					pp->auth_code = 235;
				}
				smtp_client_quit(c, (uint64_t)now_ms());
				break;
			case SMTP_EV_CLOSED:
				done = true;
				if (ev.err == 0)
					break;
				if (!ready)
					smtp_facts(pp, c);
				if (auth && !ready)
					smtp_auth_failed(pp, c, ev.err);
				mc_strlcpy(pp->error, smtp_client_last_error(c),
				           sizeof(pp->error));
				one_line(pp->error);
				break;
			default:
				break;
			}
		}
		if (done)
			break;
		out = smtp_client_output(c, &n);
		if (n > 0) {
			if (pconn_write(pc, out, n) != 0)
				smtp_client_abort(c, MC_EIO,
				                  "the connection broke while "
				                  "sending",
				                  (uint64_t)now_ms());
			else
				smtp_client_sent(c, n, (uint64_t)now_ms());
			continue;
		}
		until = j->deadline;
		if (smtp_client_deadline(c) != 0 &&
		    (long long)smtp_client_deadline(c) < until)
			until = (long long)smtp_client_deadline(c);
		rc = pconn_fill(pc, until);
		if (rc > 0) {
			smtp_client_feed(c, pc->buf, (size_t)rc,
			                 (uint64_t)now_ms());
		} else if (rc == 0) {
			smtp_client_eof(c, (uint64_t)now_ms());
		} else if (rc == MC_ETIMEDOUT) {
			smtp_client_tick(c, (uint64_t)now_ms());
			if (now_ms() >= j->deadline)
				smtp_client_abort(c, MC_ETIMEDOUT,
				                  "no answer by the probe's "
				                  "deadline",
				                  (uint64_t)now_ms());
		} else
			smtp_client_abort(c, rc, "the connection broke",
			                  (uint64_t)now_ms());
	}
	smtp_client_free(c);
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
	if (pp->proto == PROBE_P_SMTP) {
		/* The core reads the greeting itself: pc->buf holds it. */
		smtp_talk(j, pc);
		return;
	}
	/* The others: the greeting line is taken off here. */
	if (pconn_line(pc, line, sizeof(line), j->deadline) != 0)
		return;
	switch (pp->proto) {
	case PROBE_P_SMTP:
		break;
	case PROBE_P_POP3:
		if (pop3_capa(j, pc, auth, authlen) != 0)
			return;
		if (implicit || !pp->starttls)
			break;
		if (pconn_send(pc, "STLS\r\n") != 0 ||
		    pconn_line(pc, line, sizeof(line), j->deadline) != 0 ||
		    strncmp(line, "+OK", 3) != 0 ||
		    start_tls(j, pc, false) != 0)
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
		    strncmp(line, "a2 OK", 5) != 0 ||
		    start_tls(j, pc, false) != 0)
			return;
		imap_capability(j, pc, "a3", pp->auth_tls,
		                sizeof(pp->auth_tls));
		break;
	case PROBE_P_UNKNOWN:
		break;
	}
}

/* Ports where the client speaks first, in TLS (RFC 8314), and the one
 * the caller says expects it. */
static bool
tls_first_port(const struct probe_opts *o, unsigned port)
{
	return port == 465 || port == 993 || port == 995 ||
	       (o->tls_port != 0 && port == o->tls_port);
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
	pc->deadline = j->deadline;
	pp->state = PROBE_OPEN;
	if (!tls_first_port(j->o, pp->port)) {
		banner_by = now_ms() + j->o->banner_ms;
		if (banner_by > j->deadline)
			banner_by = j->deadline;
		rc = pconn_peek_line(pc, line, sizeof(line), banner_by);
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
	if (start_tls(j, pc, true) == 0) {
		pp->state = PROBE_TLS_EXPECTED;
		banner_by = now_ms() + j->o->banner_ms;
		if (banner_by > j->deadline)
			banner_by = j->deadline;
		if (pconn_peek_line(pc, line, sizeof(line), banner_by) == 0) {
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
