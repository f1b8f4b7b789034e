/*
 * worker.c — the worker loop (worker.h): look for running campaigns, run
 * each with campaign_resume() (a lease holder among the fleet's), look
 * again; wait poll_ms when there was nothing to run.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/process.h"
#include "app/webhook.h"
#include "app/worker.h"
#include "base/error.h"

#define WORKER_BATCH  64 /* running campaigns taken per look */
#define WORKER_FAILED 64 /* campaigns this worker gave up on */

struct worker_look {
	struct store_campaign c[WORKER_BATCH];
	size_t n;
};

/* campaign_each: keep the running campaigns. */
static int
look_add(void *arg, const struct store_campaign *c)
{
	struct worker_look *l = arg;

	if (l->n == WORKER_BATCH)
		return 1;
	l->c[l->n++] = *c;
	return 0;
}

/* Did this worker already fail on campaign id? */
static bool
failed_before(const int64_t *failed, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (failed[i] == id)
			return true;
	return false;
}

/* Sleep ms in 100 ms steps, or less when *stop. */
static void
idle(unsigned ms, const volatile sig_atomic_t *stop)
{
	for (unsigned t = 0; t < ms && !(stop && *stop); t += 100) {
		struct timespec ts = {0, 100 * 1000000L};

		nanosleep(&ts, NULL);
	}
}

/* The loop. */
int
worker_run(struct store *s, const struct worker_opts *o,
           struct worker_stats *st, char *err, size_t errsz)
{
	int64_t failed[WORKER_FAILED];
	size_t nfailed = 0;
	struct worker_look *l = calloc(1, sizeof(*l));
	struct campaign_start_opts so = {
	    .stop = o->stop, .fleet = true, .total_conns = o->total_conns};
	int rc = 0;

	memset(st, 0, sizeof(*st));
	if (l == NULL)
		return mc_fail(MC_ENOMEM, err, errsz, "out of memory");
	while (!(o->stop && *o->stop)) {
		size_t ran = 0;

		l->n = 0;
		rc = store_campaign_each(s, "running", look_add, l);
		if (rc < 0) {
			mc_fail(rc, err, errsz, "%s", store_error(s));
			break;
		}
		rc = 0;
		for (size_t i = 0; i < l->n && !(o->stop && *o->stop); i++) {
			struct campaign_result res;
			char why[512] = "";
			int r;

			if (failed_before(failed, nfailed, l->c[i].id))
				continue;
			r = campaign_resume(s, l->c[i].id, &so, &res, why,
			                    sizeof(why));
			st->runs++;
			ran++;
			if (r < 0) {
				st->failed++;
				if (nfailed < WORKER_FAILED)
					failed[nfailed++] = l->c[i].id;
			}
			if (o->on_run)
				o->on_run(o->arg, &l->c[i], r, &res, why);
		}
		if (o->once)
			break;
		if (ran == 0)
			idle(o->poll_ms ? o->poll_ms : 2000, o->stop);
	}
	free(l);
	return rc;
}

static volatile sig_atomic_t worker_stop;

/* SIGINT/SIGTERM: stop, the current run pauses cleanly. */
static void
worker_signal(int sig)
{
	(void)sig;
	worker_stop = 1;
}

/* Run until a signal; see worker.h. */
int
worker_run_fg(struct store *s, const struct worker_opts *o,
              struct worker_stats *st, char *err, size_t errsz)
{
	struct worker_opts mine = *o;
	struct sigaction sa = {.sa_handler = worker_signal};

	struct webhook_sender *hooks = NULL;
	int rc;

	worker_stop = 0;
	mine.stop = &worker_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!o->once && (rc = webhook_sender_start(o->webhook_url, app_conf(),
	                                           &hooks, err, errsz)) < 0)
		return rc;
	rc = worker_run(s, &mine, st, err, errsz);
	webhook_sender_stop(hooks);
	return rc;
}
