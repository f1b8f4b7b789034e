/*
 * engine_dest.c — destination queues and their limits.
 *
 * A destination is one route key (a relay set, one relay, or one MX host
 * set): a queue of rendered jobs, its connections (engine_conn.c) and its
 * limits: a connection cap, a rate (a next-send clock per destination and
 * a global one, RATE_BURST_MS of burst), messages per connection and the
 * pipeline depth.  A connection is refilled in bursts: it takes new
 * messages once its transactions in flight are down to half the pipeline
 * (dest_low_water), then up to the pipeline, so one group commit holds the
 * inflight marks of a burst and one socket write carries it.  A 421 or a
 * failed connection backs it off (250 ms
 * doubling up to backoff_max); each 4xx or 421 slows it one step
 * (connections and rate halved, PENALTY_MAX steps), and RECOVER_AFTER
 * deliveries without one undo a step.  Connections above a slowed cap take
 * no new message and say QUIT once idle.  A destination opens at most
 * CONN_PER_SEC connections in any second, whatever happens.  Every change of
 * the limits is an ENGINE_EV_DEST event.  Times come from the engine's clock.
 * With a fleet limiter (engine_limiter) a connection opens only on a slot
 * it grants, a rated destination's messages also need its tokens, and
 * back-offs and slow-downs are told to it (FLEET_RETRY_MS between asks
 * it refused).
 */
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "base/xmalloc.h"
#include "engine/engine_int.h"

#define FLEET_RETRY_MS 200

/* The destination for a route (made on first use). */
struct dest *
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
	if (r->nhosts && (rc = econn_relay(e, &r->hosts[0])) != NULL) {
		if (rc->conns)
			d->conns_max = rc->conns;
		if (rc->rate > 0)
			d->rate = rc->rate;
	}
	d->next = e->dests;
	e->dests = d;
	return d;
}

/* The connection cap of d now: its configured one, slowed by penalty. */
unsigned
dest_conn_cap(const struct dest *d)
{
	unsigned cap = d->conns_max >> d->penalty;

	return cap ? cap : 1;
}

/* The messages/s of d now (0: no limit): a slowed destination without a
 * rate of its own gets one from its penalty, SLOW_RATE halved per step. */
double
dest_rate_now(const struct dest *d)
{
	double r;

	if (d->rate <= 0 && d->penalty == 0)
		return 0;
	r = d->rate > 0 ? d->rate : SLOW_RATE;
	return r / (double)(1u << d->penalty);
}

/* Back the destination off after a 421 or a failed connection. */
void
dest_backoff(struct engine *e, struct dest *d, unsigned step)
{
	unsigned max =
	    e->cfg->retry.backoff_max_ms ? e->cfg->retry.backoff_max_ms : 60000;
	uint64_t ms = 250ull << (step > 10 ? 10 : step);

	if (ms > max)
		ms = max;
	d->backoff_until = engine_now_ms(e) + ms;
	if (e->cfg->limiter)
		e->cfg->limiter->slow(e->cfg->limiter->arg, d->key, d->penalty,
		                      (unsigned)ms);
}

/* Slow the destination down one step (a 4xx or 421; why: the reply). */
void
dest_slow(struct engine *e, struct dest *d, const char *why)
{
	d->ok_streak = 0;
	if (d->penalty >= PENALTY_MAX)
		return;
	d->penalty++;
	if (e->cfg->limiter)
		e->cfg->limiter->slow(e->cfg->limiter->arg, d->key, d->penalty,
		                      0);
	engine_emit_dest(e, d, why);
}

/* A delivery: the back-off after a 421 starts again from its first step;
 * after RECOVER_AFTER in a row, undo one slow-down step. */
