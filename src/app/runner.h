/*
 * runner.h — campaigns run inside a long-lived process (`mailcast serve`):
 * start, pause and resume by id, scheduled campaigns started when due,
 * campaigns left "running" resumed at start, and each run's progress kept
 * as numbers a dashboard samples.
 *
 * Each run is one thread with its own store connection calling
 * campaign_resume() (the same engine, leases and crash semantics as
 * `campaign start`/`resume`: a pause is the engine's clean pause, rows in
 * flight are settled or given back).  The engine's progress callback
 * (every 250 ms) copies its figures and the per-destination table into
 * the run's sample under a mutex; the per-recipient events only touch a
 * table owned by the run's own thread, so sampling never waits on the
 * engine and the engine never waits on a reader.  One scheduler thread
 * claims due campaigns every second (store_campaign_claim_due).
 *
 * Ownership: struct runner is made by runner_new and freed by runner_free
 * (which pauses every run cleanly and joins the threads).  Errors: 0 or a
 * negative MC_E* with the reason in err.
 */
#ifndef MC_APP_RUNNER_H
#define MC_APP_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "app/campaign.h"
#include "engine/engine.h"

#define RUNNER_RUNS_MAX  16  /* campaigns running at once */
#define RUNNER_DESTS_MAX 32  /* destinations kept per run */
#define RUNNER_HIST_MAX  600 /* one point a second: ten minutes */

/* One destination of a run: its counts and last reply. */
struct runner_dest {
	char key[128]; /* "relay 127.0.0.1:2525", an MX host set */
	unsigned long sent, deferred, failed;
	char last[200]; /* "250 2.0.0 ok", "451 4.7.1 try later" */
	time_t at;
};

/* One point of a run's history. */
struct runner_point {
	time_t at;
	unsigned long sent, deferred, failed;
};

/* What a dashboard reads of a run. */
struct runner_sample {
	int64_t id;
	bool active;    /* a thread is running it now */
	bool pausing;   /* a pause was asked, the engine is settling */
	char state[16]; /* "starting", "running", "paused", "done", "failed" */
	char error[CAMPAIGN_ERR_MAX]; /* a failed run's reason */
	struct engine_progress p;
	time_t started, updated;
	struct runner_dest dest[RUNNER_DESTS_MAX];
	size_t ndest;
	struct runner_point hist[RUNNER_HIST_MAX]; /* oldest first */
	size_t nhist;
};

struct runner;

/* A runner on the store at url (each run opens its own connection).
 * Nothing starts until runner_boot. */
struct runner *runner_new(const char *url);
/* Resume campaigns left running and start the scheduler thread:
 * 0 or MC_EIO (the store). */
int runner_boot(struct runner *r, char *err, size_t errsz);
/* Start (or resume) campaign id on a thread of its own: 0, MC_EAGAIN
 * (it is running here already, or RUNNER_RUNS_MAX runs are), MC_EINVAL
 * (it is done), MC_ENOTFOUND, MC_EIO. */
int runner_start(struct runner *r, int64_t id, char *err, size_t errsz);
/* Ask campaign id's run to pause (it settles and ends on its own):
 * 0; MC_ENOTFOUND when no run of it is here (then the campaign is
 * marked paused in the store if it was running). */
int runner_pause(struct runner *r, int64_t id, char *err, size_t errsz);
/* The latest sample of campaign id's run (false: never run here). */
bool runner_sample(struct runner *r, int64_t id, struct runner_sample *out);
/* Pause every run, stop the scheduler, join, free.  NULL: nothing. */
void runner_free(struct runner *r);

#endif
