/*
 * poller.c — the mailbox poller (poller.h): one loop, driven by the
 * cursor's callbacks, over connect -> open -> list -> for each message
 * (memory check, fetch, ingest, dispose) -> wait (IDLE) or close.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include <event2/event.h>

#include "app/mailbox_cursor.h"
#include "app/mailbox_url.h"
#include "app/poller.h"
#include "app/secrets.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "bounce/bounce.h"
#include "net/tls.h"
#include "proto/sasl.h"

#define IDLE_PERIOD_MS  (25u * 60 * 1000) /* RFC 2177: under 29 min */
#define TIMEOUT_DEFAULT 120

enum pstate { P_CONNECT, P_OPEN, P_LIST, P_FETCH, P_DISPOSE, P_WAIT, P_CLOSE };

struct poller {
	struct mailbox_url url;
	char move_to[IMAP_MAILBOX_MAX + 1];
	bool del, idle;
	long idle_max;
	size_t max_size;
	struct ingest_config ingest;
	struct mailbox_conn_config ccfg;
	struct net_addrs addrs;
	SSL_CTX *ctx;
	char secret[1024];
	/* Running. */
	struct event_base *base;
	struct mailbox_cursor *cur;
	poller_event_fn *on_event;
	poller_done_fn *on_done;
	void *arg;
	enum pstate state;
	size_t i;
	time_t idle_end;
	struct ingest_result res;
	char where[POP3_UID_MAX + 64];
	char (*pending)[POP3_UID_MAX + 1]; /* POP3 deletions until QUIT */
	size_t npending;
	struct ingest_tally tally;
	unsigned long handled; /* messages of this poll, for its fetch row */
	struct event *done_ev;
	bool closing; /* saying goodbye after a failure */
	int end_rc;
	enum poller_failure end_fail;
	char why[1000];
};

static const char *const failure_names[] = {
#define POLLER_FAILURE_NAME(sym, name) name,
    POLLER_FAILURES(POLLER_FAILURE_NAME)
#undef POLLER_FAILURE_NAME
};

static void next_item(struct poller *p);
static void on_step(struct mailbox_cursor *cur, int rc, void *arg);

/* Name of a failure kind. */
const char *
poller_failure_name(enum poller_failure f)
{
	return (unsigned)f <= POLLER_STORE ? failure_names[f] : NULL;
}

/* The exit status of a poll. */
int
poller_exit_code(int rc, enum poller_failure f)
{
	switch (f) {
	case POLLER_OK:
		return EX_OK;
	case POLLER_STORE:
		return EX_TEMPFAIL;
	case POLLER_REFUSED:
		return EX_UNAVAILABLE;
	default:
		break;
	}
	switch (rc) {
	case MC_EAUTH:
		return EX_NOPERM;
	case MC_ECLOSED:
	case MC_ETIMEDOUT:
	case MC_ECONN:
	case MC_ECONNREFUSED:
	case MC_ETEMPFAIL:
		return EX_TEMPFAIL;
	default:
		return mc_exit_code(rc);
	}
}

/* The dispose options of cfg: one of move/delete/keep, and what POP3 and
 * IMAP allow; 0 or MC_EINVAL. */
static int
check_options(const struct poller_config *cfg, const struct mailbox_url *u,
              char *err, size_t errsz)
{
	if ((cfg->del && cfg->keep) || (cfg->del && cfg->move_to) ||
	    (cfg->keep && cfg->move_to)) {
		snprintf(err, errsz,
		         "choose one of --move-to, --delete and "
		         "--keep");
		return MC_EINVAL;
	}
	if (u->proto == MAILBOX_POP3 && cfg->move_to) {
		snprintf(err, errsz,
		         "POP3 cannot move messages: use --delete "
		         "or --keep");
		return MC_EINVAL;
	}
	if (cfg->idle && u->proto != MAILBOX_IMAP) {
		snprintf(err, errsz, "--idle needs IMAP");
		return MC_EINVAL;
	}
	if (cfg->starttls && u->implicit) {
		snprintf(err, errsz,
		         "--starttls is for pop3:// and imap://; pop3s:// and "
		         "imaps:// are TLS from the first byte");
		return MC_EINVAL;
	}
	return 0;
}