void
dest_ok(struct engine *e, struct dest *d)
{
	d->last_defer[0] = '\0'; /* it takes mail again: no reason to show */
	d->busy_streak = 0;
	if (d->penalty == 0 || ++d->ok_streak < RECOVER_AFTER)
		return;
	d->penalty--;
	d->ok_streak = 0;
	if (e->cfg->limiter)
		e->cfg->limiter->slow(e->cfg->limiter->arg, d->key, d->penalty,
		                      0);
	engine_emit_dest(e, d, "recovered");
}

/* Fleet: has d a token for one more message (asked for when not)? */
static bool
fleet_token(struct engine *e, struct dest *d, uint64_t now)
{
	const struct engine_limiter *l = e->cfg->limiter;

	if (l == NULL || d->rate <= 0 || d->tokens > 0)
		return true;
	if (now < d->fleet_wait)
		return false;
	d->tokens = l->tokens(l->arg, d->key, d->rate);
	if (d->tokens == 0)
		d->fleet_wait = now + (uint64_t)(1000.0 / d->rate) + 1;
	return d->tokens > 0;
}

/* May another message go now under the global and d's rate? */
static bool
rate_ok(struct engine *e, struct dest *d, double now)
{
	return now >= e->g_next_ms && now >= d->next_ms &&
	       fleet_token(e, d, (uint64_t)now);
}

/* One message goes: advance the pacing clocks. */
static void
rate_take(struct engine *e, struct dest *d, double now)
{
	double rate = e->cfg->limits.rate;
	double drate = dest_rate_now(d);

	if (d->tokens > 0)
		d->tokens--;
	if (rate > 0) {
		if (e->g_next_ms < now - RATE_BURST_MS)
			e->g_next_ms = now - RATE_BURST_MS;
		e->g_next_ms += 1000.0 / rate;
	}
	if (drate > 0) {
		if (d->next_ms < now - RATE_BURST_MS)
			d->next_ms = now - RATE_BURST_MS;
		d->next_ms += 1000.0 / drate;
	}
}

/* A message handed over was not sent after all (suppressed meanwhile):
 * its place in the pacing goes to the next one. */
void
dest_rate_give(struct engine *e, struct dest *d)
{
	double rate = e->cfg->limits.rate;
	double drate;

	if (d == NULL)
		return;
	drate = dest_rate_now(d);
	if (e->cfg->limiter != NULL && d->rate > 0)
		d->tokens++;
	if (rate > 0)
		e->g_next_ms -= 1000.0 / rate;
	if (drate > 0)
		d->next_ms -= 1000.0 / drate;
}

/* Hand j to connection c: the transaction is set up and waits for its
 * inflight mark to be committed (ledger_flush submits it). */
static void
dest_hand_over(struct engine *e, struct econn *c, struct job *j)
{
	memset(&j->txn, 0, sizeof(j->txn));
	memset(&j->rcpt, 0, sizeof(j->rcpt));
	j->rcpt.addr = j->rcpt_wire[0] ? j->rcpt_wire : j->d.address;
	j->txn.mail_from = j->from_wire[0] ? j->from_wire : j->mail_from;
	j->txn.smtputf8 = j->utf8_need != 0;
	j->txn.rcpts = &j->rcpt;
	j->txn.nrcpts = 1;
	j->txn.body = buf_data(&j->body);
	j->txn.body_len = buf_len(&j->body);
	j->txn.wire = &j->wire;
	j->txn.user = j;
	c->inflight++;
	c->used++;
	j->conn = c;
	j->conn_id = c->id;
	jobq_push(&e->tosubmit, j);
}

/* The transactions in flight at or below which a connection is refilled:
 * half the pipeline (a burst of the other half), or the whole pipeline
 * when the destination has a rate (paced messages go one by one). */
static unsigned
dest_low_water(const struct engine *e, const struct dest *d)
{
	if (e->pipeline < 2 || dest_rate_now(d) > 0 || e->cfg->limits.rate > 0)
		return e->pipeline;
	return e->pipeline / 2;
}

