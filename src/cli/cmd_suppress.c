/*
 * cmd_suppress.c — `mailcast suppress add|remove|list|import|check`.
 *
 * The suppression list holds addresses and whole domains ("@example.com")
 * that no campaign may mail, each with a reason (unsubscribed, hard-bounce,
 * complaint, manual), a source and a time.  Adding an entry that is there
 * already keeps its first reason.  The work is app/contacts.h's.
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

static const char supp_usage[] =
    "usage: mailcast [--store URL] [--json] suppress COMMAND ...\n"
    "  add ENTRY... [--reason R] [--source S]  suppress addresses or\n"
    "                             @domains (reason: unsubscribed,\n"
    "                             hard-bounce, complaint, manual (default))\n"
    "  remove ENTRY...            lift suppressions\n"
    "  list                       every entry, with reason, source, time\n"
    "  check ADDRESS              is it suppressed, and by what?\n"
    "  import FILE.csv [--reason R] [--source S] [--reject-file F]\n"
    "         [--dry-run]         first column: address or @domain\n";

/* --reason NAME */
static int
parse_reason(void *dst, const char *arg)
{
	int r = store_supp_reason_parse(arg);

	if (r < 0) {
		fprintf(stderr,
		        "mailcast: suppress: unknown reason '%s' "
		        "(unsubscribed, hard-bounce, complaint, manual)\n",
		        arg);
		return -1;
	}
	*(enum store_supp_reason *)dst = (enum store_supp_reason)r;
	return 0;
}

/* Options shared by the subcommands; the first operand, or -1. */
static int
supp_getopt(int argc, char **argv, struct app_import *o, const char **rpath,
            int *status)
{
	struct cli_opt opts[] = {
	    {"reason", CLI_FN, &o->reason, .fn = parse_reason, .shortopt = 'r'},
	    {"source", CLI_STR, &o->source, .shortopt = 's'},
	    {"reject-file", CLI_STR, rpath, .shortopt = 'f'},
	    {"dry-run", CLI_FLAG, &o->dry_run, .shortopt = 'n'},
	    {"json", CLI_FLAG, &cli_globals.json, .shortopt = 'j'},
	    {0},
	};
	const struct cli_cmd c = {"mailcast: suppress", supp_usage, opts,
	                          false};

	*o = (struct app_import){.reason = SUPP_MANUAL, .source = "cli"};
	return cli_parse(&c, argc, argv, status);
}

