/*
 * cmd_contact.c — `mailcast contact show|set|delete|erase|history|
 * resubscribe ADDRESS`: one person (app/contact.h does the work; output is
 * its JSON, indented, which --json leaves as it is).
 * Exit: 0; EX_NOINPUT no such contact; EX_DATAERR not an address or a bad
 * KEY=VALUE; EX_USAGE; EX_IOERR.
 */
#include <stdio.h>
#include <string.h>

#include "app/contact.h"
#include "base/error.h"
#include "cli/commands.h"
#include "cli/util.h"

#include "usage_contact.h" /* docs/usage/contact.txt */

static const char *why;
static struct cli_opt opts[] = {{"reason", CLI_STR, &why, .shortopt = 'r'},
                                {0}};

/* contact SUB ADDRESS [KEY=VALUE...] [--reason WHY] */
static int
contact_run(struct cli_call *c)
{
	const char *sub = strchr(c->name, ' ') + 1, *a = c->argv[0];
	const char *const *rest = (const char *const *)c->argv + 1;
	json_t *v = NULL;
	int rc;

	if (strcmp(sub, "show") == 0)
		rc = app_contact_show(c->s, a, &v, c->err, sizeof(c->err));
	else if (strcmp(sub, "set") == 0)
		rc = app_contact_set(c->s, a, rest, (size_t)(c->argc - 1), NULL,
		                     why, &v, c->err, sizeof(c->err));
	else if (strcmp(sub, "history") == 0)
		rc = app_contact_history(c->s, a, &v, c->err, sizeof(c->err));
	else if (strcmp(sub, "resubscribe") == 0)
		rc = app_contact_resubscribe(c->s, a, NULL, why, &v, c->err,
		                             sizeof(c->err));
	else
		rc = app_contact_remove(c->s, a, strcmp(sub, "erase") == 0,
		                        NULL, why, &v, c->err, sizeof(c->err));
	if (rc == MC_EINVAL)
		rc = MC_EDATA; /* a bad KEY=VALUE is bad data, not usage */
	if (rc == 0)
		cli_json_print(v);
	return rc;
}

/* mailcast contact ... */
int
cmd_contact(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
	    CLI_SUB("show", contact_run, CLI_STORE_READ, 1, 1, NULL),
	    CLI_SUB("set", contact_run, CLI_STORE_WRITE, 2, 1 << 20, opts),
	    CLI_SUB("delete", contact_run, CLI_STORE_WRITE, 1, 1, opts),
	    CLI_SUB("erase", contact_run, CLI_STORE_WRITE, 1, 1, opts),
	    CLI_SUB("history", contact_run, CLI_STORE_READ, 1, 1, NULL),
	    CLI_SUB("resubscribe", contact_run, CLI_STORE_WRITE, 1, 1, opts),
	    {0},
	};
	return cli_subs_run("contact", usage_contact, subs, argc, argv);
}
