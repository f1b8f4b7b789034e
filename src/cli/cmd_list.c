/*
 * cmd_list.c — `mailcast list import|export|show|count|remove`.
 *
 * Contacts and lists in the store, CSV in and out (app/contacts.h does the
 * work).  An import is one transaction (all or nothing); rows it cannot
 * take are listed on stderr with their line and reason, and in
 * --reject-file as CSV (line,reason,record).  Exit: 0, EX_DATAERR when rows
 * were rejected (the good ones are imported) or the file is unusable
 * (nothing is), EX_USAGE, EX_NOINPUT.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "app/contacts.h"
#include "base/error.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "cli/util.h"

#define LIST_SHOW_REJECTS 20 /* rejected rows printed before "and N more" */

static const char list_usage[] =
    "usage: mailcast [--store URL] [--json] list COMMAND ...\n"
    "  import FILE.csv --list NAME [--email-column C] [--dry-run]\n"
    "         [--reject-file F]   add or update contacts from a CSV with a\n"
    "                             header row; one transaction\n"
    "  export --list NAME [-o FILE]  the list as CSV (email + attributes)\n"
    "  show [NAME] [--limit N]    the lists, or a list's contacts\n"
    "  count [NAME]               number of contacts (of a list)\n"
    "  remove NAME [ADDRESS...]   take addresses off a list, or delete\n"
    "                             the list (its contacts stay)\n"
    "The store is --store URL, else $MAILCAST_STORE, else " STORE_DEFAULT_URL
    ".\n";

/* Print one JSON value to stdout. */
static void
json_print(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(v);
}

/* Parse a subcommand's options; the index of its first operand or -1. */
static int
list_parse(struct cli_opt *opts, int argc, char **argv, int *status)
{
	const struct cli_cmd c = {"mailcast: list", list_usage, opts, false};

	return cli_parse(&c, argc, argv, status);
}

struct reject_out {
	unsigned long shown, total;
	json_t *json; /* array when --json */
};

/* store_reject_fn: stderr and the JSON report. */
static void
on_reject(void *arg, unsigned long line, const char *reason, const char *raw,
          size_t rawlen)
{
	struct reject_out *ro = arg;

	(void)raw, (void)rawlen;
	if (ro->total++ < LIST_SHOW_REJECTS) {
		fprintf(stderr, "mailcast: list import: %s\n", reason);
		ro->shown++;
	}
	if (ro->json != NULL && json_array_size(ro->json) < 1000)
		json_array_append_new(ro->json, json_pack("{s:I,s:s}", "line",
		                                          (json_int_t)line,
		                                          "reason", reason));
}

/* Print an import's tally. */
static void
import_print(const char *file, const struct app_import *o,
             const struct store_import_stats *st, json_t *rejects)
{
	if (cli_globals.json)
		json_print(json_pack(
		    "{s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "file",
		    file, "list", o->list, "dry_run", o->dry_run, "rows",
		    (json_int_t)st->rows, "added", (json_int_t)st->added,
		    "updated", (json_int_t)st->updated, "unchanged",
		    (json_int_t)st->unchanged, "joined", (json_int_t)st->joined,
		    "duplicates", (json_int_t)st->duplicates, "rejected",
		    (json_int_t)st->rejected, "rejects", rejects));
	else
		printf("%s%s: %lu rows: %lu added, %lu updated, %lu unchanged, "
		       "%lu duplicates merged, %lu rejected; %lu joined list "
		       "'%s'\n",
		       o->dry_run ? "dry run (nothing written): " : "", file,
		       st->rows, st->added, st->updated, st->unchanged,
		       st->duplicates, st->rejected, st->joined, o->list);
}

