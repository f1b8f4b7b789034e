/*
 * dash_pages.c — the dashboard's pages (dash.h): each asks the
 * application layer for its data (JSON shapes the CLI and the REST API
 * share, the runner's samples) and writes HTML; the actions call the
 * runner and the campaign service.  Nothing here touches the store
 * directly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app/campaign.h"
#include "app/campaign_manage.h"
#include "app/chart.h"
#include "app/contact.h"
#include "app/contacts.h"
#include "app/process.h"
#include "app/report_html.h"
#include "app/result_json.h"
#include "app/runner.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "http/dash.h"

#define CONTACTS_SHOWN 200
/* A table that scrolls sideways on a phone: focusable, so a keyboard
 * can scroll it too, and named for a screen reader. */
#define TABLE_WRAP                                                             \
	"<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" "            \
	"aria-label=\"Table, scrolls sideways\">"

/* A JSON time (ISO text or seconds) as <time>. */
static void
jtime(struct buf *b, const json_t *t)
{
	if (json_is_integer(t))
		dash_time(b, (long long)json_integer_value(t));
	else if (json_is_string(t)) {
		buf_printf(b, "<time datetime=\"");
		dash_esc(b, json_string_value(t));
		buf_puts(b, "\">");
		dash_esc(b, json_string_value(t));
		buf_puts(b, "</time>");
	} else
		buf_puts(b, "—");
}

/* A JSON string member, or "". */
static const char *
jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* A JSON integer member, or 0. */
static unsigned long long
jnum(const json_t *o, const char *k)
{
	json_int_t n = json_integer_value(json_object_get(o, k));

	return n > 0 ? (unsigned long long)n : 0;
}

/* The store, or a 503 page. */
#define STORE_OR_BUSY(s, d)                                                    \
	struct store *s = http_store();                                        \
	if (s == NULL)                                                         \
	return http_answer_busy((d)->hc->c)

/* GET /dash/campaigns. */
enum MHD_Result
dash_page_campaigns(struct dash_req *d)
{
	char err[CAMPAIGN_ERR_MAX];
	json_t *rows = NULL, *c;
	struct buf b;
	size_t i;

	STORE_OR_BUSY(s, d);
	if (campaign_list_json(s, &rows, err, sizeof(err)) < 0)
		return dash_fail(d, 503, err);
	buf_init(&b);
	dash_head(&b, d, "Campaigns", "campaigns");
	buf_puts(&b, "<h1>Campaigns</h1>");
	if (json_array_size(rows) == 0)
		buf_puts(&b, "<p class=\"empty\">No campaign yet. Make one "
		             "with <code>mailcast campaign create NAME --list "
		             "LIST --template FILE --from ADDRESS</code>; it "
		             "appears here, ready to start.</p>");
	else
		buf_puts(&b,
		         "" TABLE_WRAP "<table><caption "
		         "class=\"skip\">Campaigns</caption><thead><tr>"
		         "<th scope=\"col\">Campaign</th><th "
		         "scope=\"col\">List</th><th "
		         "scope=\"col\">State</th><th scope=\"col\" "
		         "class=\"n\">Progress</th><th scope=\"col\" "
		         "class=\"n\">Sent</th><th scope=\"col\" "
		         "class=\"n\">Rate</th><th "
		         "scope=\"col\">Created</th><th "
		         "scope=\"col\">Scheduled</th></tr></thead><tbody>");
	json_array_foreach(rows, i, c)
	{
		json_t *st = json_object_get(c, "states");
		unsigned long long total = jnum(c, "recipients"),
		                   settled = jnum(st, "sent") +
		                             jnum(st, "failed") +
		                             jnum(st, "bounced") +
		                             jnum(st, "suppressed");
		long long id = (long long)jnum(c, "id");
		struct runner_sample *sm = xcalloc(1, sizeof(*sm));
		bool live = runner_sample(http_runner(), id, sm) && sm->active;

		buf_printf(&b, "<tr><td><a href=\"/dash/campaign/%lld\">", id);
		dash_esc(&b, jstr(c, "name"));
		buf_puts(&b, "</a></td><td>");
		dash_esc(&b, jstr(c, "list"));
		buf_puts(&b, "</td><td>");
		dash_esc(&b, live ? sm->state : jstr(c, "status"));
		buf_printf(&b,
		           "</td><td class=\"n\">%llu%%</td><td class=\"n\">",
		           total ? settled * 100 / total : 0);
		dash_num(&b, jnum(st, "sent"));
		buf_puts(&b, "</td><td class=\"n\">");
		if (live) {
			dash_num(&b, (unsigned long long)(sm->p.rate + 0.5));
			buf_puts(&b, "/s");
		} else
			buf_puts(&b, "—");
		buf_puts(&b, "</td><td>");
		jtime(&b, json_object_get(c, "created"));
		buf_puts(&b, "</td><td>");
		jtime(&b, json_object_get(c, "scheduled"));
		buf_puts(&b, "</td></tr>");
		free(sm);
	}
	if (json_array_size(rows) > 0)
		buf_puts(&b, "</tbody></table></div>");
	json_decref(rows);
	dash_foot(&b);
	return dash_send(d->hc->c, 200, &b);
}

