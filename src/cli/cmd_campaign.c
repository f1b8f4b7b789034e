/*
 * cmd_campaign.c — `mailcast campaign create|start|resume|pause|status|
 * report|who|list|show|delete|clone|test|schedule|run-due`: campaigns kept
 * in the store, run in the foreground by the engine (docs/engine.md); the
 * management is app/campaign_manage.h's.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <jansson.h>

#include "app/campaign_manage.h"
#include "app/contacts.h"
#include "app/result_json.h"
#include "app/process.h"
#include "app/unsubscribe.h"
#include "base/error.h"
#include "cli/campaign_opts.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "cli/util.h"

#include "usage_campaign.h" /* docs/usage/campaign.txt */
#include "usage_sending.h"  /* docs/usage/sending.txt */

/* Print the usage: docs/usage/campaign.txt, then the sending options. */
static void
usage(FILE *fp)
{
	fputs(usage_campaign, fp);
	fputs(usage_sending, fp);
}

/* campaign create */
static int
do_create(struct store *s, const struct campaign_settings *set,
          const struct campaign_args *a)
{
	char err[CAMPAIGN_ERR_MAX];
	unsigned long n;
	int64_t id;
	int rc = campaign_create_where(s, a->name, a->list, a->where, set, &id,
	                               &n, err, sizeof(err));

	if (rc < 0)
		return campaign_fail("campaign create", rc, err);
	if (a->where)
		fprintf(stderr,
		        "mailcast: campaign create: --where: %lu "
		        "contacts\n",
		        n);
	printf("%lld\n", (long long)id);
	if (!unsub_served(set->unsub_url, conf_get(app_conf(), CONF_public_url),
	                  err, sizeof(err)))
		fprintf(stderr, "mailcast: campaign create: warning: %s\n",
		        err);
	return 0;
}

/* campaign pause */
static int
do_pause(struct store *s, int64_t id)
{
	char err[CAMPAIGN_ERR_MAX];
	unsigned n;
	int rc = campaign_pause(s, id, &n, err, sizeof(err));

	if (rc < 0)
		return campaign_fail("campaign pause", rc, err);
	if (n == 0) {
		fprintf(stderr,
		        "mailcast: campaign pause: campaign %lld is not "
		        "sending on this host\n",
		        (long long)id);
		return EX_UNAVAILABLE;
	}
	printf("asked %u run%s to pause\n", n, n == 1 ? "" : "s");
	return 0;
}

/* campaign status */
static int
do_status(struct store *s, int64_t id, bool json)
{
	struct campaign_info ci;
	char err[CAMPAIGN_ERR_MAX];
	int rc = campaign_status_get(s, id, &ci, err, sizeof(err));

	if (rc < 0)
		return campaign_fail("campaign status", rc, err);
	if (json) {
		cli_json_print(campaign_info_json(id, &ci));
		return 0;
	}
	printf("campaign %lld \"%s\": %s%s\n", (long long)id, ci.name,
	       campaign_status_name(ci.status),
	       ci.orphaned ? " (its last run stopped without a word; "
	                     "`campaign resume` continues)"
	                   : "");
	if (ci.where[0])
		printf("  --where %s (%lu at create)\n", ci.where, ci.matched);
	for (int i = 0; i < DLV__COUNT; i++)
		printf("  %-12s %lu\n", store_dlv_state_name(i), ci.states[i]);
	for (size_t i = 0; i < ci.nholders; i++) {
		const struct campaign_holder *h = &ci.holders[i];
		char since[32];
		struct tm tm;

		localtime_r(&h->since, &tm);
		strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", &tm);
		printf("  run: pid %ld on %s since %s, %lu rows held, "
		       "heartbeat %lld s ago (%s)\n",
		       h->pid, h->host, since, h->rows,
		       (long long)(time(NULL) - h->heartbeat), h->owner);
		if (h->slots)
			printf("    %u connection slot%s: %s\n", h->slots,
			       h->slots == 1 ? "" : "s", h->slot_text);
	}
	return 0;
}

