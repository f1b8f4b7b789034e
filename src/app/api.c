/*
 * api.c — include/mailcast.h, the public C API, over the application
 * layer: a store handle wraps store/store.h; a campaign handle collects
 * settings and, at mc_campaign_run(), makes them a struct
 * campaign_settings and goes through the campaign service (app/campaign.h:
 * the one creation, the one run), so an embedding program gets what the
 * `mailcast` commands get.  Nothing here reads mailcast.conf or MAILCAST_*:
 * an embedding program sets what it wants.
 *
 * Per-recipient results are the engine's recipient events (ENGINE_EV_RCPT),
 * each handed on as it is recorded in the ledger.
 * The exported names are listed in cmake/libmailcast.map.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "app/campaign.h"
#include "app/contacts.h"
#include "base/error.h"
#include "base/xmalloc.h"
#include "msg/address.h"
#include "store/store.h"

#include "mailcast.h"

/* The public codes are the internal ones: same names, same values. */
_Static_assert(MC_EROFS == -22, "mailcast.h and base/error.h differ");

#define API_ERR_MAX CAMPAIGN_ERR_MAX

struct mc_store {
	struct store *s;
	char err[API_ERR_MAX];
};

struct mc_campaign {
	struct mc_store *st;
	char *name, *list, *from;
	char *tmpl_file, *tmpl_text;
	char *host;
	int port; /* 0: by TLS mode */
	enum mc_tls tls;
	bool verify;
	bool ran;
	int64_t id;
	char tmpdir[256]; /* of a text template, removed at free */
	char err[API_ERR_MAX];
};

static const char *const state_names[MC_STATE_COUNT] = {
    "pending", "sent", "deferred", "failed", "bounced", "suppressed",
};

const char *
mc_version(void)
{
	return MAILCAST_VERSION;
}

const char *
mc_state_name(enum mc_state st)
{
	return (unsigned)st < MC_STATE_COUNT ? state_names[st] : "?";
}

/* The public state of a ledger state (inflight rows are not settled). */
static enum mc_state
state_of(enum store_dlv_state d)
{
	switch (d) {
	case DLV_SENT:
		return MC_STATE_SENT;
	case DLV_DEFERRED:
		return MC_STATE_DEFERRED;
	case DLV_FAILED:
		return MC_STATE_FAILED;
	case DLV_BOUNCED:
		return MC_STATE_BOUNCED;
	case DLV_SUPPRESSED:
		return MC_STATE_SUPPRESSED;
	default:
		return MC_STATE_PENDING;
	}
}

int
mc_store_open(const char *url, struct mc_store **out)
{
	char err[API_ERR_MAX];
	struct store *s;
	int rc;

	if (out == NULL)
		return MC_EINVAL;
	*out = NULL;
	if (url == NULL || *url == '\0')
		return MC_EINVAL;
	if ((rc = app_store_open(url, STORE_CREATE, &s, err, sizeof(err))) < 0)
		return rc == MC_ECONFIG ? MC_EUNSUPP : MC_EIO;
	*out = xcalloc(1, sizeof(**out));
	(*out)->s = s;
	return 0;
}

void
mc_store_close(struct mc_store *s)
{
	if (s == NULL)
		return;
	store_close(s->s);
	free(s);
}

const char *
mc_store_error(const struct mc_store *s)
{
	return s ? s->err : "";
}

/* Record a failure on st: code, with the text in st->err. */
static int __attribute__((format(printf, 3, 4)))
store_failed(struct mc_store *st, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return code;
}

