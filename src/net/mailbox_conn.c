/*
 * mailbox_conn.c — see mailbox_conn.h.
 *
 * Everything runs from libevent callbacks on the caller's base.  pump() is
 * the heart: it writes what the core produced, takes the core's events (a
 * STARTTLS is handled here) and ends the request running with the
 * caller's callback.  A request (a command) only queues bytes and kicks a
 * zero timer, so the caller's callback never runs inside one of its own
 * calls.  Every libevent callback is wrapped in enter()/leave(): a conn
 * freed inside the caller's callback is only marked, and destroyed when
 * the outermost callback returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "net/mailbox_conn.h"
#include "net/tls.h"

#define CONNECT_TIMEOUT_DEFAULT 30000

/* What the caller is waiting for. */
enum mc_req {
	REQ_NONE,
	REQ_OPEN,     /* connect, TLS, log in */
	REQ_CMD,      /* a command's answer */
	REQ_IDLE,     /* IDLE: new mail or the time running out */
	REQ_IDLE_END, /* DONE sent: IDLE's tagged answer */
};

struct mailbox_conn {
	struct mailbox_conn_config cfg;
	const struct mc_clock *clock;
	struct event_base *base; /* the caller's */
	struct tcp_connect *tc;  /* while connecting */
	struct bufferevent *bev;
	struct event *timer;
	struct event *idle_timer;
	struct event *kick;
	struct pop3_client *pop3;
	struct imap_client *imap;
	SSL *ssl;
	mailbox_conn_cb *cb;
	void *arg;
	enum mc_req req;
	bool quitting; /* the running command is QUIT/LOGOUT */
	bool implicit;
	bool handshaking;
	bool closed; /* the core's CLOSED event came */
	int closed_err;
	bool woke;
	int depth; /* nested libevent callbacks and requests */
	bool dead; /* freed inside a callback: destroy on the way out */
	struct pop3_event pev;
	struct imap_event iev;
	char peer[80];
	char tls_info[512];
	char error[700];
};

static void pump(struct mailbox_conn *mc);
static uint64_t now_ms(struct mailbox_conn *mc);
static void destroy(struct mailbox_conn *mc);

/* Into a callback (or a request). */
static void
enter(struct mailbox_conn *mc)
{
	mc->depth++;
}

/* Out of it: a conn freed meanwhile goes now. */
static void
leave(struct mailbox_conn *mc)
{
	if (--mc->depth == 0 && mc->dead)
		destroy(mc);
}

/* End the running request with rc: the caller's callback. */
static void
finish(struct mailbox_conn *mc, int rc)
{
	if (mc->req == REQ_NONE || mc->dead)
		return;
	mc->req = REQ_NONE;
	mc->cb(mc, rc, mc->arg);
}

/* The monotonic time for the core. */
static uint64_t
now_ms(struct mailbox_conn *mc)
{
	return mc_clock_mono_ms(mc->clock);
}

/* ---- the core, whichever it is ---------------------------------------- */

/* The wire at LOG_TRACE when the caller asked for no transcript. */
static void
log_wire(void *arg, char dir, const char *line, size_t len)
{
	struct mailbox_conn *mc = arg;

	log_trace("%s %s %c: %.*s",
	          mc->cfg.proto == MAILBOX_POP3 ? "pop3" : "imap", mc->peer,
	          dir, (int)len, line);
}

/* Feed bytes to the core. */
static void
core_feed(struct mailbox_conn *mc, const void *p, size_t n)
{
	if (mc->pop3)
		pop3_client_feed(mc->pop3, p, n, now_ms(mc));
	else
		imap_client_feed(mc->imap, p, n, now_ms(mc));
}

/* The core's output. */
static const unsigned char *
core_output(struct mailbox_conn *mc, size_t *n)
{
	return mc->pop3 ? pop3_client_output(mc->pop3, n)
	                : imap_client_output(mc->imap, n);
}

