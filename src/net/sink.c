/*
 * sink.c — see sink.h.
 *
 * The per-connection driver: on every read, peek at the evbuffer's chunks
 * (no copy), feed them to the core, drain what it used, and write the
 * replies it produced in one bufferevent_write — so a pipelined group gets
 * its replies in one segment.  Then act on what the core wants: a fault's
 * delay stops reading and arms a timer; STARTTLS flushes the 220, throws
 * away any plaintext the client sent after the command (the CVE-2011-0411
 * injection) and pushes an OpenSSL filter on the connection; close waits
 * for the output to drain.  With a latency (sink.h), replies go on a
 * delay line instead: the bytes wait in an evbuffer, each batch with its
 * due time, and a timer moves the due ones to the bufferevent.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "net/maildir.h"
#include "net/sink.h"
#include "proto/wire_value.h"

#define SINK_IOV         16   /* evbuffer chunks fed per round */
#define SINK_CLOSE_POLLS 200  /* 10 ms waits for TLS output to drain */
#define SINK_PAUSE_MS    250  /* accept failed (EMFILE): try again after */
#define SINK_LOG_GAP_MS  1000 /* at most one accept error line a second */
#define SINK_LAT_MARKS   256  /* reply batches on one delay line */

struct sink {
	const struct sink_config *cfg;
	struct smtp_server_config core_cfg;
	struct event_base *base;
	struct evconnlistener *listener;
	struct event *stop_timer;
	struct event *resume_timer; /* accepting paused (EMFILE) */
	bool paused;
	uint64_t accept_log_ms;      /* when the last accept error was logged */
	unsigned long accept_errors; /* since then, not logged */
	SSL_CTX *ssl_ctx;
	struct sink_stats *stats;
	struct sink_conn *conns; /* open connections */
	unsigned long nconns;
	unsigned long seq;  /* queue ids */
	unsigned long boot; /* queue id prefix */
	bool stopping;
	char host_safe[128]; /* for file names */
};

/* A batch of replies on the delay line: its length and when it is due. */
struct lat_mark {
	uint64_t due; /* monotonic ms */
	size_t len;
};

struct sink_conn {
	struct sink *sink;
	struct sink_conn *next, **prevp;
	struct bufferevent *bev; /* the TLS filter once up */
	struct event *timer;     /* delays; TLS close polling */
	struct smtp_server core;
	bool closing;
	bool tls;
	int polls;
	char peer[64];
	/* the delay line (cfg->latency_ms): bytes, batches (a ring) */
	struct evbuffer *lat;
	struct event *lat_timer;
	struct lat_mark marks[SINK_LAT_MARKS];
	size_t mark0, nmarks;
	bool greeted;
};

static void conn_pump(struct sink_conn *c);

/* Stop the loop when --count is reached and every client has gone. */
static void
sink_maybe_stop(struct sink *k)
{
	if (k->stopping && k->nconns == 0)
		event_base_loopbreak(k->base);
}

/* Free a connection and everything it owns. */
static void
conn_free(struct sink_conn *c)
{
	struct sink *k = c->sink;

	if (c->timer)
		event_free(c->timer);
	if (c->lat_timer)
		event_free(c->lat_timer);
	if (c->lat)
		evbuffer_free(c->lat);
	if (c->bev)
		bufferevent_free(c->bev);
	smtp_server_fini(&c->core);
	*c->prevp = c->next;
	if (c->next)
		c->next->prevp = c->prevp;
	free(c);
	k->nconns--;
	/* A descriptor came free: accept again at once. */
	if (k->paused && !k->stopping) {
		k->paused = false;
		event_del(k->resume_timer);
		evconnlistener_enable(k->listener);
	}
	sink_maybe_stop(k);
}

/* Copy s into out with every control character as '?' (header text). */
static void
header_safe(const char *s, char *out, size_t outsize)
{
	size_t i = 0;

	for (; *s && i + 1 < outsize; s++, i++) {
		unsigned char ch = (unsigned char)*s;
		out[i] = (ch < 0x20 || ch == 0x7f) ? '?' : *s;
	}
	if (outsize)
		out[i] = '\0';
}