/* The log-in mechanism of cfg->auth; 0 or MC_EINVAL. */
static int
set_auth(struct poller *p, const char *auth, char *err, size_t errsz)
{
	bool pop3 = p->url.proto == MAILBOX_POP3;
	enum sasl_mech m;

	if (auth == NULL)
		return 0;
	m = sasl_mech_lookup(auth, strlen(auth));
	if (pop3 && strcasecmp(auth, "user") == 0) {
		p->ccfg.pop3.auth = POP3_AUTH_USER;
	} else if (pop3 && strcasecmp(auth, "apop") == 0) {
		p->ccfg.pop3.auth = POP3_AUTH_APOP;
	} else if (m != SASL_NONE) {
		p->ccfg.pop3.auth = POP3_AUTH_SASL;
		p->ccfg.pop3.sasl_mech = m;
		p->ccfg.imap.sasl_mech = m;
	} else {
		snprintf(err, errsz,
		         "--auth '%s': not one of plain, login, cram-md5, "
		         "xoauth2%s",
		         auth, pop3 ? ", user, apop" : "");
		return MC_EINVAL;
	}
	return 0;
}

/* The conn's config from the poller's settings. */
static void
conn_config(struct poller *p, const struct poller_config *cfg)
{
	uint32_t ms =
	    (uint32_t)(cfg->timeout_s > 0 ? cfg->timeout_s : TIMEOUT_DEFAULT) *
	    1000;

	p->ccfg.proto = p->url.proto;
	p->ccfg.addrs = &p->addrs;
	p->ccfg.tls_ctx = p->ctx;
	p->ccfg.tls_verify = cfg->tls_verify;
	p->ccfg.connect_timeout_ms = ms;
	p->ccfg.pop3 = (struct pop3_client_config){
	    .user = p->url.user,
	    .secret = p->secret,
	    .tls = p->url.implicit ? POP3_TLS_IMPLICIT
	           : cfg->starttls ? POP3_TLS_STLS
	                           : POP3_TLS_NONE,
	    .allow_cleartext = cfg->allow_cleartext,
	    .max_message = p->max_size,
	    .timeout_ms = ms,
	};
	p->ccfg.imap = (struct imap_client_config){
	    .user = p->url.user,
	    .secret = p->secret,
	    .tls = p->url.implicit ? IMAP_TLS_IMPLICIT
	           : cfg->starttls ? IMAP_TLS_STARTTLS
	                           : IMAP_TLS_NONE,
	    .allow_cleartext = cfg->allow_cleartext,
	    .max_message = p->max_size,
	    .timeout_ms = ms,
	};
}

/* Check the URL and options. */
int
poller_config_check(const struct poller_config *cfg, char *err, size_t errsz)
{
	struct poller *p;
	int rc;

	if (cfg->url == NULL) {
		snprintf(err, errsz, "--mailbox URL is needed");
		return MC_EINVAL;
	}
	p = xcalloc(1, sizeof(*p));
	if ((rc = mailbox_url_parse(cfg->url, &p->url, err, errsz)) == 0 &&
	    (rc = check_options(cfg, &p->url, err, errsz)) == 0)
		rc = set_auth(p, cfg->auth, err, errsz);
	free(p);
	return rc;
}

