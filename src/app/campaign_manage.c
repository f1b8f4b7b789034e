/*
 * campaign_manage.c — see campaign_manage.h: the frozen template,
 * list/show/delete/clone, scheduling and run-due.  The test send is in
 * campaign_test.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/campaign_manage.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "msg/template.h"

/* Read the whole file at path into b (at most max octets). */
static int
file_slurp(const char *path, size_t max, struct buf *b, char *err, size_t errsz)
{
	FILE *fp = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (fp == NULL)
		return mc_fail(MC_EIO, err, errsz, "%s: %s", path,
		               strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		buf_append(b, chunk, n);
		if (buf_len(b) > max) {
			fclose(fp);
			return mc_fail(MC_ELIMIT, err, errsz,
			               "%s: larger than %zu octets", path, max);
		}
	}
	if (ferror(fp)) {
		fclose(fp);
		return mc_fail(MC_EIO, err, errsz, "%s: cannot read", path);
	}
	fclose(fp);
	return 0;
}

/* The base name of the first plen octets of v. */
static void
base_name(const char *v, size_t plen, char *out, size_t outsz)
{
	const char *b = v;

	for (size_t i = 0; i < plen; i++)
		if (v[i] == '/')
			b = v + i + 1;
	snprintf(out, outsz, "%.*s", (int)(plen - (size_t)(b - v)), b);
}

struct freeze {
	struct store *s;
	int64_t id;
	const char *dir; /* the template's folder */
	char names[TMPL_ATTACH_MAX][256];
	int n;
	size_t total;
};

/*
 * One "Attach: FILE[; type=T]" value: keep the file (seq n + 1) and write
 * the line as the copy names it (its base name) into out.  Errors the
 * template compiler reports better (no name, too many) are left to it:
 * the line is kept as it was.
 */
static int
freeze_attach(struct freeze *f, const char *v, size_t n, struct buf *out,
              char *err, size_t errsz)
{
	const char *semi = memchr(v, ';', n);
	size_t plen = semi ? (size_t)(semi - v) : n;
	char path[PATH_MAX], name[256], why[PATH_MAX + 100];
	struct buf data;
	int rc;

	while (plen > 0 && (v[plen - 1] == ' ' || v[plen - 1] == '\t'))
		plen--;
	if (plen == 0 || f->n >= TMPL_ATTACH_MAX) {
		buf_append(out, v, n);
		return 0;
	}
	if (v[0] == '/')
		snprintf(path, sizeof(path), "%.*s", (int)plen, v);
	else
		snprintf(path, sizeof(path), "%s/%.*s", f->dir, (int)plen, v);
	base_name(v, plen, name, sizeof(name));
	for (int i = 0; i < f->n; i++)
		if (strcmp(f->names[i], name) == 0)
			return mc_fail(MC_EDATA, err, errsz,
			               "Attach: two attachments named %s: the "
			               "campaign keeps them by name",
			               name);
	buf_init(&data);
	rc = file_slurp(path, TMPL_ATTACH_BYTES_MAX - f->total, &data, why,
	                sizeof(why));
	if (rc < 0) {
		mc_fail(rc, err, errsz, "Attach: %s", why);
	} else {
		struct store_campaign_file cf = {
		    f->n + 1, name, buf_data(&data), buf_len(&data)};

		f->total += buf_len(&data);
		if (store_campaign_file_put(f->s, f->id, &cf) < 0)
			rc = mc_fail(MC_EIO, err, errsz, "%s",
			             store_error(f->s));
	}
	buf_fini(&data);
	if (rc < 0)
		return rc;
	mc_strlcpy(f->names[f->n++], name, sizeof(f->names[0]));
	buf_puts(out, name);
	if (semi)
		buf_append(out, semi, (size_t)(v + n - semi));
	return 0;
}

/* A file callback that does nothing (the probe below). */
static int
file_none(void *arg, const struct store_campaign_file *f)
{
	(void)arg;
	(void)f;
	return 0;
}

