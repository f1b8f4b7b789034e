/*
 * cmd_store.c — `mailcast store migrate`: the schema brought up to date
 * (app_store_migrate); a newer schema is refused with the reason.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "app/contacts.h"
#include "base/error.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "usage_store.h" /* docs/usage/store.txt */

/* `mailcast store migrate` */
int
cmd_store(int argc, char **argv)
{
	char err[512];
	int was, now, rc;

	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		return fputs(usage_store, stdout), EX_OK;
	if (argc != 2 || strcmp(argv[1], "migrate") != 0)
		return fputs(usage_store, stderr), EX_USAGE;
	rc = app_store_migrate(cli_globals.store, &was, &now, err, sizeof(err));
	if (rc < 0)
		return cli_fail(mc_exit_code(rc), "mailcast: store: %s", err);
	if (was == now)
		printf("store schema %d: up to date\n", now);
	else
		printf("store schema %d (migrated from %d)\n", now, was);
	return 0;
}
