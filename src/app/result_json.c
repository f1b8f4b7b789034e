/*
 * result_json.c — JSON of parse and ingest results (result_json.h).
 */
#include <jansson.h>

#include "app/result_json.h"

/* A JSON string that tolerates NULL (as ""). */
static json_t *
jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");

	return j ? j : json_string("");
}

/* A string, or null when empty. */
static json_t *
jstr_or_null(const char *s)
{
	return s && s[0] ? jstr(s) : json_null();
}

/* One recipient of a parsed message. */
static json_t *
rcpt_json(const struct bounce_rcpt *rc)
{
	json_t *j = json_object();

	json_object_set_new(j, "address", jstr(rc->address));
	json_object_set_new(j, "action", jstr_or_null(rc->action));
	json_object_set_new(j, "status", jstr_or_null(rc->status));
	json_object_set_new(j, "reply_code",
	                    rc->reply_code ? json_integer(rc->reply_code)
	                                   : json_null());
	json_object_set_new(j, "diagnostic", jstr_or_null(rc->diagnostic));
	json_object_set_new(j, "remote_mta", jstr_or_null(rc->remote_mta));
	json_object_set_new(j, "reason", jstr(bounce_reason_name(rc->reason)));
	json_object_set_new(j, "class", jstr(bounce_class_name(rc->cls)));
	return j;
}

/* A parsed message. */
json_t *
bounce_result_json(const char *file, const struct bounce_result *r)
{
	json_t *o = json_object(), *a = json_array();

	json_object_set_new(o, "file", jstr(file));
	json_object_set_new(o, "kind", jstr(bounce_kind_name(r->kind)));
	json_object_set_new(o, "format", jstr(r->format));
	for (size_t i = 0; i < r->nrcpts; i++)
		json_array_append_new(a, rcpt_json(&r->rcpts[i]));
	json_object_set_new(o, "recipients", a);
	if (r->feedback_type[0])
		json_object_set_new(o, "feedback_type", jstr(r->feedback_type));
	if (r->token[0]) {
		json_object_set_new(o, "token", jstr(r->token));
		json_object_set_new(o, "verp_address", jstr(r->verp_address));
	}
	if (r->original_message_id[0])
		json_object_set_new(o, "original_message_id",
		                    jstr(r->original_message_id));
	return o;
}

/* One effect of an ingested message. */
static json_t *
effect_json(const struct ingest_effect *e)
{
	json_t *o = json_object();

	json_object_set_new(o, "address", jstr(e->address));
	json_object_set_new(o, "class", jstr(store_bounce_kind_name(e->kind)));
	json_object_set_new(o, "action", jstr(bounce_action_name(e->action)));
	if (e->status[0])
		json_object_set_new(o, "status", jstr(e->status));
	if (e->campaign_id)
		json_object_set_new(o, "campaign",
		                    json_integer(e->campaign_id));
	if (e->contact_id)
		json_object_set_new(o, "contact", json_integer(e->contact_id));
	json_object_set_new(o, "suppressed", json_boolean(e->suppressed));
	json_object_set_new(o, "unsubscribed", json_boolean(e->unsubscribed));
	return o;
}

/* What ingest did with one message. */
json_t *
ingest_result_json(const char *where, const struct ingest_result *r,
                   const char *disposition)
{
	json_t *o = json_object(), *a = json_array();

	json_object_set_new(o, "message", jstr(where));
	json_object_set_new(o, "kind", jstr(ingest_kind_name(r->kind)));
	json_object_set_new(o, "verdict",
	                    jstr(ingest_verdict_name(r->verdict)));
	if (r->note[0])
		json_object_set_new(o, "note", jstr(r->note));
	if (r->skip[0])
		json_object_set_new(o, "skipped", jstr(r->skip));
	for (size_t i = 0; i < r->neffects; i++)
		json_array_append_new(a, effect_json(&r->effects[i]));
	json_object_set_new(o, "effects", a);
	if (disposition)
		json_object_set_new(o, "disposition", jstr(disposition));
	return o;
}

/* {state: n} for every ledger state. */
static json_t *
states_json(const unsigned long n[DLV__COUNT])
{
	json_t *o = json_object();

	for (int i = 0; i < DLV__COUNT; i++)
		json_object_set_new(o, store_dlv_state_name(i),
		                    json_integer((json_int_t)n[i]));
	return o;
}

