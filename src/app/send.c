/*
 * send.c — the send service; see send.h.
 *
 * Each connection is a slot with APP_SEND_WINDOW transactions; a finished
 * transaction frees its place and the next copy is submitted, so the
 * SMTP core pipelines MAIL/RCPT/DATA of the next copy behind the body of
 * the current one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "app/campaign.h"
#include "app/files.h"
#include "app/send.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "net/smtp_conn.h"
#include "net/tcp.h"
#include "net/tls.h"
#include "net/tls_probe.h"

struct send_run;

struct send_slot {
	struct send_run *run;
	struct smtp_conn *conn;
	struct smtp_txn txn[APP_SEND_WINDOW];
	struct smtp_rcpt *rcpts[APP_SEND_WINDOW];
	bool busy[APP_SEND_WINDOW];
	size_t inflight;
	bool closed;
};

struct send_run {
	const struct app_send_opts *o;
	struct app_send_summary *sum;
	struct event_base *base;
	struct net_addrs addrs;
	struct smtp_conn_config ccfg;
	unsigned char *body;
	size_t body_len;
	bool utf8;
	long count, submitted;
	struct send_slot *slots;
	long nslots, nclosed;
	int session_err;
	int worst; /* of the recipients' exit statuses */
};

/* The test message sent when no --data is given. */
static unsigned char *
default_message(const char *from, const char *to, size_t *len)
{
	char date[64], host[128];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	net_helo_name(-1, host, sizeof(host));
	if (host[0] == '[')
		mc_strlcpy(host, "mailcast.invalid", sizeof(host));
	char *m =
	    xasprintf("Date: %s\r\n"
	              "From: <%s>\r\n"
	              "To: <%s>\r\n"
	              "Subject: mailcast test message\r\n"
	              "Message-ID: <%lld.%d@%s>\r\n"
	              "MIME-Version: 1.0\r\n"
	              "Content-Type: text/plain; charset=us-ascii\r\n"
	              "\r\n"
	              "This is a test message sent by mailcast send.\r\n",
	              date, from, to, (long long)now, (int)getpid(), host);
	*len = strlen(m);
	return (unsigned char *)m;
}

/*
 * Any octet >= 0x80 (an address that needs SMTPUTF8).  Not a UTF-8
 * decoder: validating the sequences is base/utf8.h's job (being added).
 */
static bool
has_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s & 0x80)
			return true;
	return false;
}

/* Submit copies into the slot's free places. */
static void
fill_window(struct send_slot *s)
{
	struct send_run *r = s->run;

	for (int i = 0; i < APP_SEND_WINDOW && r->submitted < r->count; i++) {
		if (s->busy[i])
			continue;
		struct smtp_txn *t = &s->txn[i];
		memset(t, 0, sizeof(*t));
		t->mail_from = r->o->from;
		t->rcpts = s->rcpts[i];
		t->nrcpts = r->o->nto;
		for (size_t j = 0; j < r->o->nto; j++) {
			memset(&t->rcpts[j], 0, sizeof(t->rcpts[j]));
			t->rcpts[j].addr = r->o->to[j];
		}
		t->body = r->body;
		t->body_len = r->body_len;
		t->smtputf8 = r->utf8;
		t->user = &s->busy[i];
		s->busy[i] = true;
		s->inflight++;
		r->submitted++;
		smtp_conn_submit(s->conn, t);
		if (s->closed)
			return;
	}
}

