/*
 * engine.c — the campaign runner of engine.h.
 *
 * Threads: the event loop thread owns the store, the router, the
 * destination queues and every connection; N render threads take jobs
 * from a queue, render and sign them, and hand them back through a list
 * and an eventfd.  A job is one ledger row from lease to recorded outcome;
 * "window" jobs at most are in memory, which bounds memory whatever the
 * campaign's size.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "bounce/policy.h"
#include "dns/dns.h"
#include "engine/engine.h"
#include "engine/route.h"
#include "msg/template.h"
#include "net/smtp_conn.h"

#define LEASE_FIRST   32   /* the first batch: a fast first message */
#define LEASE_BATCH   256  /* rows leased at once */
#define COMMIT_US     0    /* marks and outcomes wait at most this long */
#define WINDOW        1024 /* jobs in memory at most */
#define FLUSH_AT      256  /* outcomes recorded in one commit */
#define TICK_MS       10
#define HOUSEKEEP_MS  100
#define PROGRESS_MS   250
#define LOCAL_TRIES   3  /* never-started transactions before deferral */
#define CONN_FAILS    3  /* connection failures before queued jobs defer */
#define PENALTY_MAX   4  /* slowdown steps: connections and rate / 2^p */
#define RECOVER_AFTER 50 /* deliveries without a 4xx to undo one step */
#define IDLE_QUIT_MS  2000
#define RATE_BURST_MS 50.0

static const unsigned default_schedule[] = {60,   300,  900,  1800,
                                            3600, 7200, 14400};

struct dest;
struct engine;

struct job {
	struct job *next;
	struct engine *e;
	struct store_delivery d;
	struct dest *dest;
	struct buf body;
	char mail_from[400];
	char token[TOKEN_MAX + 1];
	struct smtp_rcpt rcpt;
	struct smtp_txn txn;
	unsigned local_tries;
	struct econn *conn;        /* waiting for its inflight mark to commit */
	bool released;             /* back to pending, not recorded */
	enum bounce_action action; /* a 5xx: the bounce policy's call */
	/* the outcome */
	enum store_dlv_state state;
	int code;
	char enh[16];
	char text[512];
	char relay[400];
	char queue_id[64];
	time_t next_attempt;
};

struct jobq {
	struct job *head, *tail;
	size_t n;
};

struct econn {
	struct econn *next;
	struct engine *e;
	struct dest *dest;
	const struct route_host *host; /* the one connected to */
	struct smtp_conn *c;
	struct smtp_conn_config cfg;
	bool ready, quitting;
	unsigned inflight, used;
	uint64_t idle_since;
	char peer[96];
};

struct dest {
	struct dest *next;
	char key[512];
	const struct route *route;
	struct jobq q;
	struct econn *conns;
	unsigned nconns, nready;
	unsigned penalty, ok_streak, fail_streak;
	unsigned host_idx;
	unsigned rr;        /* round robin over equal-preference MX hosts */
	unsigned bad;       /* bit i: host i failed its last connection */
	unsigned conns_max; /* its connection cap (the relay's or global) */
	double rate;        /* its messages/s (0: none) */
	uint64_t backoff_until;
	double next_ms; /* pacing of the destination's rate */
	char last_err[256];
};

struct rpool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct jobq in, out;
	bool quit;
	int efd;
	struct event *ev;
	pthread_t th[ENGINE_THREADS_MAX];
	unsigned nth;
	size_t busy; /* jobs in the pool (in, rendering, out) */
};

struct engine {
	const struct engine_config *cfg;
	struct event_base *base;
	struct event *tick;
	struct router *router;
	struct dns_resolver *dns;
	const struct mc_clock *clock;
	struct tmpl *tmpl;
	char **fields;
	size_t nfields;
	struct token_key tkey;
	const struct token_key *key;
	struct dest *dests;
	struct rpool pool;
	struct jobq done;       /* outcomes to record */
	struct jobq tosubmit;   /* to mark inflight, then submit */
	struct jobq submitting; /* marked, being handed to connections */
	struct event *commit_ev;
	bool commit_pending;
	size_t window; /* jobs in memory */
	uint64_t start_ms, next_lease_ms, last_flush_ms, last_progress_ms;
	double g_next_ms; /* pacing of the global rate */
	bool exhausted, stopping, finished, failed, leased_once;
	bool lingered;   /* only deferred rows left, due after the linger */
	time_t next_due; /* lingered: when the next one is due */
	int err;
	char errbuf[512];
	struct engine_progress p;
	unsigned long total_known;
	double first_ms;
	unsigned long recovered;
	unsigned pipeline, conns_max;
	struct store_delivery lease_buf[LEASE_BATCH];
};

static void dest_dispatch(struct engine *e, struct dest *d);
static void job_finish(struct engine *e, struct job *j);
static void commit_soon(struct engine *e);
static int record_send_bounce(struct store *s, struct engine *e,
                              const struct job *j, time_t now);

static char owner_name[300];

/* "mailcast@HOST:PID", this process's lease owner name. */
const char *
engine_owner(void)
{
	char host[256];

	if (owner_name[0] == '\0') {
		if (gethostname(host, sizeof(host)) != 0)
			mc_strlcpy(host, "localhost", sizeof(host));
		host[sizeof(host) - 1] = '\0';
		snprintf(owner_name, sizeof(owner_name), "mailcast@%s:%ld",
		         host, (long)getpid());
	}
	return owner_name;
}

/* Append j to the tail of q. */
static void
jobq_push(struct jobq *q, struct job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->n++;
}

/* Put j back at the head of q. */
static void
jobq_unshift(struct jobq *q, struct job *j)
{
	j->next = q->head;
	q->head = j;
	if (q->tail == NULL)
		q->tail = j;
	q->n++;
}

/* Take the head of q, or NULL. */
static struct job *
jobq_pop(struct jobq *q)
{
	struct job *j = q->head;

	if (j == NULL)
		return NULL;
	q->head = j->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->n--;
	j->next = NULL;
	return j;
}

