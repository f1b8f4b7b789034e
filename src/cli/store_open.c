/*
 * store_open.c — open the store for a command.
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
