/*
 * campaign_report.c — a campaign's report as data (campaign.h): rows by
 * state, by destination and by reply, the sending time of every run, and
 * the rows that were in flight at a crash and sent again; the store's
 * aggregates (store_aggregate): settled rows and complaints /
 * unsubscribes / clicks / opens over time (minutes put in at most
 * CAMPAIGN_BUCKETS buckets here), bounces by class, the slowest relays.
 * Front ends print it (text, JSON, HTML: report_html.c) or serve it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "app/campaign.h"
#include "app/contacts.h"
#include "app/track.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"

struct tallies {
	struct campaign_tally **v;
	size_t *n;
	struct campaign_report *r;
};

/* One (key, state, n) of the store's tally, in its order. */
static int
tally_add(struct tallies *t, const char *key, enum store_dlv_state st,
          unsigned long n)
{
	struct campaign_tally *e = NULL;

	if (key == NULL || *key == '\0')
		key = "(none)";
	for (size_t i = 0; i < *t->n; i++)
		if (strcmp((*t->v)[i].key, key) == 0)
			e = &(*t->v)[i];
	if (e == NULL) {
		*t->v = xreallocarray(*t->v, *t->n + 1, sizeof(**t->v));
		e = &(*t->v)[(*t->n)++];
		memset(e, 0, sizeof(*e));
		e->key = xstrdup(key);
	}
	if (e->n < DLV__COUNT) {
		e->by[e->n].state = st;
		e->by[e->n].n = n;
		e->n++;
	}
	return 0;
}

/* A tally's (key, state name, n) row of the store. */
static int
tally_row(struct tallies *t, const struct store_agg_row *row)
{
	int st = store_dlv_state_parse(row->sub ? row->sub : "");

	return tally_add(t, row->key,
	                 st < 0 ? DLV_PENDING : (enum store_dlv_state)st,
	                 row->n);
}

#define RUNS_MAX 4096 /* runs whose span is looked for, the first ones */

/* The runs of a campaign as its events tell them: each run-start, and
 * whether a run-end closed it (a run killed with -9 has none). */
struct runs {
	struct campaign_report *r;
	time_t start[RUNS_MAX];
	time_t last[RUNS_MAX]; /* the latest ledger update of the run */
	bool open[RUNS_MAX];
	size_t n;
	json_t *resent; /* contact ids listed as resent: each once */
};

/* The runs' sending time and the rows resent whose fate was unknown (in
 * flight when a run died or stopped at once, or their connection lost
 * after the end of data). */
static int
event_add(void *arg, const struct store_event *e)
{
	struct runs *u = arg;
	struct campaign_report *r = u->r;

	if (strcmp(e->kind, "run-start") == 0) {
		if (u->n < RUNS_MAX) {
			u->start[u->n] = e->at;
			u->last[u->n] = e->at;
			u->open[u->n++] = true;
		}
	} else if (strcmp(e->kind, "inflight-unknown") == 0 ||
	           strcmp(e->kind, "delivery-unknown") == 0) {
		char key[24];

		/* a recipient resent several times counts once */
		snprintf(key, sizeof(key), "%lld", (long long)e->contact_id);
		if (json_object_get(u->resent, key) != NULL)
			return 0;
		json_object_set_new(u->resent, key, json_true());
		r->nresent++;
		if (r->nresent_listed < CAMPAIGN_REPORT_RESENT_MAX) {
			r->resent = xreallocarray(
			    r->resent, r->nresent_listed + 1, sizeof(char *));
			r->resent[r->nresent_listed++] =
			    xstrdup(e->address ? e->address : "?");
		}
	} else if (strcmp(e->kind, "run-end") == 0) {
		json_t *d = json_loads(e->detail ? e->detail : "", 0, NULL);

		r->seconds += json_number_value(json_object_get(d, "seconds"));
		json_decref(d);
		if (u->n > 0)
			u->open[u->n - 1] = false;
	}
	return 0;
}

/* Rows last updated at a second count for the open run it falls in. */
static void
update_seen(struct runs *u, int64_t at)
{
	for (size_t i = u->n; i > 0; i--)
		if (at >= u->start[i - 1]) {
			if (u->open[i - 1] && at > u->last[i - 1])
				u->last[i - 1] = (time_t)at;
			break;
		}
}

