/*
 * api_ops.c — operations the REST API needs (api_ops.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "app/api_ops.h"
#include "app/campaign.h"
#include "app/campaign_manage.h"
#include "app/process.h"
#include "app/result_json.h"
#include "base/error.h"
#include "base/str.h"
#include "store/store.h"

struct who_ctx {
	json_t *arr;
	int64_t campaign; /* 0: the rows carry no campaign */
};

/* One ledger row into the array. */
static int
who_row(void *arg, const struct store_dlv_row *r)
{
	struct who_ctx *w = arg;
	json_t *o = campaign_row_json(r);

	if (w->campaign != 0)
		json_object_set_new(o, "campaign", json_integer(w->campaign));
	json_array_append_new(w->arr, o);
	return 0;
}

/* Does campaign id exist?  0, MC_ENOTFOUND or MC_EIO. */
static int
campaign_known(struct store *s, int64_t id, char *err, size_t errsz)
{
	char ref[24];
	int64_t got;

	snprintf(ref, sizeof(ref), "%lld", (long long)id);
	return campaign_lookup(s, ref, &got, err, errsz);
}

/* The rows of one campaign. */
int
api_campaign_who(struct store *s, int64_t id, const char *state, json_t **out,
                 char *err, size_t errsz)
{
	struct who_ctx w = {NULL, 0};
	int st = -1, rc;

	if (state != NULL && (st = store_dlv_state_parse(state)) < 0)
		return mc_fail(MC_EINVAL, err, errsz,
		               "state: one of pending, inflight, sent, "
		               "deferred, failed, bounced, suppressed");
	if ((rc = campaign_known(s, id, err, errsz)) < 0)
		return rc;
	w.arr = json_array();
	if (store_delivery_each(s, id, st, who_row, &w) < 0) {
		json_decref(w.arr);
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	}
	*out = w.arr;
	return 0;
}

/* Bounced rows of one campaign or all. */
int
api_bounces(struct store *s, int64_t id, json_t **out, char *err, size_t errsz)
{
	json_t *list = NULL, *c;
	struct who_ctx w = {NULL, 0};
	size_t i;
	int rc;

	if (id != 0 && (rc = campaign_known(s, id, err, errsz)) < 0)
		return rc;
	if (id == 0 && (rc = campaign_list_json(s, &list, err, errsz)) < 0)
		return rc;
	w.arr = json_array();
	if (id != 0)
		list = json_pack("[{s:I}]", "id", (json_int_t)id);
	json_array_foreach(list, i, c)
	{
		w.campaign = json_integer_value(json_object_get(c, "id"));
		if (store_delivery_each(s, w.campaign, DLV_BOUNCED, who_row,
		                        &w) < 0) {
			json_decref(list);
			json_decref(w.arr);
			return mc_fail(MC_EIO, err, errsz, "%s",
			               store_error(s));
		}
	}
	json_decref(list);
	*out = w.arr;
	return 0;
}

/* A campaign's status. */
int
api_campaign_status(struct store *s, int64_t id, json_t **out, char *err,
                    size_t errsz)
{
	struct campaign_info ci;
	int rc = campaign_known(s, id, err, errsz);

	if (rc == 0)
		rc = campaign_status_get(s, id, &ci, err, errsz);
	if (rc == 0)
		*out = campaign_info_json(id, &ci);
	return rc;
}

/* A campaign's report. */
int
api_campaign_report(struct store *s, int64_t id, json_t **out, char *err,
                    size_t errsz)
{
	struct campaign_report r;
	int rc = campaign_known(s, id, err, errsz);

	if (rc < 0)
		return rc;
	if ((rc = campaign_report_get(s, id, &r, err, errsz)) == 0)
		*out = campaign_report_json(&r);
	campaign_report_fini(&r);
	return rc;
}

