/*
 * engine_ledger.c — the engine's side of the delivery ledger.
 *
 * Leases: the run is a lease holder (store.h) under an owner name of its
 * own (engine_owner() and "/RUN"), with a heartbeat every third of its
 * lease timeout; batches of due rows are leased to it for
 * ENGINE_LEASE_SECS, at most WINDOW in memory; each leased row is
 * checked against the suppression list and routed.  Group commit: the
 * inflight marks of rows handed to connections and the outcomes known so
 * far go into one store transaction, at the latest COMMIT_US after the
 * first of them (or when FLUSH_AT outcomes wait); only after that commit
 * are the marked transactions submitted, so a row's inflight mark is on
 * disk before its final dot.  Outcomes: sent, failed (5xx: the bounce
 * policy says whether the address is suppressed; the reply is also kept as
 * a bounce), deferred by the retry schedule until max_age.  Recovery: at
 * start and at every heartbeat, the rows of holders whose heartbeat is
 * older than their timeout, or whose process on this host is gone, are
 * taken over (inflight ones go back to pending with an "inflight-unknown"
 * event each); at start also rows leased to dead runs of this host without
 * a holder record and inflight rows whose lease expired.  Lost leases: a
 * row is marked inflight only while still leased to this run (one mark per
 * row, so the run knows which); a row whose mark fails was taken over
 * while the run was frozen and is dropped unsent.  The heartbeat (also
 * beaten in every lease transaction) finds the run's record gone: the run
 * goes on as a new holder, leasing afresh.
 */
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "engine/engine_int.h"

static const unsigned default_schedule[] = {60,   300,  900,  1800,
                                            3600, 7200, 14400};

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

/* A fresh owner name for this run: engine_owner() and "/" 8 hex digits
 * (random: a frozen run that wakes can never pass for its new self). */
static void
owner_new(struct engine *e)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint32_t)random() ^ (uint32_t)engine_now_ms(e);
	snprintf(e->owner, sizeof(e->owner), "%s/%08x", engine_owner(),
	         (unsigned)r);
}

/* ---- retry schedule and outcomes ---- */

/* Seconds before the retry that follows attempt n (1-based). */
unsigned
ledger_retry_delay(const struct engine_retry *r, int n)
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
		age += ledger_retry_delay(r, i);
	return age;
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

/* Settle j as deferred, or failed when the schedule is used up. */
void
ledger_defer(struct engine *e, struct job *j, int code, const char *enh,
             const char *text)
{
	const struct engine_retry *r = &e->cfg->retry;
	unsigned max_age = r->max_age ? r->max_age : 5 * 86400;
	int attempt = j->d.attempts + 1;
	unsigned delay = ledger_retry_delay(r, attempt);

	j->code = code;
	mc_strlcpy(j->enh, enh ? enh : "", sizeof(j->enh));
	if (retry_age(r, attempt) + delay > max_age) {
		j->state = DLV_FAILED;
		snprintf(j->text, sizeof(j->text),
		         "gave up after %d attempts: %s", attempt, text);
	} else {
		unsigned long settled = engine_settled(e);

		j->state = DLV_DEFERRED;
		mc_strlcpy(j->text, text, sizeof(j->text));
		j->next_attempt = mc_clock_wall(e->clock) + (time_t)delay;
		/* the linger's other clock (tick_linger) */
		if (e->stall_since_ms == 0 || settled != e->stall_settled) {
			e->stall_since_ms = engine_now_ms(e);
			e->stall_settled = settled;
		}
	}
	/* what the progress line says about the destination (engine.h) */
	if (j->dest && code)
		snprintf(j->dest->last_defer, sizeof(j->dest->last_defer),
		         "%d%s%s %s", code, enh && *enh ? " " : "",
		         enh ? enh : "", text);
	else if (j->dest)
		mc_strlcpy(j->dest->last_defer, text,
		           sizeof(j->dest->last_defer));
	job_finish(e, j);
}

