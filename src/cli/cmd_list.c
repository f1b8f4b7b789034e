/*
 * cmd_list.c — `mailcast list import|export|show|count|remove`.
 *
 * Contacts and lists in the store, CSV in and out (app/contacts.h does the
 * work).  An import is one transaction (all or nothing); rows it cannot
 * take are listed on stderr with their line and reason, and in
 * --reject-file as CSV (line,reason,record).  Exit: 0 (rejected rows are
 * summed up on stderr; the good ones are imported), EX_DATAERR when the
 * file is unusable or --strict met a rejected row (nothing is imported),
 * EX_USAGE, EX_NOINPUT.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "app/contacts.h"
#include "base/error.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "cli/util.h"

#include "usage_list.h" /* docs/usage/list.txt */

#define LIST_MAX 32 /* --list given at most this often */

/* Parse a subcommand's options; the index of its first operand or -1. */
static int
list_parse(struct cli_opt *opts, int argc, char **argv, int *status)
{
	const struct cli_cmd c = {"mailcast: list", usage_list, opts, false};

	return cli_parse(&c, argc, argv, status);
}

/* list import */
static int
list_import(int argc, char **argv, struct store *s)
{
	struct app_import o = {0};
	struct store_import_stats st;
	const char *rpath = NULL, *lists[LIST_MAX];
	struct cli_many ml = {lists, 0};
	struct cli_opt opts[] = {
	    {"list", CLI_MANY, &ml, 0, LIST_MAX, .shortopt = 'l'},
	    CLI_O("replace-attributes", CLI_FLAG, &o.replace),
	    CLI_O("strict", CLI_FLAG, &o.strict),
	    {"email-column", CLI_STR, &o.email_column, .shortopt = 'e'},
	    {"dry-run", CLI_FLAG, &o.dry_run, .shortopt = 'n'},
	    {"reject-file", CLI_STR, &rpath, .shortopt = 'r'},
	    {0},
	};
	int i, err;

	if ((i = list_parse(opts, argc, argv, &err)) < 0)
		return err;
	if (i + 1 != argc || ml.n == 0)
		return cli_fail(EX_USAGE, "mailcast: list import: give one "
		                          "FILE.csv and --list NAME");
	o.list = lists[0];
	o.more_lists = lists + 1;
	o.nmore = ml.n - 1;
	o.why = argv[i];
	o.rejects_json = cli_globals.json ? json_array() : NULL;
	if ((err = cli_import(s, "list import", argv[i], rpath, &o, &st))) {
		json_decref(o.rejects_json);
		return err;
	}
	if (cli_globals.json) {
		json_t *v =
		    json_pack("{s:s,s:s}", "file", argv[i], "list", o.list);
		json_object_update_new(v, app_import_json(&o, &st));
		json_object_set_new(v, "rejects", o.rejects_json);
		cli_json_print(v);
	} else
		printf("%s%s: %lu rows: %lu added, %lu updated, %lu unchanged, "
		       "%lu duplicates merged, %lu rejected; %lu joined list "
		       "'%s'\n",
		       o.dry_run ? "dry run (nothing written): " : "", argv[i],
		       st.rows, st.added, st.updated, st.unchanged,
		       st.duplicates, st.rejected, st.joined, o.list);
	if (st.rejected > 0)
		cli_fail(0,
		         "mailcast: list import: %lu rows rejected; the other "
		         "rows were %s",
		         st.rejected, o.dry_run ? "checked" : "imported");
	return EX_OK;
}

/* Find the list id of name, or say why not (a status, or 0). */
static int
find_list(struct store *s, const char *cmd, const char *name, int64_t *id)
{
	int err = store_list_find(s, name, id);

	if (err == 0)
		return 0;
	return cli_fail(err == MC_ENOTFOUND ? EX_NOINPUT : EX_IOERR,
	                "mailcast: list %s: %s", cmd, store_error(s));
}