/* Start: scheduled now, for the runner. */
int
api_campaign_start(struct store *s, int64_t id, time_t now, json_t **out,
                   char *err, size_t errsz)
{
	char at[32];
	struct tm tm;
	int rc;

	if ((rc = campaign_known(s, id, err, errsz)) < 0)
		return rc;
	gmtime_r(&now, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((rc = campaign_schedule(s, id, at, now, err, errsz)) < 0)
		return rc;
	return api_campaign_status(s, id, out, err, errsz);
}

/* Options that name a server file: never from a caller. */
static bool
opt_is_file(enum campaign_opt o)
{
	return o == CAMPAIGN_OPT_TEMPLATE || o == CAMPAIGN_OPT_DKIM_KEY ||
	       o == CAMPAIGN_OPT_CA_FILE || o == CAMPAIGN_OPT_TOKEN_KEY ||
	       o == CAMPAIGN_OPT_AUTH_PASSWORD_FILE;
}

/* Options that choose where the mail goes. */
static bool
opt_is_destination(enum campaign_opt o)
{
	return o == CAMPAIGN_OPT_RELAY || o == CAMPAIGN_OPT_DIRECT ||
	       o == CAMPAIGN_OPT_DNS_SERVER || o == CAMPAIGN_OPT_MX_PORT;
}

/* Would set log in to a relay (an AUTH user, its password from
 * mailcast.conf or the environment)? */
static bool
settings_auth(const struct campaign_settings *set)
{
	for (size_t i = 0; i < set->nrelays; i++)
		if (set->relays[i].auth_user != NULL)
			return true;
	return set->auth_user != NULL;
}

/* Lay the request's settings into set; *field the culprit. */
static int
settings_apply(struct campaign_settings *set, const json_t *obj,
               const char **field, char *err, size_t errsz)
{
	const char *k;
	json_t *v;
	int rc;

	json_object_foreach((json_t *)obj, k, v)
	{
		int o = -1;

		for (int i = 0; i < CAMPAIGN_OPT__COUNT; i++)
			if (strcmp(campaign_opt_name((enum campaign_opt)i),
			           k) == 0)
				o = i;
		*field = "settings";
		if (o < 0 || opt_is_file((enum campaign_opt)o))
			return mc_fail(MC_EINVAL, err, errsz, "settings.%s: %s",
			               k,
			               o < 0 ? "no such option"
			                     : "names a server file: not "
			                       "taken over the API");
		if (campaign_opt_has_arg((enum campaign_opt)o)
		        ? !json_is_string(v)
		        : !json_is_true(v))
			return mc_fail(
			    MC_EINVAL, err, errsz, "settings.%s: %s", k,
			    campaign_opt_has_arg((enum campaign_opt)o)
			        ? "a string"
			        : "true");
		rc = campaign_settings_set(set, (enum campaign_opt)o,
		                           json_string_value(v), err, errsz);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Does the header block of a template's text (as msg/template.c reads
 * it: "Name: value" lines up to the first blank one, '#' comments and
 * folded lines between) have an Attach: header?  An Attach: names a file
 * of the server, which the template's compiler would read and the
 * campaign mail out. */
static bool
text_has_attach(const char *text)
{
	const char *p = text;

	if (strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (*p != '\0') {
		size_t n = strcspn(p, "\n"), le = n;

		if (le > 0 && p[le - 1] == '\r')
			le--;
		if (le == 0)
			return false; /* the body begins */
		if (p[0] != '#' && p[0] != ' ' && p[0] != '\t') {
			const char *colon = memchr(p, ':', le);

			if (colon != NULL &&
			    mc_ieq(p, (size_t)(colon - p), "Attach"))
				return true;
		}
		p += n + (p[n] == '\n');
	}
	return false;
}

/* Create a campaign from a request. */
int
api_campaign_create(struct store *s, const json_t *req, json_t **out,
                    const char **field, char *err, size_t errsz)
{
	const char *name = json_string_value(json_object_get(req, "name"));
	const char *list = json_string_value(json_object_get(req, "list"));
	const char *where = json_string_value(json_object_get(req, "where"));
	const char *text = json_string_value(json_object_get(req, "template"));
	const json_t *so = json_object_get(req, "settings");
	struct campaign_settings set;
	char path[] = "/tmp/mailcast-api-XXXXXX";
	unsigned long matched;
	int64_t id;
	int fd = -1, rc;

	*field = NULL;
	if (name == NULL || list == NULL || text == NULL) {
		*field = name == NULL   ? "name"
		         : list == NULL ? "list"
		                        : "template";
		return mc_fail(MC_EINVAL, err, errsz, "%s: required (a string)",
		               *field);
	}
	if (json_object_get(req, "where") != NULL && where == NULL) {
		*field = "where";
		return mc_fail(MC_EINVAL, err, errsz, "where: a string");
	}
	if (so != NULL && !json_is_object(so)) {
		*field = "settings";
		return mc_fail(MC_EINVAL, err, errsz, "settings: an object");
	}
	if (text_has_attach(text)) {
		*field = "template";
		return mc_fail(MC_EINVAL, err, errsz,
		               "template: Attach: names a file of the server, "
		               "which an API call may not make it read (create "
		               "a campaign with attachments with `mailcast "
		               "campaign create`)");
	}
	campaign_settings_init(&set);
	if ((rc = campaign_settings_from_conf(&set, app_conf(), err, errsz)) <
	        0 ||
	    (so != NULL &&
	     (rc = settings_apply(&set, so, field, err, errsz)) < 0))
		goto done;
	/* A caller who chooses the server must not get the relay's
	 * password sent to it (its own server, with tls-no-verify). */
	for (int o = 0; so != NULL && o < CAMPAIGN_OPT__COUNT; o++)
		if (opt_is_destination((enum campaign_opt)o) &&
		    json_object_get(
		        so, campaign_opt_name((enum campaign_opt)o)) != NULL &&
		    settings_auth(&set)) {
			*field = "settings";
			rc =
			    mc_fail(MC_EINVAL, err, errsz,
			            "settings.%s: not taken over the API while "
			            "the campaign would log in (AUTH) with "
			            "mailcast.conf's user and password: they "
			            "would go to that server",
			            campaign_opt_name((enum campaign_opt)o));
			goto done;
		}
	/* the template goes through a private file: create freezes it into
	 * the store, and the file goes at once */
	if ((fd = mkstemp(path)) < 0 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		rc = mc_fail(MC_EIO, err, errsz, "a template file: %s",
		             strerror(errno));
		goto done;
	}
	if ((rc = campaign_settings_set(&set, CAMPAIGN_OPT_TEMPLATE, path, err,
	                                errsz)) < 0)
		goto done;
	rc = campaign_create_where(s, name, list, where, &set, &id, &matched,
	                           err, errsz);
	if (rc < 0 && strncmp(err, path, strlen(path)) == 0) {
		/* the template's error names our private file: say template */
		size_t n = strlen(path) - strlen("template");

		memmove(err, err + n, strlen(err + n) + 1);
		memcpy(err, "template", strlen("template"));
		*field = "template";
	} else if (rc == MC_EDATA || rc == MC_ENOTFOUND)
		*field = strstr(err, "template") ? "template"
		         : rc == MC_ENOTFOUND    ? "list"
		                                 : "name";
	else if (rc == MC_EINVAL)
		*field = where != NULL && strstr(err, "where") ? "where"
		                                               : "settings";
	if (rc == 0)
		rc = campaign_show_json(s, id, out, err, errsz);
done:
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	campaign_settings_fini(&set);
	return rc;
}