/* suppress add / remove */
static int
supp_add_remove(int argc, char **argv, struct store *s, bool add)
{
	struct app_import o;
	unsigned long done = 0, kept = 0, bad = 0;
	const char *rpath = NULL;
	int i, rc;

	if ((i = supp_getopt(argc, argv, &o, &rpath, &rc)) < 0)
		return rc;
	if (i == argc) {
		fprintf(stderr,
		        "mailcast: suppress %s: give one or more "
		        "addresses or @domains\n",
		        argv[0]);
		return EX_USAGE;
	}
	for (; i < argc; i++) {
		char norm[STORE_ADDRESS_MAX + 2], why[256];
		bool added;

		rc =
		    app_supp_change(s, add, argv[i], o.reason, o.source, &added,
		                    norm, sizeof(norm), why, sizeof(why));
		if (rc == MC_EDATA) {
			fprintf(stderr, "mailcast: suppress %s: %s: %s\n",
			        argv[0], argv[i], why);
			bad++;
		} else if (rc < 0) {
			fprintf(stderr, "mailcast: suppress %s: %s\n", argv[0],
			        why);
			if (rc != MC_ENOTFOUND)
				return EX_IOERR;
			bad++;
		} else if (!add || added)
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
supp_list(int argc, char **argv, struct store *s)
{
	struct app_import o;
	const char *rpath;
	char err[256], when[32];
	json_t *rows, *v;
	size_t k;
	int rc;

	if (supp_getopt(argc, argv, &o, &rpath, &rc) < 0)
		return rc;
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
supp_check(int argc, char **argv, struct store *s)
{
	struct app_import o;
	const char *rpath;
	char err[256];
	json_t *v;
	int i, rc;

	if ((i = supp_getopt(argc, argv, &o, &rpath, &rc)) < 0 || i + 1 != argc)
		return cli_fail(EX_USAGE, "mailcast: suppress check: one "
		                          "ADDRESS");
	if ((rc = app_supp_lookup(s, argv[i], &v, err, sizeof(err))) < 0)
		return rc == MC_EDATA
		           ? cli_fail(EX_DATAERR,
		                      "mailcast: suppress check: %s: %s",
		                      argv[i], err)
		           : cli_fail(EX_IOERR, "mailcast: suppress check: %s",
		                      err);
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

/* A rejected row of a suppression import, on stderr. */
static void
supp_reject(void *arg, unsigned long line, const char *reason, const char *raw,
            size_t rawlen)
{
	(void)arg, (void)line, (void)raw, (void)rawlen;
	fprintf(stderr, "mailcast: suppress import: %s\n", reason);
}

/* suppress import FILE */
static int
supp_import(int argc, char **argv, struct store *s)
{
	struct store_import_stats st;
	struct app_import o;
	const char *rpath = NULL;
	FILE *fp;
	int i, err;

	if ((i = supp_getopt(argc, argv, &o, &rpath, &err)) < 0)
		return err;
	if (i + 1 != argc) {
		fprintf(stderr, "mailcast: suppress import: one FILE\n");
		return EX_USAGE;
	}
	if ((fp = fopen(argv[i], "rb")) == NULL) {
		fprintf(stderr, "mailcast: suppress import: %s: %s\n", argv[i],
		        strerror(errno));
		return EX_NOINPUT;
	}
	if (rpath != NULL && (o.rejects = fopen(rpath, "w")) == NULL) {
		fprintf(stderr, "mailcast: suppress import: %s: %s\n", rpath,
		        strerror(errno));
		fclose(fp);
		return EX_CANTCREAT;
	}
	o.reject = supp_reject;
	if (strcmp(o.source, "cli") == 0)
		o.source = "import";
	err = app_supp_import(s, fp, &o, &st);
	fclose(fp);
	if (o.rejects != NULL)
		fclose(o.rejects);
	if (err < 0) {
		fprintf(
		    stderr,
		    "mailcast: suppress import: %s: %s; nothing was imported\n",
		    argv[i], store_error(s));
		return err == MC_EIO ? EX_IOERR : EX_DATAERR;
	}
	if (cli_globals.json)
		printf("{\"rows\": %lu, \"added\": %lu, \"already\": %lu, "
		       "\"rejected\": %lu, \"dry_run\": %s}\n",
		       st.rows, st.added, st.unchanged, st.rejected,
		       o.dry_run ? "true" : "false");
	else
		printf("%s%s: %lu rows: %lu added, %lu already suppressed, "
		       "%lu rejected\n",
		       o.dry_run ? "dry run (nothing written): " : "", argv[i],
		       st.rows, st.added, st.unchanged, st.rejected);
	return st.rejected ? EX_DATAERR : EX_OK;
}

/* `suppress add`. */
static int
supp_add(int argc, char **argv, struct store *s)
{
	return supp_add_remove(argc, argv, s, true);
}

/* `suppress remove`. */
static int
supp_remove(int argc, char **argv, struct store *s)
{
	return supp_add_remove(argc, argv, s, false);
}

/* mailcast suppress ... */
int
cmd_suppress(int argc, char **argv)
{
	static const struct cli_store_sub subs[] = {
	    {"add", supp_add},     {"remove", supp_remove}, {"list", supp_list},
	    {"check", supp_check}, {"import", supp_import},
	};
	return cli_store_dispatch("suppress", supp_usage, subs,
	                          sizeof(subs) / sizeof(subs[0]), argc, argv);
}