/* Format the Received: header of a message. */
static void
received_header(struct sink_conn *c, const struct smtp_server_msg *m,
                const char *qid, char *out, size_t outsize)
{
	char date[64], helo[SMTP_SERVER_ADDR_MAX];
	time_t now = time(NULL);
	struct tm tm;
	const char *proto;

	/* The core refuses a control character in HELO/EHLO (501); a
	 * header line must never hold one whatever happens upstream. */
	header_safe(m->helo, helo, sizeof(helo));
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	if (m->smtputf8)
		proto = m->tls ? "UTF8SMTPS" : "UTF8SMTP";
	else if (m->esmtp)
		proto = m->tls ? "ESMTPS" : "ESMTP";
	else
		proto = m->tls ? "SMTPS" : "SMTP";
	snprintf(
	    out, outsize,
	    "Received: from %s ([%s])\r\n\tby %s (mailcast sink) with %s id "
	    "%s%s%s%s;\r\n\t%s\r\n",
	    helo, c->peer, c->sink->core_cfg.hostname, proto, qid,
	    m->nrcpts == 1 ? "\r\n\tfor <" : "",
	    m->nrcpts == 1 ? m->rcpts[0] : "", m->nrcpts == 1 ? ">" : "", date);
}

/* The core's message hook: count, store, name the queue id. */
static int
conn_message(void *arg, const struct smtp_server_msg *m, char *qid,
             size_t qidsize)
{
	struct sink_conn *c = arg;
	struct sink *k = c->sink;
	const struct sink_config *cfg = k->cfg;

	k->seq++;
	snprintf(qid, qidsize, "%08lX%06lX", k->boot, k->seq);
	if (cfg->maildir) {
		char name[256], received[1024], err[512];
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(name, sizeof(name), "%lld.M%06ldP%dQ%lu.%s",
		         (long long)ts.tv_sec, ts.tv_nsec / 1000, (int)getpid(),
		         k->seq, k->host_safe);
		received_header(c, m, qid, received, sizeof(received));
		if (maildir_deliver(cfg->maildir, name, m, received, err,
		                    sizeof(err)) != 0) {
			log_error("sink: %s", err);
			return MC_EIO;
		}
	}
	k->stats->messages++;
	k->stats->rcpts += m->nrcpts;
	k->stats->bytes += m->size;
	if (cfg->report) {
		fprintf(cfg->report,
		        "sink: queued %s from <%s> for %zu recipient%s, %zu "
		        "bytes%s\n",
		        qid, m->from, m->nrcpts, m->nrcpts == 1 ? "" : "s",
		        m->size, m->tls ? ", TLS" : "");
		fflush(cfg->report);
	}
	if (cfg->count && k->stats->messages >= cfg->count && !k->stopping) {
		k->stopping = true;
		evconnlistener_disable(k->listener);
		event_add(
		    k->stop_timer,
		    &(struct timeval){SINK_STOP_GRACE_MS / 1000,
		                      (SINK_STOP_GRACE_MS % 1000) * 1000});
	}
	return 0;
}

static bool conn_drained(struct sink_conn *c);

/* Arm the delay line's timer for its first batch. */
static void
lat_arm(struct sink_conn *c, uint64_t now)
{
	uint64_t due = c->marks[c->mark0].due, wait = due > now ? due - now : 0;

	event_add(c->lat_timer,
	          &(struct timeval){(time_t)(wait / 1000),
	                            (suseconds_t)(wait % 1000) * 1000});
}

/* Move the batches that are due (all: every one) to the bufferevent. */
static void
lat_send(struct sink_conn *c, bool all)
{
	uint64_t now = mc_clock_mono_ms(mc_clock_system());
	struct evbuffer *to = bufferevent_get_output(c->bev);

	while (c->nmarks && (all || c->marks[c->mark0].due <= now)) {
		evbuffer_remove_buffer(c->lat, to, c->marks[c->mark0].len);
		c->mark0 = (c->mark0 + 1) % SINK_LAT_MARKS;
		c->nmarks--;
	}
	if (c->nmarks)
		lat_arm(c, now);
	else
		event_del(c->lat_timer);
}

/* Timer: a batch on the delay line is due. */
static void
lat_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sink_conn *c = arg;

	(void)fd;
	(void)what;
	lat_send(c, false);
	if (c->closing && conn_drained(c))
		conn_free(c);
}

