/*
 * cmd_campaign.c — `mailcast campaign create|start|resume|pause|status|
 * report|who|list|show|delete|clone|test|schedule|run-due`: campaigns kept
 * in the store, run in the foreground by the engine (docs/engine.md); the
 * work is app/campaign*.h's.  Every subcommand takes the one option table
 * (campaign_opts.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "app/campaign_manage.h"
#include "app/result_json.h"
#include "app/process.h"
#include "app/report_html.h"
#include "app/unsubscribe.h"
#include "base/error.h"
#include "base/xmalloc.h"
#include "cli/campaign_opts.h"
#include "cli/commands.h"

#include "usage_campaign.h" /* docs/usage/campaign.txt */
#include "usage_sending.h"  /* docs/usage/sending.txt */

static struct campaign_settings set; /* mailcast.conf, then the options */
static struct campaign_args a;

/* Not create: no --where; 0 or EX_USAGE after saying so. */
static int
no_where(struct cli_call *c)
{
	if (a.where == NULL)
		return 0;
	return cli_fail(EX_USAGE, "mailcast: %s: --where is chosen at create",
	                c->name);
}

/* The campaign the operand names into *id: 0, EX_USAGE or MC_E*. */
static int
need_id(struct cli_call *c, int64_t *id)
{
	int rc = no_where(c);

	if (rc == 0 && c->argc < 1)
		rc = cli_fail(EX_USAGE, "mailcast: %s: give the campaign ID",
		              c->name);
	if (rc == 0 && (rc = campaign_lookup(c->s, c->argv[0], id, c->err,
	                                     sizeof(c->err))) < 0)
		rc = campaign_fail("campaign", rc,
		                   c->err); /* as it always was */
	return rc;
}

/* campaign create */
static int
c_create(struct cli_call *c)
{
	unsigned long n;
	int64_t id;
	int rc = campaign_create_where(c->s, a.name, a.list, a.where, &set, &id,
	                               &n, c->err, sizeof(c->err));

	if (rc < 0)
		return rc;
	if (a.where)
		cli_fail(0, "mailcast: campaign create: --where: %lu contacts",
		         n);
	printf("%lld\n", (long long)id);
	if (!unsub_served(set.unsub_url, conf_get(app_conf(), CONF_public_url),
	                  c->err, sizeof(c->err)))
		cli_fail(0, "mailcast: campaign create: warning: %s", c->err);
	return 0;
}

/* campaign pause ID */
static int
c_pause(struct cli_call *c)
{
	int64_t id;
	unsigned n;
	int rc = need_id(c, &id);

	if (rc ||
	    (rc = campaign_pause(c->s, id, &n, c->err, sizeof(c->err))) < 0)
		return rc;
	if (n == 0)
		return cli_fail(
		    EX_UNAVAILABLE,
		    "mailcast: campaign pause: campaign %lld is not "
		    "sending on this host",
		    (long long)id);
	printf("asked %u run%s to pause\n", n, n == 1 ? "" : "s");
	return 0;
}

/* campaign status|report|who ID */
static int
c_show_one(struct cli_call *c)
{
	struct campaign_info ci;
	bool json = cli_globals.json;
	int64_t id;
	int rc = need_id(c, &id);

	if (rc)
		return rc;
	if (a.html && strcmp(c->name, "campaign report") == 0)
		return report_html_file(c->s, id, a.html, c->err,
		                        sizeof(c->err));
	if (strcmp(c->name, "campaign report") == 0)
		return campaign_report_write(c->s, id, json, a.csv, stdout,
		                             c->err, sizeof(c->err));
	if (strcmp(c->name, "campaign who") == 0)
		return campaign_who_write(c->s, id, a.state, json, a.csv,
		                          stdout, c->err, sizeof(c->err));
	if ((rc = campaign_status_get(c->s, id, &ci, c->err, sizeof(c->err))) <
	    0)
		return rc;
	if (json)
		cli_json_print(campaign_info_json(id, &ci));
	else
		campaign_info_text(id, &ci, time(NULL), stdout);
	return 0;
}

/* campaign list, show ID */
static int
c_list(struct cli_call *c)
{
	json_t *o;
	int64_t id;
	int rc = no_where(c);

	if (rc == 0 && strcmp(c->name, "campaign list") == 0)
		rc = campaign_list_json(c->s, &o, c->err, sizeof(c->err));
	else if (rc == 0 && (rc = need_id(c, &id)) == 0)
		rc = campaign_show_json(c->s, id, &o, c->err, sizeof(c->err));
	if (rc != 0)
		return rc < 0 ? campaign_fail("campaign", rc, c->err) : rc;
	if (cli_globals.json)
		cli_json_print(o);
	else
		campaign_json_text(o, stdout), json_decref(o);
	return 0;
}

