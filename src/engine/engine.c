/*
 * engine.c — the run loop of the campaign runner (engine.h).
 *
 * engine_run() sets a run up (clock, event base, router, recovery of dead
 * runs' rows, render threads), then turns the event loop until the run
 * ends: a 10 ms tick keeps the window of leased rows full (ledger_lease),
 * dispatches the destinations, flushes the ledger every HOUSEKEEP_MS,
 * reports progress every PROGRESS_MS, notices *stop and the end (every row
 * settled; only deferred rows left, due after the linger; an error).  The
 * parts it ties together are listed in engine_int.h.  With a caller's event
 * base the loop turns that base, so the caller's events run meanwhile;
 * everything the engine put on it is gone when engine_run() returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "base/error.h"
#include "base/xmalloc.h"
#include "dns/dns.h"
#include "engine/engine_int.h"
#include "engine/route_int.h"
#include "msg/template.h"

/* Monotonic milliseconds of the engine's clock. */
uint64_t
engine_now_ms(struct engine *e)
{
	return mc_clock_mono_ms(e->clock);
}

/* Recipients settled so far by this run (sent, failed or suppressed). */
unsigned long
engine_settled(const struct engine *e)
{
	return e->p.sent + e->p.failed + e->p.suppressed;
}

/* How long the run waits in all for retries, in milliseconds. */
static uint64_t
linger_ms(const struct engine *e)
{
	return (uint64_t)(e->cfg->retry.linger ? e->cfg->retry.linger : 900) *
	       1000;
}

/* Note the first error of the run; the loop stops. */
void
engine_fail(struct engine *e, int err, const char *what, const char *detail)
{
	if (e->err == 0) {
		e->err = err;
		snprintf(e->errbuf, sizeof(e->errbuf), "%s%s", what, detail);
	}
	e->failed = true;
}

/* Only deferred rows are left, due at due: wait, or end after linger.
 * The linger is the waiting of the run as a whole, from the moment it
 * starts waiting until a recipient settles: retries that keep failing
 * (a dead relay, due every few seconds) do not wait past it. */
static void
feed_wait(struct engine *e, time_t due)
{
	uint64_t now = engine_now_ms(e);
	time_t w = mc_clock_wall(e->clock);
	uint64_t wait = due > w ? (uint64_t)(due - w) * 1000 : 200;
	uint64_t linger = linger_ms(e);
	unsigned long settled = engine_settled(e);
	char why[600];

	if (e->window == 0) {
		if (e->wait_since_ms == 0 || settled != e->wait_settled) {
			e->wait_since_ms = now;
			e->wait_settled = settled;
		}
		/* nothing to send before the linger is over: end the run
		 * rather than hold the terminal for hours */
		if (now - e->wait_since_ms >= linger ||
		    (due > w && now - e->wait_since_ms + wait > linger)) {
			e->lingered = true;
			e->next_due = due;
			return;
		}
	}
	e->exhausted = false;
	e->p.waiting = e->window == 0;
	e->p.next_s = due > w ? (unsigned)(due - w) : 0;
	e->next_lease_ms = now + (wait < 1000 ? wait : 1000);
	if (e->p.waiting && e->state != ENGINE_RUN_WAITING) {
		engine_progress_why(e);
		snprintf(why, sizeof(why),
		         "waiting for retries: the next is due in %lld s%s%s",
		         (long long)(due > w ? due - w : 0),
		         e->p.why[0] ? "; " : "", e->p.why);
		engine_emit_state(e, ENGINE_RUN_WAITING, why, due);
	}
}

/* Nothing to lease: are rows held by another live run?  Then wait for
 * it (it settles them, or stops beating and we take them over). */
static bool
feed_held(struct engine *e)
{
	char who[400], why[600];
	unsigned long held = ledger_held_elsewhere(e, who, sizeof(who));

	e->p.held = held;
	if (held == 0)
		return false;
	e->exhausted = false;
	e->p.waiting = e->window == 0;
	e->next_lease_ms = engine_now_ms(e) + 500;
	if (e->p.waiting) {
		snprintf(why, sizeof(why),
		         "%lu rows are held by another run (%s): waiting until "
		         "it settles them, or stops and they are taken over",
		         held, who);
		engine_emit_state(e, ENGINE_RUN_WAITING, why, 0);
	}
	return true;
}

/*
 * How many jobs may be in memory.  A run under a connection budget
 * spreads its jobs over destinations that wait their turn for a
 * connection: deeper queues give each connection it sets up more messages
 * (direct delivery to many domains), so its window grows, up to
 * WINDOW_BUDGET jobs whose bodies (at the average size of those rendered
 * so far; none yet: no growth) fit WINDOW_BYTES.
 */