/* Check the config, set TLS up, resolve. */
struct poller *
poller_new(const struct poller_config *cfg, int *rc, char *err, size_t errsz)
{
	struct poller *p = xcalloc(1, sizeof(*p));

	if ((*rc = poller_config_check(cfg, err, errsz)) < 0 ||
	    (*rc = mailbox_url_parse(cfg->url, &p->url, err, errsz)) < 0 ||
	    (*rc = check_options(cfg, &p->url, err, errsz)) < 0 ||
	    (*rc = set_auth(p, cfg->auth, err, errsz)) < 0)
		goto fail;
	p->del = cfg->del;
	p->idle = cfg->idle;
	p->idle_max = cfg->idle_max;
	p->max_size = cfg->max_size ? cfg->max_size : BOUNCE_MAX_SIZE;
	p->ingest = cfg->ingest;
	if (cfg->move_to)
		mc_strlcpy(p->move_to, cfg->move_to, sizeof(p->move_to));
	else if (p->url.proto == MAILBOX_IMAP && !cfg->del && !cfg->keep)
		mc_strlcpy(p->move_to, POLLER_MOVE_TO_DEFAULT,
		           sizeof(p->move_to));
	mc_strlcpy(p->secret, cfg->secret ? cfg->secret : "",
	           sizeof(p->secret));
	if ((p->url.implicit || cfg->starttls) &&
	    (p->ctx = tls_client_ctx_new(cfg->ca_file, cfg->tls_verify, err,
	                                 errsz)) == NULL) {
		*rc = MC_ECONFIG;
		goto fail;
	}
	if (net_resolve(p->url.host, p->url.port, &p->addrs, err, errsz) != 0) {
		*rc = MC_ENOHOST;
		goto fail;
	}
	conn_config(p, cfg);
	*rc = 0;
	return p;
fail:
	poller_free(p);
	return NULL;
}

/* Tell the caller. */
static void
emit(struct poller *p, enum poller_event_type type, const char *text)
{
	struct poller_event ev = {.type = type,
	                          .i = p->i + 1,
	                          .n = p->cur ? p->cur->nitems : 0,
	                          .where = p->where,
	                          .text = text};

	if (p->on_event)
		p->on_event(p->arg, &ev);
}

/* One message handled: tell, count, forget. */
static void
emit_message(struct poller *p, const char *disposition)
{
	struct poller_event ev = {.type = POLLER_EV_MESSAGE,
	                          .i = p->i + 1,
	                          .n = p->cur->nitems,
	                          .where = p->where,
	                          .result = &p->res,
	                          .disposition = disposition};

	ingest_tally_add(&p->tally, &p->res);
	p->handled++;
	if (p->on_event)
		p->on_event(p->arg, &ev);
	ingest_result_fini(&p->res);
}

/* The done callback, from the loop. */
static void
on_done_ev(evutil_socket_t fd, short what, void *arg)
{
	struct poller *p = arg;

	(void)fd;
	(void)what;
	p->on_done(p->arg, p->end_rc, p->end_fail, p->why);
}

/*
 * Keep this fetch as the mailbox's last (store: mailbox_fetches), also
 * when it found nothing or failed: the dashboard's mailboxes page shows
 * it.  A store that cannot keep it does not change how the poll ended.
 */
static void
fetch_record(struct poller *p, enum poller_failure f, const char *why)
{
	char name[sizeof(p->cur->base_key) + 256], summary[512];
	struct store_mailbox_fetch x = {.mailbox = name,
	                                .at = time(NULL),
	                                .outcome = poller_failure_name(f),
	                                .why = f == POLLER_OK ? "" : why,
	                                .messages = p->handled,
	                                .summary = summary};

	if (p->cur == NULL || p->ingest.store == NULL)
		return;
	/* the mailbox, not its UIDVALIDITY: one row across renumberings */
	if (p->url.proto == MAILBOX_IMAP)
		snprintf(name, sizeof(name), "%s/%s", p->cur->base_key,
		         p->url.folder);
	else
		mc_strlcpy(name, p->cur->base_key, sizeof(name));
	ingest_tally_brief(&p->tally, summary, sizeof(summary));
	(void)store_mailbox_fetch_put(p->ingest.store, &x);
}

/*
 * The end: rc and its kind, the words from the cursor or the conn.  A
 * session still up after a refusal or a store failure is ended politely
 * first (QUIT/LOGOUT; POP3 deletions asked for are of messages whose
 * effects are committed, so letting them happen loses nothing).
 */
