/*
 * smtp_conn.c — see smtp_conn.h.
 *
 * Flow: tcp_connect -> (implicit TLS handshake) -> core started -> bytes.
 * Every entry from libevent ends in pump(), which sends what the core wrote,
 * dispatches its events and re-arms the timer.  A CLOSED event tears the
 * socket down at once; the closed callback runs last, so the user may free
 * the conn from inside it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "net/smtp_conn.h"
#include "net/tls.h"

struct smtp_conn {
	struct event_base *base;
	struct smtp_conn_config cfg;
	struct smtp_conn_cbs cbs;
	void *arg;
	const struct mc_clock *clock;
	struct tcp_connect *connecting;
	struct bufferevent *bev;
	struct event *rd; /* plain TCP: our own reads (see sock_read) */
	struct event *timer;
	struct smtp_client *core;
	SSL *ssl; /* owned by bev once TLS starts */
	bool handshaking;
	bool implicit;
	bool closed;
	bool in_pump;
	bool sent; /* write_out sent on the socket since on_read began */
	int depth; /* callbacks running */
	bool dead; /* smtp_conn_free() called inside one */
	char peer[80];
	char tls_info[512];
	/* Transactions submitted before the core exists. */
	struct smtp_txn **early;
	size_t nearly;
	bool quit_early;
};

static void pump(struct smtp_conn *c);

static uint64_t
now_ms(struct smtp_conn *c)
{
	return mc_clock_mono_ms(c->clock);
}

static void
teardown(struct smtp_conn *c)
{
	if (c->timer)
		evtimer_del(c->timer);
	if (c->rd) /* freed with c: teardown may run inside its callback */
		event_del(c->rd);
	if (c->bev) {
		bufferevent_free(c->bev); /* frees the SSL and closes the fd */
		c->bev = NULL;
		c->ssl = NULL;
	}
	if (c->ssl) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
}

/* The session is over before the core existed (connect or TLS failed). */
static void really_free(struct smtp_conn *c);

/* Leave a callback section; false when the conn was freed in it. */
static bool
leave(struct smtp_conn *c)
{
	if (--c->depth == 0 && c->dead) {
		really_free(c);
		return false;
	}
	return true;
}

static void
fail_before_core(struct smtp_conn *c, int err, const char *why)
{
	teardown(c);
	c->closed = true;
	c->depth++;
	/* Account for transactions handed to us early: never attempted. */
	for (size_t i = 0; i < c->nearly && !c->dead; i++) {
		struct smtp_txn *t = c->early[i];
		t->attempted = false;
		t->status = MC_EAGAIN;
		t->result.code = 0;
		t->result.err = MC_EAGAIN;
		snprintf(t->result.text, sizeof(t->result.text),
		         "not attempted: %s", why);
		for (size_t j = 0; j < t->nrcpts; j++) {
			t->rcpts[j].state = SMTP_RCPT_FAILED;
			t->rcpts[j].result = t->result;
		}
		if (c->cbs.txn_done)
			c->cbs.txn_done(c, t, c->arg);
	}
	c->nearly = 0;
	if (!c->dead && c->cbs.closed)
		c->cbs.closed(c, err, why, c->arg);
	leave(c);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->core)
		smtp_client_tick(c->core, now_ms(c));
	pump(c);
}

static void
arm_timer(struct smtp_conn *c)
{
	uint64_t dl = c->core ? smtp_client_deadline(c->core) : 0;
	uint64_t now = now_ms(c);

	if (dl == 0) {
		evtimer_del(c->timer);
		return;
	}
	uint64_t wait = dl > now ? dl - now : 0;
	struct timeval tv = {(time_t)(wait / 1000),
	                     (suseconds_t)((wait % 1000) * 1000)};
	evtimer_add(c->timer, &tv);
}

static void after_read(struct smtp_conn *c);

/* The socket failed with errno e (0: unknown): the session is over. */
static void
lost(struct smtp_conn *c, int e)
{
	char why[600];

	snprintf(why, sizeof(why), "connection to %s lost: %s", c->peer,
	         e ? evutil_socket_error_to_string(e) : "error");
	smtp_client_abort(c->core, MC_ECONN, why, now_ms(c));
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct smtp_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec vec[8];
	int n;

	while (c->core && !c->closed && evbuffer_get_length(in) > 0) {
		n = evbuffer_peek(in, -1, NULL, vec, 8);
		if (n > 8)
			n = 8;
		size_t total = 0;
		for (int i = 0; i < n; i++) {
			smtp_client_feed(c->core, vec[i].iov_base,
			                 vec[i].iov_len, now_ms(c));
			total += vec[i].iov_len;
		}
		evbuffer_drain(in, total);
	}
	after_read(c);
}