/* Keep the template and its attachments with campaign id. */
int
campaign_freeze(struct store *s, int64_t id, const char *path, char *err,
                size_t errsz)
{
	struct freeze f;
	struct buf src, out;
	char dir[PATH_MAX], *slash;
	const char *p, *end;
	bool header = true;
	int rc;

	/* a store that cannot keep files yet: the campaign is sent from its
	 * file, as before templates were frozen */
	if (store_campaign_file_each(s, id, file_none, NULL) == MC_EUNSUPP) {
		log_warn("campaign %lld: this store cannot keep the template; "
		         "it is sent from %s",
		         (long long)id, path);
		return 0;
	}
	memset(&f, 0, sizeof(f));
	buf_init(&src);
	buf_init(&out);
	if ((rc = file_slurp(path, TMPL_SRC_MAX, &src, err, errsz)) < 0)
		goto done;
	mc_strlcpy(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	f.s = s;
	f.id = id;
	f.dir = dir;
	p = (const char *)buf_data(&src);
	end = p + buf_len(&src);
	/* line by line: Attach: in the header block names a file */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t len = (size_t)(le - p);

		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (header && len == 0)
			header = false;
		if (header && len > 7 && strncasecmp(p, "Attach:", 7) == 0) {
			const char *v = p + 7;

			while (v < p + len && (*v == ' ' || *v == '\t'))
				v++;
			buf_append(&out, p, (size_t)(v - p));
			if ((rc = freeze_attach(&f, v, (size_t)(p + len - v),
			                        &out, err, errsz)) < 0)
				goto done;
			buf_append(&out, p + len, (size_t)(le - p - len));
		} else {
			buf_append(&out, p, (size_t)(le - p));
		}
		if (nl)
			buf_append(&out, "\n", 1);
		p = nl ? nl + 1 : end;
	}
	{
		struct store_campaign_file cf = {0, path, buf_data(&out),
		                                 buf_len(&out)};

		if (store_campaign_file_put(s, id, &cf) < 0)
			rc = mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	}
done:
	buf_fini(&src);
	buf_fini(&out);
	return rc;
}

/* Write len octets of data to dir/name, mode 0600. */
static int
file_write(const char *dir, const char *name, const void *data, size_t len,
           char *out, size_t outsz, char *err, size_t errsz)
{
	FILE *fp;
	int fd;

	if (*name == '\0' || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return mc_fail(MC_EDATA, err, errsz,
		               "a frozen file has a bad name '%s'", name);
	snprintf(out, outsz, "%s/%s", dir, name);
	if ((fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) <
	        0 ||
	    (fp = fdopen(fd, "wb")) == NULL) {
		if (fd >= 0)
			close(fd);
		return mc_fail(MC_EIO, err, errsz, "%s: %s", out,
		               strerror(errno));
	}
	if ((len && fwrite(data, 1, len, fp) != len) | (fclose(fp) != 0))
		return mc_fail(MC_EIO, err, errsz, "%s: %s", out,
		               strerror(errno));
	return 0;
}

/* The template marked as a test: "[test] " before the Subject and an
 * X-Mailcast-Test header first (a header block line the compiler keeps). */
static void
mark_test(const char *src, size_t len, struct buf *out)
{
	const char *p = src, *end = src + len;
	bool header = true;

	buf_puts(out, "X-Mailcast-Test: yes\n");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl + 1 : end;

		if (header && (*p == '\n' || *p == '\r'))
			header = false;
		if (header && le - p > 8 &&
		    strncasecmp(p, "Subject:", 8) == 0) {
			const char *v = p + 8;

			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			buf_puts(out, "Subject: [test] ");
			buf_append(out, v, (size_t)(le - v));
		} else {
			buf_append(out, p, (size_t)(le - p));
		}
		p = le;
	}
}

struct thaw {
	struct campaign_thawed *t;
	bool test;
	int rc;
	char *err;
	size_t errsz;
};

