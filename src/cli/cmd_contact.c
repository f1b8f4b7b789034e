/*
 * cmd_contact.c — `mailcast contact show|set|delete|erase|history|
 * resubscribe ADDRESS`: one person (app/contact.h does the work; output is
 * its JSON, indented, which --json leaves as it is).
 * Exit: 0; EX_NOINPUT no such contact; EX_DATAERR not an address or a bad
 * KEY=VALUE; EX_USAGE; EX_IOERR.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "app/contact.h"
#include "base/error.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "cli/util.h"

#include "usage_contact.h" /* docs/usage/contact.txt */

/* contact SUB ADDRESS [KEY=VALUE...] [--reason WHY] */
static int
contact_run(int argc, char **argv, struct store *s)
{
	const char *why = NULL, *sub = argv[0];
	struct cli_opt opts[] = {
	    {"reason", CLI_STR, &why, .shortopt = 'r'},
	    {0},
	};
	const struct cli_cmd c = {"mailcast: contact", usage_contact, opts,
	                          false};
	const char *const *rest;
	json_t *v = NULL;
	char err[300];
	int i, rc;

	if ((i = cli_parse(&c, argc, argv, &rc)) < 0)
		return rc;
	if (i >= argc || (strcmp(sub, "set") != 0 && i + 1 != argc))
		return cli_fail(EX_USAGE, "mailcast: contact %s: one ADDRESS%s",
		                sub, strcmp(sub, "set") ? "" : " KEY=VALUE...");
	rest = (const char *const *)argv + i + 1;
	if (strcmp(sub, "show") == 0)
		rc = app_contact_show(s, argv[i], &v, err, sizeof(err));
	else if (strcmp(sub, "set") == 0)
		rc = app_contact_set(s, argv[i], rest, (size_t)(argc - i - 1),
		                     NULL, why, &v, err, sizeof(err));
	else if (strcmp(sub, "history") == 0)
		rc = app_contact_history(s, argv[i], &v, err, sizeof(err));
	else if (strcmp(sub, "resubscribe") == 0)
		rc = app_contact_resubscribe(s, argv[i], NULL, why, &v, err,
		                             sizeof(err));
	else
		rc = app_contact_remove(s, argv[i], strcmp(sub, "erase") == 0,
		                        NULL, why, &v, err, sizeof(err));
	if (rc < 0)
		return cli_fail(rc == MC_ENOTFOUND                  ? EX_NOINPUT
		                : rc == MC_EDATA || rc == MC_EINVAL ? EX_DATAERR
		                                                    : EX_IOERR,
		                "mailcast: contact %s: %s", sub, err);
	cli_json_print(v);
	return EX_OK;
}

/* mailcast contact ... */
int
cmd_contact(int argc, char **argv)
{
	static const struct cli_store_sub subs[] = {
	    {"show", contact_run},    {"set", contact_run},
	    {"delete", contact_run},  {"erase", contact_run},
	    {"history", contact_run}, {"resubscribe", contact_run},
	};
	return cli_store_dispatch("contact", usage_contact, subs,
	                          sizeof(subs) / sizeof(subs[0]), argc, argv);
}
