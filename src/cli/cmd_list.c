/*
 * cmd_list.c — `mailcast list import|export|show|count|add|remove`:
 * contacts and lists in the store, CSV in and out (app/contacts.h and
 * app/list_file.h do the work; docs/usage/list.txt says what each does).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "app/contacts.h"
#include "app/list_file.h"
#include "base/error.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "cli/util.h"

#include "usage_list.h" /* docs/usage/list.txt */

#define LIST_MAX 32 /* --list given at most this often */

static const char *lists[LIST_MAX], *rpath, *out, *where, *from;
static struct cli_many ml = {lists, 0};
static unsigned long long limit;
static struct app_import o;
#define O_LIST                                                                 \
	{                                                                      \
		"list", CLI_MANY, &ml, 0, LIST_MAX, .shortopt = 'l'            \
	}
#define O_WHERE                                                                \
	{                                                                      \
		"where", CLI_STR, &where, .shortopt = 'w'                      \
	}
static struct cli_opt import_opts[] = {
    O_LIST,
    CLI_O("replace-attributes", CLI_FLAG, &o.replace),
    CLI_O("strict", CLI_FLAG, &o.strict),
    {"email-column", CLI_STR, &o.email_column, .shortopt = 'e'},
    {"dry-run", CLI_FLAG, &o.dry_run, .shortopt = 'n'},
    {"reject-file", CLI_STR, &rpath, .shortopt = 'r'},
    {0},
};
static struct cli_opt export_opts[] = {
    O_LIST, O_WHERE, {"output", CLI_STR, &out, .shortopt = 'o'}, {0}};
static struct cli_opt show_opts[] = {
    {"limit", CLI_ULL, &limit, 0, ~0ULL, .shortopt = 'n'}, {0}};
static struct cli_opt count_opts[] = {O_WHERE, {0}};
static struct cli_opt add_opts[] = {
    O_LIST, O_WHERE, CLI_O("from-list", CLI_STR, &from), {0}};

/* The one --list, or the operand: NULL after a usage message. */
static const char *
one_list(struct cli_call *c)
{
	if (ml.n == 1 && c->argc == 0)
		return lists[0];
	if (ml.n == 0 && c->argc == 1)
		return c->argv[0];
	cli_fail(0, "mailcast: %s: one --list NAME", c->name);
	return NULL;
}

/* list import FILE --list NAME... */
static int
list_import(struct cli_call *c)
{
	struct store_import_stats st;
	json_t *v;
	int rc;

	if (ml.n == 0)
		return cli_fail(EX_USAGE, "mailcast: list import: give one "
		                          "FILE.csv and --list NAME");
	o.list = lists[0];
	o.more_lists = lists + 1;
	o.nmore = ml.n - 1;
	o.why = c->argv[0];
	o.rejects_json = cli_globals.json ? json_array() : NULL;
	if ((rc = app_import_path_said(c->s, c->argv[0], rpath, &o, &st, stderr,
	                               c->prefix, c->err, sizeof(c->err)))) {
		json_decref(o.rejects_json);
		return rc;
	}
	v = json_pack("{s:s,s:s,s:s}", "file", c->argv[0], "list", o.list,
	              "note", o.dry_run ? "dry run (nothing written): " : "");
	json_object_update_new(v, app_import_json(&o, &st));
	json_object_set_new(v, "rejects", o.rejects_json);
	cli_out(v, "{note}{file}: {rows} rows: {added} added, {updated} "
	           "updated, {unchanged} unchanged, {duplicates} duplicates "
	           "merged, {rejected} rejected; {joined} joined list "
	           "'{list}'\n");
	if (st.rejected > 0)
		cli_fail(0,
		         "mailcast: list import: %lu rows rejected; the other "
		         "rows were %s",
		         st.rejected, o.dry_run ? "checked" : "imported");
	return EX_OK;
}

/* list export [--list] NAME [--where EXPR] [--output FILE] */
static int
list_export(struct cli_call *c)
{
	const char *list = one_list(c);

	return list == NULL
	           ? EX_USAGE
	           : app_list_export_file(c->s, list, where, cli_globals.json,
	                                  out, stdout, c->err, sizeof(c->err));
}