/* One frozen file into the folder. */
static int
thaw_file(void *arg, const struct store_campaign_file *f)
{
	struct thaw *w = arg;
	char path[PATH_MAX], name[256];

	if (f->seq == 0) {
		struct buf b;
		const char *slash = strrchr(f->name, '/');

		mc_strlcpy(w->t->origin, f->name, sizeof(w->t->origin));
		mc_strlcpy(name, slash ? slash + 1 : f->name, sizeof(name));
		buf_init(&b);
		if (w->test)
			mark_test(f->data, f->len, &b);
		else
			buf_append(&b, f->data, f->len);
		w->rc = file_write(w->t->dir, name, buf_data(&b), buf_len(&b),
		                   w->t->path, sizeof(w->t->path), w->err,
		                   w->errsz);
		buf_fini(&b);
		w->t->frozen = w->rc == 0;
	} else {
		w->rc = file_write(w->t->dir, f->name, f->data, f->len, path,
		                   sizeof(path), w->err, w->errsz);
	}
	return w->rc;
}

/* Write campaign id's frozen files into a new private folder. */
int
campaign_thaw(struct store *s, int64_t id, bool test, struct campaign_thawed *t,
              char *err, size_t errsz)
{
	const char *tmp = getenv("TMPDIR");
	struct thaw w = {t, test, 0, err, errsz};
	int rc;

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "%s/mailcast-campaign-XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(t->dir) == NULL) {
		rc = mc_fail(MC_EIO, err, errsz, "%s: %s", t->dir,
		             strerror(errno));
		t->dir[0] = '\0';
		return rc;
	}
	rc = store_campaign_file_each(s, id, thaw_file, &w);
	if (rc == MC_EUNSUPP)
		rc = 0; /* not frozen (campaign_freeze) */
	if (rc < 0 && w.rc == 0)
		rc = mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	if (rc < 0 || !t->frozen) {
		campaign_thaw_fini(t);
		memset(t, 0, sizeof(*t));
	}
	return rc < 0 ? rc : 0;
}