/* Settle j with a final state. */
void
ledger_settle(struct engine *e, struct job *j, enum store_dlv_state st,
              int code, const char *enh, const char *text)
{
	j->state = st;
	j->code = code;
	mc_strlcpy(j->enh, enh ? enh : "", sizeof(j->enh));
	mc_strlcpy(j->text, text ? text : "", sizeof(j->text));
	job_finish(e, j);
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

/* What one group commit writes, gathered from the queues. */
struct batch {
	struct store_outcome *o;
	int64_t *rel, *mark;
	size_t n, nrel, nmark;
};

/* Gather the outcomes and releases waiting in e's queues (the marks are
 * batch_write's, after the suppression check). */
static void
batch_gather(struct engine *e, struct batch *b)
{
	struct job *j;

	b->o = xcalloc(e->done.n + 1, sizeof(*b->o));
	b->rel = xcalloc(e->done.n + 1, sizeof(*b->rel));
	b->mark = xcalloc(e->tosubmit.n + 1, sizeof(*b->mark));
	for (j = e->done.head; j; j = j->next) {
		struct store_outcome *o = &b->o[b->n];

		if (j->released) {
			b->rel[b->nrel++] = j->d.id;
			continue;
		}
		o->id = j->d.id;
		o->state = j->state;
		o->reply_code = j->code;
		o->enhanced = j->enh[0] ? j->enh : NULL;
		o->text = j->text[0] ? j->text : NULL;
		o->relay = j->relay[0] ? j->relay : NULL;
		o->queue_id = j->queue_id[0] ? j->queue_id : NULL;
		o->next_attempt = j->next_attempt;
		o->owner = e->owner; /* not a row taken over meanwhile */
		b->n++;
	}
}

/* What a suppressed job says: the entry that matched and its reason. */
static void
supp_why(char *buf, size_t size, const struct store_suppression *hit)
{
	snprintf(buf, size, "suppressed: %s (%s)", hit->entry,
	         store_supp_reason_name(hit->reason));
}

/* One row of a late check suppressed: not sent, j->text says why. */
static int
on_late_hit(void *arg, size_t i, const struct store_suppression *hit)
{
	struct job **late = arg;

	late[i]->late = true;
	supp_why(late[i]->text, sizeof(late[i]->text), hit);
	return 0;
}

/*
 * The jobs to be marked (or just marked) that were checked against an
 * older version of the suppression list than v (an erase, an unsubscribe,
 * a `suppress add` meanwhile) are checked again, in one query; a hit is
 * never sent (submit_marked settles it).  Called inside the batch's
 * transaction before the marks, and on PostgreSQL after its commit too.
 */
static int
supp_recheck(struct engine *e, int64_t v)
{
	struct store *s = e->cfg->store;
	struct job *late[LEASE_BATCH];
	const char *addrs[LEASE_BATCH];
	struct job *j = e->tosubmit.head;
	int err;

	while (j != NULL) {
		size_t n = 0;

		for (; j != NULL && n < LEASE_BATCH; j = j->next)
			if (j->supp != v && !j->late && !j->lost) {
				j->supp = v;
				late[n] = j;
				addrs[n++] = j->d.address;
			}
		if (n && (err = store_supp_check_many(s, addrs, n, on_late_hit,
		                                      late)) < 0)
			return err;
	}
	return 0;
}

/* SQLite: the version moved from a to b by this transaction's own
 * suppressions alone (its write lock keeps every other writer out): the
 * hard bounces of the run's own rows, which concern no other row of it.
 * What was checked at a is as good as checked at b. */
static void
supp_alias(struct engine *e, int64_t a, int64_t b)
{
	for (struct job *j = e->live; j != NULL; j = j->live_next)
		if (j->supp == a)
			j->supp = b;
	if (e->supp == a)
		e->supp = b;
}

/* Write the batch in one transaction; 0 or MC_E*. */
static int
batch_write(struct engine *e, struct batch *b, time_t now)
{
	struct store *s = e->cfg->store;
	size_t moved;
	bool own = false;
	int64_t v2;
	int err = store_begin(s);

	if (err == 0)
		err = store_supp_version(s, &e->supp_txn);
	if (err == 0)
		err = supp_recheck(e, e->supp_txn);
	for (struct job *j = e->tosubmit.head; j; j = j->next)
		if (!j->late)
			b->mark[b->nmark++] = j->d.id;

	for (struct job *j = e->done.head; err == 0 && j; j = j->next) {
		int added;

		if (j->released)
			continue;
		if (j->action == BOUNCE_ACTION_SUPPRESS) {
			err = store_supp_add(s, j->d.address, SUPP_HARD_BOUNCE,
			                     "campaign", now, &added);
			own = true;
		}
		if (err == 0 && j->state == DLV_FAILED && j->code >= 500)
			err = record_send_bounce(s, e, j, now);
		/* its retry may deliver it twice: the report lists it with
		 * the rows resent after a crash */
		if (err == 0 && j->state == DLV_DEFERRED && j->txn.unknown)
			err = store_event_add(
			    s, e->cfg->campaign_id, j->d.contact_id,
			    "delivery-unknown", e->owner, now);
	}
	if (err == 0 && own && !s->supp_after_commit &&
	    (err = store_supp_version(s, &v2)) == 0 && v2 != e->supp_txn)
		supp_alias(e, e->supp_txn, v2);
	if (err == 0 && b->n)
		err = store_record(s, b->o, b->n, now);
	if (err == 0 && b->nrel)
		err = store_release(s, e->cfg->campaign_id, e->owner, b->rel,
		                    b->nrel, NULL, now, &moved);
	/* the marks in one statement; when one of them did not move (a row
	 * taken over meanwhile is not ours), one mark per row to know which
	 * (a row already marked by ours counts again) */
	moved = 0;
	if (err == 0 && b->nmark)
		err = store_mark_inflight(s, b->mark, b->nmark, e->owner, now,
		                          &moved);
	for (struct job *j = e->tosubmit.head;
	     err == 0 && moved < b->nmark && j; j = j->next) {
		size_t one;

		if (j->late)
			continue;
		err = store_mark_inflight(s, &j->d.id, 1, e->owner, now, &one);
		j->lost = err == 0 && one == 0;
	}
	if (err == 0)
		err = store_commit(s);
	else
		store_rollback(s);
	return err;
}

/* Job j, handed to connection c (or NULL: c closed meanwhile), is not
 * sent after all (suppressed since its lease, or its mark failed): c's
 * place in its pipeline and its --per-conn count, and j's place in the
 * pacing, go back. */
static void
submit_undo(struct engine *e, struct econn *c, struct job *j)
{
	if (c != NULL && c->inflight && --c->inflight == 0)
		c->idle_since = engine_now_ms(e);
	if (c != NULL && c->used)
		c->used--; /* not one of its --per-conn */
	dest_rate_give(e, j->dest);
}

/* Submit the marked transactions: the marks are durable now. */
static void
submit_marked(struct engine *e)
{
	struct job *j;

	/* Take the list first: a submit may call back into here. */
	e->submitting = e->tosubmit;
	memset(&e->tosubmit, 0, sizeof(e->tosubmit));
	while ((j = jobq_pop(&e->submitting)) != NULL) {
		struct econn *c = j->conn;
		struct dest *d = j->dest;
		struct engine_event ev = {.kind = ENGINE_EV_TXN_BEGIN};
		const char *rcpt = j->d.address;

		j->conn = NULL;
		if (j->late) {
			/* suppressed since its lease: settled, never sent */
			char why[sizeof(j->text)];

			submit_undo(e, c, j);
			memcpy(why, j->text, sizeof(why));
			ledger_settle(e, j, DLV_SUPPRESSED, 0, NULL, why);
			ledger_commit_later(e);
			if (c != NULL)
				dest_dispatch(e, d);
			continue;
		}
		if (j->lost) {
			/* taken over while we were frozen, or its contact
			 * deleted: not ours, never sent here, not recorded */
			submit_undo(e, c, j);
			e->p.lost++;
			e->window--;
			job_free(j);
			if (c != NULL)
				dest_dispatch(e, d);
			continue;
		}
		if (c == NULL) {
			/* its connection closed meanwhile: queue it again */
			jobq_unshift(&j->dest->q, j);
			dest_dispatch(e, j->dest);
			continue;
		}
		if (e->first_ms == 0)
			e->first_ms =
			    (double)(engine_now_ms(e) - e->start_ms) + 0.001;
		ev.u.txn.conn = c->id;
		ev.u.txn.dest = c->dest->key;
		ev.u.txn.host = c->host->name;
		ev.u.txn.peer = c->peer;
		ev.u.txn.mail_from = j->mail_from;
		ev.u.txn.rcpts = &rcpt;
		ev.u.txn.nrcpts = 1;
		ev.u.txn.row_id = j->d.id;
		engine_emit(e, &ev);
		smtp_conn_submit(c->c, &j->txn);
	}
}

/* Milliseconds of the real monotonic clock (durations of store work). */
static double
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Commit the queued marks and outcomes (and releases) in one transaction;
 * then report the outcomes and submit the marked transactions. */
void
ledger_flush(struct engine *e)
{
	struct batch b = {0};
	struct engine_event ev = {.kind = ENGINE_EV_COMMIT};
	double t0;
	struct job *j;
	int64_t v;
	int err;

	e->last_flush_ms = engine_now_ms(e);
	if (e->failed || (e->done.n == 0 && e->tosubmit.n == 0))
		return;
	batch_gather(e, &b);
	t0 = real_ms();
	err = batch_write(e, &b, mc_clock_wall(e->clock));
	free(b.o);
	free(b.rel);
	free(b.mark);
	if (err < 0) {
		ev.kind = ENGINE_EV_ROLLBACK;
		ev.u.rollback.err = err;
		ev.u.rollback.why = store_error(e->cfg->store);
		ev.u.rollback.outcomes = b.n;
		ev.u.rollback.marks = b.nmark;
		engine_emit(e, &ev);
		engine_fail(e, err,
		            "recording outcomes: ", store_error(e->cfg->store));
		return;
	}
	/* PostgreSQL tells of the suppressions committed while the batch's
	 * transaction was open only now: the marked jobs again */
	if (e->cfg->store->supp_after_commit &&
	    ((err = store_supp_version(e->cfg->store, &v)) < 0 ||
	     (v != e->supp_txn && (err = supp_recheck(e, v)) < 0))) {
		engine_fail(e, err,
		            "suppression check: ", store_error(e->cfg->store));
		return;
	}
	ev.u.commit.outcomes = b.n;
	ev.u.commit.marks = b.nmark;
	ev.u.commit.released = b.nrel;
	ev.u.commit.ms = real_ms() - t0;
	engine_emit(e, &ev);
	while ((j = jobq_pop(&e->done)) != NULL) {
		if (!j->released)
			engine_emit_rcpt(e, j);
		if (j->state == DLV_DEFERRED || j->released) {
			/* rows are due again: look before calling it done */
			e->exhausted = false;
			e->next_lease_ms = 0;
		}
		job_free(j);
		e->window--;
	}
	if (e->window == 0)
		e->next_lease_ms = 0; /* nothing in memory: look again now */
	submit_marked(e);
}

/* The group commit's timer. */
static void
on_commit(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;

	(void)fd;
	(void)what;
	e->commit_pending = false;
	ledger_flush(e);
}

/* Have the group commit run within us microseconds (sooner when it is
 * already due sooner). */
static void
commit_within(struct engine *e, unsigned us)
{
	struct timeval tv = {0, (suseconds_t)us};

	if (e->commit_ev == NULL)
		e->commit_ev = evtimer_new(e->base, on_commit, e);
	if (e->commit_pending && e->commit_us <= us)
		return;
	e->commit_pending = true;
	e->commit_us = us;
	evtimer_add(e->commit_ev, &tv);
}

/* A connection is about to run dry: commit at the next turn of the loop,
 * marks and every outcome known by then. */
void
ledger_commit_now(struct engine *e)
{
	commit_within(e, 0);
}

/* Marks wait: commit them within COMMIT_US (the connections that refill
 * meanwhile share the commit), or at once when one runs dry (DRY_AT). */
void
ledger_commit_soon(struct engine *e)
{
	commit_within(e, COMMIT_US);
}

/* Transactions of c on the wire: handed to it, marks committed. */
unsigned
ledger_wire(const struct engine *e, const struct econn *c)
{
	unsigned waiting = 0;

	for (const struct job *j = e->tosubmit.head; j; j = j->next)
		if (j->conn == c)
			waiting++;
	return c->inflight > waiting ? c->inflight - waiting : 0;
}

/* An outcome waits: commit it within OUTCOME_US, or sooner with the next
 * burst's marks (the outcomes of a busy run ride on those commits). */
void
ledger_commit_later(struct engine *e)
{
	commit_within(e, OUTCOME_US);
}

/* A connection goes away: jobs waiting for it are queued again. */
void
ledger_forget_conn(struct engine *e, struct econn *c)
{
	for (struct job *j = e->tosubmit.head; j; j = j->next)
		if (j->conn == c)
			j->conn = NULL;
	for (struct job *j = e->submitting.head; j; j = j->next)
		if (j->conn == c)
			j->conn = NULL;
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
		ledger_settle(e, j, DLV_FAILED, 0, NULL, r->why);
	} else if (r->status == ROUTE_DEFER) {
		ledger_defer(e, j, 0, NULL, r->why);
	} else if (r->nhosts == 0) {
		ledger_settle(e, j, DLV_FAILED, 0, NULL,
		              "no host to deliver to");
	} else {
		j->dest = dest_get(e, r);
		rpool_submit(e, j);
	}
}

