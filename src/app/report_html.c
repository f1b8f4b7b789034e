/*
 * report_html.c — a campaign's report as HTML (report_html.h): sections
 * built from struct campaign_report, charts from app/chart.c, one inline
 * style sheet for the self-contained document.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/chart.h"
#include "app/report_html.h"
#include "base/error.h"

static const char *const done_colours[CAMPAIGN_SERIES] = {"#1b7f3b", "#b36b00",
                                                          "#b00020", "#6a1b9a"};
static const char *const activity_colours[CAMPAIGN_SERIES] = {
    "#b00020", "#b36b00", "#1f5fbf", "#555555"};

/* The document's style: one column, tables that scroll sideways. */
static const char style[] =
    "body{font:16px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;"
    "margin:0;color:#1a1a1a;background:#fff}"
    "main{max-width:60rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.2rem;"
    "margin:1.5rem 0 .5rem;border-bottom:1px solid #ddd}"
    ".stats{display:flex;flex-wrap:wrap;gap:.5rem;margin:0;padding:0}"
    ".stats div{border:1px solid #ddd;border-radius:4px;padding:.4rem .7rem;"
    "min-width:7rem}.stats dt{font-size:.8rem;color:#555}"
    ".stats dd{margin:0;font-size:1.2rem;font-weight:600}"
    ".scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}"
    "th,td{padding:.25rem .5rem;border-bottom:1px solid #eee;"
    "text-align:left;white-space:nowrap}td.n,th.n{text-align:right;"
    "font-variant-numeric:tabular-nums}.empty{color:#555;font-style:italic}"
    ".meta{color:#555}svg.chart{max-width:100%;height:auto}"
    "@media print{.scroll{overflow:visible}}";

/* n grouped. */
static void
num(struct buf *b, unsigned long long n)
{
	char s[32];

	chart_group(n, s, sizeof(s));
	buf_puts(b, s);
}

/* t as "2026-12-04 16:00:00 UTC" in a <time datetime>. */
static void
when(struct buf *b, int64_t t)
{
	char iso[32], text[32];
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &tm);
	buf_printf(b, "<time datetime=\"%s\">%s UTC</time>", iso, text);
}

/* A section's opening: <section id><h2>title</h2>. */
static void
section_open(struct buf *b, const char *id, const char *title)
{
	buf_printf(b, "<section id=\"%s\" aria-labelledby=\"%s-h\">", id, id);
	buf_printf(b, "<h2 id=\"%s-h\">%s</h2>", id, title);
}

/* An empty state. */
static void
empty(struct buf *b, const char *what)
{
	buf_puts(b, "<p class=\"empty\">");
	buf_puts(b, what);
	buf_puts(b, "</p></section>");
}

/* The summary: recipients, every state, the sending time. */
static void
summary(struct buf *b, const struct campaign_report *r)
{
	unsigned long long tenths =
	    r->seconds > 0 ? (unsigned long long)(r->seconds * 10 + 0.5) : 0;

	section_open(b, "summary", "Summary");
	buf_puts(b, "<dl class=\"stats\"><div><dt>Recipients</dt>"
	            "<dd id=\"rp-total\">");
	num(b, r->total);
	buf_puts(b, "</dd></div>");
	for (int i = 0; i < DLV__COUNT; i++) {
		buf_printf(b, "<div><dt>%s</dt><dd id=\"rp-%s\">",
		           store_dlv_state_name(i), store_dlv_state_name(i));
		num(b, r->states[i]);
		buf_puts(b, "</dd></div>");
	}
	buf_puts(b, "<div><dt>Sending time</dt><dd id=\"rp-seconds\">");
	num(b, (unsigned long long)(tenths / 10));
	buf_printf(b, ".%llu s</dd></div></dl></section>", tenths % 10);
}