/*
 * The runs that never wrote their run-end (killed, or still going) sent
 * from their start to the last ledger update made in them: whole seconds,
 * as the ledger keeps them (the ledger's updates came with its aggregates).
 */
static void
open_runs_time(struct runs *u)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->open[i])
			u->r->seconds += (double)(u->last[i] - u->start[i]);
}

const char *const campaign_done_series[CAMPAIGN_SERIES] = {"sent", "deferred",
                                                           "failed", "bounced"};
const char *const campaign_activity_series[CAMPAIGN_SERIES] = {
    "complaint", "unsubscribe", "click", "open"};

/* A timeline being filled: the store's rows by the minute, kept until
 * the span is known. */
struct timeline_fill {
	struct campaign_timeline *t;
	const char *const *names;
	struct minute {
		int64_t at;
		int k;
		unsigned long n;
	} * m;
	size_t n, cap;
};

/* One (series, minute, n) row (they come oldest first). */
static int
minute_add(void *arg, const struct store_agg_row *row)
{
	struct timeline_fill *f = arg;
	int k = -1;

	for (int i = 0; i < CAMPAIGN_SERIES; i++)
		if (row->sub && strcmp(row->sub, f->names[i]) == 0)
			k = i;
	if (k < 0)
		return 0;
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 256;
		f->m = xreallocarray(f->m, f->cap, sizeof(*f->m));
	}
	f->m[f->n++] = (struct minute){row->at, k, row->n};
	return 0;
}

/* The minutes into at most CAMPAIGN_BUCKETS buckets of whole minutes. */
static void
timeline_make(struct timeline_fill *f)
{
	struct campaign_timeline *t = f->t;
	int64_t lo, span;

	if (f->n == 0)
		return;
	lo = f->m[0].at;
	span = f->m[f->n - 1].at - lo;
	t->step = (span / 60 / CAMPAIGN_BUCKETS + 1) * 60;
	for (size_t i = 0; i < f->n; i++) {
		int64_t at = lo + (f->m[i].at - lo) / t->step * t->step;

		if (t->n == 0 || t->at[t->n - 1] != at) {
			if (t->n == CAMPAIGN_BUCKETS)
				break; /* not reached: the step keeps them in */
			t->at[t->n++] = at;
		}
		t->v[t->n - 1][f->m[i].k] += f->m[i].n;
		t->total[f->m[i].k] += f->m[i].n;
	}
	free(f->m);
	f->m = NULL;
}

/* A timeline from the store. */
static int
timeline_get(struct store *s, enum store_agg what, int64_t id,
             struct campaign_timeline *t, const char *const *names)
{
	struct timeline_fill f = {.t = t, .names = names};
	int rc = store_aggregate(s, what, id, minute_add, &f);

	if (rc == 0)
		timeline_make(&f);
	free(f.m);
	return rc;
}

/* One bounce class's count. */
static int
bounce_add(void *arg, const struct store_agg_row *row)
{
	struct campaign_report *r = arg;
	int k = store_bounce_kind_parse(row->key ? row->key : "");

	if (k >= 0)
		r->bounces[k] += row->n;
	return 0;
}

/* A relay's (state, n) for the tally, or one of the slowest (sub ""). */
static int
relay_add(struct tallies *dest, const struct store_agg_row *row)
{
	struct campaign_report *r = dest->r;
	struct campaign_slow *w;

	if (row->sub && *row->sub)
		return tally_row(dest, row);
	if (r->nslow == STORE_AGG_SLOW_MAX)
		return 0;
	w = &r->slowest[r->nslow++];
	w->key = xstrdup(row->key && *row->key ? row->key : "(none)");
	w->seconds = row->at < 0 ? 0 : row->at;
	w->n = row->n;
	return 0;
}

/* The ledger's aggregates as they come (store_aggregate LEDGER). */
struct ledger_fill {
	struct tallies dest, reply;
	struct timeline_fill done;
	struct runs *runs;
};

