/*
 * api.c — the REST API of `mailcast serve` under /api/v1 (docs/api.md,
 * docs/openapi.yaml): a bearer token (app/api_token.h) on every call, a
 * read token for GET, a write token for the rest; JSON in and out; each
 * route calls the application operation the matching command calls
 * (app/contact.h, app/contacts.h, app/campaign_manage.h, app/api_ops.h).
 *
 * Errors are {"error":{"code","message"[,"field"]}} with stable codes:
 * unauthorized 401, forbidden 403, not_found 404, method_not_allowed 405,
 * bad_request 400, invalid 422, busy 503, internal 500 (413 too_large is
 * serve.c's, before a route runs).  Lists answer {"items","next_cursor"}:
 * the cursor is opaque (the hex of the last item's key), null at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app/api_ops.h"
#include "app/api_token.h"
#include "app/campaign_manage.h"
#include "app/contact.h"
#include "app/contacts.h"
#include "base/error.h"
#include "http/http.h"

#define API_LIMIT_MAX 1000
#define API_LIMIT_DEF 100
#define API_SEGS      4
#define API_ERR       1200

/* One call's state. */
struct api {
	struct http_call *hc;
	struct store *s;
	const char *seg[API_SEGS]; /* the path's parts past /api/v1/ */
	size_t nseg;
	json_t *body; /* the parsed body, or NULL */
	char actor[48];
	char err[API_ERR];
};

/* An error answer. */
static enum MHD_Result
api_error(struct api *a, unsigned status, const char *code, const char *field,
          const char *msg)
{
	json_t *e = json_pack("{s:s,s:s}", "code", code, "message", msg);
	struct MHD_Response *r;
	char *text;

	if (field != NULL)
		json_object_set_new(e, "field", json_string(field));
	text = json_dumps(json_pack("{s:o}", "error", e), JSON_COMPACT);
	r = http_page("application/json", text, strlen(text));
	free(text);
	if (r != NULL && status == 401)
		MHD_add_response_header(r, "WWW-Authenticate",
		                        "Bearer realm=\"mailcast\"");
	if (r != NULL && status == 503)
		MHD_add_response_header(r, "Retry-After", "1");
	return http_answer(a->hc->c, status, r);
}

/* An app operation's failure rc as its HTTP error. */
static enum MHD_Result
api_fail(struct api *a, int rc, const char *field)
{
	const char *m = a->err[0] ? a->err : mc_strerror(rc);

	switch (rc) {
	case MC_ENOTFOUND:
		return api_error(a, 404, "not_found", NULL, m);
	case MC_EINVAL:
	case MC_EDATA:
	case MC_ELIMIT:
		return api_error(a, 422, "invalid", field, m);
	case MC_EAGAIN:
	case MC_ETEMPFAIL:
		return api_error(a, 503, "busy", NULL, m);
	case MC_EUNSUPP:
		return api_error(a, 422, "unsupported", NULL, m);
	default:
		/* a locked store shows as an I/O error from the store */
		if (strstr(m, "locked") != NULL || strstr(m, "busy") != NULL)
			return api_error(a, 503, "busy", NULL, m);
		return api_error(a, 500, "internal", NULL, m);
	}
}

/* A query argument, or NULL. */
static const char *
api_arg(struct api *a, const char *name)
{
	return MHD_lookup_connection_value(a->hc->c, MHD_GET_ARGUMENT_KIND,
	                                   name);
}

/* A string member of the body, or NULL. */
static const char *
body_str(struct api *a, const char *key)
{
	return json_string_value(json_object_get(a->body, key));
}

/* The key of a list item as text: key names one member (a string, or an
 * integer's digits) or two, "a,b" (joined by '/'). */