/* The session is ready: say the TLS session, submit. */
static void
on_ready(struct smtp_conn *conn, void *arg)
{
	struct send_slot *s = arg;
	const struct app_send_opts *o = s->run->o;
	const char *tls = smtp_conn_tls_info(conn);

	if (o->trace != NULL && tls[0]) {
		char line[600];
		int n = snprintf(line, sizeof(line), "TLS: %s", tls);
		o->trace(o->arg, '*', line,
		         n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
	}
	fill_window(s);
	if (s->inflight == 0)
		smtp_conn_quit(conn);
}

/* The exit status of one undelivered recipient. */
static int
result_exit(const struct smtp_result *r)
{
	if (r->code >= 500)
		return EX_UNAVAILABLE;
	if (r->code >= 400)
		return EX_TEMPFAIL;
	return r->err ? mc_exit_code(r->err) : EX_TEMPFAIL;
}

/* How serious an exit status is: permanent > bad data > temporary > ok. */
static int
exit_rank(int ex)
{
	switch (ex) {
	case EX_OK:
		return 0;
	case EX_TEMPFAIL:
		return 1;
	case EX_DATAERR:
		return 2;
	default:
		return 3;
	}
}

/* Count one recipient's outcome and tell the caller. */
static void
rcpt_done(struct send_run *r, const struct smtp_rcpt *rc,
          const struct smtp_txn *t)
{
	const struct smtp_result *res = &rc->result;
	bool ok = rc->state == SMTP_RCPT_DELIVERED;

	if (ok) {
		r->sum->delivered++;
	} else {
		int ex = result_exit(res);
		if (ex == EX_UNAVAILABLE)
			r->sum->refused++;
		else
			r->sum->deferred++;
		if (exit_rank(ex) > exit_rank(r->worst))
			r->worst = ex;
	}
	if (r->o->summary_only || r->o->result == NULL)
		return;
	struct app_send_result out = {
	    .recipient = rc->addr,
	    .delivered = ok,
	    .code = res->code,
	    .enhanced = res->enh,
	    .text = res->text,
	    .queue_id = ok ? t->queue_id : "",
	    .err = res->err,
	};
	r->o->result(r->o->arg, &out);
}

/* A transaction ended: its recipients, then the next copy. */
static void
on_txn_done(struct smtp_conn *conn, struct smtp_txn *t, void *arg)
{
	struct send_slot *s = arg;
	struct send_run *r = s->run;

	*(bool *)t->user = false;
	s->inflight--;
	if (!t->attempted) {
		r->sum->not_attempted++;
	} else {
		for (size_t i = 0; i < t->nrcpts; i++)
			rcpt_done(r, &t->rcpts[i], t);
		if (!r->o->summary_only && t->queue_id[0])
			log_info("queue id %s", t->queue_id);
	}
	if (s->closed)
		return;
	fill_window(s);
	if (s->inflight == 0 && r->submitted >= r->count)
		smtp_conn_quit(conn);
}

/* A connection closed; the first error is the session's. */
static void
on_closed(struct smtp_conn *conn, int err, const char *why, void *arg)
{
	struct send_slot *s = arg;
	struct send_run *r = s->run;

	(void)conn;
	s->closed = true;
	if (err && r->session_err == 0) {
		r->session_err = err;
		mc_strlcpy(r->sum->why, why, sizeof(r->sum->why));
		/* A silent server on a plain connection may want TLS first. */
		if (err == MC_ETIMEDOUT && strstr(why, "no greeting") &&
		    r->ccfg.smtp.tls != SMTP_TLS_IMPLICIT &&
		    tls_probe(&r->addrs, 3000)) {
			snprintf(
			    r->sum->why, sizeof(r->sum->why),
			    "%s: port %d expects TLS from the first byte (use "
			    "--tls implicit)",
			    why, r->addrs.port);
		}
	}
	if (++r->nclosed == r->nslots)
		event_base_loopbreak(r->base);
}

/* Fail with MC_EINVAL and a reason. */
static int
bad(struct app_send_summary *sum, const char *why)
{
	mc_strlcpy(sum->why, why, sizeof(sum->why));
	return MC_EINVAL;
}

/* Options into the connection's configuration. */
static int
send_config(struct send_run *r, char *host, size_t hostsz, int *port)
{
	/* campaign_tls_parse()'s words, so send and campaigns agree. */
	static const enum smtp_tls_policy policies[] = {
	    [CAMPAIGN_TLS_NONE] = SMTP_TLS_NONE,
	    [CAMPAIGN_TLS_OPPORTUNISTIC] = SMTP_TLS_OPPORTUNISTIC,
	    [CAMPAIGN_TLS_REQUIRE] = SMTP_TLS_REQUIRE,
	    [CAMPAIGN_TLS_IMPLICIT] = SMTP_TLS_IMPLICIT,
	};
	const struct app_send_opts *o = r->o;
	struct smtp_client_config *c = &r->ccfg.smtp;
	uint64_t ms = 0;
	size_t i;
	int t;

	if (o->server == NULL || o->from == NULL || o->nto == 0)
		return bad(r->sum, "--server, --from and --to are required");
	if (o->nto > APP_SEND_RCPT_MAX)
		return bad(r->sum, "more than 1000 --to");
	if (net_parse_hostport(o->server, 25, host, hostsz, port) != 0) {
		snprintf(r->sum->why, sizeof(r->sum->why),
		         "--server \"%s\" is not HOST[:PORT]", o->server);
		return MC_EINVAL;
	}
	c->tls = *port == 465 ? SMTP_TLS_IMPLICIT : SMTP_TLS_REQUIRE;
	if (o->tls != NULL && (t = campaign_tls_parse(o->tls)) < 0)
		return bad(r->sum, "--tls: none, opportunistic, require "
		                   "(starttls) or implicit");
	if (o->tls != NULL)
		c->tls = policies[t];
	if (o->timeout != NULL &&
	    (mc_duration_parse(o->timeout, 1000, &ms) != 0 || ms < 100 ||
	     ms > 3600000))
		return bad(r->sum,
		           "--timeout: a duration from 100ms to 1h "
		           "(30s, 500ms, 2m; a bare number is seconds)");
	if (o->auth_mech != NULL) {
		c->auth_mech =
		    sasl_mech_lookup(o->auth_mech, strlen(o->auth_mech));
		if (c->auth_mech == SASL_NONE) {
			snprintf(r->sum->why, sizeof(r->sum->why),
			         "unknown --auth-mech \"%s\" (PLAIN, LOGIN, "
			         "CRAM-MD5, XOAUTH2)",
			         o->auth_mech);
			return MC_EINVAL;
		}
	}
	c->auth_user = o->auth_user;
	c->auth_secret = o->auth_secret;
	c->auth_allow_cleartext = o->allow_cleartext;
	c->no_pipelining = o->no_pipelining;
	c->no_chunking = o->no_chunking;
	c->helo_name = o->helo;
	c->trace = o->trace;
	c->trace_arg = o->arg;
	if (ms) {
		struct smtp_timeouts *to = &c->timeouts;
		r->ccfg.connect_timeout_ms = (uint32_t)ms;
		to->greeting = to->command = to->mail = to->rcpt = to->data =
		    to->block = to->dot = (uint32_t)ms;
	}
	r->ccfg.tls_verify = !o->no_verify;
	for (t = CAMPAIGN_TLS_NONE; t < CAMPAIGN_TLS_IMPLICIT; t++)
		if (policies[t] == c->tls)
			break;
	log_info("send: %s to %zu recipient(s) through %s:%d, TLS %s%s",
	         o->count > 1 ? "copies" : "one message", o->nto, host, *port,
	         campaign_tls_name((enum campaign_tls)t),
	         o->auth_user ? ", AUTH" : "");
	r->ccfg.addrs = &r->addrs;
	r->utf8 = has_8bit(o->from);
	for (i = 0; i < o->nto; i++)
		r->utf8 = r->utf8 || has_8bit(o->to[i]);
	return 0;
}

/* The message, the address, the TLS context: everything before a
 * connection. */
static int
send_prepare(struct send_run *r)
{
	struct app_send_summary *sum = r->sum;
	char host[256], err[1100];
	int port, rc;

	if ((rc = send_config(r, host, sizeof(host), &port)) != 0)
		return rc;
	if (r->o->data_mem != NULL) {
		r->body_len = strlen(r->o->data_mem);
		r->body = xmalloc(r->body_len + 1);
		memcpy(r->body, r->o->data_mem, r->body_len + 1);
	} else if (r->o->data != NULL) {
		if (app_read_file(r->o->data, APP_SEND_DATA_MAX, &r->body,
		                  &r->body_len, err, sizeof(err)) != 0) {
			snprintf(sum->why, sizeof(sum->why), "--data: %s", err);
			return MC_ENOTFOUND;
		}
	} else {
		r->body =
		    default_message(r->o->from, r->o->to[0], &r->body_len);
	}
	if ((rc = net_resolve(host, port, &r->addrs, sum->why,
	                      sizeof(sum->why))) != 0)
		return rc;
	if (r->ccfg.smtp.tls != SMTP_TLS_NONE) {
		r->ccfg.tls_ctx =
		    tls_client_ctx_new(r->o->ca_file, !r->o->no_verify,
		                       sum->why, sizeof(sum->why));
		if (r->ccfg.tls_ctx == NULL)
			return MC_ECONFIG;
	}
	return 0;
}

/* The status of the whole run. */
static int
send_status(const struct send_run *r)
{
	const struct app_send_summary *sum = r->sum;

	if (r->session_err &&
	    sum->delivered + sum->refused + sum->deferred == 0)
		return mc_exit_code(r->session_err);
	if (r->worst == EX_OK && (r->session_err || sum->not_attempted))
		return EX_TEMPFAIL;
	return r->worst;
}

/* Run; see send.h. */
int
app_send_run(const struct app_send_opts *o, struct app_send_summary *sum)
{
	static const struct smtp_conn_cbs cbs = {on_ready, on_txn_done,
	                                         on_closed};
	struct send_run r = {.o = o, .sum = sum};
	int rc;

	memset(sum, 0, sizeof(*sum));
	r.count = o->count > 0 ? o->count : 1;
	if ((rc = send_prepare(&r)) != 0)
		goto done;
	r.base = event_base_new();
	r.nslots = o->connections > 0 ? o->connections : 1;
	if (r.nslots > r.count)
		r.nslots = r.count;
	r.slots = xcalloc((size_t)r.nslots, sizeof(*r.slots));
	uint64_t t0 = mc_clock_mono_ms(mc_clock_system());
	for (long i = 0; i < r.nslots; i++) {
		struct send_slot *s = &r.slots[i];
		s->run = &r;
		for (int w = 0; w < APP_SEND_WINDOW; w++)
			s->rcpts[w] = xcalloc(o->nto, sizeof(struct smtp_rcpt));
		s->conn = smtp_conn_new(r.base, &r.ccfg, &cbs, s);
	}
	event_base_dispatch(r.base);
	uint64_t ms = mc_clock_mono_ms(mc_clock_system()) - t0;
	sum->seconds = ms ? (double)ms / 1000.0 : 0.001;
	sum->messages = sum->delivered / (long)o->nto;
	sum->connections = r.nslots;
	sum->status = send_status(&r);
	for (long i = 0; i < r.nslots; i++) {
		smtp_conn_free(r.slots[i].conn);
		for (int w = 0; w < APP_SEND_WINDOW; w++)
			free(r.slots[i].rcpts[w]);
	}
	free(r.slots);
	event_base_free(r.base);
done:
	if (r.ccfg.tls_ctx)
		SSL_CTX_free(r.ccfg.tls_ctx);
	free(r.body);
	return rc;
}

/* One recipient's outcome as JSON. */
json_t *
app_send_result_json(const struct app_send_result *r)
{
	json_t *o =
	    json_pack("{s:s, s:b, s:i, s:s, s:s}", "recipient", r->recipient,
	              "delivered", r->delivered, "code", r->code, "enhanced",
	              r->enhanced, "text", r->text);

	if (r->delivered && r->queue_id[0])
		json_object_set_new(o, "queue_id", json_string(r->queue_id));
	if (!r->delivered && r->code == 0)
		json_object_set_new(o, "error",
		                    json_string(mc_errname(r->err)));
	return o;
}

/* A load run's summary as a line of text. */
void
app_send_summary_text(FILE *out, const struct app_send_summary *s, long count)
{
	fprintf(out,
	        "sent %ld of %ld messages (%ld recipients delivered, %ld "
	        "refused, %ld deferred, %ld not attempted) over %ld "
	        "connections in %.3f s: %.0f messages/s\n",
	        s->messages, count, s->delivered, s->refused, s->deferred,
	        s->not_attempted, s->connections, s->seconds,
	        (double)s->messages / s->seconds);
}

/* A load run's summary as JSON. */
json_t *
app_send_summary_json(const struct app_send_summary *s, long count)
{
	return json_pack(
	    "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f}", "messages",
	    (json_int_t)s->messages, "count", (json_int_t)count, "delivered",
	    (json_int_t)s->delivered, "refused", (json_int_t)s->refused,
	    "deferred", (json_int_t)s->deferred, "not_attempted",
	    (json_int_t)s->not_attempted, "connections",
	    (json_int_t)s->connections, "seconds", s->seconds,
	    "messages_per_second", (double)s->messages / s->seconds);
}