/* Remove the folder and what is in it (only plain files are made). */
void
campaign_thaw_fini(struct campaign_thawed *t)
{
	DIR *d;
	struct dirent *de;
	char path[PATH_MAX + 300];

	if (t->dir[0] == '\0' || (d = opendir(t->dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", t->dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(t->dir);
	t->dir[0] = '\0';
}

/* "2026-12-04T10:00:00Z", or null for 0. */
static json_t *
time_json(time_t t)
{
	struct tm tm;
	char b[32];

	if (t == 0)
		return json_null();
	gmtime_r(&t, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(b);
}

/* The ledger counts as {state: n}. */
static json_t *
counts_json(const unsigned long states[DLV__COUNT], unsigned long *total)
{
	json_t *o = json_object();

	*total = 0;
	for (int i = 0; i < DLV__COUNT; i++) {
		json_object_set_new(o, store_dlv_state_name(i),
		                    json_integer((json_int_t)states[i]));
		*total += states[i];
	}
	return o;
}

struct names {
	json_t *lists; /* {"id": "name"} */
};

/* One list's name by its id. */
static int
list_name(void *arg, const struct store_list_info *l)
{
	char k[24];

	snprintf(k, sizeof(k), "%lld", (long long)l->id);
	json_object_set_new(arg, k, json_string(l->name));
	return 0;
}

/* The name of list id in lists, or null. */
static json_t *
list_json(json_t *lists, int64_t id)
{
	char k[24];
	json_t *v;

	snprintf(k, sizeof(k), "%lld", (long long)id);
	v = json_object_get(lists, k);
	return v ? json_incref(v) : json_null();
}

/* The common part of list and show for campaign id. */
static int
summary_json(struct store *s, int64_t id, json_t *lists, json_t **out,
             char *err, size_t errsz)
{
	struct campaign_info ci;
	struct store_campaign c;
	unsigned long total;
	json_t *o;
	int rc;

	if ((rc = campaign_status_get(s, id, &ci, err, errsz)) < 0)
		return rc;
	if (store_campaign_get(s, id, &c) < 0)
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	o = json_object();
	json_object_set_new(o, "id", json_integer((json_int_t)id));
	json_object_set_new(o, "name", json_string(ci.name));
	json_object_set_new(o, "list", list_json(lists, ci.list_id));
	json_object_set_new(o, "status",
	                    json_string(campaign_status_name(ci.status)));
	json_object_set_new(o, "created", time_json(c.created));
	json_object_set_new(o, "scheduled", time_json(c.scheduled));
	json_object_set_new(o, "states", counts_json(ci.states, &total));
	json_object_set_new(o, "recipients", json_integer((json_int_t)total));
	*out = o;
	return 0;
}

struct list_ctx {
	struct store *s;
	json_t *arr, *lists;
	int rc;
	char *err;
	size_t errsz;
};

/* One campaign of the list. */
static int
list_one(void *arg, const struct store_campaign *c)
{
	struct list_ctx *l = arg;
	json_t *o;

	if ((l->rc =
	         summary_json(l->s, c->id, l->lists, &o, l->err, l->errsz)) < 0)
		return 1;
	json_array_append_new(l->arr, o);
	return 0;
}

/* The lists' names by id. */
static json_t *
lists_get(struct store *s)
{
	json_t *lists = json_object();

	(void)store_list_each(s, list_name, lists);
	return lists;
}

/* Every campaign as JSON. */
int
campaign_list_json(struct store *s, json_t **out, char *err, size_t errsz)
{
	struct list_ctx l = {s, json_array(), lists_get(s), 0, err, errsz};
	int rc = store_campaign_each(s, NULL, list_one, &l);

	json_decref(l.lists);
	if (rc < 0 && l.rc == 0)
		l.rc = mc_fail(rc == MC_EUNSUPP ? rc : MC_EIO, err, errsz, "%s",
		               store_error(s));
	if (l.rc < 0) {
		json_decref(l.arr);
		return l.rc;
	}
	*out = l.arr;
	return 0;
}

/* One frozen file into the show JSON. */
static int
show_file(void *arg, const struct store_campaign_file *f)
{
	json_t *t = arg;

	if (f->seq == 0) {
		json_object_set_new(t, "origin", json_string(f->name));
		json_object_set_new(t, "text",
		                    json_stringn_nocheck(f->data, f->len));
	} else {
		json_array_append_new(json_object_get(t, "attachments"),
		                      json_pack("{s:s,s:I}", "name", f->name,
		                                "bytes", (json_int_t)f->len));
	}
	return 0;
}

/* One campaign in full. */
int
campaign_show_json(struct store *s, int64_t id, json_t **out, char *err,
                   size_t errsz)
{
	struct campaign_settings set;
	json_t *lists = lists_get(s), *o, *t;
	char *js;
	int rc;

	rc = summary_json(s, id, lists, &o, err, errsz);
	json_decref(lists);
	if (rc < 0)
		return rc;
	campaign_settings_init(&set);
	if (campaign_settings_load(s, id, &set, err, errsz) == 0) {
		js = campaign_settings_to_json(&set);
		json_object_set_new(o, "settings", json_loads(js, 0, NULL));
		free(js);
	}
	campaign_settings_fini(&set);
	t = json_pack("{s:n,s:n,s:[]}", "origin", "text", "attachments");
	if (store_campaign_file_each(s, id, show_file, t) < 0 ||
	    json_is_null(json_object_get(t, "text")))
		json_object_set_new(t, "frozen", json_false());
	else
		json_object_set_new(t, "frozen", json_true());
	json_object_set_new(o, "template", t);
	*out = o;
	return 0;
}

/* The integer member key of o. */
static long long
jint(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* The string member key of o, or dflt. */
static const char *
jstr(const json_t *o, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : dflt;
}

/* A campaign list or one campaign as text. */
void
campaign_json_text(const json_t *o, FILE *out)
{
	const json_t *t = json_object_get(o, "template"), *f;
	size_t i;

	if (json_is_array(o)) {
		fprintf(out, "%4s  %-8s %10s  %-20s  %s\n", "ID", "STATUS",
		        "RECIPIENTS", "SCHEDULED (UTC)", "NAME");
		json_array_foreach(o, i, f) fprintf(
		    out, "%4lld  %-8s %10lld  %-20s  %s\n", jint(f, "id"),
		    jstr(f, "status", ""), jint(f, "recipients"),
		    jstr(f, "scheduled", ""), jstr(f, "name", ""));
		return;
	}
	fprintf(out,
	        "campaign %lld \"%s\": %s, list %s, %lld recipients, "
	        "scheduled %s\n",
	        jint(o, "id"), jstr(o, "name", ""), jstr(o, "status", ""),
	        jstr(o, "list", "(deleted)"), jint(o, "recipients"),
	        jstr(o, "scheduled", "never"));
	if (json_is_true(json_object_get(t, "frozen")))
		fprintf(out, "template (frozen at create from %s):\n%s\n",
		        jstr(t, "origin", ""), jstr(t, "text", ""));
	else
		fprintf(out, "template: not frozen (made before the store kept "
		             "templates): sent from its file\n");
	json_array_foreach(json_object_get(t, "attachments"), i, f)
	    fprintf(out, "attachment %s (%lld octets)\n", jstr(f, "name", ""),
	            jint(f, "bytes"));
	fprintf(out, "settings: ");
	json_dumpf(json_object_get(o, "settings"), out, JSON_SORT_KEYS);
	fputc('\n', out);
}

/* The exit status of a run. */
int
campaign_exit_code(int rc, const struct campaign_result *res)
{
	if (rc < 0)
		return mc_exit_code(rc);
	return res->run.paused || res->run.deferred_left ? 75 : 0;
}

/* Delete campaign id with its ledger, unless a run is live. */
int
campaign_delete(struct store *s, int64_t id, char *err, size_t errsz)
{
	struct campaign_info ci;
	int rc;

	if ((rc = campaign_status_get(s, id, &ci, err, errsz)) < 0)
		return rc;
	if (ci.nholders > 0)
		return mc_fail(MC_EAGAIN, err, errsz,
		               "campaign %lld is running (pid %ld on %s): "
		               "`campaign pause %lld` first",
		               (long long)id, ci.holders[0].pid,
		               ci.holders[0].host, (long long)id);
	if (store_campaign_delete(s, id) < 0)
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	return 0;
}

struct copy_ctx {
	struct store *s;
	int64_t to;
};

/* One frozen file copied to the clone. */
static int
copy_file(void *arg, const struct store_campaign_file *f)
{
	struct copy_ctx *c = arg;

	return store_campaign_file_put(c->s, c->to, f) < 0 ? -1 : 0;
}

/* A free name "BASE-copy" (then -copy-2 ...). */
static void
clone_name(struct store *s, const char *base, char *out, size_t outsz)
{
	int64_t other;

	snprintf(out, outsz, "%.*s-copy", STORE_NAME_MAX - 12, base);
	for (int k = 2; k < 1000 && store_campaign_find(s, out, &other) == 0;
	     k++)
		snprintf(out, outsz, "%.*s-copy-%d", STORE_NAME_MAX - 12, base,
		         k);
}

/* A copy of campaign id. */
int
campaign_clone(struct store *s, int64_t id, const char *name, int64_t *newid,
               char *err, size_t errsz)
{
	struct campaign_settings set;
	struct store_campaign c;
	struct copy_ctx cc = {s, 0};
	char nm[STORE_NAME_MAX + 1];
	int rc;

	if (store_campaign_get(s, id, &c) < 0)
		return mc_fail(MC_ENOTFOUND, err, errsz, "%s", store_error(s));
	if (c.list_id == 0)
		return mc_fail(MC_ENOTFOUND, err, errsz,
		               "campaign %lld: its list was deleted",
		               (long long)id);
	if (name == NULL)
		clone_name(s, c.name, nm, sizeof(nm));
	else
		mc_strlcpy(nm, name, sizeof(nm));
	campaign_settings_init(&set);
	if ((rc = campaign_settings_load(s, id, &set, err, errsz)) < 0)
		goto done;
	if (store_begin(s) < 0 ||
	    store_campaign_create(s, nm, c.list_id, time(NULL), newid) < 0) {
		rc = mc_fail(MC_EDATA, err, errsz, "%s", store_error(s));
		store_rollback(s);
		goto done;
	}
	cc.to = *newid;
	if ((rc = campaign_settings_save(s, *newid, &set, err, errsz)) < 0 ||
	    (rc = store_campaign_file_each(s, id, copy_file, &cc)) < 0) {
		if (rc != 0 && err[0] == '\0')
			mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
		rc = rc < 0 ? rc : MC_EIO;
		store_rollback(s);
		goto done;
	}
	if (store_commit(s) < 0)
		rc = mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
done:
	campaign_settings_fini(&set);
	return rc;
}

/* n decimal digits at *p into *v; false if they are not there. */
static bool
digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		*v = *v * 10 + (**p - '0');
	}
	return true;
}

/* Parse an ISO 8601 time with its zone. */
int
campaign_time_parse(const char *text, time_t *out, char *err, size_t errsz)
{
	const char *p = text;
	struct tm tm;
	int y, mo, d, h, mi, sec = 0, zh = 0, zm = 0, sign = 0;

	memset(&tm, 0, sizeof(tm));
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
	    *p++ != '-' || !digits(&p, 2, &d) || (*p != 'T' && *p != ' ') ||
	    (++p, !digits(&p, 2, &h)) || *p++ != ':' || !digits(&p, 2, &mi))
		goto bad;
	if (*p == ':' && (++p, !digits(&p, 2, &sec)))
		goto bad;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (!digits(&p, 2, &zh) || (*p == ':' && *++p == '\0') ||
		    !digits(&p, 2, &zm))
			goto bad;
	} else if (*p == '\0') {
		return mc_fail(MC_EINVAL, err, errsz,
		               "'%s' has no zone: add Z (UTC) or an offset "
		               "such as +01:00",
		               text);
	} else {
		goto bad;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60 || zh > 14 || zm > 59)
		goto bad;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = timegm(&tm) - sign * (zh * 3600 + zm * 60);
	return 0;
bad:
	return mc_fail(MC_EINVAL, err, errsz,
	               "'%s' is not an ISO 8601 time with a zone "
	               "(2026-12-24T09:00:00+01:00 or 2026-12-24T08:00Z)",
	               text);
}

/* Schedule campaign id at at. */
int
campaign_schedule(struct store *s, int64_t id, const char *text, time_t now,
                  char *err, size_t errsz)
{
	struct campaign_info ci;
	time_t at = 0;
	int rc;

	if (text == NULL)
		return mc_fail(MC_EINVAL, err, errsz,
		               "--at TIME: when to start (or --at none)");
	if (strcmp(text, "none") != 0 &&
	    (rc = campaign_time_parse(text, &at, err, errsz)) < 0)
		return rc;
	if ((rc = campaign_status_get(s, id, &ci, err, errsz)) < 0)
		return rc;
	if (at != 0 && at < now)
		return mc_fail(MC_EINVAL, err, errsz,
		               "that time is %lld s in the past",
		               (long long)(now - at));
	if (at != 0 && ci.status == CAMPAIGN_DONE)
		return mc_fail(MC_EINVAL, err, errsz,
		               "campaign %lld is done: nothing is left to send "
		               "(`campaign clone %lld` makes a new one)",
		               (long long)id, (long long)id);
	if (store_campaign_schedule(s, id, at) < 0)
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	return 0;
}

/* Start every campaign that is due. */
int
campaign_run_due(struct store *s, time_t now,
                 const struct campaign_start_opts *o, campaign_due_fn *fn,
                 void *arg, unsigned *started, char *err, size_t errsz)
{
	struct campaign_result res;
	char why[CAMPAIGN_ERR_MAX];
	int64_t id;
	int rc;

	*started = 0;
	/* bounded: each claim clears a schedule, and no campaign is claimed
	 * twice in one call */
	for (unsigned i = 0; i < 100000; i++) {
		rc = store_campaign_claim_due(s, now, &id);
		if (rc == MC_ENOTFOUND)
			return 0;
		if (rc < 0)
			return mc_fail(rc == MC_EUNSUPP ? rc : MC_EIO, err,
			               errsz, "%s", store_error(s));
		why[0] = '\0';
		store_event_add(s, id, 0, "run-due", NULL, time(NULL));
		rc = campaign_resume(s, id, o, &res, why, sizeof(why));
		(*started)++;
		/* deferred rows left: the next run-due retries them when the
		 * next is due (never in this call: after now) */
		if (rc == 0 && res.run.deferred_left && !res.run.window_closed)
			(void)store_campaign_schedule(s, id,
			                              res.run.next_due > now
			                                  ? res.run.next_due
			                                  : now + 1);
		if (fn)
			fn(arg, id, rc, &res, why);
		if (o && o->stop && *o->stop)
			return 0;
	}
	return 0;
}