/* Put out's bytes on the delay line, due latency_ms from now. */
static void
lat_put(struct sink_conn *c, struct buf *out)
{
	uint64_t now = mc_clock_mono_ms(mc_clock_system());
	uint64_t due = now + c->sink->cfg->latency_ms * (c->greeted ? 1u : 2u);

	c->greeted = true;
	evbuffer_add(c->lat, buf_data(out), buf_len(out));
	if (c->nmarks == SINK_LAT_MARKS) {
		/* full: the last batch grows and waits as long as this one */
		struct lat_mark *m =
		    &c->marks[(c->mark0 + c->nmarks - 1) % SINK_LAT_MARKS];
		m->len += buf_len(out);
		m->due = due;
	} else {
		c->marks[(c->mark0 + c->nmarks) % SINK_LAT_MARKS] =
		    (struct lat_mark){due, buf_len(out)};
		if (c->nmarks++ == 0)
			lat_arm(c, now);
	}
	buf_reset(out);
}

/* Send what the core has produced. */
static void
conn_flush(struct sink_conn *c)
{
	struct buf *out = smtp_server_output(&c->core);

	if (buf_len(out) == 0)
		return;
	if (c->lat) {
		lat_put(c, out);
		return;
	}
	/*
	 * Plain text with nothing queued: send at once.  Going through the
	 * bufferevent costs two epoll_ctl and an epoll_wait per reply, which
	 * halves the rate of a one-command-at-a-time client.
	 */
	if (!c->tls &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		ssize_t w = send(bufferevent_getfd(c->bev), buf_data(out),
		                 buf_len(out), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0)
			buf_consume(out, (size_t)w);
		/* An error is the bufferevent's to find when it writes. */
	}
	if (buf_len(out) == 0) {
		buf_reset(out);
		return;
	}
	bufferevent_write(c->bev, buf_data(out), buf_len(out));
	buf_reset(out);
}

/* Is everything we wrote on its way to the kernel? */
static bool
conn_drained(struct sink_conn *c)
{
	struct bufferevent *under;

	if (c->lat && evbuffer_get_length(c->lat) > 0)
		return false;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
		return false;
	under = bufferevent_get_underlying(c->bev);
	return under == NULL ||
	       evbuffer_get_length(bufferevent_get_output(under)) == 0;
}

/* Timer: a fault delay is over, or (closing) see if TLS output drained. */
static void
conn_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sink_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->closing) {
		/* replies still on the delay line do not use up the polls */
		bool held = c->lat && evbuffer_get_length(c->lat) > 0;

		if (conn_drained(c) ||
		    (!held && ++c->polls > SINK_CLOSE_POLLS)) {
			conn_free(c);
			return;
		}
		event_add(c->timer, &(struct timeval){0, 10000});
		return;
	}
	smtp_server_resume(&c->core);
	bufferevent_enable(c->bev, EV_READ);
	conn_pump(c);
}

/* Start closing: no more reading; free once the replies are sent. */
static void
conn_close(struct sink_conn *c)
{
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	if (conn_drained(c)) {
		conn_free(c);
		return;
	}
	if (c->tls) /* the filter's write callback does not see the socket */
		event_add(c->timer, &(struct timeval){0, 10000});
}

static void conn_read(struct bufferevent *bev, void *arg);
static void conn_write(struct bufferevent *bev, void *arg);
static void conn_event(struct bufferevent *bev, short what, void *arg);