/* One stat of the live page. */
static void
stat(struct buf *b, const char *id, const char *label, const char *value)
{
	buf_printf(b, "<div><dt>%s</dt><dd id=\"%s\">", label, id);
	dash_esc(b, value);
	buf_puts(b, "</dd></div>");
}

/* A grouped number as text. */
static const char *
grouped(unsigned long long n, char *buf, size_t bufsz)
{
	chart_group(n, buf, bufsz);
	return buf;
}

/* An action button (admin only). */
static void
button(struct buf *b, const struct dash_req *d, long long id,
       const char *action, const char *label)
{
	buf_printf(b,
	           "<form method=\"post\" action=\"/dash/campaign/%lld/%s\">",
	           id, action);
	dash_csrf_field(b, d);
	buf_printf(b, "<button type=\"submit\">%s</button></form>", label);
}

/* GET /dash/campaign/ID: the live page. */
enum MHD_Result
dash_page_campaign(struct dash_req *d, long long id)
{
	char err[CAMPAIGN_ERR_MAX], n1[32];
	struct campaign_info ci;
	struct buf b;
	struct runner_sample *sm;
	bool live;
	const char *msg = dash_arg(d, "msg");

	STORE_OR_BUSY(s, d);
	if (campaign_status_get(s, (int64_t)id, &ci, err, sizeof(err)) < 0)
		return http_not_found(d->hc->c);
	sm = xcalloc(1, sizeof(*sm));
	live = runner_sample(http_runner(), id, sm) && sm->active;
	buf_init(&b);
	dash_head(&b, d, ci.name, "campaigns");
	buf_puts(&b, "<h1>Campaign ");
	dash_esc(&b, ci.name);
	buf_puts(&b, "</h1>");
	if (msg != NULL && strlen(msg) < 200) {
		buf_puts(&b, "<p class=\"note\" role=\"status\">");
		dash_esc(&b, msg);
		buf_puts(&b, "</p>");
	}
	if (sm->id != 0 && strcmp(sm->state, "failed") == 0) {
		buf_puts(&b, "<p class=\"error\">The last run failed: ");
		dash_esc(&b, sm->error);
		buf_puts(&b, "</p>");
	}
	buf_printf(&b,
	           "<section id=\"live\" aria-live=\"polite\" "
	           "data-events=\"/dash/campaign/%lld/events\" "
	           "data-live=\"%d\"><dl class=\"stats\">",
	           id, live ? 1 : 0);
	stat(&b, "st-state", "State",
	     live ? sm->state : campaign_status_name(ci.status));
	stat(&b, "st-sent", "Sent",
	     grouped(ci.states[DLV_SENT], n1, sizeof(n1)));
	stat(&b, "st-deferred", "Deferred",
	     grouped(ci.states[DLV_DEFERRED], n1, sizeof(n1)));
	stat(&b, "st-failed", "Failed",
	     grouped(ci.states[DLV_FAILED] + ci.states[DLV_BOUNCED], n1,
	             sizeof(n1)));
	stat(&b, "st-queued", "Queued",
	     grouped(ci.states[DLV_PENDING] + ci.states[DLV_INFLIGHT], n1,
	             sizeof(n1)));
	stat(&b, "st-rate", "Rate", "—");
	stat(&b, "st-eta", "ETA", "—");
	buf_puts(&b, "</dl><h2>Over time</h2><div id=\"live-chart\">"
	             "<p class=\"empty\">The chart draws itself while the "
	             "campaign runs here.</p></div>"
	             "<h2>Destinations</h2>" TABLE_WRAP "<table>"
	             "<thead><tr><th scope=\"col\">Destination</th><th "
	             "scope=\"col\">Sent</th><th scope=\"col\">Deferred</th>"
	             "<th scope=\"col\">Failed</th><th scope=\"col\">Last "
	             "reply</th></tr></thead><tbody id=\"dest-rows\">");
	for (size_t i = 0; i < sm->ndest; i++) {
		buf_puts(&b, "<tr><td>");
		dash_esc(&b, sm->dest[i].key);
		buf_printf(&b, "</td><td>%lu</td><td>%lu</td><td>%lu</td><td>",
		           sm->dest[i].sent, sm->dest[i].deferred,
		           sm->dest[i].failed);
		dash_esc(&b, sm->dest[i].last);
		buf_puts(&b, "</td></tr>");
	}
	buf_puts(&b, "</tbody></table></div></section>");
	if (d->ses.role == USER_ADMIN) {
		buf_puts(&b, "<h2>Actions</h2><div class=\"actions\">");
		if (live)
			button(&b, d, id, "pause", "Pause");
		else if (ci.status == CAMPAIGN_DRAFT)
			button(&b, d, id, "start", "Start");
		else if (ci.status != CAMPAIGN_DONE)
			button(&b, d, id, "resume", "Resume");
		if (!live && ci.status != CAMPAIGN_DONE) {
			buf_printf(&b,
			           "<form method=\"post\" "
			           "action=\"/dash/campaign/%lld/schedule\">",
			           id);
			dash_csrf_field(&b, d);
			buf_puts(&b, "<label for=\"at\">Start at (ISO 8601 "
			             "with zone)</label><input id=\"at\" "
			             "name=\"at\" placeholder=\"2026-12-24T09:"
			             "00:00+01:00\"><button type=\"submit\" "
			             "class=\"secondary\">Schedule</button>"
			             "</form>");
		}
		buf_puts(&b, "</div>");
	}
	buf_printf(&b,
	           "<p><a href=\"/dash/campaign/%lld/report\">The report "
	           "of this campaign</a></p>",
	           id);
	free(sm);
	dash_foot(&b);
	return dash_send(d->hc->c, 200, &b);
}

