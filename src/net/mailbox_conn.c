/*
 * mailbox_conn.c — see mailbox_conn.h.
 *
 * One private event_base per conn.  run() is the heart: it writes what the
 * core produced, takes the core's events (a STARTTLS is handled here, the
 * others are kept for the caller) and runs the loop once, until the event
 * the caller waits for has come.  libevent callbacks only feed the core;
 * they never call back into the caller, so freeing is simple.
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
#define CLOSE_TIMEOUT_MS        5000

struct mailbox_conn {
	struct mailbox_conn_config cfg;
	const struct mc_clock *clock;
	struct event_base *base;
	struct bufferevent *bev;
	struct event *timer;
	struct event *idle_timer;
	struct pop3_client *pop3;
	struct imap_client *imap;
	SSL *ssl;
	bool implicit;
	bool handshaking;
	bool connect_done;
	int connect_err;
	int closed_err; /* the core's CLOSED event came */
	bool closed;
	bool idle_expired;
	/* The last event kept for the caller. */
	bool have_pev, have_iev;
	struct pop3_event pev;
	struct imap_event iev;
	char peer[80];
	char tls_info[512];
	char error[700];
};

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

/* Bytes arrived. */
static void
on_read(struct bufferevent *bev, void *arg)
{
	struct mailbox_conn *mc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec vec[8];

	if (!mc->pop3 && !mc->imap)
		return; /* before the core: kept in the buffer */
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
}

/* Connected over TLS, end of file, or an error. */
static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct mailbox_conn *mc = arg;
	char why[600];

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		mc->handshaking = false;
		tls_describe_session(mc->ssl, mc->tls_info,
		                     sizeof(mc->tls_info));
		log_debug("%s: %s", mc->peer, mc->tls_info);
		if (mc->implicit && !mc->pop3 && !mc->imap) {
			mc->connect_done = true;
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
			mc->connect_done = true;
			mc->connect_err = err;
			mc_strlcpy(mc->error, why, sizeof(mc->error));
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
	if (mc->pop3)
		pop3_client_tick(mc->pop3, now_ms(mc));
	else if (mc->imap)
		imap_client_tick(mc->imap, now_ms(mc));
}

/* The IDLE period ran out. */
static void
on_idle_timer(evutil_socket_t fd, short what, void *arg)
{
	struct mailbox_conn *mc = arg;

	(void)fd;
	(void)what;
	mc->idle_expired = true;
}