/* A leased row becomes a job: suppressed (why: the suppression, or
 * NULL), failed, or routed. */
static void
job_start(struct engine *e, const struct store_delivery *row, const char *why)
{
	struct job *j = job_new(e);
	const char *at = strrchr(row->address, '@');

	j->d = *row;
	j->supp = e->supp;
	job_body_init(e, j);
	/* tokens here, on the loop thread: the token code keeps a
	 * per-thread HMAC cache that render threads would leak */
	token_encode(e->key, (uint64_t)e->cfg->campaign_id,
	             (uint64_t)j->d.contact_id, j->token, sizeof(j->token));
	e->window++;
	if (why != NULL) {
		ledger_settle(e, j, DLV_SUPPRESSED, 0, NULL, why);
		return;
	}
	if (at == NULL || at[1] == '\0') {
		ledger_settle(e, j, DLV_FAILED, 0, NULL,
		              "address without a domain");
		return;
	}
	router_lookup(e->router, at + 1, on_route, j);
}

/* One suppressed row of a lease batch: what the job will say. */
static int
on_supp_hit(void *arg, size_t i, const struct store_suppression *hit)
{
	char **why = arg;
	char buf[sizeof(((struct job *)0)->text)];

	supp_why(buf, sizeof(buf), hit);
	why[i] = xstrdup(buf);
	return 0;
}