/* list import */
static int
list_import(int argc, char **argv, struct store *s)
{
	struct reject_out ro = {0};
	struct app_import o = {.reject = on_reject, .reject_arg = &ro};
	struct store_import_stats st;
	const char *rpath = NULL;
	struct cli_opt opts[] = {
	    {"list", CLI_STR, &o.list, .shortopt = 'l'},
	    {"email-column", CLI_STR, &o.email_column, .shortopt = 'e'},
	    {"dry-run", CLI_FLAG, &o.dry_run, .shortopt = 'n'},
	    {"reject-file", CLI_STR, &rpath, .shortopt = 'r'},
	    {"json", CLI_FLAG, &cli_globals.json, .shortopt = 'j'},
	    {0},
	};
	FILE *fp;
	int i, err, status;

	if ((i = list_parse(opts, argc, argv, &status)) < 0)
		return status;
	if (i + 1 != argc || o.list == NULL) {
		fprintf(stderr, "mailcast: list import: give one FILE.csv and "
		                "--list NAME\n");
		return EX_USAGE;
	}
	if ((fp = fopen(argv[i], "rb")) == NULL) {
		fprintf(stderr, "mailcast: list import: %s: %s\n", argv[i],
		        strerror(errno));
		return EX_NOINPUT;
	}
	if (rpath != NULL && (o.rejects = fopen(rpath, "w")) == NULL) {
		fprintf(stderr, "mailcast: list import: %s: %s\n", rpath,
		        strerror(errno));
		fclose(fp);
		return EX_CANTCREAT;
	}
	if (cli_globals.json)
		ro.json = json_array();
	err = app_contacts_import(s, fp, &o, &st);
	fclose(fp);
	if (o.rejects != NULL && fclose(o.rejects) != 0)
		fprintf(stderr, "mailcast: list import: %s: write error\n",
		        rpath);
	if (err < 0) {
		fprintf(stderr,
		        "mailcast: list import: %s: %s; nothing was imported\n",
		        argv[i], store_error(s));
		json_decref(ro.json);
		return err == MC_EIO ? EX_IOERR : EX_DATAERR;
	}
	if (ro.total > ro.shown)
		fprintf(
		    stderr,
		    "mailcast: list import: ... and %lu more rejected rows%s\n",
		    ro.total - ro.shown, rpath ? " (see the reject file)" : "");
	import_print(argv[i], &o, &st, ro.json);
	if (st.rejected == 0)
		return EX_OK;
	fprintf(stderr,
	        "mailcast: list import: %lu rows rejected; the other rows "
	        "were %s\n",
	        st.rejected, o.dry_run ? "checked" : "imported");
	return EX_DATAERR;
}

/* Find the list id of name, or say why not. */
static int
find_list(struct store *s, const char *cmd, const char *name, int64_t *id)
{
	int err;

	if ((err = store_list_find(s, name, id)) < 0) {
		fprintf(stderr, "mailcast: list %s: %s\n", cmd, store_error(s));
		return err == MC_ENOTFOUND ? EX_NOINPUT : EX_IOERR;
	}
	return 0;
}

struct show_run {
	json_t *rows;
	unsigned long long limit;
	unsigned long n;
};

/* One contact in `list show NAME` or `list export --json`. */
static int
show_contact(void *arg, const struct store_contact *c)
{
	struct show_run *r = arg;

	if (r->limit > 0 && r->n >= r->limit)
		return 1;
	r->n++;
	if (r->rows != NULL)
		json_array_append_new(r->rows, app_contact_json(c));
	else
		printf("%-40s %-12s %s\n", c->address, c->status, c->attrs);
	return 0;
}

/* list export */
static int
list_export(int argc, char **argv, struct store *s)
{
	const char *list = NULL, *out = NULL;
	struct cli_opt opts[] = {
	    {"list", CLI_STR, &list, .shortopt = 'l'},
	    {"output", CLI_STR, &out, .shortopt = 'o'},
	    {"json", CLI_FLAG, &cli_globals.json, .shortopt = 'j'},
	    {0},
	};
	struct show_run x = {0};
	FILE *fp = stdout;
	int64_t id;
	int i, rc;

	if ((i = list_parse(opts, argc, argv, &rc)) < 0)
		return rc;
	if (list == NULL && i < argc)
		list = argv[i++];
	if (list == NULL || i != argc) {
		fprintf(stderr, "mailcast: list export: --list NAME needed\n");
		return EX_USAGE;
	}
	if ((rc = find_list(s, "export", list, &id)) != 0)
		return rc;
	if (out != NULL && (fp = fopen(out, "w")) == NULL) {
		fprintf(stderr, "mailcast: list export: %s: %s\n", out,
		        strerror(errno));
		return EX_CANTCREAT;
	}
	if (cli_globals.json) {
		x.rows = json_array();
		rc = store_contact_each(s, id, show_contact, &x);
		json_dumpf(x.rows, fp, JSON_INDENT(2));
		fputc('\n', fp);
		json_decref(x.rows);
	} else
		rc = app_contacts_export(s, id, app_csv_write_row, fp);
	if ((fp != stdout && fclose(fp) != 0) || rc < 0) {
		fprintf(stderr, "mailcast: list export: %s\n",
		        rc < 0 ? store_error(s) : "write error");
		return EX_IOERR;
	}
	return EX_OK;
}