static size_t
window_cap(const struct engine *e)
{
	size_t avg, cap;

	if (e->cfg->limits.total_conns == 0 || e->body_jobs == 0)
		return WINDOW;
	avg = e->body_bytes / e->body_jobs + 1;
	cap = WINDOW_BYTES / avg;
	return cap < WINDOW          ? WINDOW
	       : cap > WINDOW_BUDGET ? WINDOW_BUDGET
	                             : cap;
}

/* Keep the window full; notice when nothing is left. */
static void
feed(struct engine *e)
{
	size_t cap = window_cap(e);

	while (!e->stopping && !e->failed && !e->lingered && e->window < cap &&
	       engine_now_ms(e) >= e->next_lease_ms) {
		/* small leases until the first message is out: a lease
		 * blocks the loop while its rows are checked and routed */
		size_t want = e->first_ms > 0 ? LEASE_BATCH : LEASE_FIRST;
		size_t got;
		time_t due;
		int rc;

		/* whole batches: a lease blocks the loop for about a
		 * millisecond whatever its size (a transaction and its
		 * fsync, the suppression query), so a busy run tops up its
		 * window once a batch fits, not every tick by the few rows
		 * settled since the last one */
		if (e->first_ms > 0 && cap - e->window < want &&
		    e->window > cap / 2)
			break;
		if (want > cap - e->window)
			want = cap - e->window;
		got = ledger_lease(e, want);
		if (e->failed)
			return;
		if (got > 0) {
			e->exhausted = false;
			e->p.waiting = false;
			if (e->state == ENGINE_RUN_WAITING)
				engine_emit_state(e, ENGINE_RUN_SENDING,
				                  "retries are due", 0);
			if (e->first_ms == 0)
				return; /* the first rows go out before the
				           window fills (one lease a tick) */
			continue;
		}
		if (feed_held(e))
			return;
		rc = store_next_due(e->cfg->store, e->cfg->campaign_id, &due);
		if (rc == MC_ENOTFOUND) {
			e->exhausted = true;
			e->next_lease_ms = engine_now_ms(e) + 1000;
		} else if (rc < 0) {
			engine_fail(e, rc, "", store_error(e->cfg->store));
		} else {
			feed_wait(e, due);
		}
		return;
	}
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
	rpool_take_back(e);
}

/* *stop or engine_stop(): 1 pause (release what did not leave), 2 stop
 * at once. */
static void
tick_stop(struct engine *e)
{
	int level = e->stop_level;

	if (e->cfg->stop && *e->cfg->stop > level)
		level = *e->cfg->stop;
	if (level > 1) {
		e->stopping = true;
		engine_end(e);
		return;
	}
	if (level > 0 && !e->stopping) {
		e->stopping = true;
		engine_emit_state(
		    e, ENGINE_RUN_PAUSING,
		    "asked to stop: transactions on the wire finish", 0);
		release_unsent(e);
	}
}

/*
 * The linger is over while retries sit in a destination queue that backs
 * off (a dead relay: the retry is due, the connection waits): end the run
 * as lingered.  What did not leave goes back as it was (still deferred,
 * due now), as a pause gives it back.
 */
static void
tick_linger(struct engine *e)
{
	uint64_t linger = linger_ms(e);
	unsigned long settled = engine_settled(e);
	uint64_t since = e->wait_since_ms;

	if (e->lingered || e->stopping)
		return;
	if (since != 0 && settled != e->wait_settled) {
		e->wait_since_ms = 0; /* progress: the count starts again */
		return;
	}
	/* A run whose retries are due again before its destination takes
	 * them (a server that answers every session with 421, retries 1 s
	 * apart) never waits with nothing in hand, yet waits all the same:
	 * its linger counts from the first deferral since a recipient last
	 * settled. */
	if (since == 0 && e->stall_since_ms != 0 && settled == e->stall_settled)
		since = e->stall_since_ms;
	if (since == 0 || engine_now_ms(e) - since < linger)
		return;
	e->lingered = true;
	e->next_due = mc_clock_wall(e->clock);
	release_unsent(e);
}

/* Is the sending window open at now?  If not, *opens is when it is. */
static bool
window_open(const struct engine_config *c, time_t now, time_t *opens)
{
	long sod = (long)(now % 86400), m = sod / 60;
	long a = (long)c->window_start, b = (long)c->window_end;

	if (a == b || (a < b && m >= a && m < b) ||
	    (a > b && (m >= a || m < b)))
		return true;
	*opens = now + (a * 60 - sod + 86400) % 86400;
	return false;
}