/* Feed c from d's queue; true when the rate stopped it. */
static bool
dest_feed_conn(struct engine *e, struct dest *d, struct econn *c, uint64_t now)
{
	const struct engine_relay *rc = econn_relay(e, c->host);
	unsigned per =
	    rc && rc->per_conn ? rc->per_conn : e->cfg->limits.per_conn;
	bool limited = false;

	unsigned before = c->inflight;

	if (c->inflight > dest_low_water(e, d))
		return false; /* refilled in a burst once half are answered */
	while (d->q.head && c->inflight < e->pipeline &&
	       (per == 0 || c->used < per)) {
		if (!rate_ok(e, d, (double)now)) {
			limited = true;
			break;
		}
		rate_take(e, d, (double)now);
		dest_hand_over(e, c, jobq_pop(&d->q));
	}
	if (c->inflight > before) {
		/* the burst's marks: at once when the connection has (almost)
		 * nothing left to send, else shared with other bursts */
		if (ledger_wire(e, c) <= DRY_AT)
			ledger_commit_now(e);
		else
			ledger_commit_soon(e);
	}
	if (c->inflight == 0 &&
	    ((per && c->used >= per) || (e->stopping && !d->q.head))) {
		c->quitting = true;
		smtp_conn_quit(c->c);
	}
	return limited;
}

/* May d open another connection now?  At most CONN_PER_SEC in any
 * second, whatever the failures (no reconnect storm). */
static bool
dest_may_open(const struct dest *d, uint64_t now)
{
	if (d->nopened < CONN_PER_SEC)
		return true;
	return now - d->opened[d->nopened % CONN_PER_SEC] >= 1000;
}

/* Fleet: a slot for one more connection to d (kept in d->slot1 for
 * econn_open)?  Always without a limiter. */
static bool
fleet_slot(struct engine *e, struct dest *d, uint64_t now)
{
	const struct engine_limiter *l = e->cfg->limiter;
	int slot;

	if (l == NULL || d->slot1)
		return true;
	if (now < d->fleet_wait)
		return false;
	if ((slot = l->take(l->arg, d->key, d->conns_max)) < 0) {
		d->fleet_wait = now + FLEET_RETRY_MS;
		return false;
	}
	d->slot1 = (unsigned)slot + 1;
	return true;
}

/*
 * May d not open a connection because of the run's connection budget
 * (limits.total_conns)?  Spent: d waits; when it has no connection at all
 * the run is starved, and idle connections elsewhere close at once
 * (econn_quit_idle) to make room.  At most half the budget may be
 * connections not yet up (connecting, or waiting for a greeting): hosts
 * that never answer, or answer in minutes, cannot hold all of it.
 */
static bool
budget_spent(struct engine *e, struct dest *d, uint64_t now)
{
	unsigned max = e->cfg->limits.total_conns;

	if (max == 0)
		return false;
	if (e->p.conns < max)
		return e->nconnecting >= (max + 1) / 2;
	if (d->q.n && d->nconns == 0) {
		e->starved = true;
		if (d->budget_wait == 0)
			d->budget_wait = now;
	}
	return true;
}

/* Note a connection opened now. */
static void
dest_note_open(struct dest *d, uint64_t now)
{
	d->opened[d->nopened % CONN_PER_SEC] = now;
	d->nopened++;
}

/* Submit queued jobs to ready connections; open connections as needed. */
void
dest_dispatch(struct engine *e, struct dest *d)
{
	uint64_t now;
	bool limited = false;
	unsigned connecting, cap, live = 0;

	if (e == NULL || d == NULL || e->failed)
		return;
	now = engine_now_ms(e);
	cap = dest_conn_cap(d);
	for (struct econn *c = d->conns; c; c = c->next) {
		if (!c->ready || c->quitting)
			continue;
		if (++live > cap || (e->cfg->limiter && c->slot1 == 0)) {
			/* above a slowed cap, or its fleet slot lost: no
			 * new message; QUIT when drained */
			if (c->inflight == 0) {
				c->quitting = true;
				smtp_conn_quit(c->c);
			}
			continue;
		}
		if (dest_feed_conn(e, d, c, now))
			limited = true;
	}
	if (d->q.n == 0)
		d->budget_wait = 0;
	if (limited || d->q.n == 0 || now < d->backoff_until || e->stopping)
		return;
	connecting = d->nconns - d->nready;
	while (d->q.n > (size_t)connecting * e->pipeline && d->nconns < cap &&
	       dest_may_open(d, now) && !budget_spent(e, d, now) &&
	       fleet_slot(e, d, now)) {
		d->budget_wait = 0;
		dest_note_open(d, now);
		econn_open(e, d);
		connecting++;
	}
}