/* One row of the ledger's aggregates, by what it is. */
static int
ledger_add(void *arg, const struct store_agg_row *row)
{
	struct ledger_fill *f = arg;

	switch (row->what) {
	case STORE_AGG_RELAYS:
		return relay_add(&f->dest, row);
	case STORE_AGG_REPLIES:
		return tally_row(&f->reply, row);
	case STORE_AGG_DONE_TIME:
		return minute_add(&f->done, row);
	case STORE_AGG_UPDATES:
		update_seen(f->runs, row->at);
		return 0;
	default:
		return 0;
	}
}

/* The aggregates the store computes: the ledger's (the tallies by relay
 * and by reply, the slowest relays, the settled rows over time, the last
 * update of each open run of u, in one call), the bounces, the activity. */
static int
aggregates_get(struct store *s, int64_t id, struct campaign_report *r,
               struct runs *u)
{
	struct ledger_fill f = {
	    .dest = {&r->by_dest, &r->ndest, r},
	    .reply = {&r->by_reply, &r->nreply, r},
	    .done = {.t = &r->done, .names = campaign_done_series},
	    .runs = u,
	};
	int rc = store_aggregate(s, STORE_AGG_LEDGER, id, ledger_add, &f);

	if (rc == 0) {
		timeline_make(&f.done);
		open_runs_time(u);
	}
	free(f.done.m);
	if (rc < 0 ||
	    store_aggregate(s, STORE_AGG_BOUNCES, id, bounce_add, r) < 0)
		return -1;
	/* a backend without tracking tables has no activity section */
	rc = timeline_get(s, STORE_AGG_ACTIVITY, id, &r->activity,
	                  campaign_activity_series);
	return rc == MC_EUNSUPP ? 0 : rc;
}

/* The states summed from a tally that counts every row. */
static void
states_from(struct campaign_report *r, const struct campaign_tally *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < t[i].n; j++)
			r->states[t[i].by[j].state] += t[i].by[j].n;
}

/* The report of campaign id. */
int
campaign_report_get(struct store *s, int64_t id, struct campaign_report *r,
                    char *err, size_t errsz)
{
	struct store_campaign c;
	struct runs *u = xcalloc(1, sizeof(*u));
	int st;

	memset(r, 0, sizeof(*r));
	u->r = r;
	u->resent = json_object();
	if (store_campaign_get(s, id, &c) < 0 ||
	    store_event_each(s, id, NULL, event_add, u) < 0 ||
	    aggregates_get(s, id, r, u) < 0) {
		snprintf(err, errsz, "%s", store_error(s));
		json_decref(u->resent);
		free(u);
		return MC_EIO;
	}
	json_decref(u->resent);
	free(u);
	r->id = id;
	states_from(r, r->by_reply, r->nreply); /* one scan fewer */
	mc_strlcpy(r->name, c.name, sizeof(r->name));
	st = campaign_status_parse(c.status);
	r->status = st < 0 ? CAMPAIGN_DRAFT : (enum campaign_status)st;
	for (int i = 0; i < DLV__COUNT; i++)
		r->total += r->states[i];
	/* MC_EUNSUPP on a backend without tracking: no section */
	(void)track_report_json(s, id, &r->tracking);
	return 0;
}

/* Free one tally array. */
static void
tallies_free(struct campaign_tally *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].key);
	free(v);
}

/* Release the report's strings. */
void
campaign_report_fini(struct campaign_report *r)
{
	tallies_free(r->by_dest, r->ndest);
	tallies_free(r->by_reply, r->nreply);
	for (size_t i = 0; i < r->nresent_listed; i++)
		free(r->resent[i]);
	free(r->resent);
	for (size_t i = 0; i < r->nslow; i++)
		free(r->slowest[i].key);
	json_decref(r->tracking);
	memset(r, 0, sizeof(*r));
}