/* The sending window closed: what did not leave goes back, the run ends
 * (as a linger does), to go on when it opens. */
static void
tick_window(struct engine *e)
{
	time_t opens;

	if (e->lingered || e->stopping || e->exhausted ||
	    window_open(e->cfg, mc_clock_wall(e->clock), &opens))
		return;
	e->lingered = true;
	e->window_shut = true;
	e->next_due = opens;
	release_unsent(e);
}

/* Is the run over?  (Everything settled, lingering, paused, failed.) */
static bool
tick_over(struct engine *e)
{
	bool idle = e->window == 0 && e->p.conns == 0;

	if (e->failed)
		return true;
	if (e->stopping) {
		if (e->pool.busy == 0) {
			release_unsent(e);
			ledger_flush(e);
		}
		return e->window == 0 && e->p.conns == 0;
	}
	if (e->exhausted && idle) {
		e->finished = true;
		return true;
	}
	if (e->lingered && !idle && e->pool.busy == 0)
		release_unsent(e); /* what came out of the render pool since */
	if (e->lingered && idle) {
		ledger_flush(e);
		return true;
	}
	return false;
}

/* Milliseconds between heartbeats: a third of the lease timeout. */
static uint64_t
beat_ms(const struct engine *e)
{
	uint64_t ms = (uint64_t)e->lease_timeout * 1000 / 3;

	return ms < 1000 ? 1000 : ms;
}

/* The 10 ms tick: pacing, feeding, flushing, progress, the end. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;
	uint64_t now = engine_now_ms(e);

	(void)fd;
	(void)what;
	if (e->ended)
		return;
	tick_stop(e);
	if (e->ended || e->failed) {
		engine_end(e);
		return;
	}
	if (now - e->last_beat_ms >= beat_ms(e)) {
		ledger_heartbeat(e);
		if (e->cfg->limiter &&
		    e->cfg->limiter->beat(e->cfg->limiter->arg))
			dest_slots_lost(e);
	}
	tick_linger(e);
	tick_window(e);
	e->starved = false; /* found again by this round, if still so */
	dest_dispatch_all(e);
	feed(e);
	if (now - e->last_flush_ms >= HOUSEKEEP_MS || e->stopping)
		ledger_flush(e);
	if (now - e->last_progress_ms >= PROGRESS_MS)
		engine_progress(e);
	/* The run is ending (or waiting long): idle connections go now. */
	econn_quit_idle(e, e->stopping || ((e->exhausted || e->lingered) &&
	                                   e->window == 0));
	if (tick_over(e))
		engine_end(e);
}

/* Make the router of the configuration (direct: the injected resolver or
 * c-ares on cfg->dns_server). */
