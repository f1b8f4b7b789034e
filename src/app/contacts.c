/*
 * contacts.c — opening the store, address checks, CSV import and export;
 * see contacts.h.
 */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/contact.h"
#include "app/contacts.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "msg/address.h"
#include "store/segment.h"

/* The store URL: the one given or the default (XDG data folder). */
int
app_store_url(const char *url, char *out, size_t outsz, char *err, size_t errsz)
{
	const char *data = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	struct passwd *pw;

	if (url != NULL && *url != '\0') {
		mc_strlcpy(out, url, outsz);
		return 0;
	}
	if (data != NULL && data[0] == '/') {
		snprintf(out, outsz, "sqlite:%s/mailcast/mailcast.db", data);
		return 0;
	}
	if ((home == NULL || home[0] != '/') && (pw = getpwuid(getuid())))
		home = pw->pw_dir;
	if (home == NULL || home[0] != '/')
		return mc_fail(MC_ECONFIG, err, errsz,
		               "no home folder for the default store: give "
		               "--store sqlite:PATH or set MAILCAST_STORE");
	snprintf(out, outsz, "sqlite:%s/.local/share/mailcast/mailcast.db",
	         home);
	return 0;
}

/* mkdir -p the folders above the file of url, each new one 0700. */
static int
store_folder_make(const char *url, char *err, size_t errsz)
{
	char path[APP_STORE_URL_MAX];
	char *slash;

	mc_strlcpy(path, url + strlen("sqlite:"), sizeof(path));
	for (slash = strchr(path + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return mc_fail(
			    MC_EROFS, err, errsz,
			    "the store's folder %s cannot be made: %s", path,
			    strerror(errno));
		*slash = '/';
	}
	return 0;
}

/* The mode a command needs, by its last word. */
enum store_mode
app_store_mode(const char *cmd)
{
	static const char reads[] = " show count export list check verify "
	                            "status report who ",
	                  makes[] = " import add rotate demo ";
	const char *sp = strrchr(cmd, ' ');
	char verb[32];

	snprintf(verb, sizeof(verb), " %s ", sp ? sp + 1 : cmd);
	return strstr(reads, verb)   ? STORE_READ
	       : strstr(makes, verb) ? STORE_CREATE
	                             : STORE_WRITE;
}

/* Open the store in mode, making the default store's folder first. */
int
app_store_open(const char *url, enum store_mode mode, struct store **out,
               char *err, size_t errsz)
{
	char u[APP_STORE_URL_MAX];
	bool old;
	int rc;

	*out = NULL;
	if ((rc = app_store_url(url, u, sizeof(u), err, errsz)) < 0)
		return rc;
	if (mode == STORE_CREATE && (url == NULL || *url == '\0') &&
	    (rc = store_folder_make(u, err, errsz)) < 0)
		return rc;
	rc = store_open_mode(u, mode, out, err, errsz);
	if (rc == 0) /* a path, or only the scheme of a URL (a password?) */
		log_info("store: %.*s (%s)",
		         strncmp(u, "sqlite:", 7) == 0 ? (int)strlen(u)
		                                       : (int)strcspn(u, ":"),
		         u, mode == STORE_READ ? "read-only" : "read-write");
	/* Older releases kept the default store in ./mailcast.db: say so
	 * where the default is missing or made while one is here. */
	old = (url == NULL || *url == '\0') && access("mailcast.db", F_OK) == 0;
	if (rc == 0 && old && mode == STORE_CREATE)
		log_warn("./mailcast.db is not the default store any more (%s "
		         "is): give --store sqlite:mailcast.db to use it",
		         u + strlen("sqlite:"));
	if (rc == MC_ENOTFOUND && mode != STORE_CREATE) {
		size_t n = strlen(err);

		snprintf(
		    err + n, errsz - n, "%s",
		    old ? " (./mailcast.db is here, the default store of "
		          "older releases: give --store sqlite:mailcast.db)"
		        : " (create one with `mailcast list import FILE.csv "
		          "--list NAME`, or name yours with --store)");
	}
	return rc;
}

/* Migrate the store to the newest schema; the versions before and after. */
int
app_store_migrate(const char *url, int *was, int *now, char *err, size_t errsz)
{
	char u[APP_STORE_URL_MAX];
	struct store *s;
	int rc;

	*was = *now = 0;
	if ((rc = app_store_url(url, u, sizeof(u), err, errsz)) < 0)
		return rc;
	if ((url == NULL || *url == '\0') &&
	    (rc = store_folder_make(u, err, errsz)) < 0)
		return rc;
	if ((rc = store_open_at(u, STORE_CREATE, STORE_SCHEMA_LATEST, was, &s,
	                        err, errsz)) < 0)
		return rc;
	*now = s->schema;
	store_close(s);
	return 0;
}

/* Address check for imports: trimmed, addr_parse, addr_format, lower-case. */
int
app_addr_check(void *arg, const char *in, size_t len, char *norm, size_t normsz,
               char *err, size_t errsz)
{
	struct addr a;
	int rc;

	(void)arg;
	mc_trim(&in, &len);
	if (len == 0) {
		snprintf(err, errsz, "empty address");
		return MC_EDATA;
	}
	if ((rc = addr_parse(in, len, &a, err, errsz)) < 0)
		return rc;
	addr_format(&a, norm, normsz);
	for (char *p = norm; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

/* An address or "@domain": the domain is checked as x@domain. */
int
app_supp_entry(const char *in, char *norm, size_t normsz, char *err,
               size_t errsz)
{
	char probe[ADDR_INPUT_MAX + 2];
	int rc;

	if (in[0] != '@')
		return app_addr_check(NULL, in, strlen(in), norm, normsz, err,
		                      errsz);
	snprintf(probe, sizeof(probe), "x%s", in);
	if ((rc = app_addr_check(NULL, probe, strlen(probe), norm, normsz, err,
	                         errsz)) < 0)
		return rc;
	memmove(norm, norm + 1, strlen(norm));
	return 0;
}

/* Write one CSV field, quoted when it must be. */
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

/* A row of CSV to a FILE *. */
int
app_csv_write_row(void *arg, const char *const *fields, size_t n)
{
	FILE *fp = arg;

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', fp);
		if (fields[i] != NULL)
			csv_field(fp, fields[i], strlen(fields[i]));
	}
	fputs("\r\n", fp);
	return ferror(fp) ? MC_EIO : 0;
}

/* store_reject_fn: the reject CSV, then the caller's callback. */
static void
on_reject(void *arg, unsigned long line, const char *reason, const char *raw,
          size_t rawlen)
{
	const struct app_import *o = arg;

	if (o->rejects != NULL) {
		fprintf(o->rejects, "%lu,", line);
		csv_field(o->rejects, reason, strlen(reason));
		fputc(',', o->rejects);
		csv_field(o->rejects, raw, rawlen);
		fputs("\r\n", o->rejects);
	}
	if (o->rejects_json != NULL && json_array_size(o->rejects_json) < 1000)
		json_array_append_new(o->rejects_json,
		                      json_pack("{s:I,s:s}", "line",
		                                (json_int_t)line, "reason",
		                                reason));
	if (o->reject != NULL)
		o->reject(o->reject_arg, line, reason, raw, rawlen);
}

/* The store's import options for o. */
static struct store_import_opts
import_opts(const struct app_import *o)
{
	if (o->rejects != NULL)
		fputs("line,reason,record\r\n", o->rejects);
	return (struct store_import_opts){
	    .list = o->list,
	    .more_lists = o->more_lists,
	    .nmore = o->nmore,
	    .email_column = o->email_column,
	    .dry_run = o->dry_run,
	    .strict = o->strict,
	    .flags = o->replace ? STORE_UPSERT_REPLACE : 0,
	    .json_attrs = app_json_attrs,
	    .check = app_addr_check,
	    .reject = on_reject,
	    .reject_arg = (void *)o,
	    .now = time(NULL),
	};
}

/* Contacts from CSV. */
int
app_contacts_import(struct store *s, FILE *fp, const struct app_import *o,
                    struct store_import_stats *st)
{
	struct store_import_opts io = import_opts(o);
	int rc;

	char why[300];

	snprintf(why, sizeof(why), "import %s into %s%s", o->why ? o->why : "",
	         o->list, o->nmore ? " and more" : "");
	store_audit_context(s, app_actor(o->actor), why);
	rc = store_import_contacts(s, fp, &io, st);
	store_audit_context(s, NULL, NULL);
	return rc;
}

/* Suppressions from CSV. */
int
app_supp_import(struct store *s, FILE *fp, const struct app_import *o,
                struct store_import_stats *st)
{
	struct store_import_opts io = import_opts(o);

	return store_import_suppressions(s, fp, o->reason, o->source, &io, st);
}

/* The columns every export starts with: email, status and the dates. */
#define EXPORT_FIXED 4

struct export_run {
	json_t *keys; /* object: attribute name -> column */
	app_row_fn *fn;
	void *arg;
	const char **vals;
};

/* First pass: the union of attribute names, in first-seen order. */
static int
export_keys(void *arg, const struct store_contact *c)
{
	struct export_run *x = arg;
	json_t *a = json_loads(c->attrs, 0, NULL), *v;
	const char *k;

	json_object_foreach(a, k, v)
	{
		if (json_object_get(x->keys, k) == NULL)
			json_object_set_new(
			    x->keys, k,
			    json_integer((json_int_t)json_object_size(x->keys) +
			                 EXPORT_FIXED));
	}
	json_decref(a);
	return 0;
}

/* Second pass: one row per contact. */
static int
export_row(void *arg, const struct store_contact *c)
{
	struct export_run *x = arg;
	size_t n = json_object_size(x->keys) + EXPORT_FIXED;
	json_t *a = json_loads(c->attrs, 0, NULL), *v, *i;
	const char *k;
	int rc;

	char sub[32], at[32];

	memset(x->vals, 0, n * sizeof(*x->vals));
	app_iso_time(c->created, sub, sizeof(sub));
	app_iso_time(c->status_at, at, sizeof(at));
	x->vals[0] = c->address;
	x->vals[1] = c->status;
	x->vals[2] = sub;
	x->vals[3] = at;
	json_object_foreach(a, k, v)
	{
		if ((i = json_object_get(x->keys, k)) != NULL &&
		    json_is_string(v))
			x->vals[json_integer_value(i)] = json_string_value(v);
	}
	rc = x->fn(x->arg, x->vals, n);
	json_decref(a);
	return rc;
}

/* The contacts of list_id, or those matching seg when it is not NULL. */
static int
each_contact(struct store *s, int64_t list_id, const struct segment *seg,
             time_t now, store_contact_fn *fn, void *arg)
{
	if (seg != NULL)
		return store_segment_each(s, list_id, seg, now, fn, arg);
	return store_contact_each(s, list_id, fn, arg);
}

/* Export (of a segment when seg is not NULL): the header row, then a row
 * per contact. */
static int
export_seg(struct store *s, int64_t list_id, const struct segment *seg,
           app_row_fn *fn, void *arg)
{
	struct export_run x = {.keys = json_object(), .fn = fn, .arg = arg};
	time_t now = time(NULL);
	json_t *v;
	const char *k;
	int rc;

	if ((rc = each_contact(s, list_id, seg, now, export_keys, &x)) < 0)
		goto done;
	x.vals =
	    xcalloc(json_object_size(x.keys) + EXPORT_FIXED, sizeof(*x.vals));
	x.vals[0] = "email";
	x.vals[1] = "status";
	x.vals[2] = "subscribed_at";
	x.vals[3] = "status_changed_at";
	json_object_foreach(x.keys, k, v) x.vals[json_integer_value(v)] = k;
	if ((rc = fn(arg, x.vals, json_object_size(x.keys) + EXPORT_FIXED)) ==
	    0)
		rc = each_contact(s, list_id, seg, now, export_row, &x);
done:
	free(x.vals);
	json_decref(x.keys);
	return rc;
}

/* Export: the header row, then a row per contact. */
int
app_contacts_export(struct store *s, int64_t list_id, app_row_fn *fn, void *arg)
{
	return export_seg(s, list_id, NULL, fn, arg);
}

/* Parse a --where expression, the option named in the error. */
int
app_segment_parse(const char *where, struct segment **out, char *err,
                  size_t errsz)
{
	char why[400];
	int rc = segment_parse(where, out, why, sizeof(why));

	if (rc < 0)
		snprintf(err, errsz, "--where: %s", why);
	return rc;
}

/* Parse where and forget it: is it a good expression? */
int
app_segment_check(const char *where, char *err, size_t errsz)
{
	struct segment *seg;
	int rc = where ? app_segment_parse(where, &seg, err, errsz) : 0;

	if (where)
		segment_free(seg);
	return rc;
}

/* The list's id (0 for NULL: every contact) and the parsed expression. */
static int
segment_open(struct store *s, const char *list, const char *where,
             int64_t *list_id, struct segment **seg, char *err, size_t errsz)
{
	int rc;

	*list_id = 0;
	*seg = NULL;
	if (list != NULL && (rc = store_list_find(s, list, list_id)) < 0)
		return mc_fail(rc, err, errsz, "%s", store_error(s));
	return app_segment_parse(where, seg, err, errsz);
}

/* How many contacts of a list match where. */
int
app_segment_count(struct store *s, const char *list, const char *where,
                  unsigned long *n, char *err, size_t errsz)
{
	struct segment *seg;
	int64_t id;
	int rc;

	if (where == NULL && list == NULL)
		id = 0;
	else if (where == NULL && (rc = store_list_find(s, list, &id)) < 0)
		return mc_fail(rc, err, errsz, "%s", store_error(s));
	if (where == NULL) {
		if ((rc = store_contact_count(s, id, n)) < 0)
			mc_strlcpy(err, store_error(s), errsz);
		return rc;
	}
	if ((rc = segment_open(s, list, where, &id, &seg, err, errsz)) < 0)
		return rc;
	if ((rc = store_segment_count(s, id, seg, time(NULL), n)) < 0)
		mc_strlcpy(err, store_error(s), errsz);
	segment_free(seg);
	return rc;
}

/* The export of the contacts of list_id that match where. */
int
app_contacts_export_where(struct store *s, int64_t list_id, const char *where,
                          app_row_fn *fn, void *arg, char *err, size_t errsz)
{
	struct segment *seg = NULL;
	int rc;

	if (where && (rc = app_segment_parse(where, &seg, err, errsz)) < 0)
		return rc;
	if ((rc = export_seg(s, list_id, seg, fn, arg)) < 0)
		mc_strlcpy(err, store_error(s), errsz);
	segment_free(seg);
	return rc;
}

/* Add the contacts of from that match where to to. */
int
app_list_add_where(struct store *s, const char *to, const char *from,
                   const char *where, unsigned long *added, char *err,
                   size_t errsz)
{
	struct segment *seg;
	int64_t from_id, to_id;
	int rc;

	*added = 0;
	if ((rc = segment_open(s, from, where, &from_id, &seg, err, errsz)) < 0)
		return rc;
	if ((rc = store_list_ensure(s, to, time(NULL), &to_id)) < 0 ||
	    (rc = store_segment_add_to_list(s, from_id, seg, time(NULL), to_id,
	                                    added)) < 0)
		mc_strlcpy(err, store_error(s), errsz);
	segment_free(seg);
	return rc;
}

struct rows_run {
	json_t *rows;
	unsigned long long limit;
};

/* One contact as {email, status, attributes}. */
static int
contact_row(void *arg, const struct store_contact *c)
{
	struct rows_run *r = arg;
	json_t *a;

	if (r->limit > 0 && json_array_size(r->rows) >= r->limit)
		return 1;
	a = json_loads(c->attrs, 0, NULL);
	json_array_append_new(
	    r->rows, json_pack("{s:s,s:s,s:o}", "email", c->address, "status",
	                       c->status, "attributes", a ? a : json_object()));
	return 0;
}

/* One list as {name, members, created}. */
static int
list_row(void *arg, const struct store_list_info *l)
{
	struct rows_run *r = arg;

	json_array_append_new(r->rows,
	                      json_pack("{s:s,s:I,s:I}", "name", l->name,
	                                "members", (json_int_t)l->members,
	                                "created", (json_int_t)l->created));
	return 0;
}

/* The lists, or one list's contacts. */
int
app_list_rows(struct store *s, const char *list, unsigned long long limit,
              json_t **rows, char *err, size_t errsz)
{
	struct rows_run r = {json_array(), limit};
	int64_t id;
	int rc;

	if (list == NULL)
		rc = store_list_each(s, list_row, &r);
	else if ((rc = store_list_find(s, list, &id)) == 0)
		rc = store_contact_each(s, id, contact_row, &r);
	if (rc < 0) {
		mc_strlcpy(err, store_error(s), errsz);
		json_decref(r.rows);
		r.rows = NULL;
	}
	*rows = r.rows;
	return rc < 0 ? rc : 0; /* rc > 0: the limit stopped it */
}

/* A list's contacts that match where, as app_list_rows gives them. */
int
app_segment_rows(struct store *s, const char *list, const char *where,
                 json_t **rows, char *err, size_t errsz)
{
	struct rows_run r = {json_array(), 0};
	struct segment *seg;
	int64_t id;
	int rc;

	if (where == NULL) {
		json_decref(r.rows);
		return app_list_rows(s, list, 0, rows, err, errsz);
	}
	*rows = NULL;
	if ((rc = segment_open(s, list, where, &id, &seg, err, errsz)) < 0) {
		json_decref(r.rows);
		return rc;
	}
	if ((rc = store_segment_each(s, id, seg, time(NULL), contact_row, &r)) <
	    0) {
		mc_strlcpy(err, store_error(s), errsz);
		json_decref(r.rows);
	} else
		*rows = r.rows;
	segment_free(seg);
	return rc;
}

/* One suppression as {entry, reason, source, created}. */
static int
supp_row(void *arg, const struct store_suppression *e)
{
	json_array_append_new(
	    arg, json_pack("{s:s,s:s,s:s,s:I}", "entry", e->entry, "reason",
	                   store_supp_reason_name(e->reason), "source",
	                   e->source, "created", (json_int_t)e->created));
	return 0;
}

/* Every suppression. */
int
app_supp_rows(struct store *s, json_t **rows, char *err, size_t errsz)
{
	int rc;

	*rows = json_array();
	if ((rc = store_supp_each(s, supp_row, *rows)) < 0) {
		mc_strlcpy(err, store_error(s), errsz);
		json_decref(*rows);
		*rows = NULL;
	}
	return rc < 0 ? rc : 0;
}

/* Whether an address (or @domain) is suppressed, and by which entry. */
int
app_supp_lookup(struct store *s, const char *address, json_t **out, char *err,
                size_t errsz)
{
	struct store_suppression hit;
	char norm[STORE_ADDRESS_MAX + 2], status[32];
	int rc;

	*out = NULL;
	if ((rc = app_supp_entry(address, norm, sizeof(norm), err, errsz)) < 0)
		return rc;
	rc = store_supp_check(s, norm, &hit);
	if (rc == MC_ENOTFOUND)
		*out = json_pack("{s:s,s:b}", "address", norm, "suppressed", 0);
	else if (rc == 0)
		*out = json_pack("{s:s,s:b,s:s,s:s,s:s}", "address", norm,
		                 "suppressed", 1, "entry", hit.entry, "reason",
		                 store_supp_reason_name(hit.reason), "source",
		                 hit.source);
	else {
		mc_strlcpy(err, store_error(s), errsz);
		return rc;
	}
	/* The contact's status counts as much as an entry. */
	if (norm[0] != '@' &&
	    app_contact_status(s, norm, status, sizeof(status)) == 0) {
		json_object_set_new(*out, "status", json_string(status));
		if (strcmp(status, "active") != 0 && rc == MC_ENOTFOUND) {
			json_object_set_new(*out, "suppressed", json_true());
			json_object_set_new(*out, "entry",
			                    json_string("contact status"));
			json_object_set_new(*out, "reason",
			                    json_string(status));
			json_object_set_new(*out, "source",
			                    json_string("contact"));
		}
	}
	return 0;
}

/* An import's tally. */
json_t *
app_import_json(const struct app_import *o, const struct store_import_stats *st)
{
	return json_pack(
	    "{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "dry_run", o->dry_run, "rows",
	    (json_int_t)st->rows, "added", (json_int_t)st->added, "updated",
	    (json_int_t)st->updated, "unchanged", (json_int_t)st->unchanged,
	    "joined", (json_int_t)st->joined, "duplicates",
	    (json_int_t)st->duplicates, "rejected", (json_int_t)st->rejected);
}

/* Remove one member, its address checked first. */
int
app_list_member_remove(struct store *s, int64_t list_id, const char *address,
                       char *err, size_t errsz)
{
	char norm[STORE_ADDRESS_MAX + 1];
	int rc;

	if ((rc = app_addr_check(NULL, address, strlen(address), norm,
	                         sizeof(norm), err, errsz)) < 0)
		return rc;
	if ((rc = store_member_remove(s, list_id, norm)) < 0)
		mc_strlcpy(err, store_error(s), errsz);
	return rc;
}

/* Add or remove one suppression entry. */
int
app_supp_change(struct store *s, bool add, const char *entry,
                enum store_supp_reason reason, const char *source, bool *added,
                char *norm, size_t normsz, char *err, size_t errsz)
{
	int rc, isnew = 0, changed;

	if ((rc = app_supp_entry(entry, norm, normsz, err, errsz)) < 0)
		return rc;
	rc = add ? store_supp_add(s, norm, reason, source, time(NULL), &isnew)
	         : store_supp_remove(s, norm);
	if (rc == 0 && add && norm[0] != '@')
		rc = app_contact_suppressed(s, norm, reason, NULL, source,
		                            &changed);
	if (rc < 0)
		mc_strlcpy(err, store_error(s), errsz);
	*added = isnew != 0;
	return rc;
}

/* ISO 8601 UTC, or "" for 0. */
void
app_iso_time(time_t t, char *buf, size_t bufsz)
{
	struct tm tm;

	buf[0] = '\0';
	if (t != 0 && gmtime_r(&t, &tm) != NULL)
		strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Add members to lists. */
int
app_list_add(struct store *s, const char *const *lists, size_t n,
             const char *const *addrs, size_t naddrs, const char *from_list,
             const char *actor, json_t **out, char *err, size_t errsz)
{
	struct store_contact_in *rows = calloc(naddrs + 1, sizeof(*rows));
	char(*norm)[STORE_ADDRESS_MAX + 1] = calloc(naddrs + 1, sizeof(*norm));
	struct store_upsert_counts c = {0};
	json_t *bad = json_array();
	size_t nrows = 0;
	unsigned long joined = 0;
	char why[300];
	int64_t from = 0, id;
	time_t now = time(NULL);
	int rc = 0;

	*out = NULL;
	for (size_t i = 0; i < naddrs; i++) {
		char reason[256];

		if (app_addr_check(NULL, addrs[i], strlen(addrs[i]),
		                   norm[nrows], sizeof(norm[nrows]), reason,
		                   sizeof(reason)) < 0) {
			json_array_append_new(
			    bad, json_pack("{s:s,s:s}", "address", addrs[i],
			                   "reason", reason));
			continue;
		}
		for (id = 0; (size_t)id < nrows; id++)
			if (strcmp(norm[id], norm[nrows]) == 0)
				break;
		if ((size_t)id < nrows)
			continue; /* given twice */
		rows[nrows].address = norm[nrows];
		rows[nrows].domain = strrchr(norm[nrows], '@') + 1;
		rows[nrows].attrs = "{}";
		nrows++;
	}
	if (from_list != NULL &&
	    (rc = store_list_find(s, from_list, &from)) < 0)
		goto fail;
	snprintf(why, sizeof(why), "list add to %s%s", n ? lists[0] : "",
	         n > 1 ? " and more" : "");
	store_audit_context(s, app_actor(actor), why);
	if ((rc = store_begin(s)) < 0)
		goto fail;
	for (size_t k = 0; k < n && rc == 0; k++) {
		struct store_upsert_counts one = {0};
		unsigned long more = 0;

		if ((rc = store_list_ensure(s, lists[k], now, &id)) < 0)
			break;
		if (nrows > 0)
			rc = store_contact_upsert_many(s, rows, nrows, id, now,
			                               0, &one);
		if (rc == 0 && from > 0 && from != id)
			rc = store_member_copy(s, id, from, now, &more);
		c.added += one.added;
		joined += one.joined + more;
	}
	if (rc < 0) {
		mc_strlcpy(err, store_error(s), errsz);
		store_rollback(s);
	} else if ((rc = store_commit(s)) < 0)
		mc_strlcpy(err, store_error(s), errsz);
	store_audit_context(s, NULL, NULL);
	if (rc == 0) {
		json_t *l = json_array();

		for (size_t k = 0; k < n; k++)
			json_array_append_new(l, json_string(lists[k]));
		*out = json_pack("{s:o,s:I,s:I,s:O}", "lists", l, "added",
		                 (json_int_t)c.added, "joined",
		                 (json_int_t)joined, "rejected", bad);
	}
	goto done;
fail:
	mc_strlcpy(err, store_error(s), errsz);
done:
	json_decref(bad);
	free(rows);
	free(norm);
	return rc;
}

/* Counts by status. */
int
app_list_count(struct store *s, const char *list, json_t **out, char *err,
               size_t errsz)
{
	unsigned long counts[CONTACT__COUNT], total = 0;
	json_t *by = json_object();
	int64_t id = 0;
	int rc;

	*out = NULL;
	if ((list != NULL && (rc = store_list_find(s, list, &id)) < 0) ||
	    (rc = store_contact_tally(s, id, counts)) < 0) {
		mc_strlcpy(err, store_error(s), errsz);
		json_decref(by);
		return rc;
	}
	for (int k = 0; k < CONTACT__COUNT; k++) {
		total += counts[k];
		json_object_set_new(
		    by, store_contact_status_name((enum store_contact_status)k),
		    json_integer((json_int_t)counts[k]));
	}
	*out = json_pack("{s:s?,s:I,s:o}", "list", list, "count",
	                 (json_int_t)total, "statuses", by);
	return 0;
}

/* listmonk's attributes cell: each member as ,"key":"value". */
int
app_json_attrs(void *arg, const char *cell, size_t len, struct buf *out,
               char *err, size_t errsz)
{
	json_error_t je;
	json_t *o = json_loadb(cell, len, 0, &je), *v;
	const char *k;

	(void)arg;
	if (!json_is_object(o)) {
		snprintf(err, errsz, "attributes are not a JSON object");
		json_decref(o);
		return MC_EDATA;
	}
	json_object_foreach(o, k, v)
	{
		char *text = NULL;
		const char *val;

		if (json_is_null(v))
			continue;
		if (json_is_string(v))
			val = json_string_value(v);
		else
			val = text =
			    json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		buf_putc(out, ',');
		store_json_string(out, k, strlen(k));
		buf_putc(out, ':');
		store_json_string(out, val, strlen(val));
		free(text);
	}
	json_decref(o);
	return 0;
}