/* Is name a merge field name the template accepts? */
static bool
attr_name_ok(const char *name)
{
	if (name == NULL || *name == '\0' || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return false;
	return true;
}

int
mc_list_add(struct mc_store *st, const char *list, const char *address,
            const struct mc_attr *attrs, size_t nattrs)
{
	char norm[ADDR_PATH_MAX + 1], why[256];
	json_t *obj;
	char *json;
	int64_t list_id;
	int result, joined, rc;
	time_t now = time(NULL);

	if (st == NULL)
		return MC_EINVAL;
	st->err[0] = '\0';
	if (list == NULL || *list == '\0' || address == NULL ||
	    (nattrs > 0 && attrs == NULL))
		return store_failed(st, MC_EINVAL, "no list or no address");
	if (strlen(address) > ADDR_INPUT_MAX)
		return store_failed(st, MC_EDATA, "address too long");
	if (app_addr_check(NULL, address, strlen(address), norm, sizeof(norm),
	                   why, sizeof(why)) < 0)
		return store_failed(st, MC_EDATA, "%s: %s", address, why);
	obj = json_object();
	for (size_t i = 0; i < nattrs; i++) {
		if (!attr_name_ok(attrs[i].name) || attrs[i].value == NULL) {
			json_decref(obj);
			return store_failed(st, MC_EINVAL,
			                    "attribute %zu: a name of letters, "
			                    "digits, '_' and '-', and a value",
			                    i + 1);
		}
		json_object_set_new(obj, attrs[i].name,
		                    json_string(attrs[i].value));
	}
	json = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	if (json == NULL) /* a value that is not UTF-8 */
		return store_failed(st, MC_EDATA,
		                    "an attribute value is not UTF-8");
	rc = store_list_ensure(st->s, list, now, &list_id);
	if (rc == 0)
		rc = store_contact_upsert(st->s, norm, strchr(norm, '@') + 1,
		                          json, list_id, now, &result, &joined);
	free(json);
	if (rc < 0)
		return store_failed(st, rc == MC_EINVAL ? MC_EINVAL : MC_EIO,
		                    "%s", store_error(st->s));
	return 0;
}

int
mc_campaign_new(struct mc_store *st, const char *name, struct mc_campaign **out)
{
	struct mc_campaign *c;

	if (out == NULL)
		return MC_EINVAL;
	*out = NULL;
	if (st == NULL || name == NULL || *name == '\0' ||
	    strlen(name) > STORE_NAME_MAX)
		return MC_EINVAL;
	c = xcalloc(1, sizeof(*c));
	c->st = st;
	c->name = xstrdup(name);
	c->tls = MC_TLS_OPPORTUNISTIC;
	c->verify = true;
	*out = c;
	return 0;
}

void
mc_campaign_free(struct mc_campaign *c)
{
	char path[sizeof(c->tmpdir) + 16];

	if (c == NULL)
		return;
	if (c->tmpdir[0]) {
		snprintf(path, sizeof(path), "%s/template", c->tmpdir);
		unlink(path);
		rmdir(c->tmpdir);
	}
	free(c->name);
	free(c->list);
	free(c->from);
	free(c->tmpl_file);
	free(c->tmpl_text);
	free(c->host);
	free(c);
}

const char *
mc_campaign_error(const struct mc_campaign *c)
{
	return c ? c->err : "";
}

/* Record a failure on c: code, with the text in c->err. */
static int __attribute__((format(printf, 3, 4)))
failed(struct mc_campaign *c, int code, const char *fmt, ...)
{
	va_list ap;

	if (c == NULL) /* the setters' NULL handle: MC_EINVAL, no text */
		return MC_EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return code;
}

/* Replace *slot with a copy of v (a setting of a campaign not run yet). */
static int
set_string(struct mc_campaign *c, char **slot, const char *v, const char *what)
{
	if (c == NULL)
		return MC_EINVAL;
	if (c->ran)
		return failed(c, MC_EINVAL, "%s: the campaign has run", what);
	if (v == NULL || *v == '\0')
		return failed(c, MC_EINVAL, "%s: empty", what);
	free(*slot);
	*slot = xstrdup(v);
	return 0;
}

int
mc_campaign_set_list(struct mc_campaign *c, const char *list)
{
	return set_string(c, c ? &c->list : NULL, list, "list");
}

int
mc_campaign_set_from(struct mc_campaign *c, const char *from)
{
	struct addr a;
	char name[ADDR_NAME_MAX], why[256];

	if (c && from &&
	    addr_parse_mailbox(from, strlen(from), &a, name, sizeof(name), why,
	                       sizeof(why)) < 0)
		return failed(c, MC_EINVAL, "from: %s", why);
	return set_string(c, c ? &c->from : NULL, from, "from");
}

int
mc_campaign_set_template_file(struct mc_campaign *c, const char *path)
{
	int rc = set_string(c, c ? &c->tmpl_file : NULL, path, "template");

	if (rc == 0) {
		free(c->tmpl_text);
		c->tmpl_text = NULL;
	}
	return rc;
}

int
mc_campaign_set_template_text(struct mc_campaign *c, const char *text)
{
	int rc = set_string(c, c ? &c->tmpl_text : NULL, text, "template");

	if (rc == 0) {
		free(c->tmpl_file);
		c->tmpl_file = NULL;
	}
	return rc;
}

int
mc_campaign_set_server(struct mc_campaign *c, const char *host)
{
	if (host && strpbrk(host, " \t\r\n/"))
		return failed(c, MC_EINVAL, "server: not a host name");
	return set_string(c, c ? &c->host : NULL, host, "server");
}

int
mc_campaign_set_port(struct mc_campaign *c, int port)
{
	if (c == NULL)
		return MC_EINVAL;
	if (c->ran || port < 1 || port > 65535)
		return failed(c, MC_EINVAL, "port: 1 to 65535");
	c->port = port;
	return 0;
}

int
mc_campaign_set_tls(struct mc_campaign *c, enum mc_tls mode)
{
	if (c == NULL)
		return MC_EINVAL;
	if (c->ran || (unsigned)mode > MC_TLS_IMPLICIT)
		return failed(c, MC_EINVAL, "tls: not a mode");
	c->tls = mode;
	return 0;
}

int
mc_campaign_set_tls_verify(struct mc_campaign *c, int verify)
{
	if (c == NULL)
		return MC_EINVAL;
	if (c->ran)
		return failed(c, MC_EINVAL, "tls verify: the campaign has run");
	c->verify = verify != 0;
	return 0;
}

/* Does the header block of template text have a From: field? */
static bool
has_from(const char *t)
{
	while (*t && *t != '\n' && !(t[0] == '\r' && t[1] == '\n')) {
		if (strncasecmp(t, "From:", 5) == 0)
			return true;
		t = strchr(t, '\n');
		if (t == NULL)
			return false;
		t++;
	}
	return false;
}

/* Write the text template to a file of its own (what a campaign keeps a
 * path to), with a From: field from the setting when it has none. */
static int
write_template(struct mc_campaign *c, char *path, size_t pathsz)
{
	const char *tmp = getenv("TMPDIR");
	FILE *fp;
	bool ok;

	snprintf(c->tmpdir, sizeof(c->tmpdir), "%s/mailcast-api-XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(c->tmpdir) == NULL) {
		int e = errno;

		c->tmpdir[0] = '\0';
		return failed(c, MC_EIO, "template: a temporary folder: %s",
		              strerror(e));
	}
	snprintf(path, pathsz, "%s/template", c->tmpdir);
	if ((fp = fopen(path, "w")) == NULL)
		return failed(c, MC_EIO, "%s: %s", path, strerror(errno));
	ok = has_from(c->tmpl_text) || fprintf(fp, "From: %s\n", c->from) > 0;
	ok = ok && fputs(c->tmpl_text, fp) >= 0;
	if (fclose(fp) != 0 || !ok)
		return failed(c, MC_EIO, "%s: cannot write", path);
	return 0;
}

/* The campaign service's settings of c into an inited set. */
static int
settings_of(struct mc_campaign *c, struct campaign_settings *set)
{
	static const char *const tls_names[] = {"none", "opportunistic",
	                                        "require", "implicit"};
	char tpath[sizeof(c->tmpdir) + 16], relay[300],
	    envfrom[ADDR_PATH_MAX + 1];
	char name[ADDR_NAME_MAX], why[256];
	struct addr a;
	int port = c->port, rc;

	if (c->tmpl_text && (rc = write_template(c, tpath, sizeof(tpath))) < 0)
		return rc;
	addr_parse_mailbox(c->from, strlen(c->from), &a, name, sizeof(name),
	                   why, sizeof(why));
	addr_format(&a, envfrom, sizeof(envfrom));
	if (port == 0)
		port = c->tls == MC_TLS_IMPLICIT ? 465 : 25;
	snprintf(relay, sizeof(relay),
	         strchr(c->host, ':') ? "[%s]:%d" : "%s:%d", c->host, port);
	struct {
		enum campaign_opt o;
		const char *v;
	} opts[] = {
	    {CAMPAIGN_OPT_TEMPLATE, c->tmpl_text ? tpath : c->tmpl_file},
	    {CAMPAIGN_OPT_FROM, envfrom},
	    {CAMPAIGN_OPT_RELAY, relay},
	    {CAMPAIGN_OPT_TLS, tls_names[c->tls]},
	    {CAMPAIGN_OPT_TLS_VERIFY, c->verify ? "yes" : "no"},
	};
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		rc = campaign_settings_set(set, opts[i].o, opts[i].v, c->err,
		                           sizeof(c->err));
		if (rc < 0)
			return rc == MC_ENOTFOUND ? MC_EIO : rc;
	}
	return 0;
}