/* n bytes of output were handed to the socket. */
static void
core_sent(struct mailbox_conn *mc, size_t n)
{
	if (mc->pop3)
		pop3_client_sent(mc->pop3, n, now_ms(mc));
	else
		imap_client_sent(mc->imap, n, now_ms(mc));
}

/* A transport failure. */
static void
core_abort(struct mailbox_conn *mc, int err, const char *why)
{
	if (mc->pop3)
		pop3_client_abort(mc->pop3, err, why, now_ms(mc));
	else
		imap_client_abort(mc->imap, err, why, now_ms(mc));
}

/* The core's next deadline (0: none). */
static uint64_t
core_deadline(struct mailbox_conn *mc)
{
	return mc->pop3 ? pop3_client_deadline(mc->pop3)
	                : imap_client_deadline(mc->imap);
}

/* ---- libevent callbacks ----------------------------------------------- */

static void conn_event(struct mailbox_conn *mc, short what);

/* Bytes arrived. */
static void
on_read(struct bufferevent *bev, void *arg)
{
	struct mailbox_conn *mc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec vec[8];

	if (mc->dead || (!mc->pop3 && !mc->imap))
		return; /* before the core: kept in the buffer */
	enter(mc);
	while (!mc->closed && evbuffer_get_length(in) > 0) {
		int n = evbuffer_peek(in, -1, NULL, vec, 8);
		size_t total = 0;
		if (n > 8)
			n = 8;
		for (int i = 0; i < n; i++) {
			core_feed(mc, vec[i].iov_base, vec[i].iov_len);
			total += vec[i].iov_len;
		}
		evbuffer_drain(in, total);
	}
	pump(mc);
	leave(mc);
}

/* The core exists (after connect or the implicit TLS handshake): start it
 * and take the bytes that may have come already. */
static void
core_begin(struct mailbox_conn *mc)
{
	if (mc->cfg.proto == MAILBOX_POP3) {
		struct pop3_client_config pc = mc->cfg.pop3;
		/* -v -v -v: every line, credentials redacted by the core. */
		if (pc.trace == NULL && log_enabled(LOG_TRACE)) {
			pc.trace = log_wire;
			pc.trace_arg = mc;
		}
		pc.log_name = mc->peer;
		mc->pop3 = pop3_client_new(&pc);
		pop3_client_start(mc->pop3, mc->implicit, now_ms(mc));
	} else {
		struct imap_client_config ic = mc->cfg.imap;
		if (ic.trace == NULL && log_enabled(LOG_TRACE)) {
			ic.trace = log_wire;
			ic.trace_arg = mc;
		}
		ic.log_name = mc->peer;
		mc->imap = imap_client_new(&ic);
		imap_client_start(mc->imap, mc->implicit, now_ms(mc));
	}
	on_read(mc->bev, mc);
}

/* The session could not start: say why, end the open. */
static void
open_failed(struct mailbox_conn *mc, int err, const char *why)
{
	mc_strlcpy(mc->error, why, sizeof(mc->error));
	mc->closed = true;
	mc->closed_err = err;
	if (mc->bev)
		bufferevent_disable(mc->bev, EV_READ | EV_WRITE);
	finish(mc, err);
}

/* Connected over TLS, end of file, or an error. */
static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct mailbox_conn *mc = arg;

	(void)bev;
	if (mc->dead)
		return;
	enter(mc);
	conn_event(mc, what);
	if (!mc->dead)
		pump(mc);
	leave(mc);
}