/* Lease a batch (committed at once) and start each row; rows are marked
 * inflight only when handed to a connection (ledger_flush). */
size_t
ledger_lease(struct engine *e, size_t want)
{
	struct store *s = e->cfg->store;
	struct store_delivery *rows = e->lease_buf;
	time_t now = mc_clock_wall(e->clock);
	int64_t ids[LEASE_BATCH];
	const char *addrs[LEASE_BATCH];
	char *why[LEASE_BATCH] = {0};
	size_t n = 0, moved = 0;
	int err;

	/* the heartbeat first, in the same transaction: a run whose holder
	 * record is gone leases nothing under its old name */
	if ((err = store_begin(s)) == 0 && e->holder)
		err = store_holder_beat(s, e->owner, now);
	if (err == 0)
		err = store_lease(s, e->cfg->campaign_id, e->owner, now,
		                  ENGINE_LEASE_SECS, rows, want, &n);
	if (err == 0)
		err = store_commit(s);
	else
		store_rollback(s);
	if (err == MC_ENOTFOUND && e->holder) {
		ledger_heartbeat(e); /* lost: a new holder */
		return 0;
	}
	if (err < 0) {
		store_deliveries_fini(rows, n);
		engine_fail(e, err, "leasing rows: ", store_error(s));
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = rows[i].id;
	if (n && engine_template_ready(e, rows, n) < 0) {
		/* give the rows back untouched */
		store_release(s, e->cfg->campaign_id, e->owner, ids, n, NULL,
		              now, &moved);
		store_deliveries_fini(rows, n);
		return 0;
	}
	/* the suppression checks of the batch in one query (not one
	 * statement and read lock per row), the routed jobs to the render
	 * pool at once (one hand-off instead of one per row) */
	for (size_t i = 0; i < n; i++)
		addrs[i] = rows[i].address;
	/* the version first: a suppression added during the check is seen
	 * by it or checked again before the mark (supp_recheck) */
	if (store_supp_version(s, &e->supp) < 0 ||
	    store_supp_check_many(s, addrs, n, on_supp_hit, why) < 0) {
		for (size_t i = 0; i < n; i++)
			free(why[i]);
		store_release(s, e->cfg->campaign_id, e->owner, ids, n, NULL,
		              now, &moved);
		store_deliveries_fini(rows, n);
		engine_fail(e, MC_EIO, "suppression check: ", store_error(s));
		return 0;
	}
	rpool_hold(e);
	for (size_t i = 0; i < n; i++) {
		job_start(e, &rows[i], why[i]);
		free(why[i]);
	}
	rpool_release(e);
	return n;
}

/* ---- recovery ---- */

/* Owners on this host whose process is gone (or is us): give back. */
static int
recover_owner(void *arg, const char *owner, unsigned long n)
{
	struct engine *e = arg;
	const char *me = engine_owner();
	const char *colon = strrchr(owner, ':');
	const char *mycolon = strrchr(me, ':');
	size_t id;
	long pid;

	(void)n;
	if (colon == NULL || mycolon == NULL || strcmp(owner, e->owner) == 0)
		return 0;
	id = (size_t)(mycolon - me);
	if ((size_t)(colon - owner) != id || strncmp(owner, me, id) != 0)
		return 0; /* another host: its holder times out */
	pid = strtol(colon + 1, NULL, 10);
	if (pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) == 0)
		return 0; /* alive: running the campaign elsewhere */
	/* remember; released after the iteration (statement in use) */
	if (e->ndead < 64) {
		e->dead = xreallocarray(e->dead, e->ndead + 1, sizeof(char *));
		e->dead[e->ndead++] = xstrdup(owner);
	}
	return 0;
}