/* A timeline: its chart, its span, and its numbers in a table. */
static void
timeline(struct buf *b, const char *id, const char *title,
         const struct campaign_timeline *t, const char *const *names,
         const char *const *colours, const char *none)
{
	struct chart_series s[CAMPAIGN_SERIES];
	double *y = calloc(CAMPAIGN_SERIES * CAMPAIGN_BUCKETS, sizeof(*y));
	time_t x[CAMPAIGN_BUCKETS];

	section_open(b, id, title);
	if (t->n == 0 || y == NULL) {
		free(y);
		empty(b, none);
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		x[i] = (time_t)t->at[i];
		for (int k = 0; k < CAMPAIGN_SERIES; k++)
			y[k * CAMPAIGN_BUCKETS + i] = (double)t->v[i][k];
	}
	for (int k = 0; k < CAMPAIGN_SERIES; k++)
		s[k] = (struct chart_series){names[k], colours[k],
		                             y + k * CAMPAIGN_BUCKETS};
	chart_lines_svg(b, title, x, t->n, s, CAMPAIGN_SERIES, 640, 240);
	free(y);
	buf_puts(b, "<p>Every ");
	num(b, (unsigned long long)t->step);
	buf_puts(b, " s from ");
	when(b, t->at[0]);
	buf_puts(b, " to ");
	when(b, t->at[t->n - 1] + t->step);
	buf_printf(b,
	           ".</p><details><summary>The numbers</summary><div "
	           "class=\"scroll\" tabindex=\"0\"><table id=\"%s-table\">"
	           "<thead><tr><th scope=\"col\">From (UTC)</th>",
	           id);
	for (int k = 0; k < CAMPAIGN_SERIES; k++)
		buf_printf(b, "<th scope=\"col\" class=\"n\">%s</th>",
		           names[k]);
	buf_puts(b, "</tr></thead><tbody>");
	for (size_t i = 0; i < t->n; i++) {
		buf_puts(b, "<tr><td>");
		when(b, t->at[i]);
		buf_puts(b, "</td>");
		for (int k = 0; k < CAMPAIGN_SERIES; k++) {
			buf_puts(b, "<td class=\"n\">");
			num(b, t->v[i][k]);
			buf_puts(b, "</td>");
		}
		buf_puts(b, "</tr>");
	}
	buf_puts(b, "</tbody><tfoot><tr><th scope=\"row\">Total</th>");
	for (int k = 0; k < CAMPAIGN_SERIES; k++) {
		buf_printf(b, "<td class=\"n\" id=\"%s-total-%s\">", id,
		           names[k]);
		num(b, t->total[k]);
		buf_puts(b, "</td>");
	}
	buf_puts(b, "</tr></tfoot></table></div></details></section>");
}

/* A tally (by destination, by reply): bars of each key's rows, and a
 * table of its rows by state (the states the campaign has). */
static void
tally(struct buf *b, const char *id, const char *title, const char *keyname,
      const struct campaign_report *r, const struct campaign_tally *t, size_t n)
{
	const char **labels = calloc(n + 1, sizeof(*labels));
	double *v = calloc(n + 1, sizeof(*v));

	section_open(b, id, title);
	if (n == 0 || labels == NULL || v == NULL) {
		free(labels);
		free(v);
		empty(b, "No recipients have been tried yet.");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		labels[i] = t[i].key;
		for (size_t j = 0; j < t[i].n; j++)
			v[i] += (double)t[i].by[j].n;
	}
	chart_bars_svg(b, title, labels, v, n, "#20324a", 640);
	buf_printf(
	    b,
	    "<div class=\"scroll\" tabindex=\"0\"><table id=\"%s-table\">"
	    "<thead><tr><th scope=\"col\">%s</th>",
	    id, keyname);
	for (int s = 0; s < DLV__COUNT; s++)
		if (r->states[s])
			buf_printf(b, "<th scope=\"col\" class=\"n\">%s</th>",
			           store_dlv_state_name(s));
	buf_puts(b, "<th scope=\"col\" class=\"n\">total</th></tr></thead>"
	            "<tbody>");
	for (size_t i = 0; i < n; i++) {
		buf_puts(b, "<tr><th scope=\"row\">");
		chart_escape(b, t[i].key);
		buf_puts(b, "</th>");
		for (int s = 0; s < DLV__COUNT; s++) {
			unsigned long c = 0;

			if (r->states[s] == 0)
				continue;
			for (size_t j = 0; j < t[i].n; j++)
				if ((int)t[i].by[j].state == s)
					c += t[i].by[j].n;
			buf_puts(b, "<td class=\"n\">");
			num(b, c);
			buf_puts(b, "</td>");
		}
		buf_puts(b, "<td class=\"n\">");
		num(b, (unsigned long long)v[i]);
		buf_puts(b, "</td></tr>");
	}
	buf_puts(b, "</tbody></table></div></section>");
	free(labels);
	free(v);
}

/* Bounces by class. */
static void
bounces(struct buf *b, const struct campaign_report *r)
{
	const char *labels[STORE_BOUNCE__COUNT];
	double v[STORE_BOUNCE__COUNT];
	size_t n = 0;

	section_open(b, "bounces", "Bounces by class");
	for (int k = 0; k < STORE_BOUNCE__COUNT; k++)
		if (r->bounces[k]) {
			labels[n] = store_bounce_kind_name(k);
			v[n++] = (double)r->bounces[k];
		}
	if (n == 0) {
		empty(b, "No bounce or feedback report names this campaign; "
		         "<code>mailcast bounces fetch</code> reads them from "
		         "the bounce mailbox.");
		return;
	}
	chart_bars_svg(b, "Bounces by class", labels, v, n, "#6a1b9a", 640);
	buf_puts(b, "<div class=\"scroll\" tabindex=\"0\"><table "
	            "id=\"bounces-table\"><thead><tr><th scope=\"col\">Class"
	            "</th><th scope=\"col\" class=\"n\">messages</th></tr>"
	            "</thead><tbody>");
	for (int k = 0; k < STORE_BOUNCE__COUNT; k++) {
		buf_printf(b, "<tr><th scope=\"row\">%s</th><td class=\"n\">",
		           store_bounce_kind_name(k));
		num(b, r->bounces[k]);
		buf_puts(b, "</td></tr>");
	}
	buf_puts(b, "</tbody></table></div></section>");
}