/* GET /dash/campaign/ID/report: the sections of `campaign report
 * --html` (app/report_html.h), in the dashboard's frame. */
enum MHD_Result
dash_page_report(struct dash_req *d, long long id)
{
	struct campaign_report r;
	char err[CAMPAIGN_ERR_MAX], title[STORE_NAME_MAX + 16];
	struct buf b;

	STORE_OR_BUSY(s, d);
	if (campaign_report_get(s, (int64_t)id, &r, err, sizeof(err)) < 0) {
		campaign_report_fini(&r);
		return http_not_found(d->hc->c);
	}
	buf_init(&b);
	snprintf(title, sizeof(title), "Report: %s", r.name);
	dash_head(&b, d, title, "campaigns");
	buf_puts(&b, "<h1>");
	dash_esc(&b, title);
	buf_printf(&b, "</h1><p class=\"meta\">Campaign %lld, %s.</p>", id,
	           campaign_status_name(r.status));
	report_html_sections(&b, &r);
	campaign_report_fini(&r);
	buf_printf(&b,
	           "<p><a href=\"/dash/campaign/%lld\">Back to the "
	           "campaign</a></p>",
	           id);
	dash_foot(&b);
	return dash_send(d->hc->c, 200, &b);
}

/* GET /dash/mailboxes: what the bounce mailboxes' fetches did. */
enum MHD_Result
dash_page_mailboxes(struct dash_req *d)
{
	char err[CAMPAIGN_ERR_MAX];
	struct buf b;

	STORE_OR_BUSY(s, d);
	buf_init(&b);
	dash_head(&b, d, "Mailboxes", "mailboxes");
	buf_puts(&b, "<h1>Mailboxes</h1><p>Each bounce mailbox the store "
	             "remembers (<code>bounces fetch</code>, "
	             "<code>bounces poll</code>): its last fetch and what it "
	             "did, and the messages remembered by what was done with "
	             "them.</p>");
	if (report_mailboxes_html(s, &b, err, sizeof(err)) < 0) {
		buf_fini(&b);
		return dash_fail(d, 500,
		                 "The store could not be read: try again.");
	}
	dash_foot(&b);
	return dash_send(d->hc->c, 200, &b);
}