/* Tell what recovery gave back. */
static void
recover_emit(struct engine *e, const char *owner, size_t n)
{
	struct engine_event ev = {.kind = ENGINE_EV_RECOVER};

	if (n == 0)
		return;
	ev.u.recover.owner = owner;
	ev.u.recover.rows = n;
	engine_emit(e, &ev);
}

/* Take over the rows of the owners in e->dead (stale_before as
 * store_holder_take's); count the inflight ones, resent. */
static int
take_dead(struct engine *e, const time_t *stale_before, time_t now)
{
	struct store *s = e->cfg->store;
	size_t inflight, pending;
	int err = 0;

	for (size_t i = 0; err == 0 && i < e->ndead; i++) {
		err = store_holder_take(s, e->cfg->campaign_id, e->dead[i],
		                        stale_before ? stale_before[i] : 0, now,
		                        &inflight, &pending);
		if (err == MC_EAGAIN) {
			err = 0; /* it beat meanwhile: alive */
			continue;
		}
		if (err < 0)
			break;
		e->recovered += inflight;
		e->p.resent += inflight;
		if (inflight + pending) {
			e->exhausted = false;
			e->next_lease_ms = 0;
		}
		recover_emit(e, e->dead[i], inflight + pending);
	}
	for (size_t i = 0; i < e->ndead; i++)
		free(e->dead[i]);
	free(e->dead);
	e->dead = NULL;
	e->ndead = 0;
	return err;
}