/* The slowest destinations. */
static void
slowest(struct buf *b, const struct campaign_report *r)
{
	const char *labels[STORE_AGG_SLOW_MAX];
	double v[STORE_AGG_SLOW_MAX];

	section_open(b, "slowest", "Slowest destinations");
	if (r->nslow == 0) {
		empty(b, "No recipient has been tried yet.");
		return;
	}
	for (size_t i = 0; i < r->nslow; i++) {
		labels[i] = r->slowest[i].key;
		v[i] = (double)r->slowest[i].seconds;
	}
	chart_bars_svg(b, "Seconds from the start to the last settled row",
	               labels, v, r->nslow, "#b36b00", 640);
	buf_puts(b, "<div class=\"scroll\" tabindex=\"0\"><table "
	            "id=\"slowest-table\"><thead><tr><th scope=\"col\">"
	            "Destination</th><th scope=\"col\" class=\"n\">seconds"
	            "</th><th scope=\"col\" class=\"n\">rows</th></tr></thead>"
	            "<tbody>");
	for (size_t i = 0; i < r->nslow; i++) {
		buf_puts(b, "<tr><th scope=\"row\">");
		chart_escape(b, r->slowest[i].key);
		buf_puts(b, "</th><td class=\"n\">");
		num(b, (unsigned long long)r->slowest[i].seconds);
		buf_puts(b, "</td><td class=\"n\">");
		num(b, r->slowest[i].n);
		buf_puts(b, "</td></tr>");
	}
	buf_puts(b, "</tbody></table></div><p>Seconds from the first run's "
	            "start to the destination's last settled row (a retried "
	            "deferral counts when it settled).</p></section>");
}

/* The sections; see report_html.h. */
void
report_html_sections(struct buf *b, const struct campaign_report *r)
{
	if (r->total == 0) {
		buf_printf(
		    b,
		    "<p class=\"empty\" id=\"report-empty\">This campaign "
		    "has no recipients yet. Add contacts to its list "
		    "(<code>mailcast list import</code>), then start it "
		    "(<code>mailcast campaign start %lld</code>).</p>",
		    (long long)r->id);
		return;
	}
	summary(b, r);
	timeline(b, "over-time", "Deliveries over time", &r->done,
	         campaign_done_series, done_colours,
	         "No recipient has been tried yet.");
	tally(b, "by-destination", "Outcomes by destination", "Destination", r,
	      r->by_dest, r->ndest);
	tally(b, "by-reply", "Outcomes by reply code", "Reply", r, r->by_reply,
	      r->nreply);
	bounces(b, r);
	timeline(b, "activity", "Complaints, unsubscribes and clicks over time",
	         &r->activity, campaign_activity_series, activity_colours,
	         "No complaint, unsubscribe, click or open yet.");
	slowest(b, r);
}

/* The document; see report_html.h. */
void
report_html_document(struct buf *b, const struct campaign_report *r, time_t now)
{
	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	            "charset=\"utf-8\"><meta name=\"viewport\" "
	            "content=\"width=device-width, initial-scale=1\"><title>"
	            "Report: ");
	chart_escape(b, r->name);
	buf_printf(
	    b,
	    "</title><style>%s</style></head><body><main><h1>Report: ", style);
	chart_escape(b, r->name);
	buf_printf(b, "</h1><p class=\"meta\">Campaign %lld, %s. Made ",
	           (long long)r->id, campaign_status_name(r->status));
	when(b, now);
	buf_puts(b, " by mailcast; every time is UTC.</p>");
	report_html_sections(b, r);
	buf_puts(b, "</main></body></html>\n");
}

/* Write the document to path through a temporary file. */
int
report_html_file(struct store *s, int64_t id, const char *path, char *err,
                 size_t errsz)
{
	struct campaign_report r;
	struct buf b;
	char tmp[4096];
	FILE *f;
	int rc = campaign_report_get(s, id, &r, err, errsz);

	if (rc < 0) {
		campaign_report_fini(&r);
		return rc;
	}
	buf_init(&b);
	report_html_document(&b, &r, time(NULL));
	campaign_report_fini(&r);
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	if ((f = fopen(tmp, "w")) == NULL ||
	    fwrite(buf_data(&b), 1, buf_len(&b), f) != buf_len(&b) ||
	    fclose(f) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		unlink(tmp);
		buf_fini(&b);
		return MC_EIO;
	}
	buf_fini(&b);
	return 0;
}

