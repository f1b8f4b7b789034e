/*
 * cmd_broadcast.c — `mailcast broadcast`: a list and a template into a new
 * campaign, run at once in the foreground (create + start).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli/campaign_run.h"
#include "cli/commands.h"
#include "cli/store_open.h"

/* Print the usage. */
static void
usage(FILE *fp)
{
	fprintf(fp,
	        "usage: mailcast broadcast --list L --template FILE --from "
	        "ADDR [--name N]\n"
	        "                          [sending options]\n"
	        "\n"
	        "Makes a campaign of list L (named N, default "
	        "broadcast-DATE-TIME)\nand sends it in the foreground, then "
	        "prints the report.  Ctrl-C\npauses; `mailcast campaign "
	        "resume NAME` continues.\n\nsending options:\n" SEND_OPTS_HELP);
}

/* `mailcast broadcast ...` */
int
cmd_broadcast(int argc, char **argv)
{
	struct send_opts o;
	struct store *s;
	char *name = NULL, *list = NULL, defname[64];
	int64_t list_id, id;
	int rc;

	send_opts_init(&o);
	rc = send_opts_parse(argc, argv, &o, "broadcast", usage, &name, &list,
	                     NULL, NULL, NULL);
	if (rc != 0) {
		send_opts_fini(&o);
		return rc < 0 ? 0 : rc;
	}
	if (list == NULL || o.from == NULL) {
		fprintf(stderr, "mailcast: broadcast: --list, --template and "
		                "--from are required\n");
		send_opts_fini(&o);
		return EX_USAGE;
	}
	if ((rc = send_opts_check(&o, "broadcast")) != 0) {
		send_opts_fini(&o);
		return rc;
	}
	if (name == NULL) {
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(defname, sizeof(defname), "broadcast-%Y%m%d-%H%M%S",
		         &tm);
		name = defname;
	}
	if ((s = cli_store_open("broadcast")) == NULL) {
		send_opts_fini(&o);
		return cli_store_exit();
	}
	if (store_list_find(s, list, &list_id) < 0) {
		fprintf(stderr, "mailcast: broadcast: no list '%s'\n", list);
		rc = EX_NOINPUT;
		goto done;
	}
	if ((rc = campaign_check_template(s, list_id, o.template_path,
	                                  "broadcast")) != 0)
		goto done;
	/* A made-up name must not collide with an earlier broadcast of the
	 * same second: add -2, -3 ... until it is free. */
	if (name == defname) {
		size_t base = strlen(defname);
		int64_t other;

		for (int k = 2;
		     k < 1000 && store_campaign_find(s, defname, &other) == 0;
		     k++)
			snprintf(defname + base, sizeof(defname) - base, "-%d",
			         k);
	}
	if (store_begin(s) < 0 ||
	    store_campaign_create(s, name, list_id, time(NULL), &id) < 0 ||
	    (rc = send_opts_save(s, id, &o, "broadcast")) != 0 ||
	    store_commit(s) < 0) {
		fprintf(stderr, "mailcast: broadcast: %s\n", store_error(s));
		store_rollback(s);
		rc = rc ? rc : EX_DATAERR;
		goto done;
	}
	fprintf(stderr, "mailcast: broadcast: campaign %lld \"%s\"\n",
	        (long long)id, name);
	rc = campaign_run(s, id, &o, "broadcast");
done:
	store_close(s);
	send_opts_fini(&o);
	return rc;
}