/* Give back the rows of dead runs of this campaign on this host and of
 * stale holders, and the inflight rows whose lease expired (a dead run
 * elsewhere, of a mailcast without holders). */
int
ledger_recover(struct engine *e)
{
	struct store *s = e->cfg->store;
	time_t now = mc_clock_wall(e->clock);
	size_t n = 0;
	int err;

	err = store_lease_owners(s, e->cfg->campaign_id, recover_owner, e);
	if (err == 0)
		err = take_dead(e, NULL, now);
	if (err == 0) {
		e->last_beat_ms = engine_now_ms(e);
		ledger_heartbeat(e);
		err = e->failed ? e->err : 0;
	}
	if (err == 0)
		err = store_requeue_stale(s, e->cfg->campaign_id, now, &n);
	if (err == 0) {
		e->recovered += n;
		recover_emit(e, "", n);
	}
	if (err < 0)
		snprintf(e->errbuf, sizeof(e->errbuf), "recovery: %s",
		         store_error(s));
	return err;
}

/* ---- the lease holder ---- */

/* Become a lease holder under a fresh owner name. */
int
ledger_holder_start(struct engine *e)
{
	char host[256];
	time_t now = mc_clock_wall(e->clock);
	struct store_holder h = {.campaign_id = e->cfg->campaign_id};
	int err;

	e->lease_timeout = e->cfg->lease_timeout ? e->cfg->lease_timeout
	                                         : ENGINE_LEASE_TIMEOUT;
	if (gethostname(host, sizeof(host)) != 0)
		mc_strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	owner_new(e);
	h.owner = e->owner;
	h.host = host;
	h.pid = (long)getpid();
	h.started = h.heartbeat = now;
	h.timeout = e->lease_timeout;
	err = store_holder_add(e->cfg->store, &h);
	e->holder = err == 0;
	e->last_beat_ms = engine_now_ms(e);
	if (err < 0)
		snprintf(e->errbuf, sizeof(e->errbuf), "lease holder: %s",
		         store_error(e->cfg->store));
	return err;
}

