/*
 * cmd_list.c — `mailcast list import|export|show|count|remove`.
 *
 * Contacts and lists in the store, CSV in and out.  An import is one
 * transaction (all or nothing); rows it cannot take are listed on stderr
 * with their line and reason, and in --reject-file as CSV (line,reason,
 * record).  Exit: 0, EX_DATAERR when rows were rejected (the good ones are
 * imported) or the file is unusable (nothing is), EX_USAGE, EX_NOINPUT.
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
#include "store/csv_read.h"
#include "store/store.h"
#include "store/store_import.h"

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

struct reject_out {
	FILE *fp; /* --reject-file, or NULL */
	unsigned long shown;
	unsigned long total;
	json_t *json; /* array when --json */
};

/* Write one CSV field (quoted when needed). */
static void
csv_field(FILE *fp, const char *s, size_t n)
{
	if (strcspn(s, ",\"\r\n") >= n &&
	    (n == 0 || (s[0] != ' ' && s[n - 1] != ' '))) {
		fwrite(s, 1, n, fp);
		return;
	}
	fputc('"', fp);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			fputc('"', fp);
		fputc(s[i], fp);
	}
	fputc('"', fp);
}

/* store_reject_fn: stderr, the reject file, the JSON report. */
static void
on_reject(void *arg, unsigned long line, const char *reason, const char *raw,
          size_t rawlen)
{
	struct reject_out *ro = arg;

	ro->total++;
	if (ro->shown < LIST_SHOW_REJECTS) {
		fprintf(stderr, "mailcast: list import: %s\n", reason);
		ro->shown++;
	}
	if (ro->fp != NULL) {
		fprintf(ro->fp, "%lu,", line);
		csv_field(ro->fp, reason, strlen(reason));
		fputc(',', ro->fp);
		csv_field(ro->fp, raw, rawlen);
		fputs("\r\n", ro->fp);
	}
	if (ro->json != NULL && json_array_size(ro->json) < 1000)
		json_array_append_new(ro->json, json_pack("{s:I,s:s}", "line",
		                                          (json_int_t)line,
		                                          "reason", reason));
}

