/*
 * cmd_campaign.c — `mailcast campaign create|start|resume|pause|status|
 * report|who`: campaigns kept in the store, run in the foreground by the
 * engine (docs/engine.md).
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/str.h"
#include "cli/campaign_run.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "engine/engine.h"

/* Print the usage. */
static void
usage(FILE *fp)
{
	fprintf(fp,
	        "usage: mailcast campaign create --name N --list L "
	        "--template FILE --from ADDR [sending options]\n"
	        "       mailcast campaign start|resume ID [--quiet] [sending "
	        "options]\n"
	        "       mailcast campaign pause ID\n"
	        "       mailcast campaign status ID [--json]\n"
	        "       mailcast campaign report ID [--json]\n"
	        "       mailcast campaign who ID [--state S] [--csv|--json]\n"
	        "\n"
	        "ID is the number `create` printed, or the campaign's name.\n"
	        "start/resume run in the foreground; Ctrl-C (SIGINT) or\n"
	        "SIGTERM pauses cleanly, `resume` continues.  Rows in flight\n"
	        "when a run was killed are sent again and listed by report.\n"
	        "\nsending options (kept with the campaign by "
	        "create):\n" SEND_OPTS_HELP);
}

/* campaign create */
static int
do_create(struct store *s, struct send_opts *o, const char *name,
          const char *list)
{
	int64_t list_id, id;
	int rc;

	if (name == NULL || list == NULL || o->template_path == NULL ||
	    o->from == NULL) {
		fprintf(stderr, "mailcast: campaign create: --name, --list, "
		                "--template and --from are required\n");
		return EX_USAGE;
	}
	if ((rc = send_opts_check(o, "campaign create")) != 0)
		return rc;
	if (store_list_find(s, list, &list_id) < 0) {
		fprintf(stderr, "mailcast: campaign create: no list '%s'\n",
		        list);
		return EX_NOINPUT;
	}
	if ((rc = campaign_check_template(s, list_id, o->template_path,
	                                  "campaign create")) != 0)
		return rc;
	if (store_begin(s) < 0 ||
	    store_campaign_create(s, name, list_id, time(NULL), &id) < 0) {
		fprintf(stderr, "mailcast: campaign create: %s\n",
		        store_error(s));
		store_rollback(s);
		return EX_DATAERR;
	}
	if ((rc = send_opts_save(s, id, o, "campaign create")) != 0) {
		store_rollback(s);
		return rc;
	}
	if (store_commit(s) < 0) {
		fprintf(stderr, "mailcast: campaign create: %s\n",
		        store_error(s));
		return EX_IOERR;
	}
	printf("%lld\n", (long long)id);
	return 0;
}

struct pause_ctx {
	int signalled;
	const char *me;
};

/* SIGTERM the live runs of this host that hold rows of the campaign. */
static int
pause_owner(void *arg, const char *owner, unsigned long n)
{
	struct pause_ctx *p = arg;
	const char *c = strrchr(owner, ':');
	const char *mc = strrchr(p->me, ':');
	long pid;

	(void)n;
	if (c == NULL || mc == NULL || c - owner != mc - p->me ||
	    strncmp(owner, p->me, (size_t)(c - owner)) != 0)
		return 0;
	pid = strtol(c + 1, NULL, 10);
	if (pid > 0 && kill((pid_t)pid, SIGTERM) == 0)
		p->signalled++;
	return 0;
}

/* campaign pause */
static int
do_pause(struct store *s, int64_t id)
{
	struct pause_ctx p = {0, engine_owner()};

	if (store_lease_owners(s, id, pause_owner, &p) < 0) {
		fprintf(stderr, "mailcast: campaign pause: %s\n",
		        store_error(s));
		return EX_IOERR;
	}
	if (p.signalled == 0) {
		fprintf(stderr,
		        "mailcast: campaign pause: campaign %lld is not "
		        "sending on this host\n",
		        (long long)id);
		store_campaign_set_status(s, id, "paused");
		return EX_UNAVAILABLE;
	}
	printf("asked %d run%s to pause\n", p.signalled,
	       p.signalled == 1 ? "" : "s");
	return 0;
}

/* campaign status */
static int
do_status(struct store *s, int64_t id, bool json)
{
	unsigned long counts[DLV__COUNT];
	struct store_campaign c;

	if (store_campaign_get(s, id, &c) < 0 ||
	    store_count_states(s, id, counts) < 0) {
		fprintf(stderr, "mailcast: campaign status: %s\n",
		        store_error(s));
		return EX_IOERR;
	}
	if (json) {
		json_t *st = json_object();

		for (int i = 0; i < DLV__COUNT; i++)
			json_object_set_new(
			    st, store_dlv_state_name(i),
			    json_integer((json_int_t)counts[i]));
		json_t *j =
		    json_pack("{s:I,s:s,s:s,s:o}", "id", (json_int_t)id, "name",
		              c.name, "status", c.status, "states", st);
		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
		return 0;
	}
	printf("campaign %lld \"%s\": %s\n", (long long)id, c.name, c.status);
	for (int i = 0; i < DLV__COUNT; i++)
		printf("  %-12s %lu\n", store_dlv_state_name(i), counts[i]);
	return 0;
}