/* The TCP connect finished. */
static void
on_connected(int fd, int err, const char *why, void *arg)
{
	struct mailbox_conn *mc = arg;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (fd < 0) {
		mc->connect_done = true;
		mc->connect_err = err;
		snprintf(mc->error, sizeof(mc->error),
		         "cannot connect to %s port %d: %s",
		         mc->cfg.addrs->host, mc->cfg.addrs->port, why);
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
	} else {
		mc->bev =
		    bufferevent_socket_new(mc->base, fd, BEV_OPT_CLOSE_ON_FREE);
		mc->connect_done = true;
	}
	bufferevent_setcb(mc->bev, on_read, NULL, on_event, mc);
	bufferevent_enable(mc->bev, EV_READ | EV_WRITE);
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

/* Write the core's output and collect its events. */
static void
pump(struct mailbox_conn *mc)
{
	size_t n;
	const unsigned char *out = core_output(mc, &n);

	if (n > 0 && mc->bev && !mc->closed) {
		bufferevent_write(mc->bev, out, n);
		core_sent(mc, n);
	}
	for (;;) {
		if (mc->pop3) {
			struct pop3_event ev;
			if (mc->have_pev ||
			    !pop3_client_next_event(mc->pop3, &ev))
				break;
			if (ev.type == POP3_EV_STARTTLS) {
				start_tls(mc);
				continue;
			}
			if (ev.type == POP3_EV_CLOSED) {
				mc->closed = true;
				mc->closed_err = ev.err;
				mc_strlcpy(mc->error,
				           pop3_client_last_error(mc->pop3),
				           sizeof(mc->error));
			}
			mc->pev = ev;
			mc->have_pev = true;
		} else {
			struct imap_event ev;
			if (mc->have_iev ||
			    !imap_client_next_event(mc->imap, &ev))
				break;
			if (ev.type == IMAP_EV_STARTTLS) {
				start_tls(mc);
				continue;
			}
			if (ev.type == IMAP_EV_CLOSED) {
				mc->closed = true;
				mc->closed_err = ev.err;
				mc_strlcpy(mc->error,
				           imap_client_last_error(mc->imap),
				           sizeof(mc->error));
			}
			mc->iev = ev;
			mc->have_iev = true;
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

/* Run until the core has an event for the caller (or idle time is up). */
static void
run(struct mailbox_conn *mc, bool until_idle_timer)
{
	for (;;) {
		pump(mc);
		if (mc->have_pev || mc->have_iev)
			return;
		if (until_idle_timer && mc->idle_expired)
			return;
		event_base_loop(mc->base, EVLOOP_ONCE);
	}
}

int
mailbox_conn_open(const struct mailbox_conn_config *cfg,
                  struct mailbox_conn **out, char *err, size_t errsz)
{
	struct mailbox_conn *mc = xcalloc(1, sizeof(*mc));
	struct tcp_connect *tc;

	*out = NULL;
	mc->cfg = *cfg;
	if (mc->cfg.connect_timeout_ms == 0)
		mc->cfg.connect_timeout_ms = CONNECT_TIMEOUT_DEFAULT;
	mc->clock = cfg->clock ? cfg->clock : mc_clock_system();
	mc->implicit = cfg->proto == MAILBOX_POP3
	                   ? cfg->pop3.tls == POP3_TLS_IMPLICIT
	                   : cfg->imap.tls == IMAP_TLS_IMPLICIT;
	mc->base = event_base_new();
	mc->timer = evtimer_new(mc->base, on_timer, mc);
	mc->idle_timer = evtimer_new(mc->base, on_idle_timer, mc);
	tc = tcp_connect_start(mc->base, cfg->addrs, mc->cfg.connect_timeout_ms,
	                       on_connected, mc);
	(void)tc;
	while (!mc->connect_done)
		event_base_loop(mc->base, EVLOOP_ONCE);
	if (mc->connect_err) {
		mc_strlcpy(err, mc->error, errsz);
		int rc = mc->connect_err;
		mailbox_conn_close(mc);
		return rc;
	}
	if (cfg->proto == MAILBOX_POP3) {
		struct pop3_client_config pc = cfg->pop3;
		/* -v -v -v: every line, credentials redacted by the core. */
		if (pc.trace == NULL && log_enabled(LOG_TRACE)) {
			pc.trace = log_wire;
			pc.trace_arg = mc;
		}
		pc.log_name = mc->peer;
		mc->pop3 = pop3_client_new(&pc);
		pop3_client_start(mc->pop3, mc->implicit, now_ms(mc));
	} else {
		struct imap_client_config ic = cfg->imap;
		if (ic.trace == NULL && log_enabled(LOG_TRACE)) {
			ic.trace = log_wire;
			ic.trace_arg = mc;
		}
		ic.log_name = mc->peer;
		mc->imap = imap_client_new(&ic);
		imap_client_start(mc->imap, mc->implicit, now_ms(mc));
	}
	/* Bytes may have come with the handshake already. */
	on_read(mc->bev, mc);
	run(mc, false);
	bool ready = mc->pop3 ? mc->pev.type == POP3_EV_READY
	                      : mc->iev.type == IMAP_EV_READY;
	mc->have_pev = mc->have_iev = false;
	if (!ready) {
		int rc = mc->closed_err ? mc->closed_err : MC_EPROTO;
		snprintf(err, errsz, "%s: %s",
		         mc->peer[0] ? mc->peer : "server",
		         mc->error[0] ? mc->error : "no session");
		mailbox_conn_close(mc);
		return rc;
	}
	*out = mc;
	return 0;
}

void
mailbox_conn_close(struct mailbox_conn *mc)
{
	if (mc == NULL)
		return;
	if (!mc->closed && (mc->pop3 || mc->imap)) {
		/* Politely, but not forever. */
		int rc = mc->pop3
		             ? pop3_client_command(mc->pop3, POP3_CMD_QUIT, 0,
		                                   0, now_ms(mc))
		             : imap_client_command(mc->imap, IMAP_CMD_LOGOUT,
		                                   NULL, NULL, 0, now_ms(mc));
		if (rc == 0) {
			struct timeval tv = {CLOSE_TIMEOUT_MS / 1000, 0};
			mc->idle_expired = false;
			evtimer_add(mc->idle_timer, &tv);
			while (!mc->closed && !mc->idle_expired) {
				mc->have_pev = mc->have_iev = false;
				run(mc, true);
			}
		}
	}
	if (mc->bev)
		bufferevent_free(mc->bev);
	else if (mc->ssl)
		SSL_free(mc->ssl);
	if (mc->timer)
		event_free(mc->timer);
	if (mc->idle_timer)
		event_free(mc->idle_timer);
	pop3_client_free(mc->pop3);
	imap_client_free(mc->imap);
	if (mc->base)
		event_base_free(mc->base);
	free(mc);
}

int
mailbox_conn_pop3(struct mailbox_conn *mc, enum pop3_cmd cmd,
                  unsigned long arg1, unsigned long arg2, struct pop3_event *ev)
{
	int rc;

	if (mc->closed)
		return mc->closed_err ? mc->closed_err : MC_ECLOSED;
	rc = pop3_client_command(mc->pop3, cmd, arg1, arg2, now_ms(mc));
	if (rc != 0)
		return rc;
	for (;;) {
		mc->have_pev = false;
		run(mc, false);
		*ev = mc->pev;
		if (ev->type == POP3_EV_CLOSED)
			return ev->err
			           ? ev->err
			           : (cmd == POP3_CMD_QUIT ? 0 : MC_ECLOSED);
		if (ev->type == POP3_EV_DONE) {
			mc->have_pev = false;
			return 0;
		}
	}
}

int
mailbox_conn_imap(struct mailbox_conn *mc, enum imap_cmd cmd,
                  const char *mailbox, const char *criteria, uint32_t uid,
                  struct imap_event *ev)
{
	int rc;

	if (mc->closed)
		return mc->closed_err ? mc->closed_err : MC_ECLOSED;
	rc = imap_client_command(mc->imap, cmd, mailbox, criteria, uid,
	                         now_ms(mc));
	if (rc != 0)
		return rc;
	for (;;) {
		mc->have_iev = false;
		run(mc, false);
		*ev = mc->iev;
		if (ev->type == IMAP_EV_CLOSED)
			return ev->err
			           ? ev->err
			           : (cmd == IMAP_CMD_LOGOUT ? 0 : MC_ECLOSED);
		if (ev->type == IMAP_EV_DONE) {
			mc->have_iev = false;
			return 0;
		}
	}
}

int
mailbox_conn_idle(struct mailbox_conn *mc, uint32_t max_ms, bool *woke)
{
	struct timeval tv = {(time_t)(max_ms / 1000),
	                     (suseconds_t)((max_ms % 1000) * 1000)};
	int rc;

	*woke = false;
	if (mc->closed)
		return mc->closed_err ? mc->closed_err : MC_ECLOSED;
	rc = imap_client_command(mc->imap, IMAP_CMD_IDLE, NULL, NULL, 0,
	                         now_ms(mc));
	if (rc != 0)
		return rc;
	mc->idle_expired = false;
	evtimer_add(mc->idle_timer, &tv);
	mc->have_iev = false;
	run(mc, true);
	evtimer_del(mc->idle_timer);
	if (mc->have_iev && mc->iev.type == IMAP_EV_CLOSED)
		return mc->iev.err ? mc->iev.err : MC_ECLOSED;
	if (mc->have_iev && mc->iev.type == IMAP_EV_IDLE_WAKE)
		*woke = true;
	imap_client_idle_done(mc->imap, now_ms(mc));
	for (;;) {
		mc->have_iev = false;
		run(mc, false);
		if (mc->iev.type == IMAP_EV_CLOSED)
			return mc->iev.err ? mc->iev.err : MC_ECLOSED;
		if (mc->iev.type == IMAP_EV_DONE) {
			mc->have_iev = false;
			return mc->iev.ok ? 0 : MC_EPROTO;
		}
	}
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