/* list export */
static int
list_export(int argc, char **argv, struct store *s)
{
	const char *list = NULL, *out = NULL, *where = NULL;
	struct cli_opt opts[] = {
	    {"list", CLI_STR, &list, .shortopt = 'l'},
	    {"output", CLI_STR, &out, .shortopt = 'o'},
	    {"where", CLI_STR, &where, .shortopt = 'w'},
	    {0},
	};
	FILE *fp = stdout;
	json_t *rows = NULL;
	char err[512];
	int64_t id;
	int i, rc;

	if ((i = list_parse(opts, argc, argv, &rc)) < 0)
		return rc;
	if (list == NULL && i < argc)
		list = argv[i++];
	if (list == NULL || i != argc)
		return cli_fail(EX_USAGE,
		                "mailcast: list export: --list NAME needed");
	if ((rc = find_list(s, "export", list, &id)) != 0)
		return rc;
	if ((rc = app_segment_check(where, err, sizeof(err))) < 0)
		return cli_fail(mc_exit_code(rc), "mailcast: list export: %s",
		                err);
	if (out != NULL && (fp = fopen(out, "w")) == NULL)
		return cli_fail(EX_CANTCREAT, "mailcast: list export: %s: %s",
		                out, strerror(errno));
	if (cli_globals.json) {
		rc = app_segment_rows(s, list, where, &rows, err, sizeof(err));
		if (rc == 0) {
			json_dumpf(rows, fp, JSON_INDENT(2));
			fputc('\n', fp);
			json_decref(rows);
		}
	} else
		rc = app_contacts_export_where(s, id, where, app_csv_write_row,
		                               fp, err, sizeof(err));
	if ((fp != stdout && fclose(fp) != 0) || rc < 0)
		return cli_fail(EX_IOERR, "mailcast: list export: %s",
		                rc < 0 ? err : "write error");
	return EX_OK;
}

/* list show [NAME] */
static int
list_show(int argc, char **argv, struct store *s)
{
	unsigned long long limit = 0;
	struct cli_opt opts[] = {
	    {"limit", CLI_ULL, &limit, 0, ~0ULL, .shortopt = 'n'},
	    {0},
	};
	const char *name;
	char err[256];
	json_t *rows, *v;
	size_t k;
	int i, rc;

	if ((i = list_parse(opts, argc, argv, &rc)) < 0)
		return rc;
	name = i < argc ? argv[i] : NULL;
	if ((rc = app_list_rows(s, name, limit, &rows, err, sizeof(err))) < 0)
		return cli_fail(rc == MC_ENOTFOUND ? EX_NOINPUT : EX_IOERR,
		                "mailcast: list show: %s", err);
	if (cli_globals.json) {
		cli_json_print(rows);
		return EX_OK;
	}
	if (name == NULL)
		printf("%-30s %10s\n", "LIST", "CONTACTS");
	json_array_foreach(rows, k, v)
	{
		char *attrs =
		    json_dumps(json_object_get(v, "attributes"), JSON_COMPACT);
		if (name == NULL)
			printf(
			    "%-30s %10lld\n", cli_jstr(v, "name"),
			    json_integer_value(json_object_get(v, "members")));
		else
			printf("%-40s %-12s %s\n", cli_jstr(v, "email"),
			       cli_jstr(v, "status"), attrs);
		free(attrs);
	}
	json_decref(rows);
	return EX_OK;
}

