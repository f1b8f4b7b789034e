/*
 * engine_conn.c — the connection pool of the campaign engine.
 *
 * Each destination keeps its connections (struct econn, numbered from 1
 * over the run) on a list; a connection runs net/smtp_conn over one host of
 * the destination's route and is reused for many transactions, up to the
 * pipeline depth at a time.  This file opens them (which host: failover
 * order for relays, equal MX preferences in turn), turns smtp_conn's
 * callbacks into outcomes (ledger_*) and limit changes (dest_*), and
 * writes the SMTP transcript to the log at LOG_TRACE, tagged
 * "dest HOST:PORT conn N".  An econn is freed in its closed callback.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "engine/engine_int.h"

/* The relay settings of host h, or NULL (global settings). */
const struct engine_relay *
econn_relay(const struct engine *e, const struct route_host *h)
{
	if (e->cfg->relay_cfg == NULL || h->relay == 0 ||
	    h->relay > e->cfg->nrelays)
		return NULL;
	return &e->cfg->relay_cfg[h->relay - 1];
}

/* Remove conn from its destination's list. */
static void
conn_unlink(struct econn *c)
{
	struct dest *d = c->dest;

	for (struct econn **pp = &d->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	d->nconns--;
	if (c->ready)
		d->nready--;
	else
		c->e->nconnecting--;
}

/* The session is up: submit. */
static void
on_ready(struct smtp_conn *conn, void *arg)
{
	struct econn *c = arg;

	c->ready = true;
	c->dest->nready++;
	c->e->nconnecting--;
	snprintf(c->peer, sizeof(c->peer), "%s", smtp_conn_peer(conn));
	c->idle_since = 0;
	dest_dispatch(c->e, c->dest);
}

/* A transaction that never started: another try, or deferred. */
static void
txn_not_started(struct engine *e, struct dest *d, struct job *j,
                const struct smtp_result *r)
{
	char why[600];

	if (++j->local_tries < LOCAL_TRIES) {
		jobq_unshift(&d->q, j);
		return;
	}
	snprintf(why, sizeof(why), "not sent: %s",
	         r->text[0] ? r->text : "connection lost");
	ledger_defer(e, j, 0, NULL, why);
}

/*
 * Does a 4xx for job j (reply r) ask its destination to slow down?  A
 * refusal of the whole transaction does (MAIL, DATA, the end of data).  A
 * refusal of the recipient's own RCPT only when it says it is a rate
 * limit ("too many", "rate limit", "throttled": the bounce rules'
 * rate-limited) and is not greylisting, which asks for that recipient
 * again later, not for less mail -- as Postfix lowers a destination's
 * concurrency only on connection and session failures.  A 421 ends the
 * session, and on_closed slows the destination for it: once per 421, not
 * once here and once there.
 */
static bool
slows_dest(const struct job *j, const struct smtp_result *r)
{
	static const char *const grey[] = {"greylist",  "graylist",
	                                   "grey list", "gray list",
	                                   "grey-list", "gray-list"};
	struct bounce_verdict v;

	if (r->code == 421)
		return false;
	if (!j->rcpt.refused_at_rcpt || r != &j->rcpt.result)
		return true;
	for (size_t i = 0; i < sizeof(grey) / sizeof(grey[0]); i++)
		if (strcasestr(r->text, grey[i]) != NULL)
			return false;
	bounce_policy_reply(r->code, r->enh, r->text, &v);
	return v.reason == BOUNCE_REASON_RATE_LIMITED;
}

/* One transaction has its outcome. */
static void
on_txn_done(struct smtp_conn *conn, struct smtp_txn *t, void *arg)
{
	struct econn *c = arg;
	struct job *j = t->user;
	struct engine *e = j->e;
	struct dest *d = c->dest;
	const struct smtp_result *r =
	    j->rcpt.result.code || j->rcpt.result.text[0] ? &j->rcpt.result
	                                                  : &t->result;

	bool unsupp = t->smtputf8 && t->result.err == MC_EUNSUPP;

	c->inflight--;
	e->outcomes++;
	if (t->attempted && r->code > 0 && !c->answered) {
		/* the server takes part in the protocol: the host works
		 * (a session that only got as far as ready proves nothing) */
		c->answered = true;
		d->fail_streak = 0;
		d->bad &= ~(1u << (c->host - d->route->hosts));
	}
	if (unsupp) {
		/* the server cannot take it, now or later: failed, the
		 * address stays good (not a bounce); the session goes on */
	} else if (!t->attempted || smtp_conn_client(conn) == NULL ||
	           smtp_client_last_error(smtp_conn_client(conn))[0] != '\0')
		c->quitting = true; /* the session is over: submit no more */
	if (c->inflight == 0)
		c->idle_since = engine_now_ms(e);
	snprintf(j->relay, sizeof(j->relay), "%s%s%s", c->host->name,
	         c->peer[0] ? " " : "", c->peer);
	if (unsupp) {
		ledger_settle(e, j, DLV_FAILED, 0, NULL, job_utf8_reason(j));
	} else if (!t->attempted) {
		txn_not_started(e, d, j, r);
	} else if (j->rcpt.state == SMTP_RCPT_DELIVERED) {
		mc_strlcpy(j->queue_id, t->queue_id, sizeof(j->queue_id));
		ledger_settle(e, j, DLV_SENT,
		              t->result.code ? t->result.code : 250,
		              t->result.enh, t->result.text);
		dest_ok(e, d);
	} else if (r->code >= 500) {
		struct bounce_verdict v;

		j->action = bounce_policy_reply(r->code, r->enh, r->text, &v);
		ledger_settle(e, j, DLV_FAILED, r->code, r->enh, r->text);
	} else if (r->code >= 400) {
		char why[600];

		snprintf(why, sizeof(why), "%d%s%s %s", r->code,
		         r->enh[0] ? " " : "", r->enh, r->text);
		if (slows_dest(j, r))
			dest_slow(e, d, why);
		ledger_defer(e, j, r->code, r->enh, r->text);
	} else {
		char why[600];

		snprintf(why, sizeof(why), "connection: %s",
		         r->text[0] ? r->text : mc_strerror(r->err));
		ledger_defer(e, j, 0, NULL, why);
	}
	/* refill first: the burst's marks carry this outcome along */
	dest_dispatch(e, d);
	if (e->done.n >= FLUSH_AT)
		ledger_flush(e);
	else if (ledger_wire(e, c) < c->inflight && ledger_wire(e, c) <= DRY_AT)
		ledger_commit_now(e); /* c is running dry: its marks now */
	else
		ledger_commit_later(e);
}

/* Take the jobs handed to c but not yet submitted (their inflight marks
 * wait in q) back to the front of d's queue. */
static void
conn_take_back_q(struct econn *c, struct jobq *q)
{
	struct jobq keep = {NULL, NULL, 0};
	struct job *j;

	while ((j = jobq_pop(q)) != NULL) {
		if (j->conn != c) {
			jobq_push(&keep, j);
			continue;
		}
		j->conn = NULL;
		c->inflight--;
		jobq_unshift(&c->dest->q, j);
	}
	*q = keep;
}

/* A connection that failed before any transaction got a reply (refused,
 * TLS, a protocol error, closed): it counts as an attempt for the
 * destination; fail over, back off, and once failures repeat the queued
 * jobs are deferred with the reason. */
static void
conn_failed(struct engine *e, struct econn *c, const char *why)
{
	struct dest *d = c->dest;

	/* the jobs it held count with the queue: deferred below once the
	 * failures repeat, else sent over the next connection */
	conn_take_back_q(c, &e->tosubmit);
	conn_take_back_q(c, &e->submitting);
	d->fail_streak++;
	snprintf(d->last_err, sizeof(d->last_err), "%s", why);
	/* fail over once per failed host: several connections failing
	 * together must not rotate back to it */
	d->bad |= 1u << (c->host - d->route->hosts);
	if (d->route->nhosts > 1 && c->host == &d->route->hosts[d->host_idx])
		d->host_idx = (d->host_idx + 1) % d->route->nhosts;
	dest_backoff(e, d, d->fail_streak);
	if (d->fail_streak >=
	    CONN_FAILS * (d->route->nhosts ? d->route->nhosts : 1)) {
		struct job *j;
		char txt[600];

		snprintf(txt, sizeof(txt), "connection failed: %s",
		         d->last_err);
		while ((j = jobq_pop(&d->q)) != NULL) {
			snprintf(j->relay, sizeof(j->relay), "%s",
			         c->host->name);
			ledger_defer(e, j, 0, NULL, txt);
		}
	}
}

/* The connection is over. */
static void
on_closed(struct smtp_conn *conn, int err, const char *why, void *arg)
{
	struct econn *c = arg;
	struct dest *d = c->dest;
	struct engine *e = c->e;
	const char *w = why && *why ? why : mc_strerror(err);

	if (!c->ready && !e->cfg->direct &&
	    (err == MC_ECERT || err == MC_EAUTH)) {
		/* The relay's certificate is not trusted, or it refused our
		 * credentials: retrying cannot help, the configuration must
		 * change.  Stop the run (rows go back on the next start). */
		engine_fail(e, err, "", w);
	} else if (!c->ready) {
		conn_failed(e, c, w);
	} else if (err != 0) {
		const struct smtp_result *lr =
		    smtp_conn_client(conn)
		        ? smtp_client_last_reply(smtp_conn_client(conn))
		        : NULL;

		if (lr && lr->code == 421) {
			char txt[600];

			/* one slow-down step; the back-off doubles with the
			 * sessions ended by a 421 since the last delivery, not
			 * with the slow-down steps, which a server that takes
			 * most messages and 421s now and then keeps at their
			 * top (PENALTY_MAX: 4 s after every session) */
			snprintf(txt, sizeof(txt), "421%s%s %s",
			         lr->enh[0] ? " " : "", lr->enh, lr->text);
			dest_slow(e, d, txt);
			dest_backoff(e, d, d->busy_streak++);
		} else if (!c->answered) {
			/* the session came up, then broke before any reply
			 * to a transaction (a stray line, garbage, a drop):
			 * as bad as a refused connection */
			conn_failed(e, c, w);
		}
	}
	log_debug("dest %s conn %u: closed%s%s",
	          c->peer[0] ? c->peer : c->host->name, c->id, err ? ": " : "",
	          err ? w : "");
	conn_unlink(c);
	ledger_forget_conn(e, c);
	if (c->slot1 && e->cfg->limiter)
		e->cfg->limiter->give(e->cfg->limiter->arg, d->key,
		                      c->slot1 - 1);
	smtp_conn_free(conn);
	free(c);
	e->p.conns--;
	if (e->starved) /* first the destinations that wait for a place */
		dest_dispatch_budget(e);
	dest_dispatch(e, d);
}

/* The transcript: every command and reply line at LOG_TRACE. */
static void
conn_trace(void *arg, char dir, const char *line, size_t len)
{
	struct econn *c = arg;
	const char *peer = c->c ? smtp_conn_peer(c->c) : "";

	if (peer[0] == '\0')
		log_trace("dest %s:%d conn %u: %c: %.*s", c->host->name,
		          c->host->addrs.port, c->id, dir, (int)len, line);
	else
		log_trace("dest %s conn %u: %c: %.*s", peer, c->id, dir,
		          (int)len, line);
}

/*
 * The host for a new connection.  Relays: the current one (failover order
 * is the route's).  Direct: the MX hosts of the current host's preference
 * take turns (RFC 5321 §5.1: spread the load over equal preferences), one
 * whose last connection failed is passed over while another answers.
 */
static const struct route_host *
dest_pick_host(struct engine *e, struct dest *d)
{
	const struct route *r = d->route;
	size_t g0 = d->host_idx, g1 = d->host_idx + 1;

	if (!e->cfg->direct || r->nhosts < 2)
		return &r->hosts[d->host_idx];
	while (g0 > 0 && r->hosts[g0 - 1].pref == r->hosts[d->host_idx].pref)
		g0--;
	while (g1 < r->nhosts &&
	       r->hosts[g1].pref == r->hosts[d->host_idx].pref)
		g1++;
	for (size_t k = 0; k < g1 - g0; k++) {
		size_t i = g0 + (d->rr + k) % (g1 - g0);
		if (!(d->bad & (1u << i))) {
			d->rr = (unsigned)(i - g0 + 1);
			return &r->hosts[i];
		}
	}
	return &r->hosts[d->host_idx];
}

/* The smtp_conn settings of a connection to h. */
static void
conn_config(struct engine *e, struct econn *c, const struct route_host *h)
{
	const struct engine_relay *rc = econn_relay(e, h);
	unsigned t = e->cfg->timeout_ms;

	c->cfg.addrs = &h->addrs;
	c->cfg.tls_ctx = e->cfg->tls_ctx;
	c->cfg.tls_verify = e->cfg->tls_verify;
	c->cfg.connect_timeout_ms = t ? t : 30000;
	c->cfg.clock = e->clock;
	c->cfg.smtp.helo_name = e->cfg->helo_name;
	c->cfg.smtp.auth_user = e->cfg->auth_user;
	c->cfg.smtp.auth_secret = e->cfg->auth_secret;
	c->cfg.smtp.tls = e->cfg->tls_ctx ? e->cfg->tls : SMTP_TLS_NONE;
	if (rc != NULL) {
		c->cfg.tls_ctx = rc->tls_ctx;
		c->cfg.tls_verify = rc->tls_verify;
		c->cfg.smtp.auth_user = rc->auth_user;
		c->cfg.smtp.auth_secret = rc->auth_secret;
		c->cfg.smtp.tls = rc->tls_ctx ? rc->tls : SMTP_TLS_NONE;
	}
	if (log_enabled(LOG_TRACE)) {
		c->cfg.smtp.trace = conn_trace;
		c->cfg.smtp.trace_arg = c;
	}
	if (t) {
		struct smtp_timeouts *to = &c->cfg.smtp.timeouts;

		to->greeting = to->command = to->mail = to->rcpt = t;
		to->data = to->block = to->dot = t;
	}
}

/* Open one more connection to d. */
void
econn_open(struct engine *e, struct dest *d)
{
	static const struct smtp_conn_cbs cbs = {on_ready, on_txn_done,
	                                         on_closed};
	const struct route_host *h = dest_pick_host(e, d);
	struct econn *c = xcalloc(1, sizeof(*c));

	c->e = e;
	c->dest = d;
	c->host = h;
	c->id = ++e->conn_seq;
	c->slot1 = d->slot1;
	d->slot1 = 0;
	conn_config(e, c, h);
	c->next = d->conns;
	d->conns = c;
	d->nconns++;
	e->nconnecting++;
	e->p.conns++;
	log_debug("dest %s:%d conn %u: connecting (%s)", h->name, h->addrs.port,
	          c->id, d->key);
	c->c = smtp_conn_new(e->base, &c->cfg, &cbs, c);
}

/* Quit connections that have been idle for a while, or all when done, or
 * at once while a destination waits for the connection budget. */
void
econn_quit_idle(struct engine *e, bool all)
{
	uint64_t now = engine_now_ms(e);

	if (e->starved)
		all = true;
	for (struct dest *d = e->dests; d; d = d->next)
		for (struct econn *c = d->conns; c; c = c->next)
			if (c->ready && !c->quitting && c->inflight == 0 &&
			    d->q.n == 0 &&
			    (all || (c->idle_since &&
			             now - c->idle_since > IDLE_QUIT_MS))) {
				c->quitting = true;
				smtp_conn_quit(c->c);
			}
}
