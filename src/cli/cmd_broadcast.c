/*
 * cmd_broadcast.c — `mailcast broadcast`: a list and a template into a new
 * campaign (the one campaign_create()), run at once in the foreground.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/campaign_opts.h"
#include "cli/commands.h"
#include "cli/store_open.h"

#include "usage_broadcast.h" /* docs/usage/broadcast.txt */

/* `mailcast broadcast ...` */
int
cmd_broadcast(int argc, char **argv)
{
	struct campaign_settings set;
	struct campaign_args a;
	struct store *s = NULL;
	char name[128], err[CAMPAIGN_ERR_MAX];
	unsigned long n = 0;
	int64_t id;
	int rc;

	memset(&a, 0, sizeof(a));
	campaign_settings_init(&set);
	rc = campaign_opts_parse(argc, argv, &set, true, "broadcast",
	                         usage_broadcast, &a);
	if (rc != 0)
		goto done;
	/* the name is made up later, once the store is open */
	if ((rc = campaign_create_check(a.name ? a.name : "", a.list, &set, err,
	                                sizeof(err))) < 0) {
		rc = campaign_fail("broadcast", rc, err);
		goto done;
	}
	if ((s = cli_store_open("broadcast")) == NULL) {
		rc = cli_store_exit();
		goto done;
	}
	if (a.name == NULL) {
		campaign_default_name(s, "broadcast", name, sizeof(name));
		a.name = name;
	}
	rc = campaign_create_where(s, a.name, a.list, a.where, &set, &id, &n,
	                           err, sizeof(err));
	if (rc < 0) {
		rc = campaign_fail("broadcast", rc, err);
		goto done;
	}
	fprintf(stderr, "mailcast: broadcast: campaign %lld \"%s\"",
	        (long long)id, a.name);
	fprintf(stderr, a.where ? ", --where: %lu contacts\n" : "\n", n);
	rc = campaign_foreground(s, id, &set, NULL, a.quiet, "broadcast");
done:
	store_close(s);
	campaign_settings_fini(&set);
	return rc < 0 ? 0 : rc;
}
