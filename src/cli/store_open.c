/*
 * store_open.c — open the store for a command; import a CSV file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "cli/util.h"

static int open_status = EX_UNAVAILABLE;

/* Open the configured store as cmd ("list count") needs, or say why not. */
struct store *
cli_store_open(const char *cmd)
{
	enum store_mode mode = app_store_mode(cmd);
	struct store *s;
	char err[1600];
	int rc;

	if ((rc = app_store_open(cli_globals.store, mode, &s, err,
	                         sizeof(err))) == 0)
		return s;
	fprintf(stderr, "mailcast: %s: %s\n", cmd, err);
	/* EX_NOINPUT: no store, or one a reading command cannot read */
	open_status =
	    rc == MC_ECONFIG ? EX_CONFIG
	    : mode == STORE_READ || (rc == MC_ENOTFOUND && mode == STORE_WRITE)
	        ? EX_NOINPUT
	        : EX_CANTCREAT;
	return NULL;
}

/* Exit status after cli_store_open() failed. */
int
cli_store_exit(void)
{
	return open_status;
}

#define SHOW_REJECTS 20 /* rejected rows printed before "and N more" */

/* What the rejected rows of an import have printed so far. */
struct rejects_shown {
	const char *cmd;
	unsigned long total;
};

/* store_reject_fn: the first SHOW_REJECTS rejected rows on stderr. */
static void
reject_show(void *arg, unsigned long line, const char *reason, const char *raw,
            size_t rawlen)
{
	struct rejects_shown *r = arg;

	(void)line, (void)raw, (void)rawlen;
	if (r->total++ < SHOW_REJECTS)
		fprintf(stderr, "mailcast: %s: %s\n", r->cmd, reason);
}

/* Import, the first rejected rows said on stderr. */
int
cli_import(struct store *s, const char *cmd, const char *path,
           const char *rpath, struct app_import *o,
           struct store_import_stats *st)
{
	struct rejects_shown shown = {cmd, 0};
	char err[1024] = "";
	int rc;

	o->reject = reject_show;
	o->reject_arg = &shown;
	if ((rc = app_import_path(s, path, rpath, o, st, err, sizeof(err))) < 0)
		return cli_fail(mc_exit_code(rc), "mailcast: %s: %s", cmd, err);
	if (shown.total > SHOW_REJECTS)
		cli_fail(0, "mailcast: %s: ... and %lu more rejected rows%s",
		         cmd, shown.total - SHOW_REJECTS,
		         rpath ? " (see the reject file)" : "");
	return 0;
}