struct who_ctx {
	bool csv, json;
	json_t *arr;
};

/* Write s as a CSV field. */
static void
csv_field(const char *s, bool last)
{
	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	putchar(last ? '\n' : ',');
}

/* One row of `campaign who`. */
static int
who_row(void *arg, const struct store_dlv_row *r)
{
	struct who_ctx *w = arg;
	char code[16] = "";

	if (r->reply_code)
		snprintf(code, sizeof(code), "%d", r->reply_code);
	if (w->json) {
		json_t *o = json_pack(
		    "{s:s,s:s,s:i,s:i}", "address", r->address, "state",
		    store_dlv_state_name(r->state), "attempts", r->attempts,
		    "reply_code", r->reply_code);

		if (r->enhanced)
			json_object_set_new(o, "enhanced",
			                    json_string(r->enhanced));
		if (r->text)
			json_object_set_new(o, "reply", json_string(r->text));
		if (r->queue_id)
			json_object_set_new(o, "queue_id",
			                    json_string(r->queue_id));
		if (r->relay)
			json_object_set_new(o, "relay", json_string(r->relay));
		json_array_append_new(w->arr, o);
	} else if (w->csv) {
		char att[16];

		snprintf(att, sizeof(att), "%d", r->attempts);
		csv_field(r->address, false);
		csv_field(store_dlv_state_name(r->state), false);
		csv_field(att, false);
		csv_field(code, false);
		csv_field(r->enhanced, false);
		csv_field(r->text, false);
		csv_field(r->queue_id, false);
		csv_field(r->relay, true);
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
		printf("address,state,attempts,reply_code,enhanced,reply,"
		       "queue_id,relay\n");
	if (store_delivery_each(s, id, st, who_row, &w) < 0) {
		fprintf(stderr, "mailcast: campaign who: %s\n", store_error(s));
		json_decref(w.arr);
		return EX_IOERR;
	}
	if (json) {
		json_dumpf(w.arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(w.arr);
	}
	return 0;
}

/* `mailcast campaign ...` */
int
cmd_campaign(int argc, char **argv)
{
	struct send_opts o;
	struct store *s = NULL;
	char *name = NULL, *list = NULL, *state = NULL;
	bool json = cli_globals.json, csv = false;
	const char *sub;
	int64_t id = 0;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : 0;
	}
	sub = argv[1];
	if (strcmp(sub, "create") && strcmp(sub, "start") &&
	    strcmp(sub, "resume") && strcmp(sub, "pause") &&
	    strcmp(sub, "status") && strcmp(sub, "report") &&
	    strcmp(sub, "who")) {
		fprintf(stderr, "mailcast: campaign: unknown subcommand '%s'\n",
		        sub);
		usage(stderr);
		return EX_USAGE;
	}
	send_opts_init(&o);
	argc--;
	argv++;
	rc = send_opts_parse(argc, argv, &o, "campaign", usage, &name, &list,
	                     &json, &state, &csv);
	if (rc != 0) {
		send_opts_fini(&o);
		return rc < 0 ? 0 : rc;
	}
	if (strcmp(sub, "create") != 0 && optind >= argc) {
		fprintf(stderr, "mailcast: campaign %s: give the campaign ID\n",
		        sub);
		send_opts_fini(&o);
		return EX_USAGE;
	}
	if ((s = cli_store_open("campaign")) == NULL) {
		send_opts_fini(&o);
		return cli_store_exit();
	}
	if (strcmp(sub, "create") == 0) {
		rc = do_create(s, &o, name, list);
		goto done;
	}
	if ((rc = campaign_lookup(s, argv[optind], &id, "campaign")) != 0)
		goto done;
	if (strcmp(sub, "start") == 0 || strcmp(sub, "resume") == 0) {
		struct send_opts saved;

		/* the saved settings, with what this command line says on
		 * top: parse again over the loaded ones */
		send_opts_init(&saved);
		if ((rc = send_opts_load(s, id, &saved, "campaign")) != 0) {
			send_opts_fini(&saved);
			goto done;
		}
		optind = 0;
		rc = send_opts_parse(argc, argv, &saved, "campaign", usage,
		                     NULL, NULL, &json, NULL, NULL);
		if (rc == 0)
			rc = campaign_run(s, id, &saved, "campaign");
		send_opts_fini(&saved);
	} else if (strcmp(sub, "pause") == 0) {
		rc = do_pause(s, id);
	} else if (strcmp(sub, "status") == 0) {
		rc = do_status(s, id, json);
	} else if (strcmp(sub, "report") == 0) {
		rc = campaign_report(s, id, json, stdout, "campaign report");
	} else {
		rc = do_who(s, id, state, csv, json);
	}
done:
	store_close(s);
	send_opts_fini(&o);
	return rc;
}