/* Monotonic milliseconds. */
static uint64_t
now_ms(struct engine *e)
{
	return mc_clock_mono_ms(e->clock);
}

/* Free a job and what it owns. */
static void
job_free(struct job *j)
{
	store_deliveries_fini(&j->d, 1);
	buf_fini(&j->body);
	free(j);
}

/* Note the first error of the run; the loop stops. */
static void
engine_fail(struct engine *e, int err, const char *what, const char *detail)
{
	if (e->err == 0) {
		e->err = err;
		snprintf(e->errbuf, sizeof(e->errbuf), "%s%s", what, detail);
	}
	e->failed = true;
	event_base_loopbreak(e->base);
}

/* ---- retry schedule and outcomes ---- */

/* Seconds before the retry that follows attempt n (1-based). */
static unsigned
retry_delay(const struct engine_retry *r, int n)
{
	const unsigned *s = r->n ? r->schedule : default_schedule;
	size_t ns =
	    r->n ? r->n
	         : sizeof(default_schedule) / sizeof(default_schedule[0]);
	size_t i = n <= 0 ? 0 : (size_t)(n - 1);

	return s[i < ns ? i : ns - 1];
}

/* Seconds a row has been deferred after attempt n, by the schedule. */
static unsigned long
retry_age(const struct engine_retry *r, int n)
{
	unsigned long age = 0;

	for (int i = 1; i < n; i++)
		age += retry_delay(r, i);
	return age;
}

/* Settle j as deferred, or failed when the schedule is used up. */
static void
job_defer(struct engine *e, struct job *j, int code, const char *enh,
          const char *text)
{
	const struct engine_retry *r = &e->cfg->retry;
	unsigned max_age = r->max_age ? r->max_age : 5 * 86400;
	int attempt = j->d.attempts + 1;
	unsigned delay = retry_delay(r, attempt);

	j->code = code;
	mc_strlcpy(j->enh, enh ? enh : "", sizeof(j->enh));
	if (retry_age(r, attempt) + delay > max_age) {
		j->state = DLV_FAILED;
		snprintf(j->text, sizeof(j->text),
		         "gave up after %d attempts: %s", attempt, text);
	} else {
		j->state = DLV_DEFERRED;
		mc_strlcpy(j->text, text, sizeof(j->text));
		j->next_attempt = mc_clock_wall(e->clock) + (time_t)delay;
	}
	job_finish(e, j);
}

/* Settle j with a final state. */
static void
job_settle(struct engine *e, struct job *j, enum store_dlv_state st, int code,
           const char *enh, const char *text)
{
	j->state = st;
	j->code = code;
	mc_strlcpy(j->enh, enh ? enh : "", sizeof(j->enh));
	mc_strlcpy(j->text, text ? text : "", sizeof(j->text));
	job_finish(e, j);
}

/* An outcome is known: count it and queue it for the ledger. */
static void
job_finish(struct engine *e, struct job *j)
{
	switch (j->state) {
	case DLV_SENT:
		e->p.sent++;
		break;
	case DLV_DEFERRED:
		e->p.deferred++;
		break;
	case DLV_SUPPRESSED:
		e->p.suppressed++;
		break;
	default:
		e->p.failed++;
		break;
	}
	jobq_push(&e->done, j);
}

/* Commit the queued outcomes (and releases) in one transaction. */
static void
ledger_flush(struct engine *e)
{
	struct store *s = e->cfg->store;
	struct store_outcome *o;
	int64_t *rel;
	size_t n = 0, nrel = 0, moved;
	time_t now = mc_clock_wall(e->clock);
	struct job *j;
	int err;

	e->last_flush_ms = now_ms(e);
	if (e->done.n == 0 && e->tosubmit.n == 0)
		return;
	o = xcalloc(e->done.n + 1, sizeof(*o));
	rel = xcalloc(e->done.n + 1, sizeof(*rel));
	int64_t *mark = xcalloc(e->tosubmit.n + 1, sizeof(*mark));
	size_t nmark = 0;
	for (j = e->tosubmit.head; j; j = j->next)
		mark[nmark++] = j->d.id;
	for (j = e->done.head; j; j = j->next) {
		if (j->released) {
			rel[nrel++] = j->d.id;
			continue;
		}
		o[n].id = j->d.id;
		o[n].state = j->state;
		o[n].reply_code = j->code;
		o[n].enhanced = j->enh[0] ? j->enh : NULL;
		o[n].text = j->text[0] ? j->text : NULL;
		o[n].relay = j->relay[0] ? j->relay : NULL;
		o[n].queue_id = j->queue_id[0] ? j->queue_id : NULL;
		o[n].next_attempt = j->next_attempt;
		n++;
	}
	err = store_begin(s);
	for (j = e->done.head; err == 0 && j; j = j->next) {
		int added;

		if (j->action == BOUNCE_ACTION_SUPPRESS && !j->released)
			err = store_supp_add(s, j->d.address, SUPP_HARD_BOUNCE,
			                     "campaign", now, &added);
		if (err == 0 && !j->released && j->state == DLV_FAILED &&
		    j->code >= 500)
			err = record_send_bounce(s, e, j, now);
	}
	if (err == 0 && n)
		err = store_record(s, o, n, now);
	if (err == 0 && nrel)
		err = store_release(s, e->cfg->campaign_id, engine_owner(), rel,
		                    nrel, NULL, now, &moved);
	if (err == 0 && nmark)
		err = store_mark_inflight(s, mark, nmark, engine_owner(), now,
		                          &moved);
	if (err == 0)
		err = store_commit(s);
	else
		store_rollback(s);
	free(o);
	free(rel);
	free(mark);
	if (err < 0) {
		engine_fail(e, err, "recording outcomes: ", store_error(s));
		return;
	}
	/* The marks are durable: now the messages may go.  Take the list
	 * first: a submit may call back into here. */
	e->submitting = e->tosubmit;
	memset(&e->tosubmit, 0, sizeof(e->tosubmit));
	while ((j = jobq_pop(&e->done)) != NULL) {
		if (j->state == DLV_DEFERRED || j->released) {
			/* rows are due again: look before calling it done */
			e->exhausted = false;
			e->next_lease_ms = 0;
		}
		job_free(j);
		e->window--;
	}
	while ((j = jobq_pop(&e->submitting)) != NULL) {
		struct econn *c = j->conn;

		j->conn = NULL;
		if (c == NULL) {
			/* its connection closed meanwhile: queue it again */
			jobq_unshift(&j->dest->q, j);
			dest_dispatch(e, j->dest);
			continue;
		}
		if (e->first_ms == 0)
			e->first_ms = (double)(now_ms(e) - e->start_ms) + 0.001;
		smtp_conn_submit(c->c, &j->txn);
	}
}