static void
item_key(const json_t *o, const char *key, char *out, size_t outsz)
{
	const char *comma = strchr(key, ',');
	char name[32];
	size_t n = comma ? (size_t)(comma - key) : strlen(key), l;
	const json_t *v;

	snprintf(name, sizeof(name), "%.*s", (int)n, key);
	v = json_object_get(o, name);
	if (json_is_integer(v))
		snprintf(out, outsz, "%020lld",
		         (long long)json_integer_value(v));
	else
		snprintf(out, outsz, "%s",
		         json_string_value(v) ? json_string_value(v) : "");
	if (comma != NULL && (l = strlen(out)) + 1 < outsz) {
		out[l] = '/';
		item_key(o, comma + 1, out + l + 1, outsz - l - 1);
	}
}

/* Sort items by key text (qsort_r: handlers run on several threads). */
static int
item_cmp(const void *x, const void *y, void *key)
{
	char kx[400], ky[400];

	item_key(*(json_t *const *)x, key, kx, sizeof(kx));
	item_key(*(json_t *const *)y, key, ky, sizeof(ky));
	return strcmp(kx, ky);
}

/* Answer rows (taken) one page at a time by key: ?limit= and ?cursor=. */
static enum MHD_Result
api_page(struct api *a, json_t *rows, const char *key)
{
	const char *ls = api_arg(a, "limit"), *cs = api_arg(a, "cursor");
	size_t n = json_array_size(rows), lim = API_LIMIT_DEF, k = 0;
	json_t **v = calloc(n + 1, sizeof(*v)), *items = json_array();
	char after[400] = "", kt[400], *end, next[801];
	json_t *out;

	if (ls != NULL) {
		unsigned long l = strtoul(ls, &end, 10);
		if (*ls < '1' || *ls > '9' || *end != '\0' ||
		    l > API_LIMIT_MAX) {
			free(v), json_decref(rows), json_decref(items);
			return api_error(a, 400, "bad_request", "limit",
			                 "limit: a number from 1 to 1000");
		}
		lim = l;
	}
	if (cs != NULL) {
		size_t cl = strlen(cs);
		unsigned x;
		bool ok = cl > 0 && cl % 2 == 0 && cl < 2 * sizeof(after);
		for (size_t i = 0; ok && i < cl / 2; i++) {
			ok = sscanf(cs + 2 * i, "%2x", &x) == 1;
			after[i] = (char)x;
			after[i + 1] = '\0';
		}
		if (!ok || strspn(cs, "0123456789abcdef") != cl) {
			free(v), json_decref(rows), json_decref(items);
			return api_error(a, 400, "bad_request", "cursor",
			                 "cursor: not one this server gave");
		}
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(rows, i);
	qsort_r(v, n, sizeof(*v), item_cmp, (void *)key);
	next[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		item_key(v[i], key, kt, sizeof(kt));
		if (after[0] != '\0' && strcmp(kt, after) <= 0)
			continue;
		if (k == lim) {
			/* one more exists: the cursor is the last one given */
			item_key(json_array_get(items, k - 1), key, kt,
			         sizeof(kt));
			for (size_t j = 0; kt[j] && j < 400; j++)
				snprintf(next + 2 * j, 3, "%02x",
				         (unsigned char)kt[j]);
			break;
		}
		json_array_append(items, v[i]);
		k++;
	}
	free(v);
	json_decref(rows);
	out = json_pack("{s:o,s:o}", "items", items, "next_cursor",
	                next[0] ? json_string(next) : json_null());
	return http_answer_json(a->hc->c, 200, out);
}

/* Answer an op's result: 0 → status with out, else its error. */
static enum MHD_Result
api_result(struct api *a, int rc, unsigned status, json_t *out,
           const char *field)
{
	if (rc < 0)
		return api_fail(a, rc, field);
	return http_answer_json(a->hc->c, status, out);
}

/* A campaign id from seg[1], or 0. */
static int64_t
api_campaign_id(struct api *a)
{
	char *end;
	long long v = strtoll(a->seg[1], &end, 10);

	return (*a->seg[1] >= '1' && *a->seg[1] <= '9' && *end == '\0')
	           ? (int64_t)v
	           : 0;
}

/* "KEY=VALUE" strings of the body's attributes (strings as they are,
 * other values as JSON); NULL after an answer. */
static char **
attr_sets(struct api *a, size_t *n)
{
	json_t *at = json_object_get(a->body, "attributes"), *v;
	const char *k;
	char **sets;
	size_t i = 0;

	*n = 0;
	if (at == NULL)
		return calloc(1, sizeof(char *));
	if (!json_is_object(at))
		return NULL;
	sets = calloc(json_object_size(at) + 1, sizeof(char *));
	json_object_foreach(at, k, v)
	{
		char *t = json_is_string(v)
		              ? strdup(json_string_value(v))
		              : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		size_t l = strlen(k) + strlen(t) + 2;

		sets[i] = malloc(l);
		snprintf(sets[i++], l, "%s=%s", k, t);
		free(t);
	}
	*n = i;
	return sets;
}

/* Free attr_sets()'s. */
static void
sets_free(char **sets, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(sets[i]);
	free(sets);
}

/* POST contacts, PATCH contacts/ADDR: create or update one contact. */
static enum MHD_Result
contact_write(struct api *a, const char *addr, bool create)
{
	json_t *lists = json_object_get(a->body, "lists"), *out = NULL, *v;
	const char *ls[32];
	size_t nl = 0, ns, i;
	char **sets;
	const char *k;
	int rc = 0;

	/* a member we do not take is refused, not ignored: a caller who
	 * sent {"status": ...} must not read 200 as "changed" */
	json_object_foreach(a->body, k, v)
	{
		if (strcmp(k, "lists") != 0 && strcmp(k, "attributes") != 0 &&
		    !(create && strcmp(k, "email") == 0)) {
			snprintf(a->err, sizeof(a->err),
			         "%.64s: not taken here (%s)", k,
			         create ? "email, lists, attributes"
			                : "lists, attributes; the status "
			                  "changes by POST .../unsubscribe or "
			                  ".../resubscribe");
			return api_error(a, 422, "invalid", k, a->err);
		}
	}
	if ((sets = attr_sets(a, &ns)) == NULL)
		return api_error(a, 422, "invalid", "attributes",
		                 "attributes: an object");
	if (create && (addr == NULL || *addr == '\0')) {
		sets_free(sets, ns);
		return api_error(a, 422, "invalid", "email", "email: required");
	}
	if (lists != NULL || create) {
		if (!json_is_array(lists) || json_array_size(lists) == 0 ||
		    json_array_size(lists) > 32) {
			sets_free(sets, ns);
			return api_error(
			    a, 422, "invalid", "lists",
			    "lists: an array of 1 to 32 list names");
		}
		json_array_foreach(lists, i, v)
		{
			if ((ls[nl++] = json_string_value(v)) == NULL) {
				sets_free(sets, ns);
				return api_error(a, 422, "invalid", "lists",
				                 "lists: names are strings");
			}
		}
		rc = app_list_add(a->s, ls, nl, &addr, 1, NULL, a->actor, &out,
		                  a->err, sizeof(a->err));
		if (rc == 0 &&
		    json_array_size(json_object_get(out, "rejected")) > 0) {
			snprintf(a->err, sizeof(a->err), "email: %s",
			         json_string_value(json_object_get(
			             json_array_get(
			                 json_object_get(out, "rejected"), 0),
			             "reason")));
			rc = MC_EDATA;
		}
		json_decref(out);
		out = NULL;
	}
	if (rc == 0 && ns > 0)
		rc = app_contact_set(a->s, addr, (const char *const *)sets, ns,
		                     a->actor, "api", &out, a->err,
		                     sizeof(a->err));
	else if (rc == 0)
		rc = app_contact_show(a->s, addr, &out, a->err, sizeof(a->err));
	sets_free(sets, ns);
	return api_result(a, rc, create ? 201 : 200, out,
	                  rc == MC_EDATA && nl > 0 ? "email" : "attributes");
}

/* The suppression reasons a caller may give. */
static const struct {
	const char *name;
	enum store_supp_reason reason;
} supp_reasons[] = {
    {"manual", SUPP_MANUAL},
    {"unsubscribed", SUPP_UNSUBSCRIBED},
    {"complaint", SUPP_COMPLAINT},
    {"hard-bounce", SUPP_HARD_BOUNCE},
};

/* suppressions[/ENTRY] */
static enum MHD_Result
api_suppressions(struct api *a, const char *m)
{
	json_t *out = NULL;
	char norm[400];
	bool added = false;
	size_t i;
	int rc;

	if (a->nseg == 1 && strcmp(m, "GET") == 0) {
		rc = app_supp_rows(a->s, &out, a->err, sizeof(a->err));
		return rc < 0 ? api_fail(a, rc, NULL)
		              : api_page(a, out, "entry");
	}
	if (a->nseg == 1) { /* POST */
		const char *entry = body_str(a, "entry");
		const char *why = body_str(a, "reason");

		if (entry == NULL)
			return api_error(a, 422, "invalid", "entry",
			                 "entry: an address or @domain");
		for (i = 0; why != NULL && i < 4; i++)
			if (strcmp(why, supp_reasons[i].name) == 0)
				break;
		if (i == 4)
			return api_error(a, 422, "invalid", "reason",
			                 "reason: manual, unsubscribed, "
			                 "complaint or hard-bounce");
		rc = app_supp_change(a->s, true, entry,
		                     why ? supp_reasons[i].reason : SUPP_MANUAL,
		                     a->actor, &added, norm, sizeof(norm),
		                     a->err, sizeof(a->err));
		return api_result(
		    a, rc, added ? 201 : 200,
		    json_pack("{s:s,s:b}", "entry", norm, "added", added),
		    "entry");
	}
	if (strcmp(m, "GET") == 0) {
		rc = app_supp_lookup(a->s, a->seg[1], &out, a->err,
		                     sizeof(a->err));
		return api_result(a, rc, 200, out, "entry");
	}
	rc =
	    app_supp_change(a->s, false, a->seg[1], SUPP_MANUAL, a->actor,
	                    &added, norm, sizeof(norm), a->err, sizeof(a->err));
	return api_result(a, rc, 200,
	                  json_pack("{s:s,s:b}", "entry", norm, "removed", 1),
	                  "entry");
}

/* contacts[/ADDR[/unsubscribe|resubscribe]] */
static enum MHD_Result
api_contacts(struct api *a, const char *m)
{
	const char *addr = a->nseg > 1 ? a->seg[1] : NULL;
	json_t *out = NULL;
	char norm[400];
	bool added;
	int rc;

	if (a->nseg == 1 && strcmp(m, "GET") == 0) {
		const char *list = api_arg(a, "list");

		if (list == NULL)
			return api_error(a, 400, "bad_request", "list",
			                 "list: the list to read");
		rc = app_segment_rows(a->s, list, api_arg(a, "where"), &out,
		                      a->err, sizeof(a->err));
		if (rc == MC_EINVAL || rc == MC_ELIMIT)
			return api_error(a, 400, "bad_request", "where",
			                 a->err);
		return rc < 0 ? api_fail(a, rc, NULL)
		              : api_page(a, out, "email");
	}
	if (a->nseg == 1)
		return contact_write(a, body_str(a, "email"), true);
	if (a->nseg == 2 && strcmp(m, "GET") == 0) {
		rc = app_contact_show(a->s, addr, &out, a->err, sizeof(a->err));
		return api_result(a, rc, 200, out, "email");
	}
	if (a->nseg == 2 && strcmp(m, "PATCH") == 0)
		return contact_write(a, addr, false);
	if (a->nseg == 2) { /* DELETE */
		rc = app_contact_remove(a->s, addr, false, a->actor, "api",
		                        &out, a->err, sizeof(a->err));
		return api_result(a, rc, 200, out, "email");
	}
	if (strcmp(a->seg[2], "resubscribe") == 0) {
		const char *why = body_str(a, "reason");

		if (why == NULL || *why == '\0')
			return api_error(a, 422, "invalid", "reason",
			                 "reason: why this person may be "
			                 "mailed again (consent is recorded)");
		rc = app_contact_resubscribe(a->s, addr, a->actor, why, &out,
		                             a->err, sizeof(a->err));
		return api_result(a, rc, 200, out, "email");
	}
	if ((rc = app_contact_show(a->s, addr, &out, a->err, sizeof(a->err))) <
	    0)
		return api_fail(a, rc, "email");
	json_decref(out);
	rc =
	    app_supp_change(a->s, true, addr, SUPP_UNSUBSCRIBED, a->actor,
	                    &added, norm, sizeof(norm), a->err, sizeof(a->err));
	if (rc == 0)
		rc = app_contact_show(a->s, addr, &out, a->err, sizeof(a->err));
	return api_result(a, rc, 200, out, "email");
}

/* campaigns[/ID[/status|report|who|schedule|start|pause]] */
static enum MHD_Result
api_campaigns(struct api *a, const char *m)
{
	const char *sub = a->nseg > 2 ? a->seg[2] : "";
	json_t *out = NULL;
	int64_t id;
	unsigned sig;
	int rc;

	if (a->nseg == 1 && strcmp(m, "POST") == 0) {
		const char *field = NULL;

		rc = api_campaign_create(a->s, a->body, &out, &field, a->err,
		                         sizeof(a->err));
		if (rc == MC_ENOTFOUND && field != NULL)
			return api_error(a, 422, "invalid", field, a->err);
		return api_result(a, rc, 201, out, field);
	}
	if (a->nseg == 1) {
		rc = campaign_list_json(a->s, &out, a->err, sizeof(a->err));
		return rc < 0 ? api_fail(a, rc, NULL) : api_page(a, out, "id");
	}
	if ((id = api_campaign_id(a)) == 0)
		return api_error(a, 404, "not_found", NULL, "no such campaign");
	if (a->nseg == 2) {
		rc =
		    api_campaign_status(a->s, id, &out, a->err, sizeof(a->err));
		if (rc == 0) {
			json_decref(out);
			out = NULL;
			rc = campaign_show_json(a->s, id, &out, a->err,
			                        sizeof(a->err));
		}
	} else if (strcmp(sub, "status") == 0)
		rc =
		    api_campaign_status(a->s, id, &out, a->err, sizeof(a->err));
	else if (strcmp(sub, "report") == 0)
		rc =
		    api_campaign_report(a->s, id, &out, a->err, sizeof(a->err));
	else if (strcmp(sub, "who") == 0) {
		rc = api_campaign_who(a->s, id, api_arg(a, "state"), &out,
		                      a->err, sizeof(a->err));
		if (rc == MC_EINVAL)
			return api_error(a, 400, "bad_request", "state",
			                 a->err);
		return rc < 0 ? api_fail(a, rc, NULL)
		              : api_page(a, out, "address");
	} else if (strcmp(sub, "start") == 0)
		rc = api_campaign_start(a->s, id, time(NULL), &out, a->err,
		                        sizeof(a->err));
	else if (strcmp(sub, "schedule") == 0) {
		const char *at = body_str(a, "at");

		if (at == NULL)
			return api_error(a, 422, "invalid", "at",
			                 "at: an ISO 8601 time, or \"none\"");
		if ((rc = api_campaign_status(a->s, id, &out, a->err,
		                              sizeof(a->err))) == 0) {
			json_decref(out);
			out = NULL;
			rc = campaign_schedule(a->s, id, at, time(NULL), a->err,
			                       sizeof(a->err));
		}
		if (rc == 0)
			rc = api_campaign_status(a->s, id, &out, a->err,
			                         sizeof(a->err));
		return api_result(a, rc, 200, out, "at");
	} else { /* pause */
		rc =
		    api_campaign_status(a->s, id, &out, a->err, sizeof(a->err));
		json_decref(out);
		out = NULL;
		if (rc == 0)
			rc = campaign_pause(a->s, id, &sig, a->err,
			                    sizeof(a->err));
		if (rc == 0)
			rc = api_campaign_status(a->s, id, &out, a->err,
			                         sizeof(a->err));
	}
	return api_result(a, rc, 200, out, NULL);
}

/* lists[/NAME/count] and bounces */
static enum MHD_Result
api_lists(struct api *a, const char *m)
{
	json_t *out = NULL;
	int rc;

	(void)m;
	if (strcmp(a->seg[0], "bounces") == 0) {
		const char *c = api_arg(a, "campaign");
		char *end = NULL;
		long long id = c ? strtoll(c, &end, 10) : 0;

		if (c != NULL && (*c < '1' || *c > '9' || *end != '\0'))
			return api_error(a, 400, "bad_request", "campaign",
			                 "campaign: a campaign id");
		rc = api_bounces(a->s, id, &out, a->err, sizeof(a->err));
		return rc < 0 ? api_fail(a, rc, NULL)
		              : api_page(a, out, "campaign,address");
	}
	if (a->nseg == 1) {
		rc = app_list_rows(a->s, NULL, 0, &out, a->err, sizeof(a->err));
		return rc < 0 ? api_fail(a, rc, NULL)
		              : api_page(a, out, "name");
	}
	rc = app_list_count(a->s, a->seg[1], &out, a->err, sizeof(a->err));
	return api_result(a, rc, 200, out, NULL);
}

typedef enum MHD_Result api_fn(struct api *a, const char *method);

/* The routes: a path pattern ("*" one part), its methods, the handler.
 * docs/openapi.yaml documents exactly these. */
static const struct api_route {
	const char *pattern;
	const char *allow;
	api_fn *fn;
} api_routes[] = {
    {"lists", "GET", api_lists},
    {"lists/*/count", "GET", api_lists},
    {"contacts", "GET, POST", api_contacts},
    {"contacts/*", "GET, PATCH, DELETE", api_contacts},
    {"contacts/*/unsubscribe", "POST", api_contacts},
    {"contacts/*/resubscribe", "POST", api_contacts},
    {"suppressions", "GET, POST", api_suppressions},
    {"suppressions/*", "GET, DELETE", api_suppressions},
    {"campaigns", "GET, POST", api_campaigns},
    {"campaigns/*", "GET", api_campaigns},
    {"campaigns/*/status", "GET", api_campaigns},
    {"campaigns/*/report", "GET", api_campaigns},
    {"campaigns/*/who", "GET", api_campaigns},
    {"campaigns/*/schedule", "POST", api_campaigns},
    {"campaigns/*/start", "POST", api_campaigns},
    {"campaigns/*/pause", "POST", api_campaigns},
    {"bounces", "GET", api_lists},
};

/* Does the path (a->seg) match pattern? */
static bool
route_match(const struct api *a, const char *pattern)
{
	size_t i = 0;

	for (const char *p = pattern; *p; i++) {
		size_t n = strcspn(p, "/");

		if (i >= a->nseg ||
		    (!(n == 1 && *p == '*') &&
		     (strlen(a->seg[i]) != n || memcmp(a->seg[i], p, n) != 0)))
			return false;
		p += n + (p[n] == '/');
	}
	return i == a->nseg;
}

/* Is method one of allow's? */
static bool
allowed(const char *allow, const char *method)
{
	size_t ml = strlen(method);

	for (const char *p = allow; *p; p += strspn(p, ", ")) {
		size_t n = strcspn(p, ", ");
		if (n == ml && memcmp(p, method, n) == 0)
			return true;
		p += n;
	}
	return strcmp(method, "HEAD") == 0 && strstr(allow, "GET") != NULL;
}

/* Split rest into a->seg (in a copy); false when too many or empty. */
static bool
split_path(struct api *a, char *copy)
{
	char *save = NULL;

	for (char *t = strtok_r(copy, "/", &save); t;
	     t = strtok_r(NULL, "/", &save)) {
		if (a->nseg == API_SEGS)
			return false;
		a->seg[a->nseg++] = t;
	}
	return a->nseg > 0;
}

/* Check the bearer token; 0, or the answer was queued (*ret). */
static int
api_auth(struct api *a, bool write, enum MHD_Result *ret)
{
	const char *h = MHD_lookup_connection_value(a->hc->c, MHD_HEADER_KIND,
	                                            "Authorization");
	char scope[8];
	int64_t id;
	int rc;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		*ret = api_error(a, 401, "unauthorized", NULL,
		                 "a bearer token is required "
		                 "(Authorization: Bearer TOKEN)");
		return -1;
	}
	rc = api_token_check(a->s, h + 7, scope, &id, a->err, sizeof(a->err));
	if (rc == MC_EAUTH) {
		*ret = api_error(a, 401, "unauthorized", NULL,
		                 "the token is not valid (unknown, revoked or "
		                 "mistyped)");
		return -1;
	}
	if (rc < 0) {
		*ret = api_fail(a, rc, NULL);
		return -1;
	}
	if (write && strcmp(scope, "write") != 0) {
		*ret = api_error(a, 403, "forbidden", NULL,
		                 "this token may only read (scope read)");
		return -1;
	}
	snprintf(a->actor, sizeof(a->actor), "api:token-%lld", (long long)id);
	return 0;
}