/* Our holder record is gone: we were taken over.  What we held is not
 * ours any more (marks fail for it); go on as a new holder. */
static void
holder_lost(struct engine *e)
{
	struct engine_event ev = {.kind = ENGINE_EV_LEASE_LOST};
	char old[sizeof(e->owner)];

	mc_strlcpy(old, e->owner, sizeof(old));
	ev.u.recover.owner = old;
	ev.u.recover.rows = e->window;
	engine_emit(e, &ev);
	log_warn("campaign: lease holder %s was taken over (frozen for "
	         "longer than %u s): its rows are dropped unsent, the run "
	         "goes on as a new holder",
	         old, e->lease_timeout);
	if (ledger_holder_start(e) < 0)
		engine_fail(e, MC_EIO, "", e->errbuf);
	e->next_lease_ms = 0;
}

struct holders_ctx {
	struct engine *e;
	time_t now;
	time_t *stale; /* per e->dead[i] */
	unsigned long held;
	char *who;
	size_t whosz;
};

/* Is this holder's process on this host gone? */
static bool
holder_dead_here(const struct store_holder *h)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		return false;
	host[sizeof(host) - 1] = '\0';
	if (strcmp(h->host, host) != 0 || h->pid <= 0 ||
	    h->pid == (long)getpid())
		return false;
	return kill((pid_t)h->pid, 0) != 0;
}