static int
router_make(struct engine *e)
{
	const struct engine_config *cfg = e->cfg;
	char err[256];

	if (cfg->direct) {
		struct dns_resolver *dns = cfg->dns;

		if (dns == NULL &&
		    dns_cares_new(cfg->dns_server,
		                  cfg->timeout_ms ? (int)cfg->timeout_ms : 5000,
		                  2, &e->dns, err, sizeof(err)) < 0) {
			snprintf(e->errbuf, sizeof(e->errbuf), "DNS: %s", err);
			return MC_ECONFIG;
		}
		if (dns == NULL)
			dns = e->dns;
		e->router = router_new_direct(e->base, dns,
		                              cfg->mx_port ? cfg->mx_port : 25);
		if (e->router == NULL) {
			snprintf(e->errbuf, sizeof(e->errbuf),
			         "direct delivery is not available in this "
			         "build");
			return MC_EUNSUPP;
		}
		router_direct_set_clock(e->router, e->clock);
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

/* The engine of a run: clock, limits, token key, event base. */
static struct engine *
engine_new(const struct engine_config *cfg)
{
	struct engine *e = xcalloc(1, sizeof(*e));

	e->cfg = cfg;
	e->clock = cfg->clock ? cfg->clock : mc_clock_system();
	e->start_ms = engine_now_ms(e);
	e->last_flush_ms = e->last_progress_ms = e->start_ms;
	e->pipeline = cfg->limits.pipeline ? cfg->limits.pipeline : 8;
	e->conns_max = cfg->limits.dest_conns ? cfg->limits.dest_conns : 4;
	e->state = ENGINE_RUN__COUNT;
	e->key = cfg->token_key;
	e->own_base = cfg->base == NULL;
	e->base = cfg->base ? cfg->base : event_base_new();
	return e;
}

/* Free the engine and what it made (never the caller's base or DNS). */
static void
engine_free(struct engine *e)
{
	if (e->end_ev)
		event_free(e->end_ev);
	router_free(e->router);
	if (e->dns)
		dns_resolver_free(e->dns);
	jobs_free_live(e); /* after what could still call back with one */
	if (e->own_base)
		event_base_free(e->base);
	tmpl_free(e->tmpl);
	engine_attrs_fini(&e->attrs);
	free(e);
}

/* The run's last state and its words. */
static void
engine_end_state(struct engine *e)
{
	char why[600];

	if (e->failed) {
		engine_emit_state(e, ENGINE_RUN_FAILED, e->errbuf, 0);
	} else if (e->stopping) {
		engine_emit_state(e, ENGINE_RUN_PAUSED,
		                  "unsent rows are pending again", 0);
	} else if (e->finished) {
		engine_emit_state(e, ENGINE_RUN_FINISHED,
		                  "every recipient settled", 0);
	} else {
		snprintf(why, sizeof(why),
		         e->window_shut ? "the sending window is closed: it "
		                          "opens in %lld s"
		                        : "deferred recipients are left: the "
		                          "next is due in %lld s",
		         (long long)(e->next_due - mc_clock_wall(e->clock)));
		engine_emit_state(e, ENGINE_RUN_DEFERRED, why, e->next_due);
	}
}

/* The run ended (the end event): settle what is left, free the run's
 * parts, tell the caller (who may call engine_finish() from done). */
static void
on_end(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;

	(void)fd;
	(void)what;
	store_durable_commits(e->cfg->store, true);
	if (!e->failed) {
		if (e->stopping)
			release_unsent(e);
		ledger_flush(e);
	}
	ledger_holder_end(e);
	engine_progress(e);
	rpool_stop(e);
	event_free(e->tick);
	e->tick = NULL;
	if (e->commit_ev)
		event_free(e->commit_ev);
	e->commit_ev = NULL;
	dests_free(e);
	job_spares_free(e);
	engine_end_state(e);
	e->over = true;
	if (e->done_fn)
		e->done_fn(e->done_arg, e);
}

/* Say the run is over: the end event runs at the next turn, outside the
 * callbacks of what it frees. */
void
engine_end(struct engine *e)
{
	e->ended = true;
	if (!e->end_pending) {
		e->end_pending = true;
		event_active(e->end_ev, 0, 0);
	}
}

/* Recover, count, and start the loop's work on the base. */
static int
engine_begin(struct engine *e)
{
	const struct engine_config *cfg = e->cfg;
	struct timeval tv = {0, TICK_MS * 1000};
	unsigned long counts[DLV__COUNT];
	char why[64] = "";
	int rc;

	if ((rc = router_make(e)) < 0 || (rc = ledger_holder_start(e)) < 0 ||
	    (rc = ledger_recover(e)) < 0) {
		ledger_holder_end(e);
		return rc;
	}
	e->p.resent = e->recovered;
	if (store_count_states(cfg->store, cfg->campaign_id, counts) == 0)
		e->p.total = counts[DLV_PENDING] + counts[DLV_DEFERRED] +
		             counts[DLV_INFLIGHT];
	if (e->recovered)
		snprintf(why, sizeof(why), "%lu rows of a dead run are resent",
		         e->recovered);
	engine_emit_state(e, ENGINE_RUN_STARTED, why, 0);
	/* Many small ledger commits: durable against a crash, not each one
	 * against a power cut (store.h); the last commit is made full. */
	store_durable_commits(cfg->store, false);
	rpool_start(e);
	e->end_ev = event_new(e->base, -1, 0, on_end, e);
	e->tick = event_new(e->base, -1, EV_PERSIST, on_tick, e);
	event_add(e->tick, &tv);
	tick_window(e);
	feed(e);
	if (e->failed)
		engine_end(e);
	return 0;
}

/* Start a run on cfg->base; see engine.h. */
int
engine_start(const struct engine_config *cfg, engine_done_fn *done, void *arg,
             struct engine **out, char *err, size_t errsz)
{
	struct engine *e;
	int rc;

	*out = NULL;
	if (cfg->base == NULL) {
		snprintf(err, errsz, "engine_start needs an event base");
		return MC_EINVAL;
	}
	if (cfg->token_key == NULL) {
		/* a link signed by a key nobody keeps can never be verified */
		snprintf(err, errsz, "a campaign needs the store's token key");
		return MC_EINVAL;
	}
	e = engine_new(cfg);
	e->done_fn = done;
	e->done_arg = arg;
	if ((rc = engine_begin(e)) < 0) {
		snprintf(err, errsz, "%s", e->errbuf);
		engine_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

/* Ask the run to pause (now: stop at once), as *cfg->stop does. */
void
engine_stop(struct engine *e, bool now)
{
	if (e->stop_level < (now ? 2 : 1))
		e->stop_level = now ? 2 : 1;
	/* the tick sees it at the next turn of the loop, not up to TICK_MS
	 * later (the first rows of a run can be out within a tick) */
	if (e->tick != NULL && !e->ended)
		event_active(e->tick, EV_TIMEOUT, 0);
}

/* The result of an ended run, and free it; see engine.h. */
int
engine_finish(struct engine *e, struct engine_result *res, char *err,
              size_t errsz)
{
	int rc;

	memset(res, 0, sizeof(*res));
	if (!e->over) {
		/* not over yet: stop at once and settle now */
		if (e->end_pending)
			event_del(e->end_ev);
		e->stopping = e->ended = true;
		e->done_fn = NULL;
		on_end(-1, 0, e);
	}
	res->p = e->p;
	res->recovered = e->recovered;
	res->finished = e->finished;
	res->deferred_left = e->lingered && !e->finished;
	res->window_closed = e->window_shut && !e->finished;
	res->next_due = e->next_due;
	res->paused = e->stopping;
	res->first_ms = e->first_ms;
	rc = e->err;
	if (rc < 0)
		snprintf(err, errsz, "%s", e->errbuf);
	engine_free(e);
	return rc;
}

/*
 * Wait for the server by spinning before sleeping.  A server that
 * discards or queues in memory (smtp-sink on this host) answers the end
 * of data within tens of microseconds; going to sleep in epoll_wait and
 * being woken by that reply costs more wall time than the wait (1 KiB x 4
 * connections into smtp-sink: one sleep per message; spinning first cut
 * the run's wall time by 7-9% for ~9% more CPU, docs/engine-profile.md).
 * So the loop turns without blocking for up to SPIN_US, and stops as soon
 * as a transaction gets its outcome.
 *
 * Only while spinning pays: when fewer than half of the recent spins saw
 * an outcome (a distant server, a server that writes each message to
 * disk, a paced run, 50 KiB messages), the loop sleeps at once and spins
 * again only every SPIN_PROBE-th wait, to notice when it would pay again.
 * The cost is then a few 50 us misses per outcome at most (90-134 us per
 * outcome measured in paced and retrying runs).  Never while the render
 * threads have work: their core is worth more than the wake-up saved
 * (ed25519 DKIM on two cores).  Only engine_run() spins: a caller that
 * turns the loop itself (engine_start()) never does.
 */
#define SPIN_US    50
#define SPIN_PROBE 16

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Turn the loop without blocking until an outcome or SPIN_US; true if
 * an outcome came (the caller spins again rather than sleep). */
static bool
spin(struct engine *e)
{
	if (e->pool.busy > 0)
		return false;
	if (e->spin_hits < 128 && ++e->spin_skipped < SPIN_PROBE)
		return false;
	e->spin_skipped = 0;

	unsigned long seen = e->outcomes;
	uint64_t end = mono_us() + SPIN_US;
	bool hit = false;

	do {
		if (event_base_loop(e->base, EVLOOP_NONBLOCK) < 0)
			break;
		hit = e->outcomes != seen;
	} while (!hit && !e->over && mono_us() < end);
	/* a moving average of the hits, in 256ths */
	if (hit)
		e->spin_hits += (256 - e->spin_hits) / 8;
	else
		e->spin_hits -= e->spin_hits / 8;
	return hit;
}

/* Run the campaign until every row is settled or *stop; see engine.h. */
int
engine_run(const struct engine_config *cfg, struct engine_result *res,
           char *err, size_t errsz)
{
	struct engine *e;

	if (cfg->token_key == NULL) {
		memset(res, 0, sizeof(*res));
		snprintf(err, errsz, "a campaign needs the store's token key");
		return MC_EINVAL;
	}
	e = engine_new(cfg);
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = engine_begin(e)) < 0) {
		snprintf(err, errsz, "%s", e->errbuf);
		engine_free(e);
		return rc;
	}
	/* One turn at a time: the caller's events on a shared base may
	 * break its loop, which must not end the run. */
	e->spin_hits = 128;
	while (!e->over) {
		if (spin(e))
			continue;
		if (!e->over && event_base_loop(e->base, EVLOOP_ONCE) < 0)
			break; /* engine_finish() stops it at once */
	}
	return engine_finish(e, res, err, errsz);
}
