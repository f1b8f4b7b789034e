/*
 * cmd_suppress.c — `mailcast suppress add|remove|list|import|check`.
 *
 * The suppression list holds addresses and whole domains ("@example.com")
 * that no campaign may mail, each with a reason (unsubscribed, hard-bounce,
 * complaint, manual), a source and a time.  Adding an entry that is there
 * already keeps its first reason; adding an address gives its contact the
 * reason's status, and a contact that is not active stays suppressed after
 * its entry is removed (docs/contacts.md).  The work is app/contacts.h's.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "app/contacts.h"
#include "base/error.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "cli/util.h"

#include "usage_suppress.h" /* docs/usage/suppress.txt */

/* --reason NAME */
static int
parse_reason(void *dst, const char *arg)
{
	int r = store_supp_reason_parse(arg);

	if (r < 0)
		return cli_fail(
		    -1,
		    "mailcast: suppress: unknown reason '%s' "
		    "(unsubscribed, hard-bounce, complaint, manual)",
		    arg);
	*(enum store_supp_reason *)dst = (enum store_supp_reason)r;
	return 0;
}

/* The options every subcommand takes, parsed once. */
struct supp_args {
	struct app_import o;
	const char *rpath;
	const char *sub; /* "add", "remove", ... */
	int argc;        /* the operands */
	char **argv;
};

/* suppress add / remove */
static int
supp_add_remove(struct store *s, const struct supp_args *a, bool add)
{
	unsigned long done = 0, kept = 0, bad = 0;
	int rc;

	if (a->argc == 0)
		return cli_fail(EX_USAGE,
		                "mailcast: suppress %s: give one or more "
		                "addresses or @domains",
		                a->sub);
	for (int i = 0; i < a->argc; i++) {
		char norm[STORE_ADDRESS_MAX + 2], why[256];
		bool added;

		rc = app_supp_change(s, add, a->argv[i], a->o.reason,
		                     a->o.source, &added, norm, sizeof(norm),
		                     why, sizeof(why));
		if (rc < 0 && rc != MC_EDATA && rc != MC_ENOTFOUND)
			return cli_fail(EX_IOERR, "mailcast: suppress %s: %s",
			                a->sub, why);
		if (rc == MC_EDATA)
			cli_fail(0, "mailcast: suppress %s: %s: %s", a->sub,
			         a->argv[i], why);
		else if (rc < 0)
			cli_fail(0, "mailcast: suppress %s: %s", a->sub, why);
		if (rc < 0)
			bad++;
		else if (!add || added)
			done++;
		else
			kept++;
	}
	if (cli_globals.json)
		printf("{\"%s\": %lu, \"already\": %lu, \"errors\": %lu}\n",
		       add ? "added" : "removed", done, kept, bad);
	else if (add)
		printf("%lu added, %lu already suppressed\n", done, kept);
	else
		printf("%lu removed\n", done);
	return bad ? EX_DATAERR : EX_OK;
}

/* suppress list */
static int
supp_list(struct store *s)
{
	char err[256], when[32];
	json_t *rows, *v;
	size_t k;

	if (app_supp_rows(s, &rows, err, sizeof(err)) < 0)
		return cli_fail(EX_IOERR, "mailcast: suppress list: %s", err);
	if (cli_globals.json) {
		cli_json_print(rows);
		return EX_OK;
	}
	json_array_foreach(rows, k, v)
	{
		time_t t = json_integer_value(json_object_get(v, "created"));
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("%-40s %-13s %-20s %s\n", cli_jstr(v, "entry"),
		       cli_jstr(v, "reason"), when, cli_jstr(v, "source"));
	}
	json_decref(rows);
	return EX_OK;
}