/* One list in `list show`. */
static int
show_list(void *arg, const struct store_list_info *l)
{
	struct show_run *r = arg;

	if (r->rows != NULL)
		json_array_append_new(
		    r->rows, json_pack("{s:s,s:I,s:I}", "name", l->name,
		                       "members", (json_int_t)l->members,
		                       "created", (json_int_t)l->created));
	else
		printf("%-30s %10lu\n", l->name, l->members);
	return 0;
}

/* list show */
static int
list_show(int argc, char **argv, struct store *s)
{
	struct show_run r = {0};
	struct cli_opt opts[] = {
	    {"limit", CLI_ULL, &r.limit, 0, ~0ULL, .shortopt = 'n'},
	    {"json", CLI_FLAG, &cli_globals.json, .shortopt = 'j'},
	    {0},
	};
	int64_t id;
	int i, rc;

	if ((i = list_parse(opts, argc, argv, &rc)) < 0)
		return rc;
	if (cli_globals.json)
		r.rows = json_array();
	if (i == argc) {
		if (r.rows == NULL)
			printf("%-30s %10s\n", "LIST", "CONTACTS");
		rc = store_list_each(s, show_list, &r);
	} else {
		if ((rc = find_list(s, "show", argv[i], &id)) != 0) {
			json_decref(r.rows);
			return rc;
		}
		rc = store_contact_each(s, id, show_contact, &r);
		if (rc > 0)
			rc = 0; /* the limit stopped it */
	}
	if (rc < 0) {
		fprintf(stderr, "mailcast: list show: %s\n", store_error(s));
		json_decref(r.rows);
		return EX_IOERR;
	}
	if (r.rows != NULL)
		json_print(r.rows);
	return EX_OK;
}

/* list count */
static int
list_count(int argc, char **argv, struct store *s)
{
	unsigned long n;
	int64_t id = 0;
	int rc;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		if (argc == 2 && strcmp(argv[1], "--json") == 0)
			cli_globals.json = true;
		else {
			fputs(list_usage, stderr);
			return EX_USAGE;
		}
	} else if (argc == 2 && (rc = find_list(s, "count", argv[1], &id)))
		return rc;
	if (store_contact_count(s, id, &n) < 0) {
		fprintf(stderr, "mailcast: list count: %s\n", store_error(s));
		return EX_IOERR;
	}
	if (cli_globals.json)
		json_print(json_pack("{s:s?,s:I}", "list", id ? argv[1] : NULL,
		                     "count", (json_int_t)n));
	else
		printf("%lu\n", n);
	return EX_OK;
}

/* list remove NAME [ADDRESS...] */
static int
list_remove(int argc, char **argv, struct store *s)
{
	unsigned long removed = 0, missing = 0;
	char why[256];
	int64_t id;
	int rc;

	if (argc < 2 || argv[1][0] == '-') {
		fputs(list_usage, stderr);
		return EX_USAGE;
	}
	if ((rc = find_list(s, "remove", argv[1], &id)) != 0)
		return rc;
	if (argc == 2) {
		if (store_list_delete(s, id) < 0) {
			fprintf(stderr, "mailcast: list remove: %s\n",
			        store_error(s));
			return EX_IOERR;
		}
		printf("list '%s' deleted (its contacts are kept)\n", argv[1]);
		return EX_OK;
	}
	for (int i = 2; i < argc; i++) {
		if (app_list_member_remove(s, id, argv[i], why, sizeof(why)) <
		    0) {
			fprintf(stderr, "mailcast: list remove: %s: %s\n",
			        argv[i], why);
			missing++;
		} else
			removed++;
	}
	printf("%lu removed from '%s'%s\n", removed, argv[1],
	       missing ? ", some not found" : "");
	return missing ? EX_DATAERR : EX_OK;
}

/* mailcast list ... */
int
cmd_list(int argc, char **argv)
{
	static const struct cli_store_sub subs[] = {
	    {"import", list_import}, {"export", list_export},
	    {"show", list_show},     {"count", list_count},
	    {"remove", list_remove},
	};
	return cli_store_dispatch("list", list_usage, subs,
	                          sizeof(subs) / sizeof(subs[0]), argc, argv);
}