/* A timeline as {"step": S, "buckets": [{"at": T, NAME: N...}...]}. */
static json_t *
timeline_json(const struct campaign_timeline *t, const char *const *names)
{
	json_t *b = json_array();

	for (size_t i = 0; i < t->n; i++) {
		json_t *o = json_pack("{s:I}", "at", (json_int_t)t->at[i]);

		for (int k = 0; k < CAMPAIGN_SERIES; k++)
			json_object_set_new(
			    o, names[k], json_integer((json_int_t)t->v[i][k]));
		json_array_append_new(b, o);
	}
	return json_pack("{s:I,s:o}", "step", (json_int_t)t->step, "buckets",
	                 b);
}

/* The aggregates as members of o; see campaign.h. */
void
campaign_report_json_more(const struct campaign_report *r, json_t *o)
{
	json_t *b = json_object(), *slow = json_array();

	for (int k = 0; k < STORE_BOUNCE__COUNT; k++)
		json_object_set_new(b, store_bounce_kind_name(k),
		                    json_integer((json_int_t)r->bounces[k]));
	for (size_t i = 0; i < r->nslow; i++)
		json_array_append_new(
		    slow,
		    json_pack("{s:s,s:I,s:I}", "destination", r->slowest[i].key,
		              "seconds", (json_int_t)r->slowest[i].seconds,
		              "rows", (json_int_t)r->slowest[i].n));
	json_object_set_new(o, "over_time",
	                    timeline_json(&r->done, campaign_done_series));
	json_object_set_new(
	    o, "activity_over_time",
	    timeline_json(&r->activity, campaign_activity_series));
	json_object_set_new(o, "bounces", b);
	json_object_set_new(o, "slowest", slow);
}

/* The run's notes as sentences; see campaign.h. */
size_t
campaign_run_notes(const struct engine_result *r, int64_t id,
                   char notes[][CAMPAIGN_NOTE_SIZE])
{
	size_t n = 0;

	if (r->paused)
		snprintf(notes[n++], CAMPAIGN_NOTE_SIZE,
		         "paused; `mailcast campaign resume %lld` continues",
		         (long long)id);
	if (r->window_closed) {
		char when[64];
		struct tm tm;

		gmtime_r(&r->next_due, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(
		    notes[n++], CAMPAIGN_NOTE_SIZE,
		    "outside the sending window: it opens at %s, when "
		    "`mailcast campaign run-due` (it is scheduled then) or "
		    "`resume %lld` continues",
		    when, (long long)id);
	} else if (r->deferred_left) {
		char when[64];
		struct tm tm;

		localtime_r(&r->next_due, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(notes[n++], CAMPAIGN_NOTE_SIZE,
		         "deferred recipients are left, the next due at %s; "
		         "`mailcast campaign resume %lld` retries them%s%s",
		         when, (long long)id, r->p.why[0] ? "; why: " : "",
		         r->p.why);
	}
	if (r->recovered)
		snprintf(notes[n++], CAMPAIGN_NOTE_SIZE,
		         "%lu recipients were in flight when an earlier run "
		         "stopped; they were sent again (listed by `campaign "
		         "report`)",
		         r->recovered);
	return n;
}

/* One tally as CSV rows "SECTION,KEY,STATE,N". */
static void
tally_csv(FILE *out, const char *section, const struct campaign_tally *t,
          size_t n)
{
	char num[24];

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < t[i].n; j++) {
			const char *f[4] = {
			    section, t[i].key,
			    store_dlv_state_name(t[i].by[j].state), num};

			snprintf(num, sizeof(num), "%lu", t[i].by[j].n);
			app_csv_write_row(out, f, 4);
		}
}

/* The report as CSV. */
void
campaign_report_csv(const struct campaign_report *r, FILE *out)
{
	char num[24];

	fputs(CAMPAIGN_REPORT_CSV_HEADER "\r\n", out);
	for (int i = 0; i < DLV__COUNT; i++) {
		const char *f[4] = {"state", "", store_dlv_state_name(i), num};

		snprintf(num, sizeof(num), "%lu", r->states[i]);
		app_csv_write_row(out, f, 4);
	}
	tally_csv(out, "destination", r->by_dest, r->ndest);
	tally_csv(out, "reply", r->by_reply, r->nreply);
	for (size_t i = 0; i < r->nresent_listed; i++) {
		const char *f[4] = {"resent", r->resent[i], "", "1"};

		app_csv_write_row(out, f, 4);
	}
}