/*
 * A 5xx at send time is a bounce like one that comes back later: it goes
 * into the same bounces table, so the soft-bounce threshold and the reports
 * see both.  What it means is the bounce policy's call (bounce/policy.h),
 * the same as for a returned bounce: "hard" when it suppresses, "soft" when
 * it counts, "policy" (recorded only) for sender-side and content refusals.
 */
static int
record_send_bounce(struct store *s, struct engine *e, const struct job *j,
                   time_t now)
{
	char diag[1200];
	struct store_bounce b = {
	    .campaign_id = e->cfg->campaign_id,
	    .contact_id = j->d.contact_id,
	    .address = j->d.address,
	    .kind = j->action == BOUNCE_ACTION_SUPPRESS     ? "hard"
	            : j->action == BOUNCE_ACTION_COUNT_SOFT ? "soft"
	                                                    : "policy",
	    .status = j->enh[0] ? j->enh : NULL,
	    .diagnostic = diag,
	    .received = now,
	};

	snprintf(diag, sizeof(diag), "%d%s%s %s (at send time, %s)", j->code,
	         j->enh[0] ? " " : "", j->enh, j->text,
	         j->relay[0] ? j->relay : "relay");
	return store_bounce_add(s, &b);
}

/* Commit marks and outcomes within COMMIT_US: a group commit. */
static void
on_commit(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;

	(void)fd;
	(void)what;
	e->commit_pending = false;
	if (!e->failed)
		ledger_flush(e);
}

static void
commit_soon(struct engine *e)
{
	struct timeval tv = {0, COMMIT_US};

	if (e->commit_pending || e->commit_ev == NULL)
		return;
	e->commit_pending = true;
	evtimer_add(e->commit_ev, &tv);
}

/* A connection goes away: jobs waiting for it are queued again. */
static void
forget_conn(struct engine *e, struct econn *c)
{
	for (struct job *j = e->tosubmit.head; j; j = j->next)
		if (j->conn == c)
			j->conn = NULL;
	for (struct job *j = e->submitting.head; j; j = j->next)
		if (j->conn == c)
			j->conn = NULL;
}

/* ---- the render pool ---- */

/* Render one job: values from its attributes, token, message, DKIM. */
static void
render_job(struct engine *e, struct msg_render *r, struct dkim_signer *sig,
           struct buf *tmp, struct job *j)
{
	const char *token = j->token;
	struct tmpl_value *vals = xcalloc(e->nfields + 1, sizeof(*vals));
	struct msg_recipient rcpt;
	json_t *attrs = json_loads(j->d.attrs ? j->d.attrs : "{}", 0, NULL);
	time_t now = mc_clock_wall(e->clock);
	int rc;

	for (size_t i = 0; i < e->nfields && attrs; i++) {
		json_t *v = json_object_get(attrs, e->fields[i]);

		if (json_is_string(v)) {
			vals[i].s = json_string_value(v);
			vals[i].len = json_string_length(v);
		}
	}
	memset(&rcpt, 0, sizeof(rcpt));
	rcpt.email = j->d.address;
	rcpt.token = token;
	rcpt.campaign_id = (uint64_t)e->cfg->campaign_id;
	rcpt.contact_id = (uint64_t)j->d.contact_id;
	rcpt.values = vals;
	rcpt.nvalues = e->nfields;
	buf_reset(tmp);
	rc = msg_render_one(r, e->tmpl, &rcpt, now, tmp);
	if (rc == 0 && sig != NULL) {
		buf_reset(&j->body);
		rc = dkim_sign(sig, (const char *)buf_data(tmp), buf_len(tmp),
		               now, &j->body);
		if (rc < 0)
			snprintf(j->text, sizeof(j->text), "DKIM: %s",
			         dkim_signer_error(sig));
	} else if (rc < 0) {
		snprintf(j->text, sizeof(j->text), "%s", msg_render_error(r));
	}
	if (rc == 0) {
		buf_append(&j->body, buf_data(tmp), buf_len(tmp));
		if (e->cfg->from && (e->cfg->bounce_domain == NULL))
			mc_strlcpy(j->mail_from, e->cfg->from,
			           sizeof(j->mail_from));
		else
			msg_verp_sender(token,
			                e->cfg->bounce_domain
			                    ? e->cfg->bounce_domain
			                    : tmpl_from_domain(e->tmpl),
			                j->mail_from, sizeof(j->mail_from));
	} else {
		j->state = DLV_FAILED;
	}
	json_decref(attrs);
	free(vals);
}

/* A render thread: take jobs until told to quit. */
static void *
render_main(void *arg)
{
	struct engine *e = arg;
	struct rpool *p = &e->pool;
	struct msg_render *r = msg_render_new();
	struct dkim_signer *sig = NULL;
	struct buf tmp;

	buf_init(&tmp);
	if (e->cfg->ndkim) {
		sig = dkim_signer_new();
		for (size_t i = 0; i < e->cfg->ndkim; i++)
			dkim_signer_add(sig, e->cfg->dkim[i]);
	}
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct job *j;
		bool wake;

		while (p->in.head == NULL && !p->quit)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->quit)
			break;
		j = jobq_pop(&p->in);
		pthread_mutex_unlock(&p->mu);
		render_job(e, r, sig, &tmp, j);
		pthread_mutex_lock(&p->mu);
		wake = p->out.head == NULL;
		jobq_push(&p->out, j);
		if (wake) {
			uint64_t one = 1;

			if (write(p->efd, &one, sizeof(one)) < 0)
				(void)0; /* the counter is saturated: awake */
		}
	}
	pthread_mutex_unlock(&p->mu);
	buf_fini(&tmp);
	dkim_signer_free(sig);
	msg_render_free(r);
	return NULL;
}