/* GET /dash/contacts?q=ADDRESS|TEXT[&list=NAME]. */
enum MHD_Result
dash_page_contacts(struct dash_req *d)
{
	const char *q = dash_arg(d, "q"), *list = dash_arg(d, "list");
	char err[CAMPAIGN_ERR_MAX], lname[STORE_NAME_MAX + 1];
	json_t *rows = NULL, *c, *hist = NULL;
	struct buf b;
	size_t i, shown = 0;

	STORE_OR_BUSY(s, d);
	buf_init(&b);
	dash_head(&b, d, "Contacts", "contacts");
	buf_puts(&b, "<h1>Contacts</h1><form method=\"get\" "
	             "action=\"/dash/contacts\" role=\"search\"><label "
	             "for=\"q\">Address, or part of one</label><input "
	             "id=\"q\" name=\"q\" type=\"search\" value=\"");
	dash_esc(&b, q ? q : "");
	buf_puts(&b, "\"> <button type=\"submit\">Search</button></form>");
	if (q != NULL && strchr(q, '@') != NULL &&
	    app_contact_show(s, q, &c, err, sizeof(err)) == 0) {
		buf_puts(&b, "<h2>");
		dash_esc(&b, jstr(c, "email"));
		buf_puts(&b, "</h2><p>Status: <strong id=\"contact-status\">");
		dash_esc(&b, jstr(c, "status"));
		buf_puts(&b, "</strong></p>");
		json_decref(c);
		if (app_contact_history(s, q, &hist, err, sizeof(err)) == 0) {
			buf_puts(&b, "<h3>History</h3>" TABLE_WRAP
			             "<table><thead><tr>"
			             "<th scope=\"col\">When</th><th "
			             "scope=\"col\">Who</th><th "
			             "scope=\"col\">What</th><th "
			             "scope=\"col\">Detail</th></tr></thead>"
			             "<tbody>");
			json_array_foreach(hist, i, c)
			{
				buf_puts(&b, "<tr><td>");
				jtime(&b, json_object_get(c, "at"));
				buf_puts(&b, "</td><td>");
				dash_esc(&b, jstr(c, "actor"));
				buf_puts(&b, "</td><td>");
				dash_esc(&b, jstr(c, "action"));
				buf_puts(&b, "</td><td>");
				dash_esc(&b, jstr(c, "detail"));
				buf_puts(&b, "</td></tr>");
			}
			buf_puts(&b, "</tbody></table></div>");
			json_decref(hist);
		}
		dash_foot(&b);
		return dash_send(d->hc->c, 200, &b);
	}
	if (app_list_rows(s, NULL, 0, &rows, err, sizeof(err)) < 0) {
		buf_fini(&b);
		return dash_fail(d, 503, err);
	}
	if (list == NULL && json_array_size(rows) > 0)
		list = jstr(json_array_get(rows, 0), "name");
	/* a copy: list may point into rows, replaced below */
	mc_strlcpy(lname, list ? list : "", sizeof(lname));
	list = lname;
	if (list[0] != '\0') {
		json_t *lists = rows;

		buf_puts(&b, "<p>Lists: ");
		json_array_foreach(lists, i, c)
		{
			buf_puts(&b, "<a href=\"/dash/contacts?list=");
			dash_esc(&b, jstr(c, "name"));
			buf_puts(&b, "\">");
			dash_esc(&b, jstr(c, "name"));
			buf_puts(&b, "</a> ");
		}
		buf_puts(&b, "</p>");
		rows = NULL;
		if (app_list_rows(s, list, 0, &rows, err, sizeof(err)) < 0)
			rows = json_array();
		json_decref(lists);
		buf_puts(&b, "<h2>List ");
		dash_esc(&b, list);
		buf_puts(&b, "</h2>" TABLE_WRAP "<table><thead><tr>"
		             "<th scope=\"col\">Address</th><th "
		             "scope=\"col\">Status</th></tr></thead><tbody>");
		json_array_foreach(rows, i, c)
		{
			const char *e = jstr(c, "email");

			if (q != NULL && *q && strcasestr(e, q) == NULL)
				continue;
			if (shown++ == CONTACTS_SHOWN)
				break;
			buf_puts(&b, "<tr><td><a href=\"/dash/contacts?q=");
			dash_esc(&b, e);
			buf_puts(&b, "\">");
			dash_esc(&b, e);
			buf_puts(&b, "</a></td><td>");
			dash_esc(&b, jstr(c, "status"));
			buf_puts(&b, "</td></tr>");
		}
		buf_puts(&b, "</tbody></table></div>");
		if (shown == 0)
			buf_puts(&b, "<p class=\"empty\">No contact matches. "
			             "Try part of an address.</p>");
	} else {
		buf_puts(&b, "<p class=\"empty\">No contact yet. Import some "
		             "with <code>mailcast list import LIST "
		             "FILE.csv</code>.</p>");
	}
	json_decref(rows);
	dash_foot(&b);
	return dash_send(d->hc->c, 200, &b);
}