/* A campaign's status. */
json_t *
campaign_info_json(int64_t id, const struct campaign_info *ci)
{
	json_t *hs = json_array();

	for (size_t i = 0; i < ci->nholders; i++) {
		const struct campaign_holder *h = &ci->holders[i];

		json_array_append_new(
		    hs,
		    json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:s}", "owner",
		              h->owner, "host", h->host, "pid",
		              (json_int_t)h->pid, "since", (json_int_t)h->since,
		              "heartbeat", (json_int_t)h->heartbeat, "rows",
		              (json_int_t)h->rows, "slots",
		              (json_int_t)h->slots, "slot_list", h->slot_text));
	}
	json_t *o =
	    json_pack("{s:I,s:s,s:s,s:o,s:o}", "id", (json_int_t)id, "name",
	              ci->name, "status", campaign_status_name(ci->status),
	              "states", states_json(ci->states), "holders", hs);

	if (ci->where[0] != '\0')
		json_object_set_new(o, "segment",
		                    json_pack("{s:s,s:I}", "where", ci->where,
		                              "matched",
		                              (json_int_t)ci->matched));
	return o;
}

/* A tally as {key: {state: n}}. */
static json_t *
tally_json(const struct campaign_tally *t, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++) {
		json_t *k = json_object();

		for (size_t j = 0; j < t[i].n; j++)
			json_object_set_new(
			    k, store_dlv_state_name(t[i].by[j].state),
			    json_integer((json_int_t)t[i].by[j].n));
		json_object_set_new(o, t[i].key, k);
	}
	return o;
}

/* A campaign's report. */
json_t *
campaign_report_json(const struct campaign_report *r)
{
	json_t *resent = json_array();

	json_t *o;

	for (size_t i = 0; i < r->nresent_listed; i++)
		json_array_append_new(resent, json_string(r->resent[i]));
	o = json_pack("{s:I,s:s,s:s,s:I,s:o,s:o,s:o,s:f,s:I,s:o}", "id",
	              (json_int_t)r->id, "name", r->name, "status",
	              campaign_status_name(r->status), "total",
	              (json_int_t)r->total, "states", states_json(r->states),
	              "by_destination", tally_json(r->by_dest, r->ndest),
	              "by_reply", tally_json(r->by_reply, r->nreply), "seconds",
	              r->seconds, "resent_after_crash", (json_int_t)r->nresent,
	              "resent", resent);
	if (o != NULL && r->tracking != NULL)
		json_object_set(o, "tracking", r->tracking);
	if (o != NULL)
		campaign_report_json_more(r, o);
	return o;
}

/* One ledger row. */
json_t *
campaign_row_json(const struct store_dlv_row *r)
{
	json_t *o =
	    json_pack("{s:s,s:s,s:i,s:i}", "address", r->address, "state",
	              store_dlv_state_name(r->state), "attempts", r->attempts,
	              "reply_code", r->reply_code);

	if (r->enhanced)
		json_object_set_new(o, "enhanced", json_string(r->enhanced));
	if (r->text)
		json_object_set_new(o, "reply", json_string(r->text));
	if (r->queue_id)
		json_object_set_new(o, "queue_id", json_string(r->queue_id));
	if (r->relay)
		json_object_set_new(o, "relay", json_string(r->relay));
	return o;
}

/* One ledger row as CSV fields. */
void
campaign_row_fields(const struct store_dlv_row *r, char buf[2][16],
                    const char *out[CAMPAIGN_ROW_CSV_FIELDS])
{
	snprintf(buf[0], sizeof(buf[0]), "%d", r->attempts);
	buf[1][0] = '\0';
	if (r->reply_code)
		snprintf(buf[1], sizeof(buf[1]), "%d", r->reply_code);
	out[0] = r->address;
	out[1] = store_dlv_state_name(r->state);
	out[2] = buf[0];
	out[3] = buf[1];
	out[4] = r->enhanced ? r->enhanced : "";
	out[5] = r->text ? r->text : "";
	out[6] = r->queue_id ? r->queue_id : "";
	out[7] = r->relay ? r->relay : "";
}