/* list count [NAME] */
static int
list_count(int argc, char **argv, struct store *s)
{
	const char *where = NULL;
	struct cli_opt opts[] = {
	    {"where", CLI_STR, &where, .shortopt = 'w'},
	    {0},
	};
	json_t *v, *c;
	const char *k;
	char err[512];
	unsigned long n;
	int64_t id = 0;
	int i, rc;

	if ((i = list_parse(opts, argc, argv, &rc)) < 0)
		return rc;
	if (i + 1 < argc) {
		fputs(usage_list, stderr);
		return EX_USAGE;
	}
	if (where == NULL) {
		if ((rc = app_list_count(s, i < argc ? argv[i] : NULL, &v, err,
		                         sizeof(err))) < 0)
			return cli_fail(rc == MC_ENOTFOUND ? EX_NOINPUT
			                                   : EX_IOERR,
			                "mailcast: list count: %s", err);
		if (cli_globals.json) {
			cli_json_print(v);
			return EX_OK;
		}
		printf("%lld", json_integer_value(json_object_get(v, "count")));
		json_object_foreach(json_object_get(v, "statuses"), k, c)
		    printf(" %s=%lld", k, json_integer_value(c));
		putchar('\n');
		json_decref(v);
		return EX_OK;
	}
	if (i < argc && (rc = find_list(s, "count", argv[i], &id)) != 0)
		return rc;
	if ((rc = app_segment_count(s, id ? argv[i] : NULL, where, &n, err,
	                            sizeof(err))) < 0)
		return cli_fail(mc_exit_code(rc), "mailcast: list count: %s",
		                err);
	if (cli_globals.json)
		cli_json_print(json_pack("{s:s?,s:I}", "list",
		                         id ? argv[i] : NULL, "count",
		                         (json_int_t)n));
	else
		printf("%lu\n", n);
	return EX_OK;
}

/* list add --list L [--list M...] [--from-list F] [ADDRESS...] */
static int
list_add(int argc, char **argv, struct store *s)
{
	const char *lists[LIST_MAX], *from = NULL;
	struct cli_many ml = {lists, 0};
	struct cli_opt opts[] = {
	    {"list", CLI_MANY, &ml, 0, LIST_MAX, .shortopt = 'l'},
	    CLI_O("from-list", CLI_STR, &from),
	    {0},
	};
	json_t *v;
	char err[256];
	int i, rc;

	if ((i = list_parse(opts, argc, argv, &rc)) < 0)
		return rc;
	if (ml.n == 0 || (i == argc && from == NULL))
		return cli_fail(EX_USAGE, "mailcast: list add: --list NAME and "
		                          "ADDRESS... or --from-list NAME");
	if ((rc = app_list_add(s, lists, ml.n, (const char *const *)argv + i,
	                       (size_t)(argc - i), from, NULL, &v, err,
	                       sizeof(err))) < 0)
		return cli_fail(rc == MC_ENOTFOUND ? EX_NOINPUT : EX_IOERR,
		                "mailcast: list add: %s", err);
	rc = json_array_size(json_object_get(v, "rejected")) ? EX_DATAERR : 0;
	if (cli_globals.json)
		cli_json_print(json_incref(v));
	else
		printf("%lld new memberships (%lld new contacts), %zu not "
		       "addresses\n",
		       json_integer_value(json_object_get(v, "joined")),
		       json_integer_value(json_object_get(v, "added")),
		       json_array_size(json_object_get(v, "rejected")));
	json_decref(v);
	return rc;
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
		fputs(usage_list, stderr);
		return EX_USAGE;
	}
	if ((rc = find_list(s, "remove", argv[1], &id)) != 0)
		return rc;
	if (argc == 2 && store_list_delete(s, id) < 0)
		return cli_fail(EX_IOERR, "mailcast: list remove: %s",
		                store_error(s));
	if (argc == 2) {
		printf("list '%s' deleted (its contacts are kept)\n", argv[1]);
		return EX_OK;
	}
	for (int i = 2; i < argc; i++) {
		if (app_list_member_remove(s, id, argv[i], why, sizeof(why)) ==
		    0) {
			removed++;
			continue;
		}
		cli_fail(0, "mailcast: list remove: %s: %s", argv[i], why);
		missing++;
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
	    {"remove", list_remove}, {"add", list_add},
	};
	return cli_store_dispatch("list", usage_list, subs,
	                          sizeof(subs) / sizeof(subs[0]), argc, argv);
}