/* One holder of the campaign: stale or dead ones are collected. */
static int
holders_visit(void *arg, const struct store_holder *h)
{
	struct holders_ctx *c = arg;
	struct engine *e = c->e;
	bool stale = h->heartbeat + (time_t)h->timeout < c->now;

	if (strcmp(h->owner, e->owner) == 0)
		return 0;
	if (stale || holder_dead_here(h)) {
		if (e->ndead < 64) {
			e->dead = xreallocarray(e->dead, e->ndead + 1,
			                        sizeof(char *));
			c->stale = xreallocarray(c->stale, e->ndead + 1,
			                         sizeof(time_t));
			/* dead here: take at once; stale: unless it beats */
			c->stale[e->ndead] =
			    stale ? c->now - (time_t)h->timeout : 0;
			e->dead[e->ndead++] = xstrdup(h->owner);
		}
		return 0;
	}
	if (h->rows > 0 && c->who && c->held == 0)
		snprintf(c->who, c->whosz, "%s on %s, pid %ld", h->owner,
		         h->host, h->pid);
	c->held += h->rows;
	return 0;
}

/* Beat our heartbeat; take over the rows of stale holders. */
void
ledger_heartbeat(struct engine *e)
{
	struct store *s = e->cfg->store;
	struct holders_ctx c = {.e = e, .now = mc_clock_wall(e->clock)};
	int err;

	e->last_beat_ms = engine_now_ms(e);
	if (!e->holder)
		return;
	err = store_holder_beat(s, e->owner, c.now);
	if (err == MC_ENOTFOUND) {
		holder_lost(e);
		if (e->failed)
			return;
	} else if (err < 0) {
		/* the store is busy (a frozen run inside a write transaction
		 * holds SQLite's lock): try again at the next beat; marks
		 * keep what we may send safe meanwhile */
		log_warn("campaign: heartbeat: %s", store_error(s));
		return;
	}
	err = store_holder_each(s, e->cfg->campaign_id, holders_visit, &c);
	if (err == 0)
		err = take_dead(e, c.stale, c.now);
	free(c.stale);
	if (err < 0)
		engine_fail(e, err,
		            "taking over a stale run: ", store_error(s));
}

/* Rows held by other live holders (0: none); who: the first of them. */
unsigned long
ledger_held_elsewhere(struct engine *e, char *who, size_t whosz)
{
	struct holders_ctx c = {
	    .e = e, .now = mc_clock_wall(e->clock), .who = who, .whosz = whosz};

	if (who && whosz)
		who[0] = '\0';
	if (store_holder_each(e->cfg->store, e->cfg->campaign_id, holders_visit,
	                      &c) < 0)
		return 0;
	/* stale ones are the heartbeat's to take: forget them here */
	for (size_t i = 0; i < e->ndead; i++)
		free(e->dead[i]);
	free(e->dead);
	free(c.stale);
	e->dead = NULL;
	e->ndead = 0;
	return c.held;
}

/* Our own holder record's row count (ULONG_MAX when unknown). */
static int
own_rows(void *arg, const struct store_holder *h)
{
	struct holders_ctx *c = arg;

	if (strcmp(h->owner, c->e->owner) == 0)
		c->held = h->rows;
	return 0;
}

/* The run is over: its holder record goes when no row is leased to it
 * any more; else (stopped at once, or failed with rows in flight) it
 * stays, goes stale, and a later or live run takes those rows over. */
void
ledger_holder_end(struct engine *e)
{
	struct holders_ctx c = {.e = e, .held = ULONG_MAX};

	if (e->holder &&
	    store_holder_each(e->cfg->store, e->cfg->campaign_id, own_rows,
	                      &c) == 0 &&
	    c.held == 0)
		store_holder_end(e->cfg->store, e->owner);
	e->holder = false;
	store_supp_unwatch(e->cfg->store); /* an idle worker keeps none */
}
