/*
 * worker.h — `mailcast worker`: run every running campaign of a (shared)
 * store with the existing engine and its leases, one campaign at a time,
 * until stopped.
 *
 * Any number of workers on any number of hosts may point at one
 * PostgreSQL store: each joins a running campaign as one more lease
 * holder (campaign_resume(), engine.h), so the rows are shared through
 * the store's leases and a dead worker's rows go to the live ones at its
 * lease timeout.  A campaign is "running" by its stored status (`campaign
 * start` or `resume` set it; a campaign whose runs all died stays running
 * and is finished by the workers); a paused or done one is left alone.
 * A campaign whose run failed (a bad key or setting) is not tried again by
 * this worker.  Errors: MC_EIO from the store; a campaign's own error goes
 * to on_run and the worker goes on.
 */
#ifndef MC_APP_WORKER_H
#define MC_APP_WORKER_H

#include <signal.h>
#include <stdbool.h>

#include "app/campaign.h"
#include "store/store.h"

/* What one campaign run of a worker gave (err: "" when rc is 0). */
typedef void worker_run_fn(void *arg, const struct store_campaign *c, int rc,
                           const struct campaign_result *res, const char *err);

struct worker_opts {
	/* >0: stop (the current run pauses cleanly); a signal's flag */
	const volatile sig_atomic_t *stop;
	bool once;        /* one pass over the running campaigns, then return */
	unsigned poll_ms; /* idle wait between looks (0: 2000) */
	worker_run_fn *on_run;
	void *arg;
	/* worker_run_fg without once: also send the webhooks of
	 * mailcast.conf (app/webhook.h) from the store at this URL
	 * (app_store_url: NULL the default store) */
	const char *webhook_url;
	unsigned total_conns; /* each run's connection budget (0: its own) */
};

struct worker_stats {
	unsigned long runs, failed; /* campaign runs, and those that failed */
};

/* Run until *o->stop (or after one pass with once): 0, or MC_EIO when the
 * store cannot list the campaigns (reason in err). */
int worker_run(struct store *s, const struct worker_opts *o,
               struct worker_stats *st, char *err, size_t errsz);
/* worker_run() until SIGINT or SIGTERM (handlers set for it; o->stop is
 * not used). */
int worker_run_fg(struct store *s, const struct worker_opts *o,
                  struct worker_stats *st, char *err, size_t errsz);

#endif