/* on_event's work. */
static void
conn_event(struct mailbox_conn *mc, short what)
{
	char why[600];

	if (what & BEV_EVENT_CONNECTED) {
		mc->handshaking = false;
		tls_describe_session(mc->ssl, mc->tls_info,
		                     sizeof(mc->tls_info));
		log_debug("%s: %s", mc->peer, mc->tls_info);
		if (mc->implicit && !mc->pop3 && !mc->imap) {
			core_begin(mc);
			return;
		}
		if (mc->pop3)
			pop3_client_tls_done(mc->pop3, true, NULL, now_ms(mc));
		else
			imap_client_tls_done(mc->imap, true, NULL, now_ms(mc));
		return;
	}
	if (mc->handshaking) {
		unsigned long e = bufferevent_get_openssl_error(mc->bev);
		bool before = !mc->pop3 && !mc->imap;
		int err = tls_describe_failure(mc->ssl, e, mc->cfg.addrs->host,
		                               mc->cfg.addrs->port, before, why,
		                               sizeof(why));
		if (e == 0 && (what & BEV_EVENT_EOF) && before)
			snprintf(why, sizeof(why),
			         "%s closed the connection during the TLS "
			         "handshake (does port %d expect TLS from the "
			         "first byte?)",
			         mc->peer, mc->cfg.addrs->port);
		if (e == 0 && (what & BEV_EVENT_TIMEOUT))
			snprintf(why, sizeof(why),
			         "the TLS handshake with %s timed out (does "
			         "port %d speak TLS from the first byte?)",
			         mc->peer, mc->cfg.addrs->port);
		mc->handshaking = false;
		if (before) {
			open_failed(mc, err, why);
			return;
		}
		core_abort(mc, err, why);
		return;
	}
	if (!mc->pop3 && !mc->imap)
		return;
	if (what & BEV_EVENT_EOF) {
		if (mc->pop3)
			pop3_client_eof(mc->pop3, now_ms(mc));
		else
			imap_client_eof(mc->imap, now_ms(mc));
	} else if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		int e = EVUTIL_SOCKET_ERROR();
		snprintf(
		    why, sizeof(why), "connection to %s lost: %s", mc->peer,
		    (what & BEV_EVENT_TIMEOUT)
		        ? "timed out"
		        : (e ? evutil_socket_error_to_string(e) : "error"));
		core_abort(mc, MC_ECONN, why);
	}
}

/* The core's deadline passed. */
static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct mailbox_conn *mc = arg;

	(void)fd;
	(void)what;
	if (mc->dead)
		return;
	enter(mc);
	if (mc->pop3)
		pop3_client_tick(mc->pop3, now_ms(mc));
	else if (mc->imap)
		imap_client_tick(mc->imap, now_ms(mc));
	pump(mc);
	leave(mc);
}

/* A request was queued: take its output and any event now. */
static void
on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct mailbox_conn *mc = arg;

	(void)fd;
	(void)what;
	if (mc->dead)
		return;
	enter(mc);
	pump(mc);
	leave(mc);
}

/* The IDLE period ran out. */
static void
on_idle_timer(evutil_socket_t fd, short what, void *arg)
{
	struct mailbox_conn *mc = arg;

	(void)fd;
	(void)what;
	if (mc->dead || mc->req != REQ_IDLE || mc->closed)
		return;
	enter(mc);
	mc->req = REQ_IDLE_END;
	imap_client_idle_done(mc->imap, now_ms(mc));
	pump(mc);
	leave(mc);
}