/* suppress check ADDRESS: exit 0 if suppressed, 1 if not. */
static int
supp_check(struct store *s, const struct supp_args *a)
{
	char err[256];
	json_t *v;
	int rc;

	if (a->argc != 1)
		return cli_fail(EX_USAGE, "mailcast: suppress check: one "
		                          "ADDRESS");
	if ((rc = app_supp_lookup(s, a->argv[0], &v, err, sizeof(err))) ==
	    MC_EDATA)
		return cli_fail(EX_DATAERR, "mailcast: suppress check: %s: %s",
		                a->argv[0], err);
	if (rc < 0)
		return cli_fail(EX_IOERR, "mailcast: suppress check: %s", err);
	rc = json_is_true(json_object_get(v, "suppressed")) ? EX_OK : 1;
	if (cli_globals.json) {
		/* Suppressed: indented; not: one line, as it always was. */
		json_dumpf(v, stdout, rc == EX_OK ? JSON_INDENT(2) : 0);
		putchar('\n');
	} else if (rc == EX_OK)
		printf("%s is suppressed by %s (%s, %s)\n",
		       cli_jstr(v, "address"), cli_jstr(v, "entry"),
		       cli_jstr(v, "reason"), cli_jstr(v, "source"));
	else
		printf("%s is not suppressed\n", cli_jstr(v, "address"));
	json_decref(v);
	return rc;
}

/* suppress import FILE */
static int
supp_import(struct store *s, struct supp_args *a)
{
	struct store_import_stats st;
	struct app_import *o = &a->o;
	int err;

	if (a->argc != 1)
		return cli_fail(EX_USAGE,
		                "mailcast: suppress import: one FILE");
	if (strcmp(o->source, "cli") == 0)
		o->source = "import";
	if ((err = cli_import(s, "suppress import", a->argv[0], a->rpath, o,
	                      &st)))
		return err;
	if (cli_globals.json)
		printf("{\"rows\": %lu, \"added\": %lu, \"already\": %lu, "
		       "\"rejected\": %lu, \"dry_run\": %s}\n",
		       st.rows, st.added, st.unchanged, st.rejected,
		       o->dry_run ? "true" : "false");
	else
		printf("%s%s: %lu rows: %lu added, %lu already suppressed, "
		       "%lu rejected\n",
		       o->dry_run ? "dry run (nothing written): " : "",
		       a->argv[0], st.rows, st.added, st.unchanged,
		       st.rejected);
	if (st.rejected > 0)
		cli_fail(0,
		         "mailcast: suppress import: %lu rows rejected; the "
		         "other rows were imported",
		         st.rejected);
	return EX_OK;
}

/* suppress SUB [options] ...: the options, then the subcommand. */
static int
supp_run(int argc, char **argv, struct store *s)
{
	struct supp_args a = {
	    .o = {.reason = SUPP_MANUAL, .source = "cli"},
	    .sub = argv[0],
	};
	struct cli_opt opts[] = {
	    {"reason", CLI_FN, &a.o.reason, .fn = parse_reason,
	     .shortopt = 'r'},
	    {"source", CLI_STR, &a.o.source, .shortopt = 's'},
	    {"reject-file", CLI_STR, &a.rpath, .shortopt = 'f'},
	    {"dry-run", CLI_FLAG, &a.o.dry_run, .shortopt = 'n'},
	    CLI_O("strict", CLI_FLAG, &a.o.strict),
	    {0},
	};
	const struct cli_cmd c = {"mailcast: suppress", usage_suppress, opts,
	                          false};
	int i, rc;

	if ((i = cli_parse(&c, argc, argv, &rc)) < 0)
		return rc;
	a.argc = argc - i;
	a.argv = argv + i;
	if (strcmp(a.sub, "list") == 0)
		return supp_list(s);
	if (strcmp(a.sub, "check") == 0)
		return supp_check(s, &a);
	if (strcmp(a.sub, "import") == 0)
		return supp_import(s, &a);
	return supp_add_remove(s, &a, strcmp(a.sub, "add") == 0);
}

/* mailcast suppress ... */
int
cmd_suppress(int argc, char **argv)
{
	static const struct cli_store_sub subs[] = {
	    {"add", supp_run},   {"remove", supp_run}, {"list", supp_run},
	    {"check", supp_run}, {"import", supp_run},
	};
	return cli_store_dispatch("suppress", usage_suppress, subs,
	                          sizeof(subs) / sizeof(subs[0]), argc, argv);
}
