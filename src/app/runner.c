/*
 * runner.c — campaign runs on threads of a long-lived process (runner.h):
 * a fixed table of runs, each with its sample under the runner's mutex,
 * and one scheduler thread for campaigns that fall due.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/contacts.h"
#include "app/runner.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"

/* One run slot. */
struct run {
	struct runner *r;
	pthread_t th;
	bool joinable; /* th was started and not joined yet */
	volatile sig_atomic_t stop;
	struct runner_sample s; /* under r->lock */
	/* the run's own thread only (the engine's events) */
	struct runner_dest dl[RUNNER_DESTS_MAX];
	size_t ndl, last_dl;
};

struct runner {
	char *url;
	pthread_mutex_t lock;
	struct run runs[RUNNER_RUNS_MAX];
	pthread_t sched;
	bool sched_started;
	volatile sig_atomic_t stopping;
};

/* Open a connection of our own to the store. */
static struct store *
open_store(const char *url, char *err, size_t errsz)
{
	struct store *s = NULL;

	if (app_store_open(url, STORE_WRITE, &s, err, errsz) < 0)
		return NULL;
	return s;
}

/* The engine's events (its loop thread): per-destination counts and the
 * last reply, in the run's own table. */
static void
on_event(void *arg, const struct engine_event *ev)
{
	struct run *u = arg;
	const char *key;
	struct runner_dest *d = NULL;

	if (ev->kind != ENGINE_EV_RCPT)
		return;
	key = ev->u.rcpt.dest && *ev->u.rcpt.dest ? ev->u.rcpt.dest
	                                          : "(not routed)";
	/* the last destination seen is the likeliest one again */
	if (u->last_dl < u->ndl && strcmp(u->dl[u->last_dl].key, key) == 0)
		d = &u->dl[u->last_dl];
	for (size_t i = 0; d == NULL && i < u->ndl; i++)
		if (strcmp(u->dl[i].key, key) == 0) {
			d = &u->dl[i];
			u->last_dl = i;
		}
	if (d == NULL) {
		if (u->ndl == RUNNER_DESTS_MAX)
			return;
		d = &u->dl[u->ndl];
		memset(d, 0, sizeof(*d));
		mc_strlcpy(d->key, key, sizeof(d->key));
		u->last_dl = u->ndl++;
	}
	switch (ev->u.rcpt.state) {
	case DLV_SENT:
		d->sent++;
		break;
	case DLV_DEFERRED:
		d->deferred++;
		break;
	case DLV_FAILED:
	case DLV_BOUNCED:
		d->failed++;
		break;
	default:
		break;
	}
	/* the reply text once a second per destination is enough */
	if (d->at != ev->at || ev->u.rcpt.state != DLV_SENT) {
		if (ev->u.rcpt.code > 0)
			snprintf(d->last, sizeof(d->last), "%d%s%s %s",
			         ev->u.rcpt.code,
			         ev->u.rcpt.enh && *ev->u.rcpt.enh ? " " : "",
			         ev->u.rcpt.enh ? ev->u.rcpt.enh : "",
			         ev->u.rcpt.text ? ev->u.rcpt.text : "");
		else
			mc_strlcpy(d->last,
			           ev->u.rcpt.text ? ev->u.rcpt.text : "",
			           sizeof(d->last));
		d->at = ev->at;
	}
}

/* The engine's progress (every 250 ms): copy it into the sample. */
static void
on_progress(void *arg, const struct engine_progress *p)
{
	struct run *u = arg;
	struct runner_sample *s = &u->s;
	time_t now = time(NULL);

	pthread_mutex_lock(&u->r->lock);
	s->p = *p;
	s->updated = now;
	if (s->pausing == false)
		mc_strlcpy(s->state, p->waiting ? "waiting" : "running",
		           sizeof(s->state));
	memcpy(s->dest, u->dl, u->ndl * sizeof(u->dl[0]));
	s->ndest = u->ndl;
	if (s->nhist == 0 || s->hist[s->nhist - 1].at != now) {
		if (s->nhist == RUNNER_HIST_MAX) {
			memmove(s->hist, s->hist + 1,
			        (RUNNER_HIST_MAX - 1) * sizeof(s->hist[0]));
			s->nhist--;
		}
		s->hist[s->nhist++] =
		    (struct runner_point){now, p->sent, p->deferred, p->failed};
	} else {
		s->hist[s->nhist - 1] =
		    (struct runner_point){now, p->sent, p->deferred, p->failed};
	}
	pthread_mutex_unlock(&u->r->lock);
}