/* GET /dash/suppressions. */
enum MHD_Result
dash_page_suppressions(struct dash_req *d)
{
	char err[CAMPAIGN_ERR_MAX];
	json_t *rows = NULL, *c;
	struct buf b;
	size_t i;

	STORE_OR_BUSY(s, d);
	if (app_supp_rows(s, &rows, err, sizeof(err)) < 0)
		return dash_fail(d, 503, err);
	buf_init(&b);
	dash_head(&b, d, "Suppressions", "suppressions");
	buf_puts(&b, "<h1>Suppressions</h1>");
	if (json_array_size(rows) == 0)
		buf_puts(&b, "<p class=\"empty\">Nothing is suppressed. Hard "
		             "bounces, complaints and unsubscribes land here; "
		             "add one with <code>mailcast suppress add "
		             "ADDRESS</code>.</p>");
	else {
		buf_puts(&b, "" TABLE_WRAP "<table><thead><tr><th "
		             "scope=\"col\">Entry</th><th "
		             "scope=\"col\">Reason</th><th "
		             "scope=\"col\">Source</th><th "
		             "scope=\"col\">Since</th></tr></thead><tbody>");
		json_array_foreach(rows, i, c)
		{
			buf_puts(&b, "<tr><td>");
			dash_esc(&b, jstr(c, "entry"));
			buf_puts(&b, "</td><td>");
			dash_esc(&b, jstr(c, "reason"));
			buf_puts(&b, "</td><td>");
			dash_esc(&b, jstr(c, "source"));
			buf_puts(&b, "</td><td>");
			jtime(&b, json_object_get(c, "created"));
			buf_puts(&b, "</td></tr>");
		}
		buf_puts(&b, "</tbody></table></div>");
	}
	json_decref(rows);
	dash_foot(&b);
	return dash_send(d->hc->c, 200, &b);
}

/* GET /dash/lists: lists with counts by status, campaign segments. */
enum MHD_Result
dash_page_lists(struct dash_req *d)
{
	char err[CAMPAIGN_ERR_MAX];
	json_t *rows = NULL, *c;
	struct buf b;
	size_t i;

	STORE_OR_BUSY(s, d);
	if (app_list_rows(s, NULL, 0, &rows, err, sizeof(err)) < 0)
		return dash_fail(d, 503, err);
	buf_init(&b);
	dash_head(&b, d, "Lists", "lists");
	buf_puts(&b, "<h1>Lists</h1>");
	if (json_array_size(rows) == 0)
		buf_puts(&b, "<p class=\"empty\">No list yet. <code>mailcast "
		             "list import NAME FILE.csv</code> makes one.</p>");
	else
		buf_puts(&b, "" TABLE_WRAP "<table><thead><tr><th "
		             "scope=\"col\">List</th><th scope=\"col\" "
		             "class=\"n\">Members</th><th scope=\"col\">By "
		             "status</th><th scope=\"col\">Created</th></tr>"
		             "</thead><tbody>");
	json_array_foreach(rows, i, c)
	{
		json_t *cnt = NULL, *v;
		const char *k;

		buf_puts(&b, "<tr><td><a href=\"/dash/contacts?list=");
		dash_esc(&b, jstr(c, "name"));
		buf_puts(&b, "\">");
		dash_esc(&b, jstr(c, "name"));
		buf_puts(&b, "</a></td><td class=\"n\">");
		dash_num(&b, jnum(c, "members"));
		buf_puts(&b, "</td><td>");
		if (app_list_count(s, jstr(c, "name"), &cnt, err,
		                   sizeof(err)) == 0) {
			json_object_foreach(json_object_get(cnt, "statuses"), k,
			                    v)
			{
				dash_esc(&b, k);
				buf_putc(&b, ' ');
				dash_num(
				    &b,
				    (unsigned long long)json_integer_value(v));
				buf_puts(&b, "; ");
			}
			json_decref(cnt);
		}
		buf_puts(&b, "</td><td>");
		jtime(&b, json_object_get(c, "created"));
		buf_puts(&b, "</td></tr>");
	}
	if (json_array_size(rows) > 0)
		buf_puts(&b, "</tbody></table></div>");
	buf_puts(&b, "<h2>Segments</h2><p>A segment is a <code>--where</code> "
	             "expression over a list's contacts; a campaign made of "
	             "one shows it on its page. Count one with "
	             "<code>mailcast list count LIST --where EXPR</code>.</p>");
	json_decref(rows);
	dash_foot(&b);
	return dash_send(d->hc->c, 200, &b);
}