static void
end(struct poller *p, int rc, enum poller_failure f, const char *why)
{
	struct timeval zero = {0, 0};

	if (p->closing) { /* the goodbye failed: the first words stand */
		evtimer_add(p->done_ev, &zero);
		return;
	}
	p->end_rc = rc;
	p->end_fail = f;
	if (why == NULL || why[0] == '\0')
		why =
		    p->cur && p->cur->mc ? mailbox_conn_error(p->cur->mc) : "";
	mc_strlcpy(p->why, why[0] ? why : mc_strerror(rc), sizeof(p->why));
	ingest_result_fini(&p->res);
	fetch_record(p, f, p->why);
	if ((f == POLLER_REFUSED || f == POLLER_STORE) && p->cur &&
	    p->cur->connected) {
		p->closing = true;
		p->state = P_CLOSE;
		if (p->cur->ops->close(p->cur) == 0)
			return; /* on_step ends it */
	}
	evtimer_add(p->done_ev, &zero);
}

/* A step's start: 0 waits for on_step; 1 (nothing to do) goes on now. */
static void
step(struct poller *p, enum pstate st, int rc)
{
	p->state = st;
	if (rc == 1) {
		on_step(p->cur, 0, p);
	} else if (rc < 0) {
		enum poller_failure f =
		    p->cur->note[0] ? POLLER_REFUSED : POLLER_LOST;
		end(p, rc, f, p->cur->note);
	}
}

/* The ingest seen record of item i. */
static struct ingest_seen
seen_of(struct poller *p, size_t i)
{
	return (struct ingest_seen){
	    .mailbox = p->cur->key,
	    .uid = p->cur->items[i].uid,
	    .will_dispose = p->del || p->move_to[0],
	};
}

/* After a message: dispose of it when handled, else on to the next. */
static void
after_message(struct poller *p)
{
	if (p->res.dispose && (p->del || p->move_to[0])) {
		step(p, P_DISPOSE, p->cur->ops->dispose(p->cur, p->i));
		return;
	}
	emit_message(p, NULL);
	p->i++;
	next_item(p);
}

/* A fetched message: ingest it (or remember it as too big). */
static void
fetched(struct poller *p)
{
	struct mailbox_cursor *cur = p->cur;
	struct ingest_seen seen = seen_of(p, p->i);
	time_t now = time(NULL);
	char why[200];
	int rc;

	if (cur->gone) {
		if (cur->note[0])
			emit(p, POLLER_EV_NOTE, cur->note);
		p->i++;
		next_item(p);
		return;
	}
	if (cur->truncated) {
		if (cur->size)
			snprintf(why, sizeof(why),
			         "message of %llu bytes over the limit of %zu",
			         (unsigned long long)cur->size, p->max_size);
		else
			snprintf(why, sizeof(why),
			         "message over the limit of %zu bytes",
			         p->max_size);
		seen.will_dispose = false;
		rc = ingest_skip(&p->ingest, &seen, why, now, &p->res);
	} else {
		rc = ingest_message(&p->ingest, (const char *)cur->data,
		                    cur->len, p->where, &seen, now, &p->res);
	}
	if (rc < 0) {
		end(p, rc, POLLER_STORE, store_error(p->ingest.store));
		return;
	}
	after_message(p);
}

/* A disposal answered. */
static void
disposed(struct poller *p)
{
	struct mailbox_cursor *cur = p->cur;
	const char *disp = NULL;
	int rc;

	if (cur->note[0])
		emit(p, POLLER_EV_NOTE, cur->note);
	if (cur->disposed && cur->at_close) {
		mc_strlcpy(p->pending[p->npending++], cur->items[p->i].uid,
		           sizeof(p->pending[0]));
		disp = "deleted";
	} else if (cur->disposed) {
		rc = store_mailbox_seen_put(p->ingest.store, cur->key,
		                            cur->items[p->i].uid,
		                            STORE_SEEN_DONE, NULL, time(NULL));
		if (rc < 0) {
			end(p, rc, POLLER_STORE, store_error(p->ingest.store));
			return;
		}
		p->tally.disposed++;
		disp = p->del ? "deleted" : "moved";
	}
	emit_message(p, disp);
	p->i++;
	next_item(p);
}

