/*
 * cmd_store.c — `mailcast store migrate`: the schema brought up to date
 * (app_store_migrate); a newer schema is refused with the reason.
 */
#include "app/contacts.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "usage_store.h" /* docs/usage/store.txt */

/* store migrate */
static int
store_migrate(struct cli_call *c)
{
	int was, now,
	    rc = app_store_migrate(cli_globals.store, &was, &now, c->err,
	                           sizeof(c->err));

	if (rc == 0 && was == now)
		printf("store schema %d: up to date\n", now);
	else if (rc == 0)
		printf("store schema %d (migrated from %d)\n", now, was);
	return rc;
}

/* `mailcast store migrate` */
int
cmd_store(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
	    CLI_SUB("migrate", store_migrate, CLI_STORE_NONE, 0, 0, NULL),
	    {0},
	};
	return cli_subs_run("store", usage_store, subs, argc, argv);
}
