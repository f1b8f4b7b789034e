/*
 * engine_event.c — the engine's structured events (engine.h).
 *
 * Every event is built here or by its part and goes out through
 * engine_emit(), once, on the loop thread: to cfg->on_event, and progress
 * snapshots also to the older cfg->progress callback.  State changes and
 * destination limits are also logged at LOG_DEBUG.  Events point into the
 * engine's memory: valid during the callback only.
 */
#include <stdio.h>

#include "base/log.h"
#include "engine/engine_int.h"

static const char *const event_names[] = {
#define ENGINE_EV_NAME(sym, name) name,
    ENGINE_EVENTS(ENGINE_EV_NAME)
#undef ENGINE_EV_NAME
};

static const char *const state_names[] = {
#define ENGINE_RUN_NAME(sym, name) name,
    ENGINE_RUN_STATES(ENGINE_RUN_NAME)
#undef ENGINE_RUN_NAME
};

/* "rcpt", "commit", ...; "?" when out of range. */
const char *
engine_event_name(enum engine_event_kind k)
{
	return (unsigned)k < ENGINE_EV__COUNT ? event_names[k] : "?";
}

/* "started", "paused", ...; "?" when out of range. */
const char *
engine_run_state_name(enum engine_run_state s)
{
	return (unsigned)s < ENGINE_RUN__COUNT ? state_names[s] : "?";
}

/* Stamp ev and hand it to the caller's callbacks. */
void
engine_emit(struct engine *e, struct engine_event *ev)
{
	ev->at = mc_clock_wall(e->clock);
	if (e->cfg->on_event)
		e->cfg->on_event(e->cfg->event_arg, ev);
	if (ev->kind == ENGINE_EV_PROGRESS && e->cfg->progress)
		e->cfg->progress(e->cfg->progress_arg, ev->u.progress);
}

/* The run is in state st now (said once per change). */
void
engine_emit_state(struct engine *e, enum engine_run_state st,
                  const char *reason, time_t next_due)
{
	struct engine_event ev = {.kind = ENGINE_EV_STATE};

	if (st == e->state && st != ENGINE_RUN_STARTED)
		return;
	e->state = st;
	ev.u.state.state = st;
	ev.u.state.reason = reason ? reason : "";
	ev.u.state.next_due = next_due;
	log_debug("campaign %lld: %s%s%s", (long long)e->cfg->campaign_id,
	          engine_run_state_name(st), reason && *reason ? ": " : "",
	          reason ? reason : "");
	engine_emit(e, &ev);
}

/* A recipient's outcome, just recorded. */
void
engine_emit_rcpt(struct engine *e, const struct job *j)
{
	struct engine_event ev = {.kind = ENGINE_EV_RCPT};

	ev.u.rcpt.row_id = j->d.id;
	ev.u.rcpt.contact_id = j->d.contact_id;
	ev.u.rcpt.address = j->d.address;
	ev.u.rcpt.state = j->state;
	ev.u.rcpt.code = j->code;
	ev.u.rcpt.enh = j->enh;
	ev.u.rcpt.text = j->text;
	ev.u.rcpt.dest = j->dest ? j->dest->key : "";
	ev.u.rcpt.relay = j->relay;
	ev.u.rcpt.queue_id = j->queue_id;
	ev.u.rcpt.conn = j->conn_id;
	ev.u.rcpt.attempt = j->d.attempts + 1;
	ev.u.rcpt.next_attempt = j->state == DLV_DEFERRED ? j->next_attempt : 0;
	ev.u.rcpt.suppress = j->action == BOUNCE_ACTION_SUPPRESS;
	engine_emit(e, &ev);
}

/* d's limits changed (why: the reply that slowed it, or "recovered"). */
void
engine_emit_dest(struct engine *e, const struct dest *d, const char *why)
{
	struct engine_event ev = {.kind = ENGINE_EV_DEST};

	ev.u.dest.dest = d->key;
	ev.u.dest.conns = dest_conn_cap(d);
	ev.u.dest.rate = dest_rate_now(d);
	ev.u.dest.penalty = d->penalty;
	ev.u.dest.why = why;
	log_debug("dest %s: %u connections, %.1f/s (step %u): %s", d->key,
	          ev.u.dest.conns, ev.u.dest.rate, d->penalty, why);
	engine_emit(e, &ev);
}

/* Why rows wait: each destination's last deferral into e->p.why, ""
 * when none. */
void
engine_progress_why(struct engine *e)
{
	size_t off = 0;

	e->p.why[0] = '\0';
	for (struct dest *d = e->dests; d && off < sizeof(e->p.why) - 1;
	     d = d->next)
		if (d->last_defer[0])
			off += (size_t)snprintf(
			    e->p.why + off, sizeof(e->p.why) - off, "%s%s: %s",
			    off ? "; " : "", d->key, d->last_defer);
}

/* A progress snapshot to the caller. */
void
engine_progress(struct engine *e)
{
	struct engine_event ev = {.kind = ENGINE_EV_PROGRESS};

	e->p.elapsed = (double)(engine_now_ms(e) - e->start_ms) / 1000.0;
	e->p.rate = e->p.elapsed > 0 ? (double)e->p.sent / e->p.elapsed : 0;
	e->p.inflight = e->window;
	if (e->p.deferred)
		engine_progress_why(e);
	ev.u.progress = &e->p;
	engine_emit(e, &ev);
	e->last_progress_ms = engine_now_ms(e);
}