/* The listing is there: the first item. */
static void
listed(struct poller *p)
{
	free(p->pending);
	p->pending = xcalloc(p->cur->nitems + 1, sizeof(*p->pending));
	p->npending = 0;
	p->i = 0;
	next_item(p);
}

/* Wait for new mail, or close when the time is up. */
static void
wait_or_close(struct poller *p)
{
	uint32_t ms = IDLE_PERIOD_MS;

	if (p->idle && p->cur->ops->wait) {
		time_t now = time(NULL);
		if (!p->idle_end || now < p->idle_end) {
			if (p->idle_end &&
			    (uint64_t)(p->idle_end - now) * 1000 < ms)
				ms = (uint32_t)(p->idle_end - now) * 1000;
			emit(p, POLLER_EV_IDLE, NULL);
			step(p, P_WAIT, p->cur->ops->wait(p->cur, ms));
			return;
		}
	}
	step(p, P_CLOSE, p->cur->ops->close(p->cur));
}

/* The next item not handled yet, or the end of the pass. */
static void
next_item(struct poller *p)
{
	struct mailbox_cursor *cur = p->cur;
	int state, rc;

	for (; p->i < cur->nitems; p->i++) {
		snprintf(p->where, sizeof(p->where), "%s:%s",
		         cur->ops == &mailbox_pop3_ops ? "uidl" : "uid",
		         cur->items[p->i].uid);
		emit(p, POLLER_EV_PROGRESS, NULL);
		rc = store_mailbox_seen_get(p->ingest.store, cur->key,
		                            cur->items[p->i].uid, &state);
		if (rc == MC_ENOTFOUND) {
			step(p, P_FETCH, cur->ops->fetch(cur, p->i));
			return;
		}
		if (rc < 0) {
			end(p, rc, POLLER_STORE, store_error(p->ingest.store));
			return;
		}
		p->tally.already++;
		if (state == STORE_SEEN_DONE)
			continue;
		/* Handled before, its move or deletion not confirmed. */
		memset(&p->res, 0, sizeof(p->res));
		p->res.kind = INGEST_ALREADY;
		p->res.dispose = true;
		p->tally.already--; /* emit_message counts it */
		after_message(p);
		return;
	}
	wait_or_close(p);
}

/* POP3 deletions are done once QUIT is: remember them so. */
static void
closed_ok(struct poller *p)
{
	for (size_t k = 0; k < p->npending; k++) {
		int rc = store_mailbox_seen_put(p->ingest.store, p->cur->key,
		                                p->pending[k], STORE_SEEN_DONE,
		                                NULL, time(NULL));
		if (rc < 0) {
			end(p, rc, POLLER_STORE, store_error(p->ingest.store));
			return;
		}
		p->tally.disposed++;
	}
	end(p, 0, POLLER_OK, "");
}

/* A cursor step ended. */
static void
on_step(struct mailbox_cursor *cur, int rc, void *arg)
{
	struct poller *p = arg;

	if (rc < 0) {
		enum poller_failure f = p->state == P_CONNECT ? POLLER_LOGIN
		                        : cur->note[0]        ? POLLER_REFUSED
		                                              : POLLER_LOST;
		end(p, rc, f, cur->note);
		return;
	}
	switch (p->state) {
	case P_CONNECT:
		if (mailbox_conn_tls_info(cur->mc)[0])
			emit(p, POLLER_EV_TLS, mailbox_conn_tls_info(cur->mc));
		explicit_bzero(p->secret, sizeof(p->secret));
		step(p, P_OPEN, cur->ops->open ? cur->ops->open(cur) : 1);
		break;
	case P_OPEN:
		step(p, P_LIST, cur->ops->list(cur));
		break;
	case P_LIST:
		listed(p);
		break;
	case P_FETCH:
		fetched(p);
		break;
	case P_DISPOSE:
		disposed(p);
		break;
	case P_WAIT:
		if (cur->woke)
			step(p, P_LIST, cur->ops->list(cur));
		else
			wait_or_close(p);
		break;
	case P_CLOSE:
		if (p->closing)
			end(p, 0, POLLER_OK, NULL);
		else
			closed_ok(p);
		break;
	}
}