/*
 * Plain TCP reads: one recv() into the stack, fed to the core.  The
 * bufferevent's own read costs an ioctl(FIONREAD) before every readv (to
 * size its buffer) and a copy into an evbuffer; replies are small.  The
 * bufferevent still writes (what the socket did not take at once) and
 * reports write errors; reading goes back to it for STARTTLS.
 */
/* One read of the socket, its bytes given to the core (when it is still
 * there); recv()'s result, errno kept. */
static ssize_t
read_feed(struct smtp_conn *c, evutil_socket_t fd)
{
	char buf[16384];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n > 0 && c->core != NULL && !c->closed)
		smtp_client_feed(c->core, buf, (size_t)n, now_ms(c));
	return n;
}

static void
sock_read(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_conn *c = arg;
	ssize_t n;

	(void)what;
	n = read_feed(c, fd);
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (c->core == NULL || c->closed)
		return;
	if (n > 0) {
		after_read(c);
		return;
	}
	if (n == 0) {
		smtp_client_eof(c->core, now_ms(c));
	} else {
		lost(c, errno);
	}
	pump(c);
}

/* What follows the bytes of a read: the core's output and events. */
static void
after_read(struct smtp_conn *c)
{
	if (c->closed)
		return;
	c->depth++; /* pump() may free c: keep it to the end */
	c->sent = false;
	pump(c);
	/* ACK at once when nothing we write now carries the ACK: a server
	 * whose replies to one pipelined group come in two writes (and that
	 * leaves Nagle on) would otherwise hold the second until our delayed
	 * ACK, 40 ms later.  Linux re-arms delayed ACKs after each read, so
	 * this is set again each time; not when the next command or body
	 * goes out now (the common case of a busy connection: the setsockopt
	 * sends an ACK of its own), whether sent at once (write_out) or
	 * waiting in the output. */
	if (!c->closed && c->bev && !c->ssl && !c->sent &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		int one = 1;
		setsockopt(bufferevent_getfd(c->bev), IPPROTO_TCP, TCP_QUICKACK,
		           &one, sizeof(one));
	}
	leave(c);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct smtp_conn *c = arg;

	(void)bev;
	pump(c); /* the output drained: the core may have more body */
}

static void start_tls(struct smtp_conn *c);

/* The wire at LOG_TRACE when the caller asked for no transcript. */
static void
log_wire(void *arg, char dir, const char *line, size_t len)
{
	struct smtp_conn *c = arg;

	log_trace("smtp %s %c: %.*s", c->peer, dir, (int)len, line);
}

static void
start_core(struct smtp_conn *c, bool tls)
{
	struct smtp_client_config sc = c->cfg.smtp;
	char helo[256];

	/* -v -v -v (or MAILCAST_TRACE=1): every line, AUTH redacted by the
	 * core as in a transcript. */
	if (sc.trace == NULL && log_enabled(LOG_TRACE)) {
		sc.trace = log_wire;
		sc.trace_arg = c;
	}
	sc.log_name = c->peer;

	if (sc.helo_name == NULL) {
		net_helo_name(bufferevent_getfd(c->bev), helo, sizeof(helo));
		sc.helo_name = helo;
	}
	c->core = smtp_client_new(&sc);
	smtp_client_start(c->core, tls, now_ms(c));
	for (size_t i = 0; i < c->nearly; i++)
		smtp_client_submit(c->core, c->early[i], now_ms(c));
	c->nearly = 0;
	if (c->quit_early)
		smtp_client_quit(c->core, now_ms(c));
}

/*
 * The socket failed (a write met EPIPE or ECONNRESET: the server closed,
 * say after a 421).  The replies it sent before closing may still wait,
 * unread, in the receive buffer: give them to the core first, so that a
 * message the server took (its 250 after the data) is recorded as sent,
 * not resent as "delivery unknown".  Plain TCP only (TLS reads go through
 * the bufferevent); bounded.
 */
