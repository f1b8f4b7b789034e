/*
 * cmd_demo.c — `mailcast demo`: the main job on embedded defaults
 * (app/demo.h does it: the bundled list and template, mailcast's own sink
 * on a free loopback port, the campaign with the progress bar).  This
 * file parses the options, opens the store in the demo's fresh folder
 * (or --store) and prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "cli/campaign_opts.h"
#include "cli/commands.h"
#include "app/process.h"
#include "cli/store_open.h"
#include "cli/util.h"

#include "usage_demo.h" /* docs/usage/demo.txt, ends at "(default " */

/* A rejected CSV row (none in the bundled list). */
static void
on_reject(void *arg, unsigned long line, const char *reason, const char *raw,
          size_t rawlen)
{
	(void)arg;
	(void)raw;
	(void)rawlen;
	fprintf(stderr, "mailcast: demo: line %lu: %s\n", line, reason);
}

/* Import, sink, campaign, run; the report and where the messages are. */
static int
demo_go(struct demo *d, struct store *s, const char *data, bool quiet)
{
	struct demo_opts o = {data, app_addr_check, NULL, on_reject, NULL};
	char err[CAMPAIGN_ERR_MAX];
	int rc;

	if ((rc = demo_prepare(d, s, &o, err, sizeof(err))) < 0)
		return campaign_fail("demo", rc, err);
	fprintf(stderr, "mailcast: demo: imported %lu contacts from %s\n",
	        d->imported, d->list_path);
	fprintf(stderr,
	        "mailcast: demo: sink listening on %s (rejects reject-*, "
	        "greylists defer-*)\n",
	        d->listen);
	rc = campaign_foreground(s, d->id, NULL, d, quiet, "demo");
	demo_fini(d);
	printf("\n%lu messages were delivered to the sink's Maildir:\n  "
	       "%s/new\n",
	       demo_delivered(d), d->maildir);
	printf("the store: %s\n", cli_globals.store);
	printf("look closer: mailcast --store %s campaign who %lld --state "
	       "failed\n",
	       cli_globals.store, (long long)d->id);
	return rc;
}

/* `mailcast demo` */
int
cmd_demo(int argc, char **argv)
{
	static char usage[1024];
	const char *data = NULL; /* --data, else app_datadir() */
	bool quiet = false;
	struct cli_opt opts[] = {
	    {"data", CLI_STR, &data, .shortopt = 'd'},
	    {"quiet", CLI_FLAG, &quiet, .shortopt = 'q'},
	    {0},
	};
	const struct cli_cmd c = {"mailcast demo", usage, opts, false};
	char url[400], err[CAMPAIGN_ERR_MAX];
	struct demo d;
	struct store *s;
	int rc;

	snprintf(usage, sizeof(usage), "%s%s)\n", usage_demo, app_datadir());
	if (cli_parse(&c, argc, argv, &rc) < 0)
		return rc;
	if ((rc = demo_init(&d, getenv("TMPDIR"), err, sizeof(err))) < 0)
		return campaign_fail("demo", rc, err);
	if (cli_globals.store == NULL) {
		snprintf(url, sizeof(url), "sqlite:%s/demo.db", d.dir);
		cli_globals.store = url;
	}
	if ((s = cli_store_open("demo")) == NULL)
		return cli_store_exit();
	rc = demo_go(&d, s, data ? data : app_datadir(), quiet);
	demo_fini(&d);
	store_close(s);
	return rc;
}