/* The TCP connect finished. */
static void
on_connected(int fd, int err, const char *why, void *arg)
{
	struct mailbox_conn *mc = arg;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	mc->tc = NULL;
	if (fd < 0) {
		char msg[sizeof(mc->error)];
		snprintf(msg, sizeof(msg), "cannot connect to %s port %d: %s",
		         mc->cfg.addrs->host, mc->cfg.addrs->port, why);
		enter(mc);
		open_failed(mc, err, msg);
		leave(mc);
		return;
	}
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		net_addr_str((struct sockaddr *)&ss, mc->peer,
		             sizeof(mc->peer));
	log_info("%s: connected to %s (%s)",
	         mc->cfg.proto == MAILBOX_POP3 ? "pop3" : "imap", mc->peer,
	         mc->cfg.addrs->host);
	if (mc->implicit) {
		mc->ssl = tls_client_new(mc->cfg.tls_ctx, mc->cfg.addrs->host,
		                         mc->cfg.tls_verify);
		mc->bev = bufferevent_openssl_socket_new(
		    mc->base, fd, mc->ssl, BUFFEREVENT_SSL_CONNECTING,
		    BEV_OPT_CLOSE_ON_FREE);
		mc->handshaking = true;
		struct timeval tv = {mc->cfg.connect_timeout_ms / 1000,
		                     (mc->cfg.connect_timeout_ms % 1000) *
		                         1000};
		bufferevent_set_timeouts(mc->bev, &tv, &tv);
		bufferevent_setcb(mc->bev, on_read, NULL, on_event, mc);
		bufferevent_enable(mc->bev, EV_READ | EV_WRITE);
		return;
	}
	mc->bev = bufferevent_socket_new(mc->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(mc->bev, on_read, NULL, on_event, mc);
	bufferevent_enable(mc->bev, EV_READ | EV_WRITE);
	enter(mc);
	core_begin(mc);
	leave(mc);
}

/* The core asked for STARTTLS: wrap the socket in a TLS filter. */
static void
start_tls(struct mailbox_conn *mc)
{
	struct bufferevent *tb;

	mc->ssl = tls_client_new(mc->cfg.tls_ctx, mc->cfg.addrs->host,
	                         mc->cfg.tls_verify);
	tb = bufferevent_openssl_filter_new(mc->base, mc->bev, mc->ssl,
	                                    BUFFEREVENT_SSL_CONNECTING,
	                                    BEV_OPT_CLOSE_ON_FREE);
	mc->bev = tb;
	mc->handshaking = true;
	bufferevent_setcb(tb, on_read, NULL, on_event, mc);
	bufferevent_enable(tb, EV_READ | EV_WRITE);
}

/* ---- the loop --------------------------------------------------------- */

/* The session ended (the core's CLOSED): the running request fails,
 * except a QUIT/LOGOUT that asked for it. */
static void
closed(struct mailbox_conn *mc, int err, const char *text)
{
	mc->closed = true;
	mc->closed_err = err;
	mc_strlcpy(mc->error, text, sizeof(mc->error));
	if (mc->req == REQ_OPEN) {
		char why[sizeof(mc->error)];
		snprintf(why, sizeof(why), "%s: %s",
		         mc->peer[0] ? mc->peer : "server",
		         text[0] ? text : "no session");
		mc_strlcpy(mc->error, why, sizeof(mc->error));
		finish(mc, err ? err : MC_EPROTO);
		return;
	}
	if (err == 0 && mc->quitting)
		finish(mc, 0);
	else
		finish(mc, err ? err : MC_ECLOSED);
}

/* One POP3 event. */
static void
pop3_event(struct mailbox_conn *mc, const struct pop3_event *ev)
{
	switch (ev->type) {
	case POP3_EV_STARTTLS:
		start_tls(mc);
		break;
	case POP3_EV_READY:
		if (mc->req == REQ_OPEN)
			finish(mc, 0);
		break;
	case POP3_EV_DONE:
		mc->pev = *ev;
		if (mc->req == REQ_CMD)
			finish(mc, 0);
		break;
	case POP3_EV_CLOSED:
		mc->pev = *ev;
		closed(mc, ev->err, pop3_client_last_error(mc->pop3));
		break;
	default:
		break;
	}
}

/* One IMAP event. */
static void
imap_event(struct mailbox_conn *mc, const struct imap_event *ev)
{
	switch (ev->type) {
	case IMAP_EV_STARTTLS:
		start_tls(mc);
		break;
	case IMAP_EV_READY:
		if (mc->req == REQ_OPEN)
			finish(mc, 0);
		break;
	case IMAP_EV_IDLE_WAKE:
		if (mc->req == REQ_IDLE) {
			mc->woke = true;
			mc->req = REQ_IDLE_END;
			evtimer_del(mc->idle_timer);
			imap_client_idle_done(mc->imap, now_ms(mc));
		}
		break;
	case IMAP_EV_DONE:
		mc->iev = *ev;
		if (mc->req == REQ_CMD)
			finish(mc, 0);
		else if (mc->req == REQ_IDLE_END)
			finish(mc, ev->ok ? 0 : MC_EPROTO);
		break;
	case IMAP_EV_CLOSED:
		mc->iev = *ev;
		closed(mc, ev->err, imap_client_last_error(mc->imap));
		break;
	default:
		break;
	}
}

/* Write the core's output. */
static void
flush_output(struct mailbox_conn *mc)
{
	size_t n;
	const unsigned char *out;

	if (!mc->pop3 && !mc->imap)
		return;
	out = core_output(mc, &n);
	if (n > 0 && mc->bev && !mc->closed) {
		bufferevent_write(mc->bev, out, n);
		core_sent(mc, n);
	}
}

/* Write the core's output, take its events, arm its deadline. */
static void
pump(struct mailbox_conn *mc)
{
	if (!mc->pop3 && !mc->imap)
		return;
	for (;;) {
		flush_output(mc);
		if (mc->dead)
			return;
		if (mc->pop3) {
			struct pop3_event ev;
			if (!pop3_client_next_event(mc->pop3, &ev))
				break;
			pop3_event(mc, &ev);
		} else {
			struct imap_event ev;
			if (!imap_client_next_event(mc->imap, &ev))
				break;
			imap_event(mc, &ev);
		}
	}
	uint64_t dl = core_deadline(mc), now = now_ms(mc);
	if (dl == 0) {
		evtimer_del(mc->timer);
	} else {
		uint64_t w = dl > now ? dl - now : 0;
		struct timeval tv = {(time_t)(w / 1000),
		                     (suseconds_t)((w % 1000) * 1000)};
		evtimer_add(mc->timer, &tv);
	}
}

int
mailbox_conn_open(const struct mailbox_conn_config *cfg,
                  struct event_base *base, mailbox_conn_cb *cb, void *arg,
                  struct mailbox_conn **out)
{
	struct mailbox_conn *mc;

	*out = NULL;
	if (cfg->addrs == NULL || base == NULL || cb == NULL)
		return MC_EINVAL;
	mc = xcalloc(1, sizeof(*mc));
	mc->cfg = *cfg;
	if (mc->cfg.connect_timeout_ms == 0)
		mc->cfg.connect_timeout_ms = CONNECT_TIMEOUT_DEFAULT;
	mc->clock = cfg->clock ? cfg->clock : mc_clock_system();
	mc->implicit = cfg->proto == MAILBOX_POP3
	                   ? cfg->pop3.tls == POP3_TLS_IMPLICIT
	                   : cfg->imap.tls == IMAP_TLS_IMPLICIT;
	mc->base = base;
	mc->cb = cb;
	mc->arg = arg;
	mc->req = REQ_OPEN;
	mc->timer = evtimer_new(base, on_timer, mc);
	mc->idle_timer = evtimer_new(base, on_idle_timer, mc);
	mc->kick = evtimer_new(base, on_kick, mc);
	/* The connect may fail at once: its callback then runs inside
	 * tcp_connect_start, so the depth keeps a free there safe. */
	enter(mc);
	mc->tc = tcp_connect_start(base, cfg->addrs, mc->cfg.connect_timeout_ms,
	                           on_connected, mc);
	*out = mc;
	leave(mc);
	return 0;
}

/* Free everything (not inside a callback). */
static void
destroy(struct mailbox_conn *mc)
{
	if (mc->tc)
		tcp_connect_cancel(mc->tc);
	if (mc->bev)
		bufferevent_free(mc->bev);
	else if (mc->ssl)
		SSL_free(mc->ssl);
	if (mc->timer)
		event_free(mc->timer);
	if (mc->idle_timer)
		event_free(mc->idle_timer);
	if (mc->kick)
		event_free(mc->kick);
	pop3_client_free(mc->pop3);
	imap_client_free(mc->imap);
	free(mc);
}

void
mailbox_conn_free(struct mailbox_conn *mc)
{
	if (mc == NULL)
		return;
	if (mc->depth == 0) {
		destroy(mc);
		return;
	}
	mc->dead = true;
	if (mc->bev)
		bufferevent_disable(mc->bev, EV_READ | EV_WRITE);
	evtimer_del(mc->timer);
	evtimer_del(mc->idle_timer);
	evtimer_del(mc->kick);
}

/* A request may start: the session is up and nothing is running. */
static int
may_start(struct mailbox_conn *mc)
{
	if (mc->closed)
		return mc->closed_err ? mc->closed_err : MC_ECLOSED;
	if (mc->req != REQ_NONE || mc->dead)
		return MC_EINVAL;
	return 0;
}

/* A request was queued: write it, and look at events on the next turn. */
static void
started(struct mailbox_conn *mc, enum mc_req req)
{
	struct timeval zero = {0, 0};

	mc->req = req;
	flush_output(mc);
	evtimer_add(mc->kick, &zero);
}

int
mailbox_conn_pop3(struct mailbox_conn *mc, enum pop3_cmd cmd,
                  unsigned long arg1, unsigned long arg2)
{
	int rc;

	if ((rc = may_start(mc)) < 0 || mc->pop3 == NULL)
		return rc < 0 ? rc : MC_EINVAL;
	rc = pop3_client_command(mc->pop3, cmd, arg1, arg2, now_ms(mc));
	if (rc != 0)
		return rc;
	mc->quitting = cmd == POP3_CMD_QUIT;
	started(mc, REQ_CMD);
	return 0;
}

int
mailbox_conn_imap(struct mailbox_conn *mc, enum imap_cmd cmd,
                  const char *mailbox, const char *criteria, uint32_t uid)
{
	int rc;

	if ((rc = may_start(mc)) < 0 || mc->imap == NULL)
		return rc < 0 ? rc : MC_EINVAL;
	rc = imap_client_command(mc->imap, cmd, mailbox, criteria, uid,
	                         now_ms(mc));
	if (rc != 0)
		return rc;
	mc->quitting = cmd == IMAP_CMD_LOGOUT;
	started(mc, REQ_CMD);
	return 0;
}

int
mailbox_conn_idle(struct mailbox_conn *mc, uint32_t max_ms)
{
	struct timeval tv = {(time_t)(max_ms / 1000),
	                     (suseconds_t)((max_ms % 1000) * 1000)};
	int rc;

	if ((rc = may_start(mc)) < 0 || mc->imap == NULL)
		return rc < 0 ? rc : MC_EINVAL;
	rc = imap_client_command(mc->imap, IMAP_CMD_IDLE, NULL, NULL, 0,
	                         now_ms(mc));
	if (rc != 0)
		return rc;
	mc->woke = false;
	mc->quitting = false;
	evtimer_add(mc->idle_timer, &tv);
	started(mc, REQ_IDLE);
	return 0;
}

bool
mailbox_conn_idle_woke(const struct mailbox_conn *mc)
{
	return mc->woke;
}

const struct pop3_event *
mailbox_conn_pop3_event(const struct mailbox_conn *mc)
{
	return &mc->pev;
}

const struct imap_event *
mailbox_conn_imap_event(const struct mailbox_conn *mc)
{
	return &mc->iev;
}

struct pop3_client *
mailbox_conn_pop3_core(struct mailbox_conn *mc)
{
	return mc->pop3;
}

struct imap_client *
mailbox_conn_imap_core(struct mailbox_conn *mc)
{
	return mc->imap;
}

const char *
mailbox_conn_error(const struct mailbox_conn *mc)
{
	return mc->error;
}

const char *
mailbox_conn_tls_info(const struct mailbox_conn *mc)
{
	return mc->tls_info;
}

const char *
mailbox_conn_peer(const struct mailbox_conn *mc)
{
	return mc->peer;
}