struct each_ctx {
	mc_result_fn *fn;
	void *arg;
};

/* engine_event_fn: a recipient's recorded result to the caller's
 * callback, as it happens; the other events are not public (yet). */
static void
on_event(void *arg, const struct engine_event *ev)
{
	struct each_ctx *x = arg;
	struct mc_result r;

	if (ev->kind != ENGINE_EV_RCPT)
		return;
	r.address = ev->u.rcpt.address ? ev->u.rcpt.address : "";
	r.state = state_of(ev->u.rcpt.state);
	r.code = ev->u.rcpt.code;
	r.enhanced = ev->u.rcpt.enh ? ev->u.rcpt.enh : "";
	r.text = ev->u.rcpt.text ? ev->u.rcpt.text : "";
	x->fn(&r, x->arg);
}

/* The public code of a campaign service error. */
static int
run_code(int rc)
{
	switch (rc) {
	case MC_EDATA:
	case MC_ENOTFOUND:
	case MC_EINVAL:
	case MC_ECONFIG:
	case MC_ETLS:
	case MC_ECERT:
	case MC_EAUTH:
	case MC_EUNSUPP:
		return rc;
	default:
		return MC_EIO;
	}
}

int
mc_campaign_run(struct mc_campaign *c, mc_result_fn *fn, void *arg)
{
	struct campaign_settings set;
	struct campaign_result res;
	struct campaign_start_opts o;
	struct each_ctx x = {fn, arg};
	struct store *s;
	int rc;

	if (c == NULL)
		return MC_EINVAL;
	if (c->ran)
		return failed(c, MC_EINVAL, "the campaign has run");
	if (!c->list || !c->from || !c->host || !(c->tmpl_file || c->tmpl_text))
		return failed(c, MC_EINVAL,
		              "a list, a template, a From and a server are "
		              "needed");
	c->ran = true;
	c->err[0] = '\0';
	s = c->st->s;
	campaign_settings_init(&set);
	if ((rc = settings_of(c, &set)) < 0)
		goto done;
	rc = campaign_create(s, c->name, c->list, &set, &c->id, c->err,
	                     sizeof(c->err));
	if (rc < 0) {
		rc = run_code(rc);
		goto done;
	}
	memset(&o, 0, sizeof(o));
	if (fn) {
		o.on_event = on_event;
		o.event_arg = &x;
	}
	rc = campaign_start(s, c->id, &set, &o, &res, c->err, sizeof(c->err));
	if (rc < 0) {
		rc = run_code(rc);
		goto done;
	}
	if (!res.run.finished)
		rc = failed(c, MC_ETEMPFAIL,
		            "deferred recipients are left for a later run");
done:
	campaign_settings_fini(&set);
	return rc;
}

long
mc_campaign_count(struct mc_campaign *c, enum mc_state st)
{
	unsigned long n[DLV__COUNT];
	long total = 0;

	if (c == NULL)
		return MC_EINVAL;
	if (c->id == 0 || (unsigned)st >= MC_STATE_COUNT)
		return failed(c, MC_EINVAL,
		              c->id ? "not a state" : "not run yet");
	if (store_count_states(c->st->s, c->id, n) < 0)
		return failed(c, MC_EIO, "%s", store_error(c->st->s));
	for (int d = 0; d < DLV__COUNT; d++)
		if (state_of((enum store_dlv_state)d) == st)
			total += (long)n[d];
	return total;
}