/* A run's thread: campaign_resume() until settled or paused. */
static void *
run_main(void *arg)
{
	struct run *u = arg;
	struct campaign_start_opts o;
	struct campaign_result res;
	char err[CAMPAIGN_ERR_MAX] = "";
	struct store *s = open_store(u->r->url, err, sizeof(err));
	int64_t id = u->s.id;
	int rc = MC_EIO;

	memset(&res, 0, sizeof(res));
	if (s != NULL) {
		memset(&o, 0, sizeof(o));
		o.stop = &u->stop;
		o.progress = on_progress;
		o.progress_arg = u;
		o.on_event = on_event;
		o.event_arg = u;
		rc = campaign_resume(s, id, &o, &res, err, sizeof(err));
		/* deferred rows left: come back when the next is due (the
		 * scheduler claims it), as run-due does */
		if (rc == 0 && res.run.deferred_left &&
		    !res.run.window_closed && !res.run.paused)
			(void)store_campaign_schedule(
			    s, id,
			    res.run.next_due > time(NULL) ? res.run.next_due
			                                  : time(NULL) + 1);
		store_close(s);
	}
	pthread_mutex_lock(&u->r->lock);
	if (rc < 0) {
		mc_strlcpy(u->s.state, "failed", sizeof(u->s.state));
		mc_strlcpy(u->s.error, err, sizeof(u->s.error));
	} else {
		mc_strlcpy(u->s.state, campaign_status_name(res.status),
		           sizeof(u->s.state));
		u->s.p = res.run.p;
	}
	u->s.active = false;
	u->s.pausing = false;
	u->s.updated = time(NULL);
	pthread_mutex_unlock(&u->r->lock);
	if (rc < 0)
		log_error("serve: campaign %lld: %s", (long long)id, err);
	else
		log_warn("serve: campaign %lld: %s (sent %lu, deferred %lu, "
		         "failed %lu)",
		         (long long)id, campaign_status_name(res.status),
		         res.run.p.sent, res.run.p.deferred, res.run.p.failed);
	return NULL;
}

/* A slot for campaign id under r->lock: its own, an unused one, or the
 * oldest finished one; NULL when every slot runs. */
static struct run *
slot_for(struct runner *r, int64_t id)
{
	struct run *best = NULL;

	for (size_t i = 0; i < RUNNER_RUNS_MAX; i++)
		if (r->runs[i].s.id == id)
			return &r->runs[i];
	for (size_t i = 0; i < RUNNER_RUNS_MAX; i++) {
		struct run *u = &r->runs[i];

		if (u->s.id == 0)
			return u;
		if (!u->s.active &&
		    (best == NULL || u->s.updated < best->s.updated))
			best = u;
	}
	return best;
}

/* Start a run of campaign id. */
int
runner_start(struct runner *r, int64_t id, char *err, size_t errsz)
{
	struct store_campaign c;
	struct run *u;
	struct store *s;
	int rc;

	if (r->stopping)
		return mc_fail(MC_EAGAIN, err, errsz, "the server is stopping");
	if ((s = open_store(r->url, err, errsz)) == NULL)
		return MC_EIO;
	/* only its status: not campaign_status_get(), whose count of the
	 * ledger's states (~50 ms at 200,000 rows) the click would wait for */
	if ((rc = store_campaign_get(s, id, &c)) < 0)
		mc_fail(rc, err, errsz, "%s", store_error(s));
	store_close(s);
	if (rc < 0)
		return rc == MC_ENOTFOUND ? rc : MC_EIO;
	if (campaign_status_parse(c.status) == CAMPAIGN_DONE)
		return mc_fail(MC_EINVAL, err, errsz,
		               "campaign %lld is done: nothing is left to send",
		               (long long)id);
	pthread_mutex_lock(&r->lock);
	u = slot_for(r, id);
	if (u == NULL || u->s.active) {
		pthread_mutex_unlock(&r->lock);
		if (u != NULL)
			return mc_fail(MC_EAGAIN, err, errsz,
			               "campaign %lld is running already",
			               (long long)id);
		return mc_fail(MC_EAGAIN, err, errsz,
		               "%d campaigns are running: wait for one",
		               RUNNER_RUNS_MAX);
	}
	if (u->joinable) {
		/* finished: the join returns at once */
		pthread_join(u->th, NULL);
		u->joinable = false;
	}
	memset(u, 0, sizeof(*u));
	u->r = r;
	u->s.id = id;
	u->s.active = true;
	u->s.started = u->s.updated = time(NULL);
	mc_strlcpy(u->s.state, "starting", sizeof(u->s.state));
	if (pthread_create(&u->th, NULL, run_main, u) != 0) {
		u->s.active = false;
		mc_strlcpy(u->s.state, "failed", sizeof(u->s.state));
		pthread_mutex_unlock(&r->lock);
		return mc_fail(MC_EIO, err, errsz, "cannot start a thread");
	}
	u->joinable = true;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* Ask a run to pause. */
int
runner_pause(struct runner *r, int64_t id, char *err, size_t errsz)
{
	bool found = false;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < RUNNER_RUNS_MAX; i++) {
		struct run *u = &r->runs[i];

		if (u->s.id == id && u->s.active) {
			u->stop = 1;
			u->s.pausing = true;
			mc_strlcpy(u->s.state, "pausing", sizeof(u->s.state));
			found = true;
		}
	}
	pthread_mutex_unlock(&r->lock);
	if (!found) {
		struct store *s = open_store(r->url, err, errsz);
		unsigned n = 0;
		int rc;

		if (s == NULL)
			return MC_EIO;
		/* a run of another process on this host: its clean pause */
		rc = campaign_pause(s, id, &n, err, errsz);
		store_close(s);
		return rc;
	}
	return 0;
}