/* /api/v1/... */
enum MHD_Result
route_api(struct http_call *hc)
{
	struct api a = {.hc = hc};
	const char *m = strcmp(hc->method, "HEAD") == 0 ? "GET" : hc->method;
	const struct api_route *rt = NULL;
	enum MHD_Result ret;
	char *copy = strdup(hc->rest), allow[64];
	json_error_t je;

	if (!split_path(&a, copy)) {
		free(copy);
		return api_error(&a, 404, "not_found", NULL, "no such route");
	}
	for (size_t i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]); i++)
		if (route_match(&a, api_routes[i].pattern)) {
			rt = &api_routes[i];
			break;
		}
	if (rt == NULL) {
		free(copy);
		return api_error(&a, 404, "not_found", NULL, "no such route");
	}
	if (!allowed(rt->allow, hc->method)) {
		struct MHD_Response *r;
		char *text =
		    json_dumps(json_pack("{s:{s:s,s:s}}", "error", "code",
		                         "method_not_allowed", "message",
		                         "this path does not take that method"),
		               JSON_COMPACT);

		free(copy);
		r = http_page("application/json", text, strlen(text));
		free(text);
		snprintf(allow, sizeof(allow), "%s", rt->allow);
		if (r != NULL)
			MHD_add_response_header(r, "Allow", allow);
		return http_answer(hc->c, 405, r);
	}
	if ((a.s = http_store()) == NULL) {
		free(copy);
		return api_error(&a, 503, "busy", NULL, "the store is busy");
	}
	if (api_auth(&a, strcmp(m, "GET") != 0, &ret) < 0) {
		free(copy);
		return ret;
	}
	if (strcmp(m, "GET") != 0 && hc->len > 0 &&
	    (a.body = json_loads(hc->body, 0, &je)) == NULL) {
		snprintf(a.err, sizeof(a.err), "body: not JSON: %s (line %d)",
		         je.text, je.line);
		ret = api_error(&a, 400, "bad_request", "body", a.err);
	} else if (a.body != NULL && !json_is_object(a.body))
		ret = api_error(&a, 400, "bad_request", "body",
		                "body: a JSON object");
	else
		ret = rt->fn(&a, m);
	json_decref(a.body);
	free(copy);
	return ret;
}
