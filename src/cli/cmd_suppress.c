/*
 * cmd_suppress.c — `mailcast suppress add|remove|list|import|check`.
 *
 * The suppression list holds addresses and whole domains ("@example.com")
 * that no campaign may mail, each with a reason (unsubscribed, hard-bounce,
 * complaint, manual), a source and a time.  Adding an entry that is there
 * already keeps its first reason.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "store/store.h"
#include "store/store_import.h"

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

struct supp_opts {
	enum store_supp_reason reason;
	const char *source;
	const char *reject_path;
	int dry_run;
};

/* Options shared by the subcommands; returns -1 after printing usage. */
static int
supp_getopt(int argc, char **argv, struct supp_opts *o)
{
	static const struct option opts[] = {
	    {"reason", required_argument, NULL, 'r'},
	    {"source", required_argument, NULL, 's'},
	    {"reject-file", required_argument, NULL, 'f'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	int ch, r;

	o->reason = SUPP_MANUAL;
	o->source = "cli";
	while ((ch = getopt_long(argc, argv, "r:s:f:nj", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if ((r = store_supp_reason_parse(optarg)) < 0) {
				fprintf(
				    stderr,
				    "mailcast: suppress: unknown reason '%s' "
				    "(unsubscribed, hard-bounce, complaint, "
				    "manual)\n",
				    optarg);
				return -1;
			}
			o->reason = (enum store_supp_reason)r;
			break;
		case 's':
			o->source = optarg;
			break;
		case 'f':
			o->reject_path = optarg;
			break;
		case 'n':
			o->dry_run = 1;
			break;
		case 'j':
			cli_globals.json = true;
			break;
		default:
			fputs(supp_usage, stderr);
			return -1;
		}
	}
	return 0;
}

/* suppress add / remove */
static int
supp_add_remove(int argc, char **argv, struct store *s, int add)
{
	struct supp_opts o;
	unsigned long done = 0, kept = 0, bad = 0;
	time_t now = time(NULL);

	if (supp_getopt(argc, argv, &o) < 0)
		return EX_USAGE;
	if (optind == argc) {
		fprintf(stderr,
		        "mailcast: suppress %s: give one or more "
		        "addresses or @domains\n",
		        argv[0]);
		return EX_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		char norm[STORE_ADDRESS_MAX + 2], why[256];
		int added = 0, err;

		if (cli_supp_entry(argv[i], norm, sizeof(norm), why,
		                   sizeof(why)) < 0) {
			fprintf(stderr, "mailcast: suppress %s: %s: %s\n",
			        argv[0], argv[i], why);
			bad++;
			continue;
		}
		err = add ? store_supp_add(s, norm, o.reason, o.source, now,
		                           &added)
		          : store_supp_remove(s, norm);
		if (err < 0) {
			fprintf(stderr, "mailcast: suppress %s: %s\n", argv[0],
			        store_error(s));
			if (err != MC_ENOTFOUND)
				return EX_IOERR;
			bad++;
			continue;
		}
		if (!add || added)
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

/* One entry of `suppress list`. */
static int
supp_show(void *arg, const struct store_suppression *e)
{
	json_t *rows = arg;
	char when[32];
	struct tm tm;

	if (rows != NULL) {
		json_array_append_new(
		    rows,
		    json_pack("{s:s,s:s,s:s,s:I}", "entry", e->entry, "reason",
		              store_supp_reason_name(e->reason), "source",
		              e->source, "created", (json_int_t)e->created));
		return 0;
	}
	gmtime_r(&e->created, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%-40s %-13s %-20s %s\n", e->entry,
	       store_supp_reason_name(e->reason), when, e->source);
	return 0;
}

/* suppress list */
static int
supp_list(int argc, char **argv, struct store *s)
{
	struct supp_opts o;
	json_t *rows = NULL;

	if (supp_getopt(argc, argv, &o) < 0)
		return EX_USAGE;
	if (cli_globals.json)
		rows = json_array();
	if (store_supp_each(s, supp_show, rows) < 0) {
		fprintf(stderr, "mailcast: suppress list: %s\n",
		        store_error(s));
		json_decref(rows);
		return EX_IOERR;
	}
	if (rows != NULL) {
		json_dumpf(rows, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(rows);
	}
	return EX_OK;
}

/* suppress check ADDRESS: exit 0 if suppressed, 1 if not. */
static int
supp_check(int argc, char **argv, struct store *s)
{
	struct store_suppression hit;
	struct supp_opts o;
	char norm[STORE_ADDRESS_MAX + 2], why[256];
	int err;

	if (supp_getopt(argc, argv, &o) < 0 || optind + 1 != argc) {
		fprintf(stderr, "mailcast: suppress check: one ADDRESS\n");
		return EX_USAGE;
	}
	if (cli_supp_entry(argv[optind], norm, sizeof(norm), why, sizeof(why)) <
	    0) {
		fprintf(stderr, "mailcast: suppress check: %s: %s\n",
		        argv[optind], why);
		return EX_DATAERR;
	}
	err = store_supp_check(s, norm, &hit);
	if (err == MC_ENOTFOUND) {
		if (cli_globals.json)
			printf("{\"address\": \"%s\", \"suppressed\": false}\n",
			       norm);
		else
			printf("%s is not suppressed\n", norm);
		return 1;
	}
	if (err < 0) {
		fprintf(stderr, "mailcast: suppress check: %s\n",
		        store_error(s));
		return EX_IOERR;
	}
	if (cli_globals.json) {
		json_t *v = json_pack(
		    "{s:s,s:b,s:s,s:s,s:s}", "address", norm, "suppressed", 1,
		    "entry", hit.entry, "reason",
		    store_supp_reason_name(hit.reason), "source", hit.source);

		json_dumpf(v, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(v);
	} else
		printf("%s is suppressed by %s (%s, %s)\n", norm, hit.entry,
		       store_supp_reason_name(hit.reason), hit.source);
	return EX_OK;
}

/* Rejected row of a suppression import. */
static void
supp_reject(void *arg, unsigned long line, const char *reason, const char *raw,
            size_t rawlen)
{
	FILE *fp = arg;

	(void)line;
	fprintf(stderr, "mailcast: suppress import: %s\n", reason);
	if (fp != NULL) {
		fprintf(fp, "%lu,\"", line);
		for (const char *p = reason; *p; p++)
			fprintf(fp, *p == '"' ? "\"\"" : "%c", *p);
		fputs("\",\"", fp);
		for (size_t i = 0; i < rawlen; i++)
			fprintf(fp, raw[i] == '"' ? "\"\"" : "%c", raw[i]);
		fputs("\"\r\n", fp);
	}
}

/* suppress import FILE */
static int
supp_import(int argc, char **argv, struct store *s)
{
	struct store_import_opts io = {
	    .check = cli_addr_check,
	    .reject = supp_reject,
	    .now = time(NULL),
	};
	struct store_import_stats st;
	struct supp_opts o;
	FILE *fp, *rj = NULL;
	int err;

	if (supp_getopt(argc, argv, &o) < 0)
		return EX_USAGE;
	if (optind + 1 != argc) {
		fprintf(stderr, "mailcast: suppress import: one FILE\n");
		return EX_USAGE;
	}
	if ((fp = fopen(argv[optind], "rb")) == NULL) {
		fprintf(stderr, "mailcast: suppress import: %s: %s\n",
		        argv[optind], strerror(errno));
		return EX_NOINPUT;
	}
	if (o.reject_path != NULL) {
		if ((rj = fopen(o.reject_path, "w")) == NULL) {
			fprintf(stderr, "mailcast: suppress import: %s: %s\n",
			        o.reject_path, strerror(errno));
			fclose(fp);
			return EX_CANTCREAT;
		}
		fputs("line,reason,record\r\n", rj);
	}
	io.dry_run = o.dry_run;
	io.reject_arg = rj;
	err = store_import_suppressions(
	    s, fp, o.reason, strcmp(o.source, "cli") == 0 ? "import" : o.source,
	    &io, &st);
	fclose(fp);
	if (rj != NULL)
		fclose(rj);
	if (err < 0) {
		fprintf(
		    stderr,
		    "mailcast: suppress import: %s: %s; nothing was imported\n",
		    argv[optind], store_error(s));
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
		       o.dry_run ? "dry run (nothing written): " : "",
		       argv[optind], st.rows, st.added, st.unchanged,
		       st.rejected);
	return st.rejected ? EX_DATAERR : EX_OK;
}

/* Dispatch `suppress add` to the add/remove pair. */
static int
supp_add(int argc, char **argv, struct store *s)
{
	return supp_add_remove(argc, argv, s, 1);
}

/* `suppress remove`. */
static int
supp_remove(int argc, char **argv, struct store *s)
{
	return supp_add_remove(argc, argv, s, 0);
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
