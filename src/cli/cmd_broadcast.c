/*
 * cmd_broadcast.c — `mailcast broadcast`: a list and a template into a new
 * campaign (the one campaign_create()), run at once in the foreground.
 */
#include <stdlib.h>

#include "base/xmalloc.h"
#include "cli/campaign_opts.h"
#include "cli/commands.h"
#include "cli/store_open.h"

#include "usage_broadcast.h" /* docs/usage/broadcast.txt */
#include "usage_sending.h"   /* docs/usage/sending.txt */

/* Check, open, create (named now if no --name), run. */
static int
broadcast(struct campaign_args *a, struct campaign_settings *set)
{
	char name[128], err[CAMPAIGN_ERR_MAX];
	unsigned long n = 0;
	struct store *s;
	int64_t id;
	int rc;

	if ((rc = campaign_create_check(a->name ? a->name : "", a->list, set,
	                                err, sizeof(err))) < 0)
		return campaign_fail("broadcast", rc, err);
	if ((s = cli_store_open("broadcast")) == NULL)
		return cli_store_exit();
	if (a->name == NULL)
		campaign_default_name(s, "broadcast", name, sizeof(name));
	if ((rc = campaign_create_where(s, a->name ? a->name : name, a->list,
	                                a->where, set, &id, &n, err,
	                                sizeof(err))) < 0) {
		rc = campaign_fail("broadcast", rc, err);
	} else {
		fprintf(stderr, "mailcast: broadcast: campaign %lld \"%s\"",
		        (long long)id, a->name ? a->name : name);
		fprintf(stderr, a->where ? ", --where: %lu contacts\n" : "\n",
		        n);
		rc = campaign_foreground(s, id, set, NULL, a->quiet,
		                         "broadcast");
	}
	store_close(s);
	return rc;
}

/* `mailcast broadcast ...` */
int
cmd_broadcast(int argc, char **argv)
{
	static struct campaign_args a;
	struct campaign_settings set;
	char *usage = xasprintf("%s%s", usage_broadcast, usage_sending);
	struct cli_cmd c = {"broadcast", usage, NULL, false};
	int rc;

	campaign_settings_init(&set);
	if ((c.opts = campaign_opts("broadcast", &a, &set, &rc)) != NULL &&
	    cli_parse(&c, argc, argv, &rc) >= 0)
		rc = broadcast(&a, &set);
	campaign_settings_fini(&set);
	free(usage);
	return rc;
}