/* campaign delete|clone ID */
static int
c_delete(struct cli_call *c)
{
	bool del = strcmp(c->name, "campaign delete") == 0;
	int64_t id, nid;
	int rc = need_id(c, &id);

	if (rc || (rc = del ? campaign_delete(c->s, id, c->err, sizeof(c->err))
	                    : campaign_clone(c->s, id, a.name, &nid, c->err,
	                                     sizeof(c->err))) < 0)
		return rc < 0 ? campaign_fail("campaign", rc, c->err) : rc;
	if (del)
		printf("deleted campaign %lld\n", (long long)id);
	else
		printf("%lld\n", (long long)nid);
	return 0;
}

/* One campaign started by run-due: a line, and the worst exit status. */
static void
due_line(void *arg, int64_t id, int rc, const struct campaign_result *res,
         const char *err)
{
	int *worst = arg, ex = campaign_exit_code(rc, res);

	printf("campaign %lld: %s%s\n", (long long)id,
	       rc < 0 ? "failed: " : campaign_status_name(res->status),
	       rc < 0 ? err : "");
	if (*worst == 0 || (ex != 0 && ex != EX_TEMPFAIL))
		*worst = ex;
}

/* campaign run-due */
static int
c_run_due(struct cli_call *c)
{
	int rc = no_where(c), worst = 0;
	unsigned n;

	if (rc ||
	    (rc = campaign_run_due(c->s, time(NULL), NULL, due_line, &worst, &n,
	                           c->err, sizeof(c->err))) < 0)
		return rc < 0 ? campaign_fail("campaign", rc, c->err) : rc;
	if (n == 0)
		printf("no campaign is due\n");
	return worst;
}

/* campaign start|resume|test|schedule ID: the saved settings with the
 * command line's on top. */
static int
c_saved(struct cli_call *c)
{
	struct campaign_settings cur;
	struct campaign_test_result tr;
	int64_t id;
	int rc = need_id(c, &id);

	if (rc)
		return rc;
	campaign_settings_init(&cur);
	if ((rc = campaign_settings_load(c->s, id, &cur, c->err,
	                                 sizeof(c->err))) < 0 ||
	    (rc = campaign_settings_set_kv(&cur, a.kv, a.nkv, c->err,
	                                   sizeof(c->err))) < 0) {
		rc = campaign_fail("campaign", rc, c->err);
	} else if (strcmp(c->name, "campaign test") == 0) {
		rc = campaign_test_send(c->s, id, &cur, a.to, a.as, &tr, c->err,
		                        sizeof(c->err));
		if (tr.as[0])
			printf("test to %s as %s via %s: %s\n", a.to, tr.as,
			       tr.server, rc < 0 ? c->err : tr.text);
	} else if (strcmp(c->name, "campaign schedule") == 0) {
		if ((rc = campaign_schedule(c->s, id, a.at, time(NULL), c->err,
		                            sizeof(c->err))) == 0)
			rc = campaign_settings_save(c->s, id, &cur, c->err,
			                            sizeof(c->err));
	} else {
		rc = campaign_foreground(c->s, id, &cur, NULL, a.quiet,
		                         "campaign");
	}
	campaign_settings_fini(&cur);
	return rc;
}

/* `mailcast campaign ...` */
int
cmd_campaign(int argc, char **argv)
{
	struct cli_opt *o;
	char *usage = xasprintf("%s%s", usage_campaign, usage_sending);
	int rc;

	campaign_settings_init(&set);
	if ((o = campaign_opts("campaign", &a, &set, &rc)) != NULL) {
		const struct cli_sub subs[] = {
		    CLI_SUB("create", c_create, CLI_STORE_WRITE, 0, 1 << 20, o),
		    CLI_SUB("start", c_saved, CLI_STORE_WRITE, 0, 1 << 20, o),
		    CLI_SUB("resume", c_saved, CLI_STORE_WRITE, 0, 1 << 20, o),
		    CLI_SUB("pause", c_pause, CLI_STORE_WRITE, 0, 1 << 20, o),
		    CLI_SUB("status", c_show_one, CLI_STORE_READ, 0, 1 << 20,
		            o),
		    CLI_SUB("report", c_show_one, CLI_STORE_READ, 0, 1 << 20,
		            o),
		    CLI_SUB("who", c_show_one, CLI_STORE_READ, 0, 1 << 20, o),
		    CLI_SUB("list", c_list, CLI_STORE_READ, 0, 1 << 20, o),
		    CLI_SUB("show", c_list, CLI_STORE_READ, 0, 1 << 20, o),
		    CLI_SUB("delete", c_delete, CLI_STORE_WRITE, 0, 1 << 20, o),
		    CLI_SUB("clone", c_delete, CLI_STORE_WRITE, 0, 1 << 20, o),
		    CLI_SUB("test", c_saved, CLI_STORE_WRITE, 0, 1 << 20, o),
		    CLI_SUB("schedule", c_saved, CLI_STORE_WRITE, 0, 1 << 20,
		            o),
		    CLI_SUB("run-due", c_run_due, CLI_STORE_WRITE, 0, 1 << 20,
		            o),
		    {0},
		};
		rc = cli_subs_run("campaign", usage, subs, argc, argv);
	}
	campaign_settings_fini(&set);
	free(usage);
	return rc;
}
