/*
 * cmd_suppress.c — `mailcast suppress add|remove|list|import|check`.
 *
 * The suppression list holds addresses and whole domains ("@example.com")
 * that no campaign may mail, each with a reason (unsubscribed, hard-bounce,
 * complaint, manual), a source and a time.  Adding an entry that is there
 * already keeps its first reason; the contact's status follows the reason
 * (docs/contacts.md).  The work is app/contacts.h's.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "app/contacts.h"
#include "app/list_file.h"
#include "base/error.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "cli/util.h"

#include "usage_suppress.h" /* docs/usage/suppress.txt */

static struct app_import o = {.reason = SUPP_MANUAL, .source = "cli"};
static const char *rpath;

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

static struct cli_opt opts[] = {
    {"reason", CLI_FN, &o.reason, .fn = parse_reason, .shortopt = 'r'},
    {"source", CLI_STR, &o.source, .shortopt = 's'},
    {"reject-file", CLI_STR, &rpath, .shortopt = 'f'},
    {"dry-run", CLI_FLAG, &o.dry_run, .shortopt = 'n'},
    CLI_O("strict", CLI_FLAG, &o.strict),
    {0},
};

/* suppress add|remove ENTRY... */
static int
supp_change(struct cli_call *c)
{
	bool add = strcmp(c->name, "suppress add") == 0;
	json_t *v;
	int rc = app_supp_change_each(
	    c->s, add, (const char *const *)c->argv, (size_t)c->argc, o.reason,
	    o.source, stderr, c->prefix, &v, c->err, sizeof(c->err));

	if (rc < 0)
		return rc;
	rc = json_integer_value(json_object_get(v, "errors")) ? EX_DATAERR
	                                                      : EX_OK;
	cli_out(v, add ? "{added} added, {already} already suppressed\n"
	               : "{removed} removed\n");
	return rc;
}

/* suppress list */
static int
supp_list(struct cli_call *c)
{
	json_t *rows;
	int rc = app_supp_rows(c->s, &rows, c->err, sizeof(c->err));

	if (rc == 0)
		cli_out(rows,
		        "{entry:-40} {reason:-13} {created:t} {source}\n");
	return rc;
}

/* suppress check ADDRESS: exit 0 if suppressed, 1 if not. */
static int
supp_check(struct cli_call *c)
{
	json_t *v;
	int rc = app_supp_lookup(c->s, c->argv[0], &v, c->err, sizeof(c->err));

	if (rc < 0)
		return rc;
	rc = json_is_true(json_object_get(v, "suppressed")) ? EX_OK : 1;
	if (cli_globals.json && rc != EX_OK) { /* one line, as it always was */
		json_dumpf(v, stdout, 0);
		putchar('\n');
		json_decref(v);
		return rc;
	}
	cli_out(v, rc == EX_OK ? "{address} is suppressed by {entry} "
	                         "({reason}, {source})\n"
	                       : "{address} is not suppressed\n");
	return rc;
}

/* suppress import FILE */
static int
supp_import(struct cli_call *c)
{
	struct store_import_stats st;
	int rc;

	if (strcmp(o.source, "cli") == 0)
		o.source = "import";
	if ((rc = app_import_path_said(c->s, c->argv[0], rpath, &o, &st, stderr,
	                               c->prefix, c->err, sizeof(c->err))))
		return rc;
	cli_out(json_pack("{s:s,s:I,s:I,s:I,s:I,s:b,s:s}", "file", c->argv[0],
	                  "rows", (json_int_t)st.rows, "added",
	                  (json_int_t)st.added, "already",
	                  (json_int_t)st.unchanged, "rejected",
	                  (json_int_t)st.rejected, "dry_run", o.dry_run, "note",
	                  o.dry_run ? "dry run (nothing written): " : ""),
	        "{note}{file}: {rows} rows: {added} added, {already} already "
	        "suppressed, {rejected} rejected\n");
	if (st.rejected > 0)
		cli_fail(0,
		         "mailcast: suppress import: %lu rows rejected; the "
		         "other rows were imported",
		         st.rejected);
	return EX_OK;
}

/* mailcast suppress ... */
int
cmd_suppress(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
	    CLI_SUB("add", supp_change, CLI_STORE_WRITE, 1, 1 << 20, opts),
	    CLI_SUB("remove", supp_change, CLI_STORE_WRITE, 1, 1 << 20, opts),
	    CLI_SUB("list", supp_list, CLI_STORE_READ, 0, 0, NULL),
	    CLI_SUB("check", supp_check, CLI_STORE_READ, 1, 1, NULL),
	    CLI_SUB("import", supp_import, CLI_STORE_WRITE, 1, 1, opts),
	    {0},
	};
	return cli_subs_run("suppress", usage_suppress, subs, argc, argv);
}