struct who_ctx {
	bool csv, json;
	json_t *arr;
};

/* One row of `campaign who`. */
static int
who_row(void *arg, const struct store_dlv_row *r)
{
	struct who_ctx *w = arg;
	char code[16] = "";

	if (r->reply_code)
		snprintf(code, sizeof(code), "%d", r->reply_code);
	if (w->json) {
		json_array_append_new(w->arr, campaign_row_json(r));
	} else if (w->csv) {
		char buf[2][16];
		const char *f[CAMPAIGN_ROW_CSV_FIELDS];

		campaign_row_fields(r, buf, f);
		app_csv_write_row(stdout, f, CAMPAIGN_ROW_CSV_FIELDS);
	} else {
		printf("%-40s %-10s %3s %-7s %s%s%s\n", r->address,
		       store_dlv_state_name(r->state), code,
		       r->enhanced ? r->enhanced : "",
		       r->queue_id ? r->queue_id : "",
		       r->queue_id && r->text ? " " : "",
		       r->text && !r->queue_id ? r->text : "");
	}
	return 0;
}

/* campaign who */
static int
do_who(struct store *s, int64_t id, const char *state, bool csv, bool json)
{
	struct who_ctx w = {csv, json, json ? json_array() : NULL};
	int st = -1;

	if (state && (st = store_dlv_state_parse(state)) < 0) {
		fprintf(stderr,
		        "mailcast: campaign who: --state: one of pending, "
		        "inflight, sent, deferred, failed, bounced, "
		        "suppressed\n");
		json_decref(w.arr);
		return EX_USAGE;
	}
	if (csv)
		printf("%s\r\n", CAMPAIGN_ROW_CSV_HEADER);
	if (store_delivery_each(s, id, st, who_row, &w) < 0) {
		fprintf(stderr, "mailcast: campaign who: %s\n", store_error(s));
		json_decref(w.arr);
		return EX_IOERR;
	}
	if (json)
		cli_json_print(w.arr);
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

/* The subcommands on one campaign with the saved settings and this
 * command line on top: start, resume, test, schedule. */
static int
do_saved(struct store *s, int64_t id, const char *sub, int argc, char **argv)
{
	struct campaign_settings set;
	struct campaign_args a;
	struct campaign_test_result tr;
	char err[CAMPAIGN_ERR_MAX];
	int rc;

	memset(&a, 0, sizeof(a));
	campaign_settings_init(&set);
	if ((rc = campaign_settings_load(s, id, &set, err, sizeof(err))) < 0) {
		rc = campaign_fail("campaign", rc, err);
		goto done;
	}
	if ((rc = campaign_opts_parse(argc, argv, &set, false, "campaign",
	                              usage_campaign, &a)) != 0)
		goto done;
	if (strcmp(sub, "test") == 0) {
		rc = campaign_test_send(s, id, &set, a.to, a.as, &tr, err,
		                        sizeof(err));
		if (tr.as[0])
			printf("test to %s as %s via %s: %s\n", a.to, tr.as,
			       tr.server, rc < 0 ? err : tr.text);
		rc = rc < 0 ? campaign_fail("campaign test", rc, err) : 0;
	} else if (strcmp(sub, "schedule") == 0) {
		if ((rc = campaign_schedule(s, id, a.at, time(NULL), err,
		                            sizeof(err))) < 0 ||
		    (rc = campaign_settings_save(s, id, &set, err,
		                                 sizeof(err))) < 0)
			rc = campaign_fail("campaign schedule", rc, err);
	} else {
		rc =
		    campaign_foreground(s, id, &set, NULL, a.quiet, "campaign");
	}
done:
	campaign_settings_fini(&set);
	return rc < 0 ? 0 : rc;
}

/* The subcommands that print data or change the campaign. */
static int
do_manage(struct store *s, int64_t id, const char *sub,
          const struct campaign_args *a)
{
	char err[CAMPAIGN_ERR_MAX];
	json_t *o = NULL;
	int64_t nid;
	int rc, worst = 0;
	unsigned n;

	if (strcmp(sub, "list") == 0)
		rc = campaign_list_json(s, &o, err, sizeof(err));
	else if (strcmp(sub, "show") == 0)
		rc = campaign_show_json(s, id, &o, err, sizeof(err));
	else if (strcmp(sub, "delete") == 0)
		rc = campaign_delete(s, id, err, sizeof(err));
	else if (strcmp(sub, "clone") == 0)
		rc = campaign_clone(s, id, a->name, &nid, err, sizeof(err));
	else
		rc = campaign_run_due(s, time(NULL), NULL, due_line, &worst, &n,
		                      err, sizeof(err));
	if (rc < 0)
		return campaign_fail("campaign", rc, err);
	if (o != NULL && a->json)
		cli_json_print(o);
	else if (o != NULL)
		campaign_json_text(o, stdout), json_decref(o);
	else if (strcmp(sub, "clone") == 0)
		printf("%lld\n", (long long)nid);
	else if (strcmp(sub, "delete") == 0)
		printf("deleted campaign %lld\n", (long long)id);
	else if (n == 0)
		printf("no campaign is due\n");
	return worst;
}

/* `mailcast campaign ...` */
int
cmd_campaign(int argc, char **argv)
{
	static const char *const subs[] = {
	    "create", "start", "resume",   "pause",  "status",
	    "report", "who",   "list",     "show",   "delete",
	    "clone",  "test",  "schedule", "run-due"};
	struct campaign_settings set;
	struct campaign_args a;
	struct store *s = NULL;
	char err[CAMPAIGN_ERR_MAX], what[32];
	const char *sub;
	size_t k = 0;
	int64_t id = 0;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : 0;
	}
	sub = argv[1];
	while (k < sizeof(subs) / sizeof(subs[0]) && strcmp(sub, subs[k]))
		k++;
	if (k == sizeof(subs) / sizeof(subs[0])) {
		fprintf(stderr, "mailcast: campaign: unknown subcommand '%s'\n",
		        sub);
		usage(stderr);
		return EX_USAGE;
	}
	memset(&a, 0, sizeof(a));
	campaign_settings_init(&set);
	argc--;
	argv++;
	rc = campaign_opts_parse(argc, argv, &set, true, "campaign",
	                         usage_campaign, &a);
	if (rc != 0)
		goto done;
	if (a.where != NULL && strcmp(sub, "create") != 0) {
		rc = cli_fail(EX_USAGE,
		              "mailcast: campaign %s: --where is "
		              "chosen at create",
		              sub);
		goto done;
	}
	if (k != 0 && k != 7 && k != 13 && optind >= argc) {
		fprintf(stderr, "mailcast: campaign %s: give the campaign ID\n",
		        sub);
		rc = EX_USAGE;
		goto done;
	}
	snprintf(what, sizeof(what), "campaign %s", sub);
	if ((s = cli_store_open(what)) == NULL) {
		rc = cli_store_exit();
		goto done;
	}
	if (strcmp(sub, "create") == 0)
		rc = do_create(s, &set, &a);
	else if (k == 7 || k == 13)
		rc = do_manage(s, 0, sub, &a);
	else if ((rc = campaign_lookup(s, argv[optind], &id, err,
	                               sizeof(err))) < 0)
		rc = campaign_fail("campaign", rc, err);
	else if (k == 1 || k == 2 || k == 11 || k == 12)
		rc = do_saved(s, id, sub, argc, argv);
	else if (k >= 8)
		rc = do_manage(s, id, sub, &a);
	else if (strcmp(sub, "pause") == 0)
		rc = do_pause(s, id);
	else if (strcmp(sub, "status") == 0)
		rc = do_status(s, id, a.json);
	else if (strcmp(sub, "report") == 0)
		rc = campaign_report_print(s, id, a.json, a.csv,
		                           "campaign report");
	else
		rc = do_who(s, id, a.state, a.csv, a.json);
done:
	store_close(s);
	campaign_settings_fini(&set);
	return rc < 0 ? 0 : rc;
}