/* After the 220 to STARTTLS: push a TLS filter on the connection. */
static void
conn_starttls(struct sink_conn *c)
{
	struct sink *k = c->sink;
	struct bufferevent *tls;
	SSL *ssl;

	/* Plaintext pipelined after STARTTLS must not reach the TLS session. */
	evbuffer_drain(bufferevent_get_input(c->bev),
	               evbuffer_get_length(bufferevent_get_input(c->bev)));
	ssl = SSL_new(k->ssl_ctx);
	if (ssl == NULL) {
		log_error("sink: SSL_new failed");
		conn_free(c);
		return;
	}
	tls = bufferevent_openssl_filter_new(
	    k->base, c->bev, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (tls == NULL) {
		log_error("sink: cannot start TLS");
		SSL_free(ssl);
		conn_free(c);
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
	c->bev = tls;
	c->tls = true;
	bufferevent_setcb(tls, conn_read, conn_write, conn_event, c);
	bufferevent_set_timeouts(tls, &(struct timeval){SINK_IDLE_TIMEOUT_S, 0},
	                         NULL);
	bufferevent_enable(tls, EV_READ | EV_WRITE);
	smtp_server_tls_started(&c->core);
}

/* Feed buffered input to the core, send the replies, act on its want. */
static void
conn_pump(struct sink_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	while (smtp_server_want(&c->core) == SMTP_SERVER_READ &&
	       evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v[SINK_IOV];
		int n = evbuffer_peek(in, -1, NULL, v, SINK_IOV);
		size_t used = 0;

		if (n > SINK_IOV)
			n = SINK_IOV;
		for (int i = 0; i < n; i++) {
			size_t u = smtp_server_feed(&c->core, v[i].iov_base,
			                            v[i].iov_len);
			used += u;
			if (u < v[i].iov_len)
				break;
		}
		evbuffer_drain(in, used);
	}
	/* A "BDAT 0 LAST" just before a pause ends without more input. */
	if (smtp_server_want(&c->core) == SMTP_SERVER_READ)
		smtp_server_feed(&c->core, NULL, 0);
	switch (smtp_server_want(&c->core)) {
	case SMTP_SERVER_READ:
		conn_flush(c);
		break;
	case SMTP_SERVER_DELAY:
		conn_flush(c);
		bufferevent_disable(c->bev, EV_READ);
		event_add(c->timer,
		          &(struct timeval){c->core.delay_ms / 1000,
		                            (c->core.delay_ms % 1000) * 1000});
		break;
	case SMTP_SERVER_STARTTLS:
		conn_flush(c);
		if (c->lat)
			lat_send(c, true);
		conn_starttls(c);
		break;
	case SMTP_SERVER_CLOSE:
		conn_flush(c);
		conn_close(c);
		break;
	case SMTP_SERVER_DROP:
		/* No goodbye: drop the replies too, like a crashed server. */
		log_debug("sink: dropping the connection from %s", c->peer);
		conn_free(c);
		break;
	}
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct sink_conn *c = arg;

	(void)bev;
	if (c->closing)
		return;
	conn_pump(c);
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct sink_conn *c = arg;

	(void)bev;
	if (c->closing && conn_drained(c))
		conn_free(c);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct sink_conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_ERROR) {
		unsigned long e;
		while ((e = bufferevent_get_openssl_error(c->bev)) != 0)
			log_info("sink: %s: TLS: %s", c->peer,
			         ERR_reason_error_string(e));
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_free(c);
}

/* A new client. */
static void
sink_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
            int salen, void *arg)
{
	struct sink *k = arg;
	struct sink_conn *c;
	const void *ap;

	(void)l;
	(void)salen;
	/* Replies are written as soon as they are ready and may be small
	 * and several per message (MAIL, RCPT, then BDAT's after its data
	 * arrived): without NODELAY, Nagle holds the last one until the
	 * client's delayed ACK, 40 ms per message. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = xcalloc(1, sizeof(*c));
	c->sink = k;
	c->next = k->conns;
	c->prevp = &k->conns;
	if (k->conns)
		k->conns->prevp = &c->next;
	k->conns = c;
	ap = sa->sa_family == AF_INET6
	         ? (const void *)&((struct sockaddr_in6 *)sa)->sin6_addr
	         : (const void *)&((struct sockaddr_in *)sa)->sin_addr;
	if (evutil_inet_ntop(sa->sa_family, ap, c->peer, sizeof(c->peer)) ==
	    NULL)
		mc_strlcpy(c->peer, "unknown", sizeof(c->peer));
	c->bev = bufferevent_socket_new(k->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->timer = evtimer_new(k->base, conn_timer, c);
	if (k->cfg->latency_ms) {
		c->lat = evbuffer_new();
		c->lat_timer = evtimer_new(k->base, lat_timer, c);
	}
	k->nconns++;
	k->stats->connections++;
	if (c->bev == NULL || c->timer == NULL ||
	    (k->cfg->latency_ms && (c->lat == NULL || c->lat_timer == NULL))) {
		if (c->bev == NULL)
			evutil_closesocket(fd);
		log_error("sink: out of resources for a connection");
		conn_free(c);
		return;
	}
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_set_timeouts(
	    c->bev, &(struct timeval){SINK_IDLE_TIMEOUT_S, 0}, NULL);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	smtp_server_init(&c->core, &k->core_cfg, c->peer, conn_message, c);
	conn_pump(c); /* the greeting, or a connect fault */
}

/*
 * accept() failed for a reason retrying at once cannot cure (libevent
 * skips EAGAIN, EINTR, ECONNABORTED): EMFILE, ENFILE, ENOBUFS, ENOMEM.
 * The pending connection stays in the backlog and the listener stays
 * readable, so accepting again now would spin: stop accepting, keep
 * serving the clients we have, and try again when one of them leaves or
 * after SINK_PAUSE_MS.  Logged at most once a second, with a count.
 */
static void
sink_accept_error(struct evconnlistener *l, void *arg)
{
	struct sink *k = arg;
	int e = errno;
	uint64_t now = mc_clock_mono_ms(mc_clock_system());

	k->accept_errors++;
	if (k->accept_log_ms == 0 ||
	    now - k->accept_log_ms >= SINK_LOG_GAP_MS) {
		if (k->accept_errors > 1)
			log_warn("sink: accept: %s (%lu times since the last "
			         "line; pausing new "
			         "connections, serving %lu open)",
			         strerror(e), k->accept_errors, k->nconns);
		else
			log_warn("sink: accept: %s (pausing new connections, "
			         "serving %lu open)",
			         strerror(e), k->nconns);
		k->accept_log_ms = now;
		k->accept_errors = 0;
	}
	evconnlistener_disable(l);
	k->paused = true;
	event_add(k->resume_timer,
	          &(struct timeval){SINK_PAUSE_MS / 1000,
	                            (SINK_PAUSE_MS % 1000) * 1000});
}

/* Timer: accepting was paused; try again. */
static void
sink_resume_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sink *k = arg;

	(void)fd;
	(void)what;
	if (!k->paused || k->stopping)
		return;
	k->paused = false;
	evconnlistener_enable(k->listener);
}

