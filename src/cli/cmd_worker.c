/*
 * cmd_worker.c — `mailcast worker`: app/worker.h until SIGINT/SIGTERM
 * (or one pass with --once), a line per campaign run.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "app/worker.h"
#include "base/error.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "cli/util.h"
#include "usage_worker.h" /* docs/usage/worker.txt */

/* One line per campaign run. */
static void
said(void *arg, const struct store_campaign *c, int rc,
     const struct campaign_result *res, const char *err)
{
	(void)arg;
	if (rc < 0)
		fprintf(stderr, "mailcast: worker: campaign %s: %s\n", c->name,
		        err);
	else
		printf("campaign %s: %s\n", c->name,
		       campaign_status_name(res->status));
	fflush(stdout);
}

/* `mailcast worker [--once] [--poll SECONDS]` */
int
cmd_worker(int argc, char **argv)
{
	struct worker_opts o = {.on_run = said};
	struct worker_stats st;
	long poll = 2, conns = 0;
	struct cli_opt opts[] = {
	    CLI_O("once", CLI_FLAG, &o.once),
	    CLI_N("poll", CLI_SECS, &poll, 1, 3600, NULL),
	    CLI_N("total-conns", CLI_LONG, &conns, 1, 100000, NULL),
	    {0},
	};
	const struct cli_cmd c = {"mailcast: worker", usage_worker, opts, true};
	struct store *s;
	char err[512];
	int i, rc;

	if ((i = cli_parse(&c, argc, argv, &rc)) < 0)
		return rc;
	if (i != argc)
		return fputs(c.usage, stderr), EX_USAGE;
	o.poll_ms = (unsigned)poll * 1000;
	o.total_conns = (unsigned)conns;
	o.webhook_url = cli_globals.store;
	if ((s = cli_store_open("worker")) == NULL)
		return cli_store_exit();
	rc = worker_run_fg(s, &o, &st, err, sizeof(err));
	store_close(s);
	if (rc < 0)
		return cli_fail(mc_exit_code(rc), "mailcast: worker: %s", err);
	return st.failed ? EX_TEMPFAIL : 0;
}