static void
drain_replies(struct smtp_conn *c)
{
	evutil_socket_t fd;

	if (c->ssl != NULL || c->bev == NULL)
		return;
	fd = bufferevent_getfd(c->bev);
	for (int i = 0; i < 64 && c->core != NULL && !c->closed; i++)
		if (read_feed(c, fd) <= 0)
			break;
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_conn *c = arg;
	char why[600];

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		/* Only TLS bufferevents report this: the handshake is done. */
		c->handshaking = false;
		tls_describe_session(c->ssl, c->tls_info, sizeof(c->tls_info));
		log_debug("%s: %s", c->peer, c->tls_info);
		if (c->core == NULL)
			start_core(c, true);
		else
			smtp_client_tls_done(c->core, true, NULL, now_ms(c));
		pump(c);
		return;
	}
	if (c->handshaking) {
		unsigned long e = bufferevent_get_openssl_error(c->bev);
		int err = tls_describe_failure(
		    c->ssl, e, c->cfg.addrs->host, c->cfg.addrs->port,
		    c->implicit && c->core == NULL, why, sizeof(why));
		if (e == 0 && (what & BEV_EVENT_EOF) && c->implicit &&
		    c->core == NULL)
			snprintf(
			    why, sizeof(why),
			    "%s closed the connection during the TLS handshake "
			    "(does port %d expect TLS from the first byte?)",
			    c->peer, c->cfg.addrs->port);
		if (c->core == NULL) {
			fail_before_core(c, err, why);
			return;
		}
		smtp_client_abort(c->core, err, why, now_ms(c));
		pump(c);
		return;
	}
	if (c->core == NULL)
		return;
	if (what & BEV_EVENT_EOF) {
		smtp_client_eof(c->core, now_ms(c));
	} else if (what & BEV_EVENT_ERROR) {
		int e = EVUTIL_SOCKET_ERROR();

		drain_replies(c);
		if (c->core != NULL && !c->closed)
			lost(c, e);
	}
	pump(c);
}

static void
start_tls(struct smtp_conn *c)
{
	struct bufferevent *tb;

	if (c->rd && event_pending(c->rd, EV_READ, NULL)) {
		/* the filter reads through the bufferevent from now on (rd
		 * is freed with c: this may run inside its callback) */
		event_del(c->rd);
		bufferevent_enable(c->bev, EV_READ);
	}
	c->ssl = tls_client_new(c->cfg.tls_ctx, c->cfg.addrs->host,
	                        c->cfg.tls_verify);
	tb = bufferevent_openssl_filter_new(c->base, c->bev, c->ssl,
	                                    BUFFEREVENT_SSL_CONNECTING,
	                                    BEV_OPT_CLOSE_ON_FREE);
	c->bev = tb;
	c->handshaking = true;
	bufferevent_set_max_single_write(tb, 256 * 1024);
	bufferevent_setcb(tb, on_read, on_write, on_event, c);
	bufferevent_enable(tb, EV_READ | EV_WRITE);
}

/*
 * Write out: straight to the socket while nothing waits in the output
 * (plain TCP), the rest (or all, on any error: the bufferevent then meets
 * it and reports it) through the bufferevent.  A write that goes whole
 * costs one send(); through the bufferevent it costs two epoll_ctl as well
 * (write interest on, then off when the output drains) and a turn of the
 * loop.
 */
static void
write_out(struct smtp_conn *c, const unsigned char *out, size_t len)
{
	struct evbuffer *ob = bufferevent_get_output(c->bev);
	ssize_t n;

	if (c->ssl == NULL && evbuffer_get_length(ob) == 0) {
		n = send(bufferevent_getfd(c->bev), out, len,
		         MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			c->sent = true;
			out += n;
			len -= (size_t)n;
		}
	}
	if (len > 0)
		bufferevent_write(c->bev, out, len);
}

static void
pump(struct smtp_conn *c)
{
	struct smtp_event ev;
	int closed_err = 0;
	char closed_why[600];
	bool do_close = false;

	if (c->in_pump || c->core == NULL || c->closed)
		return;
	c->in_pump = true;
	c->depth++;
	for (;;) {
		size_t len;
		const unsigned char *out = smtp_client_output(c->core, &len);
		if (len > 0 && c->bev) {
			write_out(c, out, len);
			smtp_client_sent(c->core, len, now_ms(c));
			/* Big bodies: stop when the socket is behind. */
			if (evbuffer_get_length(
			        bufferevent_get_output(c->bev)) > 512 * 1024)
				break;
			continue;
		}
		if (!smtp_client_next_event(c->core, &ev))
			break;
		switch (ev.type) {
		case SMTP_EV_STARTTLS:
			start_tls(c);
			break;
		case SMTP_EV_READY:
			if (c->cbs.ready)
				c->cbs.ready(c, c->arg);
			break;
		case SMTP_EV_TXN_DONE:
			if (c->cbs.txn_done)
				c->cbs.txn_done(c, ev.txn, c->arg);
			break;
		case SMTP_EV_CLOSED:
			do_close = true;
			closed_err = ev.err;
			mc_strlcpy(closed_why,
			           ev.err ? smtp_client_last_error(c->core)
			                  : "",
			           sizeof(closed_why));
			break;
		default:
			break;
		}
		if (c->dead || do_close)
			break;
	}
	c->in_pump = false;
	if (do_close && !c->dead) {
		teardown(c);
		c->closed = true;
		if (c->cbs.closed)
			c->cbs.closed(c, closed_err, closed_why, c->arg);
	}
	if (!leave(c) || c->closed)
		return;
	arm_timer(c);
}