/* The store URL, its passwords shown as "***" (store_url_redact()). */
static void
url_masked(struct buf *b, const char *url)
{
	char *m = store_url_redact(url);

	dash_esc(b, m);
	free(m);
}

/* GET /dash/settings: the effective configuration, secrets masked. */
enum MHD_Result
dash_page_settings(struct dash_req *d)
{
	const struct mc_conf *c = app_conf();
	struct buf b;

	buf_init(&b);
	dash_head(&b, d, "Settings", "settings");
	buf_puts(&b, "<h1>Settings</h1><p>Read only: change "
	             "<code>mailcast.conf</code> and send the server SIGHUP. "
	             "Secrets are never shown: a password is only ever named "
	             "by the file that holds it.</p>");
	buf_puts(&b, "" TABLE_WRAP "<table><thead><tr><th "
	             "scope=\"col\">Key</th><th scope=\"col\">Value</th>"
	             "</tr></thead><tbody>");
	buf_puts(&b, "<tr><td>configuration file</td><td>");
	dash_esc(&b, c && c->path ? c->path : "(none)");
	buf_puts(&b, "</td></tr>");
	for (int k = 0; c != NULL && k < CONF__COUNT; k++) {
		if (c->vals[k] == NULL)
			continue;
		buf_puts(&b, "<tr><td>");
		dash_esc(&b, conf_key_name((enum conf_key)k));
		buf_puts(&b, "</td><td>");
		if (k == CONF_store)
			url_masked(&b, c->vals[k]);
		else
			dash_esc(&b, c->vals[k]);
		buf_puts(&b, "</td></tr>");
	}
	for (size_t i = 0; c != NULL && i < c->nrelays; i++) {
		buf_puts(&b, "<tr><td>relay ");
		dash_esc(&b, c->relays[i].name);
		buf_puts(&b, "</td><td>");
		dash_esc(&b, c->relays[i].host ? c->relays[i].host : "");
		if (c->relays[i].auth_user) {
			buf_puts(&b, " (AUTH as ");
			dash_esc(&b, c->relays[i].auth_user);
			buf_puts(&b, ", password: ***)");
		}
		buf_puts(&b, "</td></tr>");
	}
	buf_puts(&b, "</tbody></table></div>");
	dash_foot(&b);
	return dash_send(d->hc->c, 200, &b);
}

/* POST /dash/campaign/ID/{start,resume,pause,schedule}. */
enum MHD_Result
dash_action(struct dash_req *d, long long id, const char *action)
{
	char err[CAMPAIGN_ERR_MAX], at[64], loc[CAMPAIGN_ERR_MAX + 64];
	int rc;

	STORE_OR_BUSY(s, d);
	err[0] = '\0';
	if (strcmp(action, "start") == 0 || strcmp(action, "resume") == 0)
		rc = runner_start(http_runner(), (int64_t)id, err, sizeof(err));
	else if (strcmp(action, "pause") == 0)
		rc = runner_pause(http_runner(), (int64_t)id, err, sizeof(err));
	else if (strcmp(action, "schedule") == 0) {
		if (!http_form_get(d->hc->body, d->hc->len, "at", at,
		                   sizeof(at)))
			at[0] = '\0';
		rc = campaign_schedule(s, (int64_t)id, at, time(NULL), err,
		                       sizeof(err));
	} else
		return http_not_found(d->hc->c);
	log_info("serve: dash: %s: campaign %lld %s: %s", d->ses.name, id,
	         action, rc < 0 ? err : "ok");
	if (rc < 0)
		return dash_fail(d, rc == MC_ENOTFOUND ? 404 : 409, err);
	/* back to the campaign, with what happened in words */
	snprintf(loc, sizeof(loc), "/dash/campaign/%lld?msg=%s%%3A+done", id,
	         action);
	return dash_redirect(d->hc->c, loc, NULL);
}