/* list import */
static int
list_import(int argc, char **argv, struct store *s)
{
	static const struct option opts[] = {
	    {"list", required_argument, NULL, 'l'},
	    {"email-column", required_argument, NULL, 'e'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"reject-file", required_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct store_import_opts o = {
	    .check = cli_addr_check,
	    .reject = on_reject,
	    .now = time(NULL),
	};
	struct reject_out ro = {0};
	struct store_import_stats st;
	const char *reject_path = NULL;
	FILE *fp;
	int ch, err;

	while ((ch = getopt_long(argc, argv, "l:e:nr:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			o.list = optarg;
			break;
		case 'e':
			o.email_column = optarg;
			break;
		case 'n':
			o.dry_run = 1;
			break;
		case 'r':
			reject_path = optarg;
			break;
		case 'j':
			cli_globals.json = true;
			break;
		case 'h':
			fputs(list_usage, stdout);
			return EX_OK;
		default:
			fputs(list_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind + 1 != argc || o.list == NULL) {
		fprintf(stderr, "mailcast: list import: give one FILE.csv and "
		                "--list NAME\n");
		return EX_USAGE;
	}
	if ((fp = fopen(argv[optind], "rb")) == NULL) {
		fprintf(stderr, "mailcast: list import: %s: %s\n", argv[optind],
		        strerror(errno));
		return EX_NOINPUT;
	}
	if (reject_path != NULL) {
		if ((ro.fp = fopen(reject_path, "w")) == NULL) {
			fprintf(stderr, "mailcast: list import: %s: %s\n",
			        reject_path, strerror(errno));
			fclose(fp);
			return EX_CANTCREAT;
		}
		fputs("line,reason,record\r\n", ro.fp);
	}
	if (cli_globals.json)
		ro.json = json_array();
	o.reject_arg = &ro;
	err = store_import_contacts(s, fp, &o, &st);
	fclose(fp);
	if (ro.fp != NULL && fclose(ro.fp) != 0)
		fprintf(stderr, "mailcast: list import: %s: write error\n",
		        reject_path);
	if (err < 0) {
		fprintf(stderr,
		        "mailcast: list import: %s: %s; nothing was imported\n",
		        argv[optind], store_error(s));
		json_decref(ro.json);
		return err == MC_EIO ? EX_IOERR : EX_DATAERR;
	}
	if (ro.total > ro.shown)
		fprintf(
		    stderr,
		    "mailcast: list import: ... and %lu more rejected rows%s\n",
		    ro.total - ro.shown,
		    reject_path ? " (see the reject file)" : "");
	if (cli_globals.json) {
		json_print(json_pack(
		    "{s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "file",
		    argv[optind], "list", o.list, "dry_run", o.dry_run, "rows",
		    (json_int_t)st.rows, "added", (json_int_t)st.added,
		    "updated", (json_int_t)st.updated, "unchanged",
		    (json_int_t)st.unchanged, "joined", (json_int_t)st.joined,
		    "duplicates", (json_int_t)st.duplicates, "rejected",
		    (json_int_t)st.rejected, "rejects", ro.json));
	} else {
		printf("%s%s: %lu rows: %lu added, %lu updated, %lu unchanged, "
		       "%lu duplicates merged, %lu rejected; %lu joined list "
		       "'%s'\n",
		       o.dry_run ? "dry run (nothing written): " : "",
		       argv[optind], st.rows, st.added, st.updated,
		       st.unchanged, st.duplicates, st.rejected, st.joined,
		       o.list);
	}
	if (st.rejected > 0) {
		fprintf(
		    stderr,
		    "mailcast: list import: %lu rows rejected; the other rows "
		    "were %s\n",
		    st.rejected, o.dry_run ? "checked" : "imported");
		return EX_DATAERR;
	}
	return EX_OK;
}

/* Parse the list option or positional name; find the list id. */
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

struct export_run {
	FILE *fp;
	json_t *keys; /* object: key -> column index */
	json_t *rows; /* JSON output */
	unsigned long n;
};

/* First pass: the union of attribute names, in first-seen order. */
static int
export_keys(void *arg, const struct store_contact *c)
{
	struct export_run *x = arg;
	json_t *a = json_loads(c->attrs, 0, NULL);
	const char *k;
	json_t *v;

	json_object_foreach(a, k, v)
	{
		if (json_object_get(x->keys, k) == NULL)
			json_object_set_new(
			    x->keys, k,
			    json_integer(
			        (json_int_t)json_object_size(x->keys)));
	}
	json_decref(a);
	return 0;
}

/* Second pass: one CSV row (or JSON object) per contact. */
static int
export_row(void *arg, const struct store_contact *c)
{
	struct export_run *x = arg;
	json_t *a = json_loads(c->attrs, 0, NULL);
	size_t nkeys = json_object_size(x->keys);
	const char *k;
	json_t *v;

	x->n++;
	if (x->rows != NULL) {
		json_array_append_new(
		    x->rows,
		    json_pack("{s:s,s:s,s:o}", "email", c->address, "status",
		              c->status, "attributes", a ? a : json_object()));
		return 0;
	}
	const char **vals = calloc(nkeys ? nkeys : 1, sizeof(*vals));
	json_object_foreach(a, k, v)
	{
		json_t *i = json_object_get(x->keys, k);

		if (i != NULL && json_is_string(v))
			vals[json_integer_value(i)] = json_string_value(v);
	}
	csv_field(x->fp, c->address, strlen(c->address));
	for (size_t i = 0; i < nkeys; i++) {
		fputc(',', x->fp);
		if (vals[i] != NULL)
			csv_field(x->fp, vals[i], strlen(vals[i]));
	}
	fputs("\r\n", x->fp);
	free(vals);
	json_decref(a);
	return 0;
}

/* list export */
static int
list_export(int argc, char **argv, struct store *s)
{
	static const struct option opts[] = {
	    {"list", required_argument, NULL, 'l'},
	    {"output", required_argument, NULL, 'o'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct export_run x = {.fp = stdout};
	const char *list = NULL, *out = NULL;
	int64_t id;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "l:o:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			list = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'j':
			cli_globals.json = true;
			break;
		case 'h':
			fputs(list_usage, stdout);
			return EX_OK;
		default:
			fputs(list_usage, stderr);
			return EX_USAGE;
		}
	}
	if (list == NULL && optind < argc)
		list = argv[optind++];
	if (list == NULL || optind != argc) {
		fprintf(stderr, "mailcast: list export: --list NAME needed\n");
		return EX_USAGE;
	}
	if ((rc = find_list(s, "export", list, &id)) != 0)
		return rc;
	if (out != NULL && (x.fp = fopen(out, "w")) == NULL) {
		fprintf(stderr, "mailcast: list export: %s: %s\n", out,
		        strerror(errno));
		return EX_CANTCREAT;
	}
	x.keys = json_object();
	if (cli_globals.json)
		x.rows = json_array();
	else {
		const char *k;
		json_t *v;

		store_contact_each(s, id, export_keys, &x);
		fputs("email", x.fp);
		json_object_foreach(x.keys, k, v)
		{
			fputc(',', x.fp);
			csv_field(x.fp, k, strlen(k));
		}
		fputs("\r\n", x.fp);
	}
	rc = store_contact_each(s, id, export_row, &x);
	if (x.rows != NULL) {
		json_dumpf(x.rows, x.fp, JSON_INDENT(2));
		fputc('\n', x.fp);
		json_decref(x.rows);
	}
	json_decref(x.keys);
	if ((x.fp != stdout && fclose(x.fp) != 0) || rc < 0) {
		fprintf(stderr, "mailcast: list export: %s\n",
		        rc < 0 ? store_error(s) : "write error");
		return EX_IOERR;
	}
	return EX_OK;
}

struct show_run {
	json_t *rows;
	unsigned long limit, n;
};

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

/* One contact in `list show NAME`. */
static int
show_contact(void *arg, const struct store_contact *c)
{
	struct show_run *r = arg;

	if (r->limit > 0 && r->n >= r->limit)
		return 1;
	r->n++;
	if (r->rows != NULL) {
		json_t *a = json_loads(c->attrs, 0, NULL);

		json_array_append_new(
		    r->rows,
		    json_pack("{s:s,s:s,s:o}", "email", c->address, "status",
		              c->status, "attributes", a ? a : json_object()));
	} else
		printf("%-40s %-12s %s\n", c->address, c->status, c->attrs);
	return 0;
}

/* list show */
static int
list_show(int argc, char **argv, struct store *s)
{
	static const struct option opts[] = {
	    {"limit", required_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct show_run r = {0};
	int64_t id;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "n:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			r.limit = strtoul(optarg, NULL, 10);
			break;
		case 'j':
			cli_globals.json = true;
			break;
		case 'h':
			fputs(list_usage, stdout);
			return EX_OK;
		default:
			fputs(list_usage, stderr);
			return EX_USAGE;
		}
	}
	if (cli_globals.json)
		r.rows = json_array();
	if (optind == argc) {
		if (r.rows == NULL)
			printf("%-30s %10s\n", "LIST", "CONTACTS");
		rc = store_list_each(s, show_list, &r);
	} else {
		if ((rc = find_list(s, "show", argv[optind], &id)) != 0) {
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
	int64_t id;
	int rc;

	if (argc < 2 || argv[1][0] == '-') {
		fputs(list_usage, argc >= 2 && strcmp(argv[1], "--help") == 0
		                      ? stdout
		                      : stderr);
		return argc >= 2 && strcmp(argv[1], "--help") == 0 ? EX_OK
		                                                   : EX_USAGE;
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
		char norm[STORE_ADDRESS_MAX + 1], why[256] = "";

		if (cli_addr_check(NULL, argv[i], strlen(argv[i]), norm,
		                   sizeof(norm), why, sizeof(why)) < 0 ||
		    store_member_remove(s, id, norm) < 0) {
			fprintf(stderr, "mailcast: list remove: %s: %s\n",
			        argv[i], why[0] ? why : store_error(s));
			missing++;
			continue;
		}
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