/* list show [NAME] */
static int
list_show(struct cli_call *c)
{
	const char *name = c->argc ? c->argv[0] : NULL;
	json_t *rows;
	int rc =
	    app_list_rows(c->s, name, limit, &rows, c->err, sizeof(c->err));

	if (rc == 0 && name == NULL && !cli_globals.json)
		printf("%-30s %10s\n", "LIST", "CONTACTS");
	if (rc == 0)
		cli_out(rows, name ? "{email:-40} {status:-12} {attributes}\n"
		                   : "{name:-30} {members:10}\n");
	return rc;
}

/* list count [NAME] [--where EXPR] */
static int
list_count(struct cli_call *c)
{
	const char *list = c->argc ? c->argv[0] : NULL;
	unsigned long n;
	json_t *v;
	int rc;

	if (where != NULL) {
		rc = app_segment_count(c->s, list, where, &n, c->err,
		                       sizeof(c->err));
		if (rc == 0)
			cli_out(json_pack("{s:s?,s:s,s:I}", "list", list,
			                  "where", where, "count",
			                  (json_int_t)n),
			        "{count}\n");
		return rc;
	}
	if ((rc = app_list_count(c->s, list, &v, c->err, sizeof(c->err))) == 0)
		cli_out(v, "{count}{statuses:kv}\n");
	return rc;
}

/* list add --list L [--list M...] [--from-list F [--where E]] [ADDRESS...] */
static int
list_add(struct cli_call *c)
{
	unsigned long added;
	json_t *v;
	int rc;

	if (ml.n == 0 || (c->argc == 0 && from == NULL))
		return cli_fail(EX_USAGE, "mailcast: list add: --list NAME and "
		                          "ADDRESS... or --from-list NAME");
	if (where != NULL) { /* a segment of --from-list (or of everyone) */
		rc = app_list_add_where(c->s, lists[0], from, where, &added,
		                        c->err, sizeof(c->err));
		if (rc == 0)
			cli_out(json_pack("{s:I}", "joined", (json_int_t)added),
			        "{joined} new memberships\n");
		return rc;
	}
	if ((rc = app_list_add(c->s, lists, ml.n, (const char *const *)c->argv,
	                       (size_t)c->argc, from, NULL, &v, c->err,
	                       sizeof(c->err))) < 0)
		return rc;
	rc = json_array_size(json_object_get(v, "rejected")) ? EX_DATAERR : 0;
	json_object_set_new(v, "nrejected",
	                    json_integer((json_int_t)json_array_size(
	                        json_object_get(v, "rejected"))));
	cli_out(v, "{joined} new memberships ({added} new contacts), "
	           "{nrejected} not addresses\n");
	return rc;
}

/* list remove NAME [ADDRESS...] */
static int
list_remove(struct cli_call *c)
{
	unsigned long removed, missing;
	int64_t id;
	int rc;

	if (c->argc == 1) {
		if ((rc = store_list_find(c->s, c->argv[0], &id)) < 0 ||
		    (rc = store_list_delete(c->s, id)) < 0)
			return mc_fail(rc, c->err, sizeof(c->err), "%s",
			               store_error(c->s));
		printf("list '%s' deleted (its contacts are kept)\n",
		       c->argv[0]);
		return EX_OK;
	}
	if ((rc = app_list_remove_each(
	         c->s, c->argv[0], (const char *const *)c->argv + 1,
	         (size_t)c->argc - 1, stderr, c->prefix, &removed, &missing,
	         c->err, sizeof(c->err))) < 0)
		return rc;
	printf("%lu removed from '%s'%s\n", removed, c->argv[0],
	       missing ? ", some not found" : "");
	return missing ? EX_DATAERR : EX_OK;
}

/* mailcast list ... */
int
cmd_list(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
	    CLI_SUB("import", list_import, CLI_STORE_WRITE, 1, 1, import_opts),
	    CLI_SUB("export", list_export, CLI_STORE_READ, 0, 1, export_opts),
	    CLI_SUB("show", list_show, CLI_STORE_READ, 0, 1, show_opts),
	    CLI_SUB("count", list_count, CLI_STORE_READ, 0, 1, count_opts),
	    CLI_SUB("add", list_add, CLI_STORE_WRITE, 0, 1 << 20, add_opts),
	    CLI_SUB("remove", list_remove, CLI_STORE_WRITE, 1, 1 << 20, NULL),
	    {0},
	};
	return cli_subs_run("list", usage_list, subs, argc, argv);
}