static void
on_connected(int fd, int err, const char *why, void *arg)
{
	struct smtp_conn *c = arg;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	c->connecting = NULL;
	if (fd < 0) {
		char msg[1100];
		snprintf(msg, sizeof(msg), "cannot connect to %s port %d: %s",
		         c->cfg.addrs->host, c->cfg.addrs->port, why);
		fail_before_core(c, err, msg);
		return;
	}
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		net_addr_str((struct sockaddr *)&ss, c->peer, sizeof(c->peer));
	log_info("smtp: connected to %s (%s)", c->peer, c->cfg.addrs->host);
	if (c->implicit) {
		c->ssl = tls_client_new(c->cfg.tls_ctx, c->cfg.addrs->host,
		                        c->cfg.tls_verify);
		c->bev = bufferevent_openssl_socket_new(
		    c->base, fd, c->ssl, BUFFEREVENT_SSL_CONNECTING,
		    BEV_OPT_CLOSE_ON_FREE);
		c->handshaking = true;
	} else {
		c->bev =
		    bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	}
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	/* libevent writes 16 KiB per call by default: a 50 KiB message
	 * would cost four system calls and four loop turns. */
	bufferevent_set_max_single_write(c->bev, 256 * 1024);
	bufferevent_set_max_single_read(c->bev, 64 * 1024);
	if (c->implicit) {
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	} else {
		bufferevent_enable(c->bev, EV_WRITE);
		c->rd =
		    event_new(c->base, fd, EV_READ | EV_PERSIST, sock_read, c);
		event_add(c->rd, NULL);
	}
	if (!c->implicit) {
		start_core(c, false);
		pump(c);
	} else {
		/* The handshake has the command timeout of the greeting. */
		struct timeval tv = {c->cfg.smtp.timeouts.greeting
		                         ? c->cfg.smtp.timeouts.greeting / 1000
		                         : 300,
		                     0};
		bufferevent_set_timeouts(c->bev, &tv, &tv);
	}
}

struct smtp_conn *
smtp_conn_new(struct event_base *base, const struct smtp_conn_config *cfg,
              const struct smtp_conn_cbs *cbs, void *arg)
{
	struct smtp_conn *c = xcalloc(1, sizeof(*c));

	c->base = base;
	c->cfg = *cfg;
	c->cbs = *cbs;
	c->arg = arg;
	c->clock = cfg->clock ? cfg->clock : mc_clock_system();
	c->implicit = cfg->smtp.tls == SMTP_TLS_IMPLICIT;
	c->timer = evtimer_new(base, on_timer, c);
	c->connecting = tcp_connect_start(
	    base, cfg->addrs, cfg->connect_timeout_ms, on_connected, c);
	return c;
}

void
smtp_conn_free(struct smtp_conn *c)
{
	if (c == NULL)
		return;
	if (c->depth > 0) {
		/* Inside one of our callbacks: free on the way out. */
		c->dead = true;
		return;
	}
	really_free(c);
}

static void
really_free(struct smtp_conn *c)
{
	tcp_connect_cancel(c->connecting);
	teardown(c);
	if (c->timer)
		event_free(c->timer);
	if (c->rd)
		event_free(c->rd);
	smtp_client_free(c->core);
	free(c->early);
	free(c);
}

void
smtp_conn_submit(struct smtp_conn *c, struct smtp_txn *txn)
{
	if (c->core == NULL) {
		c->early =
		    xreallocarray(c->early, c->nearly + 1, sizeof(*c->early));
		c->early[c->nearly++] = txn;
		return;
	}
	smtp_client_submit(c->core, txn, now_ms(c));
	pump(c);
}

void
smtp_conn_quit(struct smtp_conn *c)
{
	if (c->core == NULL) {
		c->quit_early = true;
		return;
	}
	smtp_client_quit(c->core, now_ms(c));
	pump(c);
}

struct smtp_client *
smtp_conn_client(struct smtp_conn *c)
{
	return c->core;
}

const char *
smtp_conn_peer(const struct smtp_conn *c)
{
	return c->peer;
}

const char *
smtp_conn_tls_info(const struct smtp_conn *c)
{
	return c->tls_info;
}