/* Start polling. */
int
poller_start(struct poller *p, struct event_base *base,
             poller_event_fn *on_event, poller_done_fn *on_done, void *arg)
{
	int rc;

	if (p->cur != NULL || on_done == NULL)
		return MC_EINVAL;
	p->base = base;
	p->on_event = on_event;
	p->on_done = on_done;
	p->arg = arg;
	p->done_ev = evtimer_new(base, on_done_ev, p);
	p->state = P_CONNECT;
	p->idle_end = p->idle_max ? time(NULL) + p->idle_max : 0;
	rc = mailbox_cursor_open(&p->ccfg, base, on_step, p, &p->cur);
	if (rc < 0)
		return rc;
	p->cur->folder = p->url.folder;
	p->cur->move_to = p->move_to[0] ? p->move_to : NULL;
	p->cur->del = p->del;
	/* The memory's key names the mailbox, not the way to it: POP3 and
	 * POP3S (or another port, a proxy) reach the same messages. */
	snprintf(p->cur->base_key, sizeof(p->cur->base_key), "%s://%s@%s",
	         p->url.proto == MAILBOX_POP3 ? "pop3" : "imap", p->url.user,
	         p->url.host);
	return 0;
}

/* The counts so far. */
const struct ingest_tally *
poller_tally(const struct poller *p)
{
	return &p->tally;
}

/* Stop and free. */
void
poller_free(struct poller *p)
{
	if (p == NULL)
		return;
	mailbox_cursor_free(p->cur);
	if (p->done_ev)
		event_free(p->done_ev);
	if (p->ctx)
		SSL_CTX_free(p->ctx);
	ingest_result_fini(&p->res);
	free(p->pending);
	explicit_bzero(p->secret, sizeof(p->secret));
	free(p);
}

/* What poller_run() hands its callbacks. */
struct run_ctx {
	poller_event_fn *on_event;
	void *arg;
	struct poller_outcome *out;
	struct event_base *base;
};

/* poller_run()'s on_event: the caller's. */
static void
run_event(void *arg, const struct poller_event *ev)
{
	struct run_ctx *r = arg;

	r->on_event(r->arg, ev);
}

/* poller_run()'s on_done: the outcome. */
static void
run_done(void *arg, int rc, enum poller_failure f, const char *why)
{
	struct poller_outcome *out = ((struct run_ctx *)arg)->out;

	out->rc = rc;
	out->failure = f;
	snprintf(out->why, sizeof(out->why), "%s", why ? why : "");
	/* Done, even while a refused session's socket is still open. */
	event_base_loopexit(((struct run_ctx *)arg)->base, NULL);
}

/* A whole poll on a base of its own (see poller.h). */
int
poller_run(struct poller_config *cfg, const char *pwfile,
           poller_event_fn *on_event, void *arg, struct poller_outcome *out,
           char *err, size_t errsz)
{
	char secret[1024];
	struct run_ctx ctx = {on_event, arg, out, NULL};
	struct event_base *base;
	struct poller *p;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = poller_config_check(cfg, err, errsz)) < 0)
		return rc;
	if (secret_read(pwfile, "MAILCAST_MAILBOX_PASSWORD", secret,
	                sizeof(secret), err, errsz) != 0)
		return MC_ECONFIG;
	cfg->secret = secret;
	p = poller_new(cfg, &rc, err, errsz);
	explicit_bzero(secret, sizeof(secret));
	cfg->secret = NULL;
	if (p == NULL)
		return rc;
	if ((base = event_base_new()) == NULL) {
		poller_free(p);
		snprintf(err, errsz, "out of memory");
		return MC_ENOMEM;
	}
	ctx.base = base;
	out->rc = MC_EIO;
	out->failure = POLLER_LOST;
	if ((rc = poller_start(p, base, run_event, run_done, &ctx)) == 0)
		event_base_dispatch(base);
	else
		snprintf(err, errsz, "the poll could not start");
	out->tally = *poller_tally(p);
	poller_free(p);
	event_base_free(base);
	return rc;
}