/* The mailbox rows, grouped by mailbox as they come. */
struct mbox_fill {
	struct buf *b;
	char last[1024];
	int64_t latest;
	size_t rows;
};

/* Close the row of the previous mailbox. */
static void
mbox_close(struct mbox_fill *f)
{
	if (f->last[0] == '\0')
		return;
	buf_puts(f->b, "</td><td>");
	when(f->b, f->latest);
	buf_puts(f->b, "</td></tr>");
}

/* One (mailbox, what, latest, n) row. */
static int
mbox_add(void *arg, const struct store_agg_row *row)
{
	struct mbox_fill *f = arg;
	const char *key = row->key ? row->key : "";
	bool fresh = strcmp(key, f->last) != 0 || f->rows == 0;

	if (fresh) {
		mbox_close(f);
		snprintf(f->last, sizeof(f->last), "%s", key);
		f->latest = 0;
		buf_puts(f->b, "<tr><th scope=\"row\">");
		chart_escape(f->b, key);
		buf_puts(f->b, "</th><td>");
	} else {
		buf_puts(f->b, ", ");
	}
	chart_escape(f->b, row->sub && *row->sub ? row->sub : "seen");
	buf_puts(f->b, " ");
	num(f->b, row->n);
	if (row->at > f->latest)
		f->latest = row->at;
	f->rows++;
	return 0;
}

/* One mailbox's last fetch as a table row. */
static int
fetch_add(void *arg, const struct store_mailbox_fetch *x)
{
	struct buf *b = arg;

	buf_puts(b, "<tr><th scope=\"row\">");
	chart_escape(b, x->mailbox);
	buf_puts(b, "</th><td>");
	when(b, x->at);
	buf_puts(b, "</td><td>");
	chart_escape(b, strcmp(x->outcome, "ok") == 0 ? "done" : x->outcome);
	if (x->why && *x->why) {
		buf_puts(b, ": ");
		chart_escape(b, x->why);
	}
	buf_puts(b, "</td><td class=\"n\">");
	num(b, x->messages);
	buf_puts(b, "</td><td>");
	chart_escape(b, x->summary);
	buf_puts(b, "</td></tr>");
	return 0;
}

/* The mailboxes' tables; see report_html.h. */
int
report_mailboxes_html(struct store *s, struct buf *b, char *err, size_t errsz)
{
	struct mbox_fill f = {.b = b};
	struct buf rows, fetches;
	bool fetched;
	int rc;

	buf_init(&rows);
	buf_init(&fetches);
	f.b = &rows;
	if ((rc = store_mailbox_fetch_each(s, fetch_add, &fetches)) < 0 ||
	    (rc = store_aggregate(s, STORE_AGG_MAILBOXES, 0, mbox_add, &f)) <
	        0) {
		snprintf(err, errsz, "%s", store_error(s));
		buf_fini(&rows);
		buf_fini(&fetches);
		return rc;
	}
	mbox_close(&f);
	fetched = buf_len(&fetches) > 0;
	if (fetched) {
		buf_puts(b,
		         "<h2>Last fetches</h2><div class=\"scroll\" "
		         "tabindex=\"0\"><table id=\"fetches-table\"><thead>"
		         "<tr><th scope=\"col\">Mailbox</th><th scope=\"col\">"
		         "Ended</th><th scope=\"col\">Result</th><th "
		         "scope=\"col\">Messages handled</th><th "
		         "scope=\"col\">What it did</th></tr></thead><tbody>");
		buf_append(b, buf_data(&fetches), buf_len(&fetches));
		buf_puts(b, "</tbody></table></div>");
	}
	buf_fini(&fetches);
	if (f.rows == 0 && fetched) {
		buf_fini(&rows);
		return 0;
	}
	if (f.rows == 0) {
		buf_puts(b, "<p class=\"empty\" id=\"mailboxes-empty\">No "
		            "mailbox has been fetched yet: run <code>mailcast "
		            "bounces fetch --mailbox URL</code> on the mailbox "
		            "your bounces and complaints come back to.</p>");
		buf_fini(&rows);
		return 0;
	}
	buf_puts(b, "<h2>Messages remembered</h2><div class=\"scroll\" "
	            "tabindex=\"0\"><table "
	            "id=\"mailboxes-table\"><thead><tr><th scope=\"col\">"
	            "Mailbox</th><th scope=\"col\">Messages by what was done"
	            "</th><th scope=\"col\">Last fetch</th></tr></thead>"
	            "<tbody>");
	buf_append(b, buf_data(&rows), buf_len(&rows));
	buf_puts(b, "</tbody></table></div>");
	buf_fini(&rows);
	return 0;
}