/* Is sa a loopback address (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104)? */
bool
sink_addr_is_loopback(const struct sockaddr *sa)
{
	static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0,    0,
	                                           0, 0, 0, 0, 0xff, 0xff};

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)sa;
		const unsigned char *b = in6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		return memcmp(b, v4mapped, sizeof(v4mapped)) == 0 &&
		       b[12] == 127;
	}
	return false;
}

static void
sink_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(((struct sink *)arg)->base);
}

static void
sink_stop_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(((struct sink *)arg)->base);
}

/* The server's TLS context from a PEM chain and key. */
static int
sink_tls_init(struct sink *k, char *err, size_t errsize)
{
	const struct sink_config *cfg = k->cfg;
	unsigned long e;

	k->ssl_ctx = SSL_CTX_new(TLS_server_method());
	if (k->ssl_ctx == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(k->ssl_ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(k->ssl_ctx, cfg->tls_cert) !=
	    1) {
		e = ERR_get_error();
		snprintf(err, errsize, "cannot load certificate %s: %s",
		         cfg->tls_cert, ERR_reason_error_string(e));
		return MC_ECONFIG;
	}
	if (SSL_CTX_use_PrivateKey_file(k->ssl_ctx, cfg->tls_key,
	                                SSL_FILETYPE_PEM) != 1) {
		e = ERR_get_error();
		snprintf(err, errsize, "cannot load private key %s: %s",
		         cfg->tls_key, ERR_reason_error_string(e));
		return MC_ECONFIG;
	}
	if (SSL_CTX_check_private_key(k->ssl_ctx) != 1) {
		snprintf(err, errsize, "private key %s does not match %s",
		         cfg->tls_key, cfg->tls_cert);
		return MC_ECONFIG;
	}
	return 0;
fail:
	snprintf(err, errsize, "cannot make a TLS context");
	return MC_ECONFIG;
}

/* Serve; see sink.h. */
int
sink_run(const struct sink_config *cfg, struct sink_stats *stats, char *err,
         size_t errsize)
{
	struct sink k;
	struct sockaddr_storage ss;
	int sslen = sizeof(ss), rc = 0;
	struct event *sigint = NULL, *sigterm = NULL;
	uint64_t t0;

	memset(&k, 0, sizeof(k));
	memset(stats, 0, sizeof(*stats));
	k.cfg = cfg;
	k.stats = stats;
	k.boot = (unsigned long)time(NULL) & 0xffffffffUL;
	k.core_cfg.hostname = cfg->hostname;
	k.core_cfg.max_size = cfg->max_size;
	k.core_cfg.max_rcpts = cfg->max_rcpts;
	k.core_cfg.starttls = cfg->tls_cert != NULL;
	k.core_cfg.keep_body = cfg->maildir != NULL;
	k.core_cfg.faults = cfg->faults;
	k.core_cfg.nfaults = cfg->nfaults;
	/* Maildir file names may not hold '/' or ':'. */
	mc_strlcpy(k.host_safe, cfg->hostname, sizeof(k.host_safe));
	for (char *p = k.host_safe; *p; p++)
		if (*p == '/' || *p == ':')
			*p = '_';

	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(cfg->listen, (struct sockaddr *)&ss,
	                               &sslen) != 0) {
		snprintf(
		    err, errsize,
		    "--listen %s: expected ADDRESS:PORT, e.g. 127.0.0.1:2525 "
		    "or [::1]:2525",
		    cfg->listen);
		return MC_EINVAL;
	}
	if (wire_value_flaw(cfg->hostname, strlen(cfg->hostname), true) ||
	    cfg->hostname[0] == '\0' || strchr(cfg->hostname, ' ')) {
		snprintf(err, errsize,
		         "--hostname: a host name without spaces or control "
		         "characters, please");
		return MC_EINVAL;
	}
	if (!sink_addr_is_loopback((struct sockaddr *)&ss))
		log_warn("sink: %s is not a loopback address: anyone who can "
		         "reach it can hand mail to this sink%s",
		         cfg->listen,
		         cfg->maildir ? " and fill its Maildir" : "");
	if (cfg->maildir &&
	    (rc = maildir_create(cfg->maildir, err, errsize)) != 0)
		return rc;
	if (cfg->tls_cert && (rc = sink_tls_init(&k, err, errsize)) != 0)
		goto done;
	k.base = event_base_new();
	if (k.base == NULL) {
		snprintf(err, errsize, "cannot make an event loop");
		rc = MC_EIO;
		goto done;
	}
	k.listener = evconnlistener_new_bind(
	    k.base, sink_accept, &k,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    511, (struct sockaddr *)&ss, sslen);
	if (k.listener == NULL) {
		snprintf(err, errsize, "cannot listen on %s: %s", cfg->listen,
		         strerror(errno));
		rc = MC_EIO;
		goto done;
	}
	evconnlistener_set_error_cb(k.listener, sink_accept_error);
	k.stop_timer = evtimer_new(k.base, sink_stop_timer, &k);
	k.resume_timer = evtimer_new(k.base, sink_resume_timer, &k);
	sigint = evsignal_new(k.base, SIGINT, sink_signal, &k);
	sigterm = evsignal_new(k.base, SIGTERM, sink_signal, &k);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	if (cfg->report) {
		fprintf(cfg->report, "sink: listening on %s%s, %s\n",
		        cfg->listen, cfg->tls_cert ? " (STARTTLS)" : "",
		        cfg->maildir ? cfg->maildir : "discarding messages");
		fflush(cfg->report);
	}
	t0 = mc_clock_mono_ms(mc_clock_system());
	event_base_dispatch(k.base);
	stats->seconds =
	    (double)(mc_clock_mono_ms(mc_clock_system()) - t0) / 1000.0;
done:
	/* Close the connections still open (their clients see EOF). */
	k.stopping = false;
	while (k.conns)
		conn_free(k.conns);
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	if (k.stop_timer)
		event_free(k.stop_timer);
	if (k.resume_timer)
		event_free(k.resume_timer);
	if (k.listener)
		evconnlistener_free(k.listener);
	if (k.base)
		event_base_free(k.base);
	if (k.ssl_ctx)
		SSL_CTX_free(k.ssl_ctx);
	return rc;
}
