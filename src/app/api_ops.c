/*
 * api_ops.c — operations the REST API needs (api_ops.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app/api_ops.h"
#include "app/campaign.h"
#include "app/campaign_manage.h"
#include "app/result_json.h"
#include "base/error.h"
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