/*
 * The connection budget has room again: give it to the destination
 * without a connection that waits with the most queued jobs (the most
 * messages per connection set up: a session costs round trips before its
 * first message), counting every BUDGET_AGE_MS it has waited as one more
 * job (so a destination with few rows, a slow or a dead one, does not wait
 * for the end); one that cannot open now (its own limits) is passed over;
 * again while the budget has room and someone waits.
 */
static uint64_t
budget_score(const struct dest *d, uint64_t now)
{
	uint64_t age = d->budget_wait && now > d->budget_wait
	                   ? (now - d->budget_wait) / BUDGET_AGE_MS
	                   : 0;

	return d->q.n + age;
}

void
dest_dispatch_budget(struct engine *e)
{
	unsigned gen = ++e->budget_gen, max = e->cfg->limits.total_conns;

	for (unsigned round = 0; round < 64 && e->starved; round++) {
		struct dest *best = NULL;

		if (e->nconnecting >= (max + 1) / 2)
			return; /* no new one now, whoever it is for */
		unsigned before = e->p.conns;
		uint64_t now = engine_now_ms(e), top = 0;

		e->starved = false;
		for (struct dest *d = e->dests; d; d = d->next) {
			uint64_t score;

			if (d->q.n > 0 && d->nconns == 0 &&
			    d->budget_tried != gen && now >= d->backoff_until &&
			    now >= d->fleet_wait && dest_may_open(d, now) &&
			    (score = budget_score(d, now)) > top) {
				best = d;
				top = score;
			}
		}
		if (best == NULL)
			return;
		best->budget_tried = gen;
		dest_dispatch(e, best);
		if (e->p.conns == before)
			e->starved = true; /* it could not: the next one */
	}
}

/* The fleet slots were lost: no connection holds one any more (each is
 * retired by dest_dispatch, new ones take slots again). */
void
dest_slots_lost(struct engine *e)
{
	for (struct dest *d = e->dests; d; d = d->next) {
		d->slot1 = 0;
		for (struct econn *c = d->conns; c; c = c->next)
			c->slot1 = 0;
		dest_dispatch(e, d);
	}
}

/* Dispatch every destination with queued jobs. */
void
dest_dispatch_all(struct engine *e)
{
	for (struct dest *d = e->dests; d; d = d->next)
		if (d->q.n)
			dest_dispatch(e, d);
}

/* Free destinations, their queues and connections, and the done queue. */
void
dests_free(struct engine *e)
{
	struct dest *d, *dn;
	struct job *j;

	for (d = e->dests; d; d = dn) {
		dn = d->next;
		while (d->conns) {
			struct econn *c = d->conns;

			d->conns = c->next;
			if (c->slot1 && e->cfg->limiter)
				e->cfg->limiter->give(e->cfg->limiter->arg,
				                      d->key, c->slot1 - 1);
			smtp_conn_free(c->c);
			free(c);
		}
		while ((j = jobq_pop(&d->q)) != NULL)
			job_free(j);
		if (d->slot1 && e->cfg->limiter)
			e->cfg->limiter->give(e->cfg->limiter->arg, d->key,
			                      d->slot1 - 1);
		free(d);
	}
	e->dests = NULL;
	while ((j = jobq_pop(&e->done)) != NULL)
		job_free(j);
}