/* The latest sample of a run. */
bool
runner_sample(struct runner *r, int64_t id, struct runner_sample *out)
{
	bool found = false;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < RUNNER_RUNS_MAX && !found; i++)
		if (r->runs[i].s.id == id) {
			*out = r->runs[i].s;
			found = true;
		}
	pthread_mutex_unlock(&r->lock);
	return found;
}

/* campaign_each: keep the ids of running campaigns. */
static int
add_running(void *arg, const struct store_campaign *c)
{
	int64_t *ids = arg;

	for (size_t i = 0; i < RUNNER_RUNS_MAX; i++)
		if (ids[i] == 0) {
			ids[i] = c->id;
			return 0;
		}
	return 1;
}

/* The scheduler: claim due campaigns once a second. */
static void *
sched_main(void *arg)
{
	struct runner *r = arg;
	char err[CAMPAIGN_ERR_MAX];
	struct store *s = NULL;

	while (!r->stopping) {
		struct timespec ts = {0, 200 * 1000000L};
		int64_t id;

		if (s == NULL)
			s = open_store(r->url, err, sizeof(err));
		/* bounded: each claim clears one schedule */
		for (int i = 0; s != NULL && i < 100 && !r->stopping; i++) {
			int rc = store_campaign_claim_due(s, time(NULL), &id);

			if (rc < 0)
				break;
			store_event_add(s, id, 0, "run-due", NULL, time(NULL));
			if (runner_start(r, id, err, sizeof(err)) < 0)
				log_warn("serve: campaign %lld is due: %s",
				         (long long)id, err);
		}
		for (int i = 0; i < 5 && !r->stopping; i++)
			nanosleep(&ts, NULL);
	}
	store_close(s);
	return NULL;
}

/* A runner. */
struct runner *
runner_new(const char *url)
{
	struct runner *r = xcalloc(1, sizeof(*r));

	r->url = xstrdup(url);
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

/* Resume orphaned running campaigns; start the scheduler. */
int
runner_boot(struct runner *r, char *err, size_t errsz)
{
	int64_t ids[RUNNER_RUNS_MAX] = {0};
	struct store *s = open_store(r->url, err, errsz);
	int rc;

	if (s == NULL)
		return MC_EIO;
	rc = store_campaign_each(s, "running", add_running, ids);
	for (size_t i = 0; rc >= 0 && i < RUNNER_RUNS_MAX && ids[i]; i++) {
		struct campaign_info ci;
		char why[CAMPAIGN_ERR_MAX];

		/* a run alive elsewhere (a `campaign start` in a terminal)
		 * keeps its campaign; one whose runs all died resumes here */
		if (campaign_status_get(s, ids[i], &ci, why, sizeof(why)) < 0 ||
		    ci.nholders > 0)
			continue;
		if (runner_start(r, ids[i], why, sizeof(why)) == 0)
			log_warn("serve: campaign %lld was left running: "
			         "resumed",
			         (long long)ids[i]);
		else
			log_warn("serve: campaign %lld: %s", (long long)ids[i],
			         why);
	}
	if (rc < 0) {
		mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
		store_close(s);
		return MC_EIO;
	}
	store_close(s);
	if (pthread_create(&r->sched, NULL, sched_main, r) != 0)
		return mc_fail(MC_EIO, err, errsz, "cannot start a thread");
	r->sched_started = true;
	return 0;
}

/* Pause everything, join, free. */
void
runner_free(struct runner *r)
{
	if (r == NULL)
		return;
	r->stopping = 1;
	if (r->sched_started)
		pthread_join(r->sched, NULL);
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < RUNNER_RUNS_MAX; i++)
		r->runs[i].stop = 1;
	pthread_mutex_unlock(&r->lock);
	for (size_t i = 0; i < RUNNER_RUNS_MAX; i++)
		if (r->runs[i].joinable)
			pthread_join(r->runs[i].th, NULL);
	pthread_mutex_destroy(&r->lock);
	free(r->url);
	free(r);
}