/* Route found for a job's domain: queue it (render first). */
static void
pool_submit(struct engine *e, struct job *j)
{
	struct rpool *p = &e->pool;

	pthread_mutex_lock(&p->mu);
	jobq_push(&p->in, j);
	p->busy++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* The relay settings of host h, or NULL (global settings). */
static const struct engine_relay *
host_relay(const struct engine *e, const struct route_host *h)
{
	if (e->cfg->relay_cfg == NULL || h->relay == 0 ||
	    h->relay > e->cfg->nrelays)
		return NULL;
	return &e->cfg->relay_cfg[h->relay - 1];
}

/* The destination for a route (made on first use). */
static struct dest *
dest_get(struct engine *e, const struct route *r)
{
	const struct engine_relay *rc;
	struct dest *d;

	for (d = e->dests; d; d = d->next)
		if (d->route == r || strcmp(d->key, r->key) == 0)
			return d;
	d = xcalloc(1, sizeof(*d));
	mc_strlcpy(d->key, r->key, sizeof(d->key));
	d->route = r;
	d->conns_max = e->conns_max;
	d->rate = e->cfg->limits.dest_rate;
	if (r->nhosts && (rc = host_relay(e, &r->hosts[0])) != NULL) {
		if (rc->conns)
			d->conns_max = rc->conns;
		if (rc->rate > 0)
			d->rate = rc->rate;
	}
	d->next = e->dests;
	e->dests = d;
	return d;
}

/* Rendered jobs are back: each joins its destination's queue. */
static void
pool_ready(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;
	struct rpool *p = &e->pool;
	struct jobq got;
	struct job *j;
	uint64_t v;

	(void)what;
	if (read(fd, &v, sizeof(v)) < 0)
		(void)0; /* nothing to read: spurious */
	pthread_mutex_lock(&p->mu);
	got = p->out;
	memset(&p->out, 0, sizeof(p->out));
	p->busy -= got.n;
	pthread_mutex_unlock(&p->mu);
	while ((j = jobq_pop(&got)) != NULL) {
		if (e->stopping) {
			j->released = true;
			jobq_push(&e->done, j);
		} else if (j->state == DLV_FAILED) {
			job_settle(e, j, DLV_FAILED, 0, NULL, j->text);
		} else {
			jobq_push(&j->dest->q, j);
		}
	}
	for (struct dest *d = e->dests; d; d = d->next)
		if (d->q.n)
			dest_dispatch(e, d);
}

/* ---- connections ---- */

/* The configured pipeline depth and connection cap, slowed by penalty. */
static unsigned
dest_conn_cap(struct dest *d)
{
	unsigned cap = d->conns_max >> d->penalty;

	return cap ? cap : 1;
}

/* Back the destination off after a 421 or a failed connection. */
static void
dest_backoff(struct engine *e, struct dest *d, unsigned step)
{
	unsigned max =
	    e->cfg->retry.backoff_max_ms ? e->cfg->retry.backoff_max_ms : 60000;
	uint64_t ms = 250ull << (step > 10 ? 10 : step);

	if (ms > max)
		ms = max;
	d->backoff_until = now_ms(e) + ms;
}

/* Slow the destination down one step (4xx, 421). */
static void
dest_slow(struct dest *d)
{
	if (d->penalty < PENALTY_MAX)
		d->penalty++;
	d->ok_streak = 0;
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
}

/* The session is up: submit. */
static void
on_ready(struct smtp_conn *conn, void *arg)
{
	struct econn *c = arg;

	c->ready = true;
	c->dest->nready++;
	c->dest->fail_streak = 0;
	c->dest->bad &= ~(1u << (c->host - c->dest->route->hosts));
	snprintf(c->peer, sizeof(c->peer), "%s", smtp_conn_peer(conn));
	c->idle_since = 0;
	dest_dispatch(c->e, c->dest);
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

	c->inflight--;
	if (!t->attempted || smtp_conn_client(conn) == NULL ||
	    smtp_client_last_error(smtp_conn_client(conn))[0] != '\0')
		c->quitting = true; /* the session is over: submit no more */
	if (c->inflight == 0)
		c->idle_since = now_ms(e);
	snprintf(j->relay, sizeof(j->relay), "%s%s%s", c->host->name,
	         c->peer[0] ? " " : "", c->peer);
	if (!t->attempted) {
		/* never started (the session died before it): try again */
		if (++j->local_tries >= LOCAL_TRIES) {
			char why[600];

			snprintf(why, sizeof(why), "not sent: %s",
			         r->text[0] ? r->text : "connection lost");
			job_defer(e, j, 0, NULL, why);
		} else {
			jobq_unshift(&d->q, j);
		}
	} else if (j->rcpt.state == SMTP_RCPT_DELIVERED) {
		mc_strlcpy(j->queue_id, t->queue_id, sizeof(j->queue_id));
		job_settle(e, j, DLV_SENT,
		           t->result.code ? t->result.code : 250, t->result.enh,
		           t->result.text);
		if (d->penalty && ++d->ok_streak >= RECOVER_AFTER) {
			d->penalty--;
			d->ok_streak = 0;
		}
	} else if (r->code >= 500) {
		struct bounce_verdict v;

		j->action = bounce_policy_reply(r->code, r->enh, r->text, &v);
		job_settle(e, j, DLV_FAILED, r->code, r->enh, r->text);
	} else if (r->code >= 400) {
		dest_slow(d);
		job_defer(e, j, r->code, r->enh, r->text);
	} else {
		char why[600];

		snprintf(why, sizeof(why), "connection: %s",
		         r->text[0] ? r->text : mc_strerror(r->err));
		job_defer(e, j, 0, NULL, why);
	}
	if (e->done.n >= FLUSH_AT)
		ledger_flush(e);
	else
		commit_soon(e);
	dest_dispatch(e, d);
}

/* The connection is over. */
static void
on_closed(struct smtp_conn *conn, int err, const char *why, void *arg)
{
	struct econn *c = arg;
	struct dest *d = c->dest;
	struct engine *e = c->e;

	if (!c->ready && !e->cfg->direct &&
	    (err == MC_ECERT || err == MC_EAUTH)) {
		/* The relay's certificate is not trusted, or it refused our
		 * credentials: retrying cannot help, the configuration must
		 * change.  Stop the run (rows go back on the next start). */
		engine_fail(e, err, "", why && *why ? why : mc_strerror(err));
	} else if (!c->ready) {
		/* connect, greeting or EHLO failed: fail over, back off */
		d->fail_streak++;
		snprintf(d->last_err, sizeof(d->last_err), "%s",
		         why && *why ? why : mc_strerror(err));
		/* fail over once per failed host: several connections
		 * failing together must not rotate back to it */
		d->bad |= 1u << (c->host - d->route->hosts);
		if (d->route->nhosts > 1 &&
		    c->host == &d->route->hosts[d->host_idx])
			d->host_idx = (d->host_idx + 1) % d->route->nhosts;
		dest_backoff(e, d, d->fail_streak);
		if (d->fail_streak >=
		    CONN_FAILS * (d->route->nhosts ? d->route->nhosts : 1)) {
			struct job *j;
			char txt[600];

			snprintf(txt, sizeof(txt), "connection failed: %s",
			         d->last_err);
			while ((j = jobq_pop(&d->q)) != NULL)
				job_defer(e, j, 0, NULL, txt);
		}
	} else if (err != 0) {
		const struct smtp_result *lr =
		    smtp_conn_client(conn)
		        ? smtp_client_last_reply(smtp_conn_client(conn))
		        : NULL;

		if (lr && lr->code == 421) {
			dest_slow(d);
			dest_backoff(e, d, d->penalty);
		}
	}
	conn_unlink(c);
	forget_conn(e, c);
	smtp_conn_free(conn);
	free(c);
	e->p.conns--;
	dest_dispatch(e, d);
}

/* MAILCAST_TRACE=1: every command and reply line on stderr. */
static void
conn_trace(void *arg, char dir, const char *line, size_t len)
{
	fprintf(stderr, "%p %c: %.*s\n", arg, dir, (int)len, line);
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

/* Open one more connection to d. */
static void
conn_open(struct engine *e, struct dest *d)
{
	static const struct smtp_conn_cbs cbs = {on_ready, on_txn_done,
	                                         on_closed};
	const struct route_host *h = dest_pick_host(e, d);
	const struct engine_relay *rc = host_relay(e, h);
	struct econn *c = xcalloc(1, sizeof(*c));
	unsigned t = e->cfg->timeout_ms;

	c->e = e;
	c->dest = d;
	c->host = h;
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
	if (getenv("MAILCAST_TRACE") != NULL) {
		c->cfg.smtp.trace = conn_trace;
		c->cfg.smtp.trace_arg = c;
	}
	if (t) {
		struct smtp_timeouts *to = &c->cfg.smtp.timeouts;

		to->greeting = to->command = to->mail = to->rcpt = t;
		to->data = to->block = to->dot = t;
	}
	c->next = d->conns;
	d->conns = c;
	d->nconns++;
	e->p.conns++;
	c->c = smtp_conn_new(e->base, &c->cfg, &cbs, c);
}

/* May another message go now under the global and d's rate? */
static bool
rate_ok(struct engine *e, struct dest *d, double now)
{
	return now >= e->g_next_ms && now >= d->next_ms;
}

/* One message goes: advance the pacing clocks. */
static void
rate_take(struct engine *e, struct dest *d, double now)
{
	double rate = e->cfg->limits.rate;
	double drate = d->rate;

	if (rate > 0) {
		if (e->g_next_ms < now - RATE_BURST_MS)
			e->g_next_ms = now - RATE_BURST_MS;
		e->g_next_ms += 1000.0 / rate;
	}
	if (drate > 0 || d->penalty) {
		/* a slowed destination without a rate gets one from its
		 * penalty: 200/s halved per step */
		double r = drate > 0 ? drate : 200.0 * 16;

		r /= (double)(1u << d->penalty);
		if (d->next_ms < now - RATE_BURST_MS)
			d->next_ms = now - RATE_BURST_MS;
		d->next_ms += 1000.0 / r;
	}
}

/* Submit queued jobs to ready connections; open connections as needed. */
static void
dest_dispatch(struct engine *e, struct dest *d)
{
	uint64_t now;
	bool limited = false;
	unsigned connecting;

	if (e == NULL || d == NULL || e->failed)
		return;
	now = now_ms(e);
	for (struct econn *c = d->conns; c; c = c->next) {
		const struct engine_relay *rc = host_relay(e, c->host);
		unsigned per =
		    rc && rc->per_conn ? rc->per_conn : e->cfg->limits.per_conn;

		if (!c->ready || c->quitting)
			continue;
		while (d->q.head && c->inflight < e->pipeline &&
		       (per == 0 || c->used < per)) {
			struct job *j;

			if (!rate_ok(e, d, (double)now)) {
				limited = true;
				break;
			}
			j = jobq_pop(&d->q);
			rate_take(e, d, (double)now);
			memset(&j->txn, 0, sizeof(j->txn));
			memset(&j->rcpt, 0, sizeof(j->rcpt));
			j->rcpt.addr = j->d.address;
			j->txn.mail_from = j->mail_from;
			j->txn.rcpts = &j->rcpt;
			j->txn.nrcpts = 1;
			j->txn.body = buf_data(&j->body);
			j->txn.body_len = buf_len(&j->body);
			j->txn.user = j;
			c->inflight++;
			c->used++;
			j->conn = c;
			jobq_push(&e->tosubmit, j);
			commit_soon(e);
		}
		if (c->inflight == 0 &&
		    ((per && c->used >= per) || (e->stopping && !d->q.head))) {
			c->quitting = true;
			smtp_conn_quit(c->c);
		}
	}
	if (limited || d->q.n == 0 || now < d->backoff_until || e->stopping)
		return;
	connecting = d->nconns - d->nready;
	while (d->q.n > (size_t)connecting * e->pipeline &&
	       d->nconns < dest_conn_cap(d)) {
		conn_open(e, d);
		connecting++;
	}
}

/* ---- leasing ---- */

/* Route answered for a leased job. */
static void
on_route(void *arg, const char *domain, const struct route *r)
{
	struct job *j = arg;
	struct engine *e = j->e;

	(void)domain;
	if (r->status == ROUTE_FAIL) {
		job_settle(e, j, DLV_FAILED, 0, NULL, r->why);
	} else if (r->status == ROUTE_DEFER) {
		job_defer(e, j, 0, NULL, r->why);
	} else if (r->nhosts == 0) {
		job_settle(e, j, DLV_FAILED, 0, NULL, "no host to deliver to");
	} else {
		j->dest = dest_get(e, r);
		pool_submit(e, j);
	}
}

/* Compile the template with the attribute names of the first rows. */
static int
template_ready(struct engine *e, const struct store_delivery *rows, size_t n)
{
	struct tmpl_options opt;
	size_t cap = 0;
	char err[TMPL_ERR_MAX];
	int rc;

	if (e->tmpl)
		return 0;
	for (size_t i = 0; i < n; i++) {
		json_t *a =
		    json_loads(rows[i].attrs ? rows[i].attrs : "{}", 0, NULL);
		const char *k;
		json_t *v;

		json_object_foreach(a, k, v)
		{
			size_t f;

			for (f = 0; f < e->nfields; f++)
				if (strcmp(e->fields[f], k) == 0)
					break;
			if (f < e->nfields || e->nfields >= TMPL_FIELDS_MAX)
				continue;
			if (e->nfields == cap) {
				cap = cap ? cap * 2 : 16;
				e->fields = xreallocarray(e->fields, cap,
				                          sizeof(char *));
			}
			e->fields[e->nfields++] = xstrdup(k);
		}
		json_decref(a);
	}
	memset(&opt, 0, sizeof(opt));
	opt.campaign = e->cfg->campaign_name;
	opt.unsubscribe_url = e->cfg->unsubscribe_url;
	opt.unsubscribe_mailto = e->cfg->unsubscribe_mailto;
	rc = tmpl_load(e->cfg->template_path, (const char *const *)e->fields,
	               e->nfields, &opt, &e->tmpl, err, sizeof(err));
	if (rc < 0) {
		engine_fail(e, rc, "", err);
		return rc;
	}
	return 0;
}

/* Lease a batch, mark it inflight, commit, and start each row. */
static size_t
lease_batch(struct engine *e, size_t want)
{
	struct store *s = e->cfg->store;
	struct store_delivery *rows = e->lease_buf;
	time_t now = mc_clock_wall(e->clock);
	int64_t ids[LEASE_BATCH];
	size_t n = 0, moved = 0;
	int err;

	if ((err = store_begin(s)) == 0)
		err = store_lease(s, e->cfg->campaign_id, engine_owner(), now,
		                  ENGINE_LEASE_SECS, rows, want, &n);
	for (size_t i = 0; i < n; i++)
		ids[i] = rows[i].id;
	/* Leased, not yet inflight: a row is marked inflight (and that
	 * committed) only when it is handed to a connection, so a crash
	 * leaves as "fate unknown" only what was on its way. */
	if (err == 0)
		err = store_commit(s);
	else
		store_rollback(s);
	if (err < 0) {
		store_deliveries_fini(rows, n);
		engine_fail(e, err, "leasing rows: ", store_error(s));
		return 0;
	}
	if (n && template_ready(e, rows, n) < 0) {
		/* give the rows back untouched */
		store_release(s, e->cfg->campaign_id, engine_owner(), ids, n,
		              NULL, now, &moved);
		store_deliveries_fini(rows, n);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct job *j = xcalloc(1, sizeof(*j));
		struct store_suppression hit;
		const char *at = strrchr(rows[i].address, '@');

		j->e = e;
		j->d = rows[i];
		buf_init(&j->body);
		/* tokens here, on the loop thread: the token code keeps a
		 * per-thread HMAC cache that render threads would leak */
		token_encode(e->key, (uint64_t)e->cfg->campaign_id,
		             (uint64_t)j->d.contact_id, j->token,
		             sizeof(j->token));
		e->window++;
		if (store_supp_check(s, j->d.address, &hit) == 0) {
			char why[400];

			snprintf(why, sizeof(why), "suppressed: %s (%s)",
			         hit.entry, store_supp_reason_name(hit.reason));
			job_settle(e, j, DLV_SUPPRESSED, 0, NULL, why);
			continue;
		}
		if (at == NULL || at[1] == '\0') {
			job_settle(e, j, DLV_FAILED, 0, NULL,
			           "address without a domain");
			continue;
		}
		router_lookup(e->router, at + 1, on_route, j);
	}
	e->leased_once = true;
	return n;
}

/* Keep the window full; notice when nothing is left. */
static void
feed(struct engine *e)
{
	uint64_t now = now_ms(e);

	while (!e->stopping && !e->failed && e->window < WINDOW &&
	       now >= e->next_lease_ms) {
		size_t want = e->leased_once ? LEASE_BATCH : LEASE_FIRST;
		size_t got;
		time_t due;
		int rc;

		if (want > WINDOW - e->window)
			want = WINDOW - e->window;
		got = lease_batch(e, want);
		if (e->failed)
			return;
		if (got > 0) {
			e->exhausted = false;
			e->p.waiting = false;
			continue;
		}
		rc = store_next_due(e->cfg->store, e->cfg->campaign_id, &due);
		if (rc == MC_ENOTFOUND) {
			e->exhausted = true;
			e->next_lease_ms = now + 1000;
		} else if (rc < 0) {
			engine_fail(e, rc, "", store_error(e->cfg->store));
		} else {
			time_t w = mc_clock_wall(e->clock);
			uint64_t wait =
			    due > w ? (uint64_t)(due - w) * 1000 : 200;
			unsigned linger =
			    e->cfg->retry.linger ? e->cfg->retry.linger : 900;

			/* Nothing to send before the linger is over: end the
			 * run rather than hold the terminal for hours. */
			if (e->window == 0 && due > w &&
			    (uint64_t)(due - w) > linger) {
				e->lingered = true;
				e->next_due = due;
				return;
			}
			e->exhausted = false;
			e->p.waiting = e->window == 0;
			e->next_lease_ms = now + (wait < 1000 ? wait : 1000);
		}
		return;
	}
}

/* Report progress to the caller. */
static void
progress(struct engine *e)
{
	e->p.elapsed = (double)(now_ms(e) - e->start_ms) / 1000.0;
	e->p.rate = e->p.elapsed > 0 ? (double)e->p.sent / e->p.elapsed : 0;
	e->p.inflight = e->window;
	if (e->cfg->progress)
		e->cfg->progress(e->cfg->progress_arg, &e->p);
	e->last_progress_ms = now_ms(e);
}

/* Give back every job not yet submitted (pause). */
static void
release_unsent(struct engine *e)
{
	struct job *j;

	for (struct dest *d = e->dests; d; d = d->next)
		while ((j = jobq_pop(&d->q)) != NULL) {
			j->released = true;
			jobq_push(&e->done, j);
		}
	/* Not yet marked: they never left, give them back too. */
	while ((j = jobq_pop(&e->tosubmit)) != NULL) {
		if (j->conn && j->conn->inflight)
			j->conn->inflight--;
		j->conn = NULL;
		j->released = true;
		jobq_push(&e->done, j);
	}
	pthread_mutex_lock(&e->pool.mu);
	while ((j = jobq_pop(&e->pool.in)) != NULL) {
		e->pool.busy--;
		j->released = true;
		jobq_push(&e->done, j);
	}
	pthread_mutex_unlock(&e->pool.mu);
}

/* Are all connections gone and nothing in flight? */
static bool
engine_idle(struct engine *e)
{
	return e->p.conns == 0;
}

/* Quit connections that have been idle for a while, or all when done. */
static void
quit_idle(struct engine *e, bool all)
{
	uint64_t now = now_ms(e);

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

/* The 10 ms tick: pacing, feeding, flushing, progress, the end. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;
	uint64_t now = now_ms(e);

	(void)fd;
	(void)what;
	if (e->cfg->stop && *e->cfg->stop > 1) {
		e->stopping = true;
		event_base_loopbreak(e->base);
		return;
	}
	if (e->cfg->stop && *e->cfg->stop > 0 && !e->stopping) {
		e->stopping = true;
		release_unsent(e);
	}
	for (struct dest *d = e->dests; d; d = d->next)
		if (d->q.n)
			dest_dispatch(e, d);
	feed(e);
	if (now - e->last_flush_ms >= HOUSEKEEP_MS || e->stopping)
		ledger_flush(e);
	if (now - e->last_progress_ms >= PROGRESS_MS)
		progress(e);
	quit_idle(e, e->stopping || (e->exhausted && e->window == 0));
	if (e->stopping) {
		if (e->pool.busy == 0) {
			release_unsent(e);
			ledger_flush(e);
		}
		if (e->window == 0 && engine_idle(e))
			event_base_loopbreak(e->base);
	} else if (e->exhausted && e->window == 0 && engine_idle(e)) {
		e->finished = true;
		event_base_loopbreak(e->base);
	} else if (e->lingered && e->window == 0 && engine_idle(e)) {
		ledger_flush(e);
		event_base_loopbreak(e->base);
	}
}

/* Owners on this host whose process is gone (or is us): give back. */
static int
recover_owner(void *arg, const char *owner, unsigned long n)
{
	struct engine *e = arg;
	const char *me = engine_owner();
	const char *colon = strrchr(owner, ':');
	const char *mycolon = strrchr(me, ':');
	size_t id;

	(void)n;
	if (colon == NULL || mycolon == NULL)
		return 0;
	id = (size_t)(mycolon - me);
	if ((size_t)(colon - owner) != id || strncmp(owner, me, id) != 0)
		return 0; /* another host: its lease expires */
	long pid = strtol(colon + 1, NULL, 10);

	if (pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) == 0)
		return 0; /* alive: running the campaign elsewhere */
	/* remember; released after the iteration (statement in use) */
	if (e->nfields < 64) {
		e->fields =
		    xreallocarray(e->fields, e->nfields + 1, sizeof(char *));
		e->fields[e->nfields++] = xstrdup(owner);
	}
	return 0;
}

/* Give back the rows of dead runs of this campaign on this host. */
static int
recover(struct engine *e)
{
	struct store *s = e->cfg->store;
	time_t now = mc_clock_wall(e->clock);
	size_t n = 0;
	int err;

	err = store_lease_owners(s, e->cfg->campaign_id, recover_owner, e);
	for (size_t i = 0; err == 0 && i < e->nfields; i++) {
		err = store_release(s, e->cfg->campaign_id, e->fields[i], NULL,
		                    0, "inflight-unknown", now, &n);
		e->recovered += n;
	}
	for (size_t i = 0; i < e->nfields; i++)
		free(e->fields[i]);
	free(e->fields);
	e->fields = NULL;
	e->nfields = 0;
	if (err == 0)
		err = store_requeue_stale(s, e->cfg->campaign_id, now, &n);
	if (err == 0)
		e->recovered += n;
	if (err < 0)
		snprintf(e->errbuf, sizeof(e->errbuf), "recovery: %s",
		         store_error(s));
	return err;
}

/* Make the router of the configuration. */
static int
router_make(struct engine *e)
{
	const struct engine_config *cfg = e->cfg;
	char err[256];

	if (cfg->direct) {
		int rc =
		    dns_cares_new(cfg->dns_server,
		                  cfg->timeout_ms ? (int)cfg->timeout_ms : 5000,
		                  2, &e->dns, err, sizeof(err));

		if (rc < 0) {
			snprintf(e->errbuf, sizeof(e->errbuf), "DNS: %s", err);
			return MC_ECONFIG;
		}
		e->router = router_new_direct(e->base, e->dns,
		                              cfg->mx_port ? cfg->mx_port : 25);
		if (e->router == NULL) {
			snprintf(e->errbuf, sizeof(e->errbuf),
			         "direct delivery is not available in this "
			         "build");
			return MC_EUNSUPP;
		}
		return 0;
	}
	if (cfg->relay_cfg != NULL) {
		unsigned w[ENGINE_RELAYS_MAX];

		for (size_t i = 0; i < cfg->nrelays && i < ENGINE_RELAYS_MAX;
		     i++)
			w[i] = cfg->relay_cfg[i].weight
			           ? cfg->relay_cfg[i].weight
			           : 1;
		e->router = router_new_relay_weighted(
		    cfg->relays, w, cfg->nrelays, err, sizeof(err));
	} else {
		e->router = router_new_relay(cfg->relays, cfg->nrelays, err,
		                             sizeof(err));
	}
	if (e->router == NULL) {
		snprintf(e->errbuf, sizeof(e->errbuf), "%s", err);
		return MC_ECONFIG;
	}
	return 0;
}

/* Start the render threads. */
static void
pool_start(struct engine *e)
{
	struct rpool *p = &e->pool;

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	p->ev = event_new(e->base, p->efd, EV_READ | EV_PERSIST, pool_ready, e);
	event_add(p->ev, NULL);
	p->nth = e->cfg->threads ? e->cfg->threads : 2;
	if (p->nth > ENGINE_THREADS_MAX)
		p->nth = ENGINE_THREADS_MAX;
	for (unsigned i = 0; i < p->nth; i++)
		pthread_create(&p->th[i], NULL, render_main, e);
}

/* Stop the render threads and free what is left in the pool. */
static void
pool_stop(struct engine *e)
{
	struct rpool *p = &e->pool;
	struct job *j;

	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	while ((j = jobq_pop(&p->in)) != NULL)
		job_free(j);
	while ((j = jobq_pop(&p->out)) != NULL)
		job_free(j);
	event_free(p->ev);
	close(p->efd);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
}

/* Free destinations, their queues and connections. */
static void
dests_free(struct engine *e)
{
	struct dest *d, *dn;
	struct job *j;

	for (d = e->dests; d; d = dn) {
		dn = d->next;
		while (d->conns) {
			struct econn *c = d->conns;

			d->conns = c->next;
			smtp_conn_free(c->c);
			free(c);
		}
		while ((j = jobq_pop(&d->q)) != NULL)
			job_free(j);
		free(d);
	}
	while ((j = jobq_pop(&e->done)) != NULL)
		job_free(j);
}

/* Run the campaign until every row is settled or *stop; see engine.h. */
int
engine_run(const struct engine_config *cfg, struct engine_result *res,
           char *err, size_t errsz)
{
	struct engine *e = xcalloc(1, sizeof(*e));
	struct timeval tv = {0, TICK_MS * 1000};
	unsigned long counts[DLV__COUNT];
	int rc;

	memset(res, 0, sizeof(*res));
	e->cfg = cfg;
	e->clock = mc_clock_system();
	e->start_ms = now_ms(e);
	e->pipeline = cfg->limits.pipeline ? cfg->limits.pipeline : 8;
	e->conns_max = cfg->limits.dest_conns ? cfg->limits.dest_conns : 4;
	if (cfg->token_key) {
		e->key = cfg->token_key;
	} else {
		unsigned char k[TOKEN_KEY_MIN];

		if (getrandom(k, sizeof(k), 0) != (ssize_t)sizeof(k))
			for (size_t i = 0; i < sizeof(k); i++)
				k[i] = (unsigned char)random();
		token_key_set(&e->tkey, k, sizeof(k));
		explicit_bzero(k, sizeof(k));
		e->key = &e->tkey;
	}
	e->base = event_base_new();
	if ((rc = router_make(e)) < 0 || (rc = recover(e)) < 0) {
		snprintf(err, errsz, "%s", e->errbuf);
		goto done;
	}
	res->recovered = e->recovered;
	e->p.resent = e->recovered;
	if (store_count_states(cfg->store, cfg->campaign_id, counts) == 0)
		e->p.total = counts[DLV_PENDING] + counts[DLV_DEFERRED] +
		             counts[DLV_INFLIGHT];
	/* Many small ledger commits: durable against a crash, not each one
	 * against a power cut (store.h); the last commit is made full. */
	store_durable_commits(cfg->store, false);
	pool_start(e);
	e->tick = event_new(e->base, -1, EV_PERSIST, on_tick, e);
	event_add(e->tick, &tv);
	e->commit_ev = evtimer_new(e->base, on_commit, e);
	feed(e);
	if (!e->failed)
		event_base_dispatch(e->base);
	store_durable_commits(cfg->store, true);
	if (!e->failed) {
		if (e->stopping)
			release_unsent(e);
		ledger_flush(e);
	}
	progress(e);
	pool_stop(e);
	res->p = e->p;
	res->finished = e->finished;
	res->deferred_left = e->lingered && !e->finished;
	res->next_due = e->next_due;
	res->paused = e->stopping;
	res->first_ms = e->first_ms;
	rc = e->err;
	if (rc < 0)
		snprintf(err, errsz, "%s", e->errbuf);
	event_free(e->tick);
	event_free(e->commit_ev);
	e->commit_ev = NULL;
	dests_free(e);
done:
	router_free(e->router);
	if (e->dns)
		dns_resolver_free(e->dns);
	event_base_free(e->base);
	tmpl_free(e->tmpl);
	for (size_t i = 0; i < e->nfields; i++)
		free(e->fields[i]);
	free(e->fields);
	token_key_wipe(&e->tkey);
	free(e);
	return rc;
}
